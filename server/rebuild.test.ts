import { describe, expect, it } from 'vitest';
import { RebuildScheduler } from './rebuild.ts';

/** A rebuild whose end the test decides, to hold it "running" while more requests arrive. */
function aControllableBuild() {
  const calls: string[][] = [];
  let active = 0;
  let maxActive = 0;
  const gates: Array<() => void> = [];
  const run = async (reasons: string[]) => {
    calls.push(reasons);
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise<void>((resolve) => gates.push(resolve));
    active--;
  };
  const waitForRun = async (n: number) => {
    while (calls.length < n) await new Promise((r) => setTimeout(r, 1));
  };
  return { run, calls, finishNext: () => gates.shift()?.(), waitForRun, maxActive: () => maxActive };
}

describe('RebuildScheduler', () => {
  it('folds a burst of requests into one rebuild', async () => {
    const build = aControllableBuild();
    const scheduler = new RebuildScheduler(build.run, { debounceMs: 5 });
    for (const id of ['a', 'b', 'c']) scheduler.request(id);
    await build.waitForRun(1);
    build.finishNext();
    await scheduler.idle();
    expect(build.calls).toEqual([['a', 'b', 'c']]);
  });

  it('holds requests until a build running elsewhere ends, then folds them into one rebuild', async () => {
    const build = aControllableBuild();
    let endElsewhere!: () => void;
    const elsewhere = new Promise<void>((resolve) => (endElsewhere = resolve));
    const scheduler = new RebuildScheduler(build.run, { debounceMs: 5, after: elsewhere });
    expect(scheduler.busy).toBe(true);
    scheduler.request('a');
    scheduler.request('b');
    // Longer than the quiet time: nothing runs while the other build does.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(build.calls).toEqual([]);
    endElsewhere();
    await build.waitForRun(1);
    build.finishNext();
    await scheduler.idle();
    expect(build.calls).toEqual([['a', 'b']]);
  });

  it('reports a build running elsewhere that failed, and takes requests after it', async () => {
    const build = aControllableBuild();
    const errors: unknown[] = [];
    const scheduler = new RebuildScheduler(build.run, { debounceMs: 5, after: Promise.reject(new Error('elsewhere')), onError: (error) => errors.push(error) });
    await scheduler.idle();
    expect(errors).toHaveLength(1);
    scheduler.request('a');
    await build.waitForRun(1);
    build.finishNext();
    await scheduler.idle();
    expect(build.calls).toEqual([['a']]);
  });

  it('starts a rebuild waiting for its quiet time at once when flushed', async () => {
    const build = aControllableBuild();
    const scheduler = new RebuildScheduler(build.run, { debounceMs: 3_600_000 });
    scheduler.flush();
    expect(build.calls).toEqual([]);
    scheduler.request('a');
    scheduler.request('b');
    scheduler.flush();
    expect(build.calls).toEqual([['a', 'b']]);
    build.finishNext();
    await scheduler.idle();
    expect(build.calls).toEqual([['a', 'b']]);
  });

  it('never runs two rebuilds at once and runs once more for requests made during a run', async () => {
    const build = aControllableBuild();
    const scheduler = new RebuildScheduler(build.run, { debounceMs: 1 });
    scheduler.request('first');
    await build.waitForRun(1);
    scheduler.request('during-1');
    scheduler.request('during-2');
    build.finishNext();
    await build.waitForRun(2);
    build.finishNext();
    await scheduler.idle();
    expect(build.calls).toEqual([['first'], ['during-1', 'during-2']]);
    expect(build.maxActive()).toBe(1);
  });

  it('reports a failed rebuild and still serves later requests', async () => {
    const errors: unknown[] = [];
    let n = 0;
    const scheduler = new RebuildScheduler(
      async () => {
        if (++n === 1) throw new Error('dataset unreadable');
      },
      { debounceMs: 1, onError: (e) => errors.push(e) },
    );
    scheduler.request();
    await scheduler.idle();
    scheduler.request();
    await scheduler.idle();
    expect(n).toBe(2);
    expect(errors).toHaveLength(1);
  });
});
