// The polite queue's spacing between requests to one site, on a fake clock: only the
// sleeps the queue asks for are counted, never real time.
import { describe, expect, it } from 'vitest';
import { runPolitely, type QueueClock } from './polite-queue.ts';

/** A clock that moves only when slept on or when work "takes" time. */
function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  const clock: QueueClock = {
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  return { clock, sleeps, spend: (ms: number) => (t += ms), now: () => t };
}

describe('the polite queue', () => {
  it('starts requests to one site at least the delay apart, counting the time the work took', async () => {
    const { clock, sleeps, spend, now } = fakeClock();
    const starts: number[] = [];
    const results = await runPolitely(
      ['a', 'b', 'c'],
      () => 'one.example',
      async (item) => {
        starts.push(now());
        spend(300);
        return item.toUpperCase();
      },
      { concurrency: 4, perHost: 1, delayMs: 1000 },
      { clock },
    );
    expect(results).toEqual(['A', 'B', 'C']);
    expect(starts).toEqual([0, 1000, 2000]);
    expect(sleeps).toEqual([700, 700]);
  });

  it('never makes one site wait for another', async () => {
    const { clock, sleeps } = fakeClock();
    await runPolitely(['x', 'y', 'z'], (item) => `${item}.example`, async (item) => item, { concurrency: 4, perHost: 1, delayMs: 1000 }, { clock });
    expect(sleeps).toEqual([]);
  });

  it('starts nothing new once stopped, and leaves those items out', async () => {
    const { clock } = fakeClock();
    const stop = new AbortController();
    const done: string[] = [];
    const results = await runPolitely(
      ['a', 'b', 'c'],
      () => 'one.example',
      async (item) => {
        done.push(item);
        if (item === 'a') stop.abort();
        return item;
      },
      { concurrency: 1, perHost: 1, delayMs: 0 },
      { clock, signal: stop.signal },
    );
    expect(done).toEqual(['a']);
    expect(results).toEqual(['a', undefined, undefined]);
  });
});
