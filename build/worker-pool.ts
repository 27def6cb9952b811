// A pool of render worker threads that lives for one build. It is started as early as
// the build can tell it will have many issues to render, so the workers load their
// modules (a second or so each) while the main thread is still loading content. A job
// names where its issue's lines are in the dataset file (the worker projects it), or
// carries the projected issue as JSON in UTF-8 whose buffer moves to the worker (no object
// graph to clone, no copy left on this thread); each worker keeps eight in flight so it
// never waits for the main thread, and writes its cache entries itself, so only a little
// metadata comes back.
// In the compiled CLI (bin/compile.js) the worker is compiled JavaScript; run from the
// sources, workers load TypeScript through tsx (registered with --import), resolved from
// this package so it works from any working directory.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RenderContext } from '../core/render.ts';
import { NewsdeskError, type ErrorCode, errorCodes } from '../core/errors.ts';
import { workerEnv } from '../core/worker-env.ts';
import type { LayoutStore } from '../emails/mjml-slots.ts';
import type { Neighbours } from '../web/issue-page.tsx';
import type { EntryMeta } from './cache.ts';
import type { IssueLines, Listing } from './sources.ts';

/** One issue to render: projected (from `lines`) or taken as projected (`issue`), then parsed and checked against its listing, in the worker. */
export interface RenderRequest {
  key: string;
  /**
   * The issue as the contract projection returned it, as JSON in UTF-8 (issueBytes), its
   * buffer moved to the worker with the job: outside the main thread's heap while the job
   * waits, and gone from this thread once posted.
   */
  issue?: Uint8Array | undefined;
  /** Or where the lines it is projected from are in the dataset file (build/sources.ts issueLines): the worker projects it. */
  lines?: IssueLines | undefined;
  listing: Listing;
  neighbours: Neighbours;
  ctx: RenderContext;
  /** Where the site publishes the local dataset's images (content/media.ts); undefined with a Sanity project. */
  mediaBase?: string | undefined;
  /** Where compiled email layouts are kept between processes (emails/mjml-slots.ts). */
  layouts?: LayoutStore | undefined;
  /** Whether the search document comes back with the reply (Rendered.search): not for a build that reads it later from the cache entry. */
  withSearch: boolean;
}

export type WorkerRequest = { type: 'render'; request: RenderRequest };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; key: string; meta: EntryMeta; search: string | undefined }
  | { type: 'failed'; key: string; error: { code: string | undefined; message: string; hint: string | undefined; stack: string | undefined } };

// bin/compile.js points this at the compiled worker next to the compiled pool.
const workerEntry = new URL('./worker.ts', import.meta.url);
const workerExecArgv = workerEntry.pathname.endsWith('.ts') ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];

/**
 * Jobs each worker holds at once: one rendering, the others waiting, so no worker idles
 * while the main thread is busy between replies (projecting the next issues, building the
 * links index a few issues at a time, collecting garbage). With two, each worker of a full
 * build of 1,000 issues waited 2.5-3 s in all for its next issue; with eight (and 25 issues
 * projected at a time, build-site.ts), 1.2-1.7 s.
 */
const inFlightPerWorker = 8;

/** A rendered issue: its cache entry's metadata, and the text of its search document as written there (when the request asked for it). */
export interface Rendered {
  meta: EntryMeta;
  search: string | undefined;
}

interface Pending {
  request: RenderRequest;
  resolve: (rendered: Rendered) => void;
  reject: (error: unknown) => void;
}

/**
 * A job with its worker: only how to settle it. Holding the request until the reply kept
 * every issue's JSON alive for as long as its worker's queue, long enough for the garbage
 * collector to move it to the old generation, where it stayed until the next full collection.
 */
type Posted = Omit<Pending, 'request'>;

interface Slot {
  worker: Worker;
  ready: boolean;
  inFlight: Map<string, Posted>;
}

export class RenderPool {
  readonly threads: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #drainWaiters: Array<{ limit: number; resolve: () => void }> = [];
  #failure: unknown;
  #closed = false;
  /**
   * Until a first job is done, one worker alone takes jobs: it compiles the email layout
   * the first issues need and stores it (emails/mjml-slots.ts), and the others then read it
   * there instead of each loading MJML to compile the same layout (over a second of CPU a
   * worker on a first build, on a machine whose cores the main thread needs too).
   */
  #pioneer: Slot | undefined;
  #firstDone = false;

  private constructor(threads: number) {
    this.threads = threads;
  }

  /** Starts the workers now; they take jobs as soon as each has loaded. */
  static start(options: { threads: number; cacheDir: string }): RenderPool {
    const pool = new RenderPool(options.threads);
    for (let i = 0; i < options.threads; i++) pool.#spawn(options.cacheDir);
    return pool;
  }

  #spawn(cacheDir: string): void {
    const worker = new Worker(workerEntry, {
      execArgv: workerExecArgv,
      workerData: { cacheDir },
      // React's production build renders the same markup as its development build
      // (the tests compare worker and main-thread output byte for byte) at a third of the cost.
      env: workerEnv({ NODE_ENV: 'production' }),
      // Left alone, each worker's heap grows to hundreds of MB of garbage before V8
      // collects; rendering one issue needs a few MB. The young generation is sized for an
      // issue's garbage, though: at 8 MB (with 64 MB old) a worker collected 670 times
      // for 500 issues, 1.8 s, about as long as it rendered; at 48 MB (128 MB old) 200
      // times, 1.0 s, at the same peak RSS for the build (bench:build, --trace-gc).
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 48 },
    });
    const slot: Slot = { worker, ready: false, inFlight: new Map() };
    this.#slots.push(slot);
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') slot.ready = true;
      else {
        this.#firstDone = true;
        const pending = slot.inFlight.get(reply.key);
        slot.inFlight.delete(reply.key);
        if (reply.type === 'done') pending?.resolve({ meta: reply.meta, search: reply.search });
        else {
          const error = toError(reply.error);
          this.#fail(error);
          pending?.reject(error);
        }
      }
      this.#pump();
    });
    worker.on('error', (error) => {
      const failure = new NewsdeskError('BUILD_FAILED', `A build worker crashed: ${error.message}`, { cause: error });
      this.#fail(failure);
      for (const pending of slot.inFlight.values()) pending.reject(failure);
      slot.inFlight.clear();
    });
    worker.on('exit', (code) => {
      if (this.#closed || slot.inFlight.size === 0) return;
      const failure = new NewsdeskError('BUILD_FAILED', `A build worker stopped (exit code ${code})`, {});
      this.#fail(failure);
      for (const pending of slot.inFlight.values()) pending.reject(failure);
      slot.inFlight.clear();
    });
  }

  /** True once a job has failed or a worker has crashed: nothing more will be rendered. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Renders one issue in a worker and writes its cache entry; resolves with the entry's metadata and search document. */
  render(request: RenderRequest): Promise<Rendered> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new NewsdeskError('BUILD_FAILED', 'The render workers were stopped', {}));
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#pump();
    });
  }

  /** Resolves once at most `limit` jobs wait for a worker: lets the caller project issues only as fast as they are rendered. */
  drained(limit: number): Promise<void> {
    if (this.#queue.length <= limit || this.#failure !== undefined || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push({ limit, resolve }));
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (!this.#firstDone && this.#pioneer !== undefined && slot !== this.#pioneer) continue;
      while (slot.ready && slot.inFlight.size < inFlightPerWorker && this.#queue.length > 0) {
        this.#pioneer ??= slot;
        const { request, resolve, reject } = this.#queue.shift()!;
        slot.inFlight.set(request.key, { resolve, reject });
        slot.worker.postMessage({ type: 'render', request } satisfies WorkerRequest, [(request.issue ?? request.lines!.at).buffer as ArrayBuffer]);
      }
    }
    this.#wakeDrainWaiters();
  }

  #wakeDrainWaiters(): void {
    for (let i = this.#drainWaiters.length - 1; i >= 0; i--) {
      const waiter = this.#drainWaiters[i]!;
      if (this.#queue.length <= waiter.limit || this.#failure !== undefined || this.#closed) {
        this.#drainWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    // Nothing more starts after a failure; queued jobs fail with it.
    for (const pending of this.#queue.splice(0)) pending.reject(this.#failure);
    this.#wakeDrainWaiters();
  }

  /** Stops every worker (mid-render too: a failed or interrupted build must not leave threads running). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stopped = new NewsdeskError('BUILD_FAILED', 'The render workers were stopped', {});
    for (const pending of this.#queue.splice(0)) pending.reject(stopped);
    for (const slot of this.#slots) {
      for (const pending of slot.inFlight.values()) pending.reject(stopped);
      slot.inFlight.clear();
    }
    this.#wakeDrainWaiters();
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}

/** An issue's JSON as RenderRequest.issue: a buffer of its own (never a slice of a shared pool), so it can be moved to the worker. */
export function issueBytes(json: string): Uint8Array {
  return encoder.encode(json);
}

const encoder = new TextEncoder();

function toError(e: { code: string | undefined; message: string; hint: string | undefined; stack: string | undefined }): Error {
  if (e.code && e.code in errorCodes) return new NewsdeskError(e.code as ErrorCode, e.message, { hint: e.hint });
  const error = new Error(e.message);
  if (e.stack) error.stack = e.stack;
  return error;
}
