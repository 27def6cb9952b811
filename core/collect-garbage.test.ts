import { describe, expect, it } from 'vitest';
import { collectGarbage } from './collect-garbage.ts';

describe('collectGarbage', () => {
  it('collects what nothing refers to any more, at once, each time it is called', async () => {
    for (let round = 0; round < 2; round++) {
      let ref: WeakRef<object> | undefined;
      (() => {
        ref = new WeakRef({ rows: Array.from({ length: 10_000 }, (_, i) => ({ i })) });
      })();
      expect(ref!.deref()).toBeDefined();
      // A WeakRef's target is kept until the job that made it (or read it) ends.
      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      expect(ref!.deref()).toBeUndefined();
    }
  });
});
