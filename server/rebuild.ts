// Runs the site rebuild that Sanity webhooks ask for. Publishing a batch of documents
// fires a burst of webhooks; they are gathered into one rebuild (debounced), a rebuild
// never overlaps another (two builds writing the same output folder would interleave),
// and any requests that arrive while one runs are folded into exactly one more run.

export interface RebuildOptions {
  /** Quiet time after the last request before a rebuild starts. */
  debounceMs: number;
  /** Told about every failed rebuild; the scheduler itself keeps going. */
  onError?: (error: unknown) => void;
  onDone?: (info: { reasons: string[]; ms: number }) => void;
  /**
   * A build of the same output already running elsewhere (`newsdesk serve` rebuilding a site
   * made with other templates in a process of its own): requests wait for it to end, as for
   * a run of this scheduler, and close() waits for it too.
   */
  after?: Promise<unknown>;
}

export class RebuildScheduler {
  readonly #run: (reasons: string[]) => Promise<void>;
  readonly #options: RebuildOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #queued: string[] = [];
  #closed = false;
  #idleWaiters: Array<() => void> = [];
  runs = 0;

  constructor(run: (reasons: string[]) => Promise<void>, options: RebuildOptions) {
    this.#run = run;
    this.#options = options;
    if (options.after) this.#running = this.#finish(options.after.then(() => undefined, (error: unknown) => this.#options.onError?.(error)));
  }

  /** Asks for a rebuild; returns at once. */
  request(reason = 'requested'): void {
    if (this.#closed) return;
    this.#queued.push(reason);
    // While a run is in flight the request just waits in the queue; the run's end schedules it.
    if (this.#running) return;
    this.#arm();
  }

  /** Starts a rebuild that is waiting out its quiet time now, instead of when the quiet time ends. */
  flush(): void {
    if (!this.#timer) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#start();
  }

  get busy(): boolean {
    return this.#running !== undefined || this.#timer !== undefined;
  }

  /** Resolves once nothing is waiting or running (tests, orderly shutdown). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops taking requests, drops a pending (not yet started) rebuild, waits for a running one. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queued = [];
    await this.#running;
    this.#settle();
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#start();
    }, this.#options.debounceMs);
    this.#timer.unref?.();
  }

  #start(): void {
    const reasons = this.#queued;
    this.#queued = [];
    const started = performance.now();
    this.runs++;
    this.#running = this.#finish(
      (async () => {
        try {
          await this.#run(reasons);
          this.#options.onDone?.({ reasons, ms: Math.round(performance.now() - started) });
        } catch (error) {
          this.#options.onError?.(error);
        }
      })(),
    );
  }

  /** `run` as the running rebuild: once it ends, the requests that came meanwhile get one more. */
  async #finish(run: Promise<void>): Promise<void> {
    try {
      await run;
    } finally {
      this.#running = undefined;
      if (this.#queued.length > 0 && !this.#closed) this.#arm();
      else this.#settle();
    }
  }

  #settle(): void {
    if (this.busy) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
