import { describe, expect, it } from 'vitest';
import { clientAddress, RateLimiter } from './rate-limit.ts';

function aClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('RateLimiter', () => {
  it('allows a burst of the configured size, then refuses with a retry time', () => {
    const clock = aClock();
    const limiter = new RateLimiter({ count: 3, perMs: 60_000 }, { now: clock.now });
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 20 });
  });

  it('refills evenly over the period', () => {
    const clock = aClock();
    const limiter = new RateLimiter({ count: 2, perMs: 60_000 }, { now: clock.now });
    limiter.take('a');
    limiter.take('a');
    expect(limiter.take('a').allowed).toBe(false);
    clock.advance(30_000);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('keeps one bucket per client', () => {
    const limiter = new RateLimiter({ count: 1, perMs: 60_000 }, { now: aClock().now });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('b').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('forgets refilled clients first when it holds too many, so memory stays bounded', () => {
    const clock = aClock();
    const limiter = new RateLimiter({ count: 1, perMs: 1000 }, { now: clock.now, maxClients: 2 });
    limiter.take('old');
    clock.advance(5000);
    limiter.take('b');
    limiter.take('c');
    expect(limiter.size).toBe(2);
    expect(limiter.take('b').allowed).toBe(false);
  });
});

describe('clientAddress', () => {
  it('uses the socket address when no proxy is trusted, whatever the header says', () => {
    expect(clientAddress('10.0.0.9', '203.0.113.7', 0)).toBe('10.0.0.9');
  });

  it('takes the entry the trusted proxy appended, not one the client wrote', () => {
    expect(clientAddress('10.0.0.1', '198.51.100.66, 203.0.113.7', 1)).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.1', '198.51.100.66, 203.0.113.7, 10.0.0.2', 2)).toBe('203.0.113.7');
  });

  it('falls back to the socket when the header is missing', () => {
    expect(clientAddress('10.0.0.1', undefined, 1)).toBe('10.0.0.1');
  });
});
