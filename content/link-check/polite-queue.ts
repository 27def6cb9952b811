// Runs work on many URLs without leaning on any one site: at most `perHost` requests to a
// host at a time, starts to the same host at least `delayMs` apart, and at most
// `concurrency` requests in flight overall. Hosts are served side by side, so a site with
// two hundred links does not hold up the others. The clock is a seam for tests.

export interface Politeness {
  /** Requests in flight across all hosts. */
  concurrency: number;
  /** Requests in flight to one host (1 or 2 is polite). */
  perHost: number;
  /** The least time between two request starts to the same host. */
  delayMs: number;
}

export interface QueueClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: QueueClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A FIFO counting semaphore: whoever waited first goes first. */
function makeSlots(size: number) {
  let free = size;
  const waiting: Array<() => void> = [];
  return {
    async take(): Promise<void> {
      if (free > 0) {
        free--;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    give(): void {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

/**
 * Calls `work` once for each item, politely, and returns the results in the items' order.
 * After `signal` aborts no new work starts; items not started are left out (undefined).
 */
export async function runPolitely<T, R>(
  items: readonly T[],
  hostOf: (item: T) => string,
  work: (item: T) => Promise<R>,
  politeness: Politeness,
  options: { clock?: QueueClock; signal?: AbortSignal } = {},
): Promise<Array<R | undefined>> {
  const clock = options.clock ?? systemClock;
  const global = makeSlots(Math.max(1, politeness.concurrency));
  const results: Array<R | undefined> = new Array(items.length);
  const byHost = new Map<string, number[]>();
  items.forEach((item, index) => {
    const host = hostOf(item);
    let queue = byHost.get(host);
    if (!queue) byHost.set(host, (queue = []));
    queue.push(index);
  });
  const lanes: Array<Promise<void>> = [];
  for (const queue of byHost.values()) {
    let nextStart = -Infinity;
    const lane = async () => {
      for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
        // The host's next start time is claimed before waiting, so lanes of one host never
        // start closer together than the delay, whatever the global slots do afterwards.
        const now = clock.now();
        const startAt = Math.max(now, nextStart);
        nextStart = startAt + politeness.delayMs;
        if (startAt > now) await clock.sleep(startAt - now);
        await global.take();
        try {
          if (options.signal?.aborted) return;
          results[index] = await work(items[index]!);
        } finally {
          global.give();
        }
      }
    };
    for (let i = 0; i < Math.max(1, politeness.perHost); i++) lanes.push(lane());
  }
  await Promise.all(lanes);
  return results;
}
