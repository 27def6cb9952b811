// How long a test waits before it calls something hung. Only a hang should ever reach
// these limits: a busy 2-core machine can make one `newsdesk` child process (start,
// compile, run) take tens of seconds, so a test's limit grows with the child processes it
// runs. What a test checks never depends on how fast anything was.

/** What one child process, or one wait on a server or a browser, is allowed before it counts as hung. */
export const hangMs = 120_000;

/** The time-out of a test or hook that runs `steps` child processes (or long waits) one after another. */
export const hangAfter = (steps: number): number => Math.max(1, steps) * hangMs;

/** Waits for `probe` to give a value, looking every 25 ms; the limit only catches a hang. */
export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const started = performance.now();
  while (performance.now() - started < hangMs) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}
