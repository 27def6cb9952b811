import { describe, expect, it } from 'vitest';
import { AdaptiveRate, SlotLimiter } from './rate-limiter.ts';

function aClock() {
  let t = 1000;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), advance: (ms: number) => void (t += ms) };
}

describe('SlotLimiter', () => {
  it('spaces slots evenly at the rate, shared by every caller', () => {
    const limiter = new SlotLimiter(10, aClock());
    expect([limiter.reserve(), limiter.reserve(), limiter.reserve()]).toEqual([0, 100, 200]);
  });

  it('does not bank slots left unused while idle', () => {
    const clock = aClock();
    const limiter = new SlotLimiter(10, clock);
    limiter.reserve();
    clock.advance(5000);
    expect([limiter.reserve(), limiter.reserve()]).toEqual([0, 100]);
  });

  it('applies a new rate from the next slot on', () => {
    const limiter = new SlotLimiter(10, aClock());
    limiter.reserve();
    limiter.setRate(2);
    expect(limiter.reserve()).toBe(100);
    expect(limiter.reserve()).toBe(600);
  });
});

describe('AdaptiveRate', () => {
  it('ignores a stray deferral among successes', () => {
    const rate = new AdaptiveRate(100);
    for (let i = 0; i < 19; i++) rate.record(false);
    expect(rate.record(true)).toBe(false);
    expect(rate.rate).toBe(100);
  });

  it('halves the rate in a storm of deferrals, down to the floor and no further', () => {
    const rate = new AdaptiveRate(64, { floor: 4 });
    for (let i = 0; i < 100; i++) rate.record(true);
    expect(rate.rate).toBe(4);
    expect(rate.lowest).toBe(4);
  });

  it('wins the rate back a tenth at a time once deferrals stop', () => {
    const rate = new AdaptiveRate(100, { floor: 10, recoverAfter: 5 });
    for (let i = 0; i < 4; i++) rate.record(true);
    expect(rate.rate).toBe(25);
    for (let i = 0; i < 5; i++) rate.record(false);
    expect(rate.rate).toBe(35);
    for (let i = 0; i < 100; i++) rate.record(false);
    expect(rate.rate).toBe(100);
    expect(rate.lowest).toBe(25);
  });
});
