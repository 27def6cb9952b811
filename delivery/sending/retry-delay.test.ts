import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './retry-delay.ts';

describe('retryDelayMs', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };

  it('doubles the wait with each failed attempt, between half and all of the step', () => {
    expect(retryDelayMs(policy, 1, () => 0)).toBe(500);
    expect(retryDelayMs(policy, 1, () => 1)).toBe(1000);
    expect(retryDelayMs(policy, 3, () => 0)).toBe(2000);
    expect(retryDelayMs(policy, 3, () => 1)).toBe(4000);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    expect(retryDelayMs(policy, 40, () => 1)).toBe(60_000);
    expect(retryDelayMs(policy, 40, () => 0)).toBe(30_000);
  });
});
