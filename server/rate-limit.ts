// Per-client token buckets for POST /subscribe, kept in memory: one server process is
// the unit that answers a sign-up form, and losing the buckets on restart only gives a
// spammer one extra burst. Also decides which address a request "comes from", which is
// the socket's peer unless a configured number of reverse proxies vouch for another.

export interface Rate {
  /** Requests allowed in a burst, refilled evenly over perMs. */
  count: number;
  perMs: number;
}

export type Verdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #rate: Rate;
  readonly #now: () => number;
  readonly #maxClients: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(rate: Rate, options: { now?: () => number; maxClients?: number } = {}) {
    if (!(rate.count > 0 && rate.perMs > 0)) throw new RangeError('rate needs a positive count and period');
    this.#rate = rate;
    this.#now = options.now ?? Date.now;
    this.#maxClients = options.maxClients ?? 50_000;
  }

  /** Takes one token from the client's bucket if it has one. */
  take(client: string): Verdict {
    const now = this.#now();
    const refillPerMs = this.#rate.count / this.#rate.perMs;
    const bucket = this.#buckets.get(client);
    const tokens = bucket ? Math.min(this.#rate.count, bucket.tokens + (now - bucket.at) * refillPerMs) : this.#rate.count;
    if (tokens < 1) {
      if (bucket) Object.assign(bucket, { tokens, at: now });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)) };
    }
    // Delete-then-set keeps the Map in least-recently-used order for eviction.
    this.#buckets.delete(client);
    this.#buckets.set(client, { tokens: tokens - 1, at: now });
    if (this.#buckets.size > this.#maxClients) this.#evict(now);
    return { allowed: true };
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Drops buckets that have refilled (they hold no information); failing that, the oldest. */
  #evict(now: number): void {
    for (const [client, bucket] of this.#buckets) {
      if (now - bucket.at >= this.#rate.perMs) this.#buckets.delete(client);
    }
    while (this.#buckets.size > this.#maxClients) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest === undefined) break;
      this.#buckets.delete(oldest);
    }
  }
}

/**
 * The client address for rate limiting. Each trusted proxy appends the address it saw
 * to X-Forwarded-For, so with N proxies the Nth entry from the right is the one the
 * outermost proxy saw; anything left of it was written by the client and proves nothing.
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | undefined, trustProxy: number): string {
  const socket = socketAddress ?? 'unknown';
  if (trustProxy <= 0 || !forwardedFor) return socket;
  const hops = forwardedFor.split(',').map((s) => s.trim()).filter(Boolean);
  if (hops.length === 0) return socket;
  return hops[Math.max(0, hops.length - trustProxy)] ?? socket;
}
