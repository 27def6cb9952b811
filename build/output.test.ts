import { describe, expect, it } from 'vitest';
import { inLanes } from './output.ts';

describe('inLanes', () => {
  it('runs the work a few at a time, gives the results in the items’ order, and fails after every lane is done', async () => {
    let running = 0;
    let most = 0;
    const finished: number[] = [];
    const work = async (n: number) => {
      running++;
      most = Math.max(most, running);
      // Later items finish first, so the order of results is not the order of finishing.
      for (let i = 0; i < 20 - n; i++) await Promise.resolve();
      running--;
      finished.push(n);
      if (n === 3) throw new Error('three failed');
      return n * 10;
    };
    expect(await inLanes([0, 1, 2, 4, 5, 6, 7], 3, work)).toEqual([0, 10, 20, 40, 50, 60, 70]);
    expect(most).toBe(3);
    finished.length = 0;
    await expect(inLanes([0, 1, 2, 3, 4, 5, 6], 2, work)).rejects.toThrow('three failed');
    // The lane that failed stopped; the other went on until the items ran out.
    expect(finished).toContain(6);
    expect(running).toBe(0);
    expect(await inLanes([], 4, work)).toEqual([]);
  });
});
