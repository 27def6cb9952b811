// The send's pace. SlotLimiter hands out evenly spaced slots at the current rate to all
// workers of one send (the rate is per issue send, whatever the concurrency).
// AdaptiveRate moves that rate the way MTAs do under "421/451 slow down" storms:
// halve it when deferrals pile up, win it back step by step while messages go through.

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export class SlotLimiter {
  readonly #clock: Clock;
  #intervalMs: number;
  #next = 0;

  constructor(rate: number, clock: Clock) {
    this.#intervalMs = 1000 / rate;
    this.#clock = clock;
  }

  setRate(rate: number): void {
    this.#intervalMs = 1000 / rate;
  }

  /** Reserves the next slot and says how long to wait for it. */
  reserve(): number {
    const t = this.#clock.now();
    const slot = Math.max(t, this.#next);
    // Slots left unused while idle are not banked, so an idle spell is never followed by a burst.
    this.#next = slot + this.#intervalMs;
    return slot - t;
  }

  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait >= 1) await this.#clock.sleep(wait, signal);
  }
}

export interface AdaptiveRateOptions {
  /** Never below this (messages per second). */
  floor: number;
  /** Attempts looked at to tell a storm from a stray deferral. */
  window: number;
  /** Share of deferred attempts in the window that counts as a storm. */
  stormShare: number;
  /** Deferral-free attempts in a row before the rate goes up one step (a tenth of the ceiling). */
  recoverAfter: number;
}

export class AdaptiveRate {
  readonly #ceiling: number;
  readonly #options: AdaptiveRateOptions;
  #rate: number;
  #lowest: number;
  #recent: boolean[] = [];
  #deferred = 0;
  #calm = 0;

  constructor(ceiling: number, options: Partial<AdaptiveRateOptions> = {}) {
    this.#ceiling = ceiling;
    this.#options = { floor: Math.min(ceiling, Math.max(0.5, ceiling / 32)), window: 20, stormShare: 0.1, recoverAfter: 20, ...options };
    this.#rate = this.#lowest = ceiling;
  }

  get rate(): number {
    return this.#rate;
  }

  /** The lowest rate this send was slowed to. */
  get lowest(): number {
    return this.#lowest;
  }

  /** Records one attempt; returns true when the rate changed. */
  record(deferred: boolean): boolean {
    this.#recent.push(deferred);
    if (deferred) this.#deferred++;
    if (this.#recent.length > this.#options.window && this.#recent.shift()) this.#deferred--;
    if (deferred) {
      this.#calm = 0;
      const storm = this.#deferred >= 2 && this.#deferred / this.#recent.length > this.#options.stormShare;
      if (!storm || this.#rate <= this.#options.floor) return false;
      this.#rate = Math.max(this.#options.floor, this.#rate / 2);
      this.#lowest = Math.min(this.#lowest, this.#rate);
      // Each halving needs fresh evidence: the deferrals already counted were answered at the old rate.
      this.#recent = [];
      this.#deferred = 0;
      return true;
    }
    if (++this.#calm < this.#options.recoverAfter || this.#rate >= this.#ceiling) return false;
    this.#calm = 0;
    this.#rate = Math.min(this.#ceiling, this.#rate + this.#ceiling / 10);
    return true;
  }
}
