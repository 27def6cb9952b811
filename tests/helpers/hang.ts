// How long a test waits before it calls something hung. Only a hang should ever reach
// these limits: a busy 2-core machine can make one `newsdesk` child process (start,
// compile, run) take tens of seconds, so a test's limit grows with the child processes it
// runs. What a test checks never depends on how fast anything was.

/** What one child process, or one wait on a server or a browser, is allowed before it counts as hung. */
export const hangMs = 120_000;

/** The time-out of a test or hook that runs `steps` child processes (or long waits) one after another. */
export const hangAfter = (steps: number): number => Math.max(1, steps) * hangMs;
