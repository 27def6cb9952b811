// How long to wait before the next attempt after a transient failure: exponential
// backoff with "equal jitter" (half fixed, half random), so deliveries deferred
// together by a relay do not all come back at the same moment.

export interface RetryPolicy {
  /** Wait before the second attempt; doubles with each attempt after. */
  baseMs: number;
  /** Upper bound for one wait. */
  maxMs: number;
}

/** The wait after `attempts` failed attempts (1 = the first one failed). */
export function retryDelayMs(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return cap / 2 + (random() * cap) / 2;
}
