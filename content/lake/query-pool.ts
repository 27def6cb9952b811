// The lake's GROQ queries run in worker threads (query-worker.ts), each with a copy of
// the dataset, so no query holds the event loop that the site, subscriptions and the
// scheduler share. Each query has a budget: past its time, or the worker's heap limit,
// the worker is stopped, the query answered with an error that says what to do, and a
// fresh worker takes its place. Every committed transaction is forwarded to the workers
// before the write is acknowledged, and a worker's messages are handled in order, so a
// query sees every write acknowledged before it was asked (read-your-writes); before each
// query the mirror also catches up with the dataset as the store reads it (another
// process's write), as the store's own queries did.
// Each worker's copy costs about twice the dataset file (165 MB for 1,000 issues), so
// one worker runs at all times and a second starts only while a query has held the
// first for a moment with others waiting behind it (a heavy search); it stops again once
// it has had nothing to do for a while.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { errorCodes, NewsdeskError, type ErrorCode } from '../../core/errors.ts';
import { workerEnv } from '../../core/worker-env.ts';
import type { GroqJsStore, StoreTransaction } from '../groq-js-store.ts';
import type { Perspective, SanityDocument } from '../store.ts';
import { LakeError } from './protocol.ts';

export type QueryWorkerRequest =
  | { type: 'load'; documents: SanityDocument[]; first: boolean }
  | { type: 'apply'; changes: Array<{ id: string; after: SanityDocument | null }> }
  /** Sent after the documents (and the changes held meanwhile): the worker answers 'loaded', then reads what a search needs of each while it waits for queries (query-worker.ts warm). */
  | { type: 'warm' }
  | { type: 'query'; key: number; query: string; params: Record<string, unknown>; perspective: Perspective; identity: string | undefined };

export type QueryWorkerReply =
  /** The worker has taken in every document it was sent (it answers the warm request so): it takes queries from now on. */
  | { type: 'loaded' }
  /** The worker has read the words of every document it was loaded with (see warm). */
  | { type: 'warmed'; documents: number }
  | { type: 'result'; key: number; json: string | undefined }
  | { type: 'failed'; key: number; error: { code: string | undefined; message: string; hint: string | undefined } };

export interface QueryBudget {
  /** Wall time one query may run in its worker. */
  ms: number;
  /** The worker's heap (its copy of the dataset included). */
  memoryMb: number;
}

export const defaultQueryBudget: QueryBudget = { ms: 5_000, memoryMb: 384 };

/** When the pool starts a worker beyond the first, and when it stops it again. */
export interface SpareWorkers {
  /** How long a query may hold every worker, with another query waiting, before one more starts. */
  afterMs: number;
  /** How long a worker beyond the first may go without a query before it stops. */
  idleMs: number;
}

/**
 * A new worker takes a second or two to load 1,000 issues: it helps with a query that runs
 * long, not with the burst of quick ones the Studio sends as it opens (at a quarter of a
 * second, that burst started one, and the Studio held 1.1 GB instead of 630 MB).
 */
export const defaultSpareWorkers: SpareWorkers = { afterMs: 1_000, idleMs: 120_000 };

/**
 * How long a closed pool goes on answering after its last query: a server that stops
 * lets the requests it has open finish, and the Studio keeps asking until it is cut off.
 */
const drainMs = 2_000;

const workerUrl = new URL('./query-worker.ts', import.meta.url);
/**
 * Node strips the worker's types itself where it can (22.18+, and not inside
 * node_modules), which starts a worker in a tenth of the time tsx takes; elsewhere tsx loads it.
 */
const workerExecArgv =
  process.features.typescript && !workerUrl.pathname.includes('/node_modules/') ? [] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];

interface Job {
  key: number;
  request: Omit<Extract<QueryWorkerRequest, { type: 'query' }>, 'key' | 'type'>;
  resolve: (json: string | undefined) => void;
  reject: (error: unknown) => void;
}

interface Slot {
  worker: Worker;
  /**
   * Has taken in the documents (its 'loaded' reply). Only such a worker is handed a query:
   * one handed it while the documents were still on their way (a spare, started while a
   * slow query held the first) answered it after taking them all in, seconds later, though
   * the first worker was free again long before.
   */
  ready: boolean;
  /** Changes held back while the worker is still being sent the documents (see #load). */
  held: QueryWorkerRequest[] | undefined;
  job: Job | undefined;
  /** When the worker was handed its job (performance.now()). */
  jobStarted: number;
  timer: NodeJS.Timeout | undefined;
  /** Set while a worker beyond the first has nothing to do: it stops when this fires. */
  idleTimer: NodeJS.Timeout | undefined;
}

export class QueryPool {
  readonly #budget: QueryBudget;
  /** The most workers the pool runs at once; it keeps one. */
  readonly #size: number;
  readonly #spare: SpareWorkers;
  /** Set while the pool waits to see whether the running queries hold the waiting ones long enough to start another worker. */
  #spareCheck: NodeJS.Timeout | undefined;
  readonly #description: string;
  /** The store's documents by id, in its order: what a new worker is loaded with. */
  readonly #mirror = new Map<string, SanityDocument>();
  readonly #slots = new Set<Slot>();
  readonly #queue: Job[] = [];
  #unsubscribe: () => void = () => undefined;
  #nextKey = 1;
  #closed = false;
  #stopped = false;
  #stopTimer: NodeJS.Timeout | undefined;
  /** Workers in a row that stopped before they were ready: past a few, starting more is pointless. */
  #failedStarts = 0;
  /** Why no worker can run queries, once starting them has failed again and again. */
  #broken: LakeError | undefined;
  readonly #store: GroqJsStore;
  /** The store's documents as last compared with the mirror (see #catchUp). */
  #seen: SanityDocument[] | undefined;
  /** Changes forwarded to the workers so far. */
  #forwarded = 0;
  /** Workers replaced since the pool started (stopped past their budget, or failed). */
  replaced = 0;
  /** Workers started beyond the first since the pool started (see SpareWorkers). */
  sparesStarted = 0;
  /** Documents whose search words the workers have read before any search asked (query-worker.ts warm), over all workers so far. */
  warmedDocuments = 0;

  private constructor(store: GroqJsStore, options: { budget: QueryBudget; size: number; spare: SpareWorkers; description: string }) {
    this.#store = store;
    this.#budget = options.budget;
    this.#size = options.size;
    this.#spare = options.spare;
    this.#description = options.description;
  }

  /** How many workers run now (starting ones included). */
  get workers(): number {
    return this.#slots.size;
  }

  /** How many queries the workers are evaluating now. */
  get running(): number {
    return [...this.#slots].filter((slot) => slot.job !== undefined).length;
  }

  /** Mirrors the store's documents and starts the first worker; queries wait until it has loaded. */
  static async start(store: GroqJsStore, options: { budget?: Partial<QueryBudget>; size?: number; spare?: Partial<SpareWorkers> } = {}): Promise<QueryPool> {
    const pool = new QueryPool(store, {
      budget: { ...defaultQueryBudget, ...options.budget },
      size: Math.max(1, options.size ?? 2),
      spare: { ...defaultSpareWorkers, ...options.spare },
      description: store.description,
    });
    // Writes committed while the documents are read are replayed over them, in order.
    let early: StoreTransaction[] | undefined = [];
    pool.#unsubscribe = store.subscribe((transaction) => (early ? early.push(transaction) : pool.#forward(transaction)));
    pool.#seen = (await store.view('raw'))();
    for (const doc of pool.#seen) pool.#mirror.set(doc._id, doc);
    for (const transaction of early) pool.#applyToMirror(transaction);
    early = undefined;
    pool.#spawn();
    return pool;
  }

  /** Evaluates a query in a worker; resolves with the result as JSON text (undefined: no result). */
  async query(request: Job['request']): Promise<string | undefined> {
    if (this.#broken) throw this.#broken;
    if (this.#stopped) throw new LakeError(503, 'serviceUnavailable', 'The local Content Lake has stopped; run the query again when it is back.');
    if (this.#closed) this.#stopLater();
    await this.#catchUp();
    return new Promise((resolve, reject) => {
      this.#queue.push({ key: this.#nextKey++, request, resolve, reject });
      this.#pump();
    });
  }

  /** Stops taking the store's changes; the workers stop once no query has come for a moment (drainMs). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#stopLater();
  }

  #stopLater(): void {
    clearTimeout(this.#stopTimer);
    this.#stopTimer = setTimeout(() => this.#stop(), drainMs);
    this.#stopTimer.unref();
  }

  #stop(): void {
    const busy = [...this.#slots].some((slot) => slot.job !== undefined);
    if ((busy || this.#queue.length > 0) && this.#slots.size > 0) return this.#stopLater();
    this.#stopped = true;
    clearTimeout(this.#spareCheck);
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      clearTimeout(slot.idleTimer);
      void slot.worker.terminate();
    }
    this.#slots.clear();
    for (const job of this.#queue.splice(0)) job.reject(new LakeError(503, 'serviceUnavailable', 'The local Content Lake has stopped; run the query again when it is back.'));
  }

  #applyToMirror(transaction: Pick<StoreTransaction, 'changes'>): void {
    for (const { id, after } of transaction.changes) {
      if (after) this.#mirror.set(id, after);
      else this.#mirror.delete(id);
    }
  }

  #forward(transaction: Pick<StoreTransaction, 'changes'>): void {
    this.#forwarded++;
    this.#applyToMirror(transaction);
    const message: QueryWorkerRequest = { type: 'apply', changes: transaction.changes.map(({ id, after }) => ({ id, after })) };
    for (const slot of this.#slots) {
      if (slot.held) slot.held.push(message);
      else slot.worker.postMessage(message);
    }
  }

  /**
   * Brings the mirror up to the dataset as the store reads it now, as its own queries
   * did: a write another process made is seen even before the store reports it (or when
   * watching the file fails). Documents are compared by revision, so a re-read of an
   * unchanged file sends nothing.
   */
  async #catchUp(): Promise<void> {
    const forwarded = this.#forwarded;
    const documents = (await this.#store.view('raw'))();
    // A transaction reported meanwhile is newer than what was read: it wins.
    if (documents === this.#seen || forwarded !== this.#forwarded) return;
    this.#seen = documents;
    const changes: Array<{ id: string; before: SanityDocument | null; after: SanityDocument | null }> = [];
    const present = new Set<string>();
    for (const doc of documents) {
      present.add(doc._id);
      const mirrored = this.#mirror.get(doc._id);
      if (mirrored !== doc && (mirrored === undefined || mirrored._rev !== doc._rev || mirrored._updatedAt !== doc._updatedAt)) changes.push({ id: doc._id, before: mirrored ?? null, after: doc });
    }
    for (const [id, mirrored] of this.#mirror) if (!present.has(id)) changes.push({ id, before: mirrored, after: null });
    if (changes.length > 0) this.#forward({ changes });
  }

  #spawn(): void {
    const worker = new Worker(workerUrl, {
      execArgv: workerExecArgv,
      workerData: { description: this.#description },
      env: workerEnv(),
      resourceLimits: { maxOldGenerationSizeMb: this.#budget.memoryMb },
    });
    // A query worker never keeps the process alive on its own.
    worker.unref();
    const slot: Slot = { worker, ready: false, held: [], job: undefined, jobStarted: 0, timer: undefined, idleTimer: undefined };
    this.#slots.add(slot);
    void this.#load(slot);
    worker.on('message', (reply: QueryWorkerReply) => {
      if (reply.type === 'loaded') {
        slot.ready = true;
        this.#failedStarts = 0;
      } else if (reply.type === 'warmed') this.warmedDocuments += reply.documents;
      else if (slot.job?.key === reply.key) {
        const job = slot.job;
        clearTimeout(slot.timer);
        slot.job = undefined;
        if (reply.type === 'result') job.resolve(reply.json);
        else job.reject(toError(reply.error));
      }
      this.#pump();
    });
    worker.on('error', (error) => {
      const outOfMemory = (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      if (!slot.ready) {
        const why = outOfMemory ? `the dataset does not fit in ${this.#budget.memoryMb} MB` : error.message;
        this.#retire(slot, new LakeError(500, 'internalError', `A query worker could not start: ${why}. See the terminal running newsdesk.`));
      } else this.#retire(slot, outOfMemory ? this.#overBudget('memory') : new LakeError(500, 'internalError', `The query worker failed: ${error.message}. Run the query again.`));
    });
    worker.on('exit', () => this.#retire(slot, new LakeError(500, 'internalError', 'The query worker stopped. Run the query again.')));
  }

  /**
   * Sends a new worker the documents as they are now, a slice at a time (copying a large
   * dataset in one message would hold the event loop), then the changes committed since,
   * in order: the worker ends where the store is.
   */
  async #load(slot: Slot): Promise<void> {
    const documents = [...this.#mirror.values()];
    const perSlice = 500;
    for (let from = 0; from === 0 || from < documents.length; from += perSlice) {
      if (!this.#slots.has(slot)) return;
      slot.worker.postMessage({ type: 'load', documents: documents.slice(from, from + perSlice), first: from === 0 } satisfies QueryWorkerRequest);
      if (from + perSlice < documents.length) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (const message of slot.held ?? []) slot.worker.postMessage(message);
    slot.held = undefined;
    slot.worker.postMessage({ type: 'warm' } satisfies QueryWorkerRequest);
  }

  /** Takes a worker out of the pool, answers its query with `error`, and starts another in its place. */
  #retire(slot: Slot, error: unknown): void {
    if (!this.#slots.delete(slot)) return;
    clearTimeout(slot.timer);
    clearTimeout(slot.idleTimer);
    slot.job?.reject(error);
    slot.job = undefined;
    void slot.worker.terminate();
    // A closing pool does not start workers again; it stops when the last one has gone.
    if (this.#closed) return this.#slots.size === 0 ? this.#stop() : undefined;
    if (!slot.ready && ++this.#failedStarts >= 3) {
      // Starting yet another would fail the same way: say so to every query instead.
      if (this.#slots.size > 0) return;
      this.#broken = new LakeError(500, 'internalError', `${error instanceof Error ? error.message : String(error)} Restart newsdesk once that is fixed.`);
      for (const job of this.#queue.splice(0)) job.reject(this.#broken);
      return;
    }
    // Another worker running (a spare) takes the queries on: no need for a fresh one.
    if (this.#slots.size > 0) return this.#pump();
    this.replaced++;
    this.#spawn();
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) break;
      if (!slot.ready || slot.job) continue;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.jobStarted = performance.now();
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
      slot.timer = setTimeout(() => this.#retire(slot, this.#overBudget('time')), this.#budget.ms);
      slot.worker.postMessage({ type: 'query', key: job.key, ...job.request } satisfies QueryWorkerRequest);
    }
    this.#considerSpare();
    for (const slot of this.#slots) if (slot.ready && !slot.job && !slot.idleTimer && this.#slots.size > 1) this.#idleOut(slot);
  }

  /**
   * Starts one more worker when queries wait while every worker has been busy for
   * SpareWorkers.afterMs (one slow query should not hold up the Studio's quick ones), or
   * looks again once that time is up; not while a worker is still starting, nor after one
   * failed to (each failure would start another while the slow query runs).
   */
  #considerSpare(): void {
    // Not after a worker failed to start, until one has started: a spare is only a help.
    if (this.#queue.length === 0 || this.#slots.size >= this.#size || this.#closed || this.#spareCheck || this.#failedStarts > 0) return;
    const slots = [...this.#slots];
    if (slots.some((slot) => !slot.ready || !slot.job)) return;
    const heldFor = performance.now() - Math.max(...slots.map((slot) => slot.jobStarted));
    if (heldFor >= this.#spare.afterMs) {
      this.sparesStarted++;
      this.#spawn();
      return;
    }
    this.#spareCheck = setTimeout(() => {
      this.#spareCheck = undefined;
      this.#considerSpare();
    }, this.#spare.afterMs - heldFor);
    this.#spareCheck.unref();
  }

  /** Stops an idle worker beyond the first once it has had no query for SpareWorkers.idleMs. */
  #idleOut(slot: Slot): void {
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = undefined;
      if (slot.job || this.#slots.size <= 1 || !this.#slots.delete(slot)) return;
      clearTimeout(slot.timer);
      void slot.worker.terminate();
    }, this.#spare.idleMs);
    slot.idleTimer.unref();
  }

  #overBudget(what: 'time' | 'memory'): LakeError {
    const limit = what === 'time' ? `${this.#budget.ms / 1000} s` : `${this.#budget.memoryMb} MB of memory`;
    return new LakeError(
      422,
      'queryBudgetExceeded',
      `The query ran past the local Content Lake's budget (${limit}) and was stopped. ` +
        'Make it smaller: filter before projecting (e.g. *[_type == "issue"]), avoid *[] inside a projection (use references, ->), and slice long lists ([0...100]).',
    );
  }
}

function toError(e: { code: string | undefined; message: string; hint: string | undefined }): Error {
  if (e.code && e.code in errorCodes) return new NewsdeskError(e.code as ErrorCode, e.message, { hint: e.hint });
  return new Error(e.message);
}
