// When a send should pause itself: more than a given share of the last N deliveries
// that reached a final outcome failed. Only final outcomes count: a deferral that will
// be retried (greylisting, a relay's "slow down") says nothing yet about the list.

export class PauseWindow {
  readonly #size: number;
  readonly #maxFailureRate: number;
  readonly #outcomes: boolean[] = [];
  #failures = 0;

  constructor(size: number, maxFailureRate: number) {
    this.#size = size;
    this.#maxFailureRate = maxFailureRate;
  }

  /** Records one delivery's final outcome. */
  record(failed: boolean): void {
    this.#outcomes.push(failed);
    if (failed) this.#failures++;
    if (this.#outcomes.length > this.#size && this.#outcomes.shift()) this.#failures--;
  }

  /** True once the window is full and holds too many failures. */
  get tripped(): boolean {
    return this.#outcomes.length >= this.#size && this.#failures / this.#outcomes.length > this.#maxFailureRate;
  }

  describe(lastError: string): string {
    return `${this.#failures} of the last ${this.#outcomes.length} deliveries failed (more than ${Math.round(this.#maxFailureRate * 100)}%); last error: ${lastError}`;
  }
}
