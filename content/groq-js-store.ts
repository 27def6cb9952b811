// The embedded content store: a dataset file in Sanity's export format (NDJSON, one
// document a line) queried with groq-js. Writes are serialised (an in-process queue
// plus a lock file against other processes) and atomic (temp file, fsync, rename), so
// a crash mid-write leaves the previous dataset whole.
import { createHash, randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { evaluate, evaluateSync, parse } from 'groq-js';
import { NewsdeskError } from '../core/errors.ts';
import { applyMutations } from './mutations.ts';
import type { ContentStore, DocumentChange, FetchOptions, MutateOptions, Mutation, MutationResult, Perspective, SanityDocument } from './store.ts';

export interface GroqJsStoreOptions {
  /** The dataset file this store reads and writes. */
  datasetPath: string;
  /** When datasetPath does not exist yet, it is created as a copy of this file. */
  seedFrom?: string;
  /** Clock for _createdAt/_updatedAt; tests pass a fixed one. */
  now?: () => Date;
  /** How long to wait for another process's write lock before giving up. */
  lockTimeoutMs?: number;
}

/** A committed write, as the local Content Lake reports it to listeners and history. */
export interface StoreTransaction {
  id: string;
  timestamp: string;
  /** Who wrote: the author given to mutate(), or "outside" for a write by another process. */
  author: string;
  /** The mutations as sent, when this store applied them; absent for writes seen in the file. */
  mutations?: Mutation[];
  changes: DocumentChange[];
}

export type StoreListener = (transaction: StoreTransaction) => void;

interface PendingTransaction {
  plan: (lookup: (id: string) => SanityDocument | undefined, now: string) => Mutation[];
  options: MutateOptions;
  resolve: (result: MutationResult & { changes: DocumentChange[] }) => void;
  reject: (error: unknown) => void;
}

interface Snapshot {
  ino: number;
  mtimeMs: number;
  size: number;
  documents: SanityDocument[];
  views: Map<Perspective, SanityDocument[]>;
}

export class GroqJsStore implements ContentStore {
  readonly description: string;
  readonly #path: string;
  readonly #seedFrom: string | undefined;
  readonly #now: () => Date;
  readonly #lockTimeoutMs: number;
  #snapshot: Snapshot | undefined;
  #reading: { version: string; promise: Promise<Snapshot> } | undefined;
  #writeQueue: Promise<unknown> = Promise.resolve();
  /** Transactions waiting for the next write; see #commitPending. */
  #pending: PendingTransaction[] = [];
  #committing = false;
  readonly #listeners = new Set<StoreListener>();
  /** The documents listeners last heard about; outside writes are found by comparing with it. */
  #announced: SanityDocument[] | undefined;
  #watcher: FSWatcher | undefined;

  constructor(options: GroqJsStoreOptions) {
    this.#path = path.resolve(options.datasetPath);
    this.#seedFrom = options.seedFrom;
    this.#now = options.now ?? (() => new Date());
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.description = `local dataset ${path.relative(process.cwd(), this.#path) || this.#path}`;
  }

  get datasetPath(): string {
    return this.#path;
  }

  async fetch<T = unknown>(query: string, params: Record<string, unknown> = {}, options: FetchOptions = {}): Promise<T> {
    const snapshot = await this.#load();
    const dataset = viewFor(snapshot, options.perspective ?? 'published');
    let tree;
    try {
      tree = parse(query, { params });
    } catch (error) {
      throw new NewsdeskError('QUERY_FAILED', `GROQ query could not be parsed: ${(error as Error).message}`, { cause: error });
    }
    const evaluation = { dataset, params, dereference: dereferencer(dataset), ...(options.identity ? { identity: options.identity } : {}) };
    try {
      // groq-js's synchronous evaluator gives the same results 2-3× faster (no promise per
      // node); a few functions (diff::, delta::) exist only in the async one.
      try {
        // The plain data, as the async result's get() gives it (toJS would walk all of it).
        return evaluateSync(tree, evaluation).data as T;
      } catch (error) {
        if (!isSyncUnsupported(error)) throw error;
      }
      const result = await evaluate(tree, evaluation);
      return (await result.get()) as T;
    } catch (error) {
      throw new NewsdeskError('QUERY_FAILED', `GROQ query failed on ${this.description}: ${(error as Error).message}`, { cause: error });
    }
  }

  mutate(mutations: Mutation[], options: MutateOptions = {}): Promise<MutationResult & { changes: DocumentChange[] }> {
    return this.transact(() => mutations, options);
  }

  /**
   * Plans the mutations from the stored state under the write lock, then applies them as
   * one transaction: what `plan` reads cannot change before its mutations are written.
   */
  transact(
    plan: (lookup: (id: string) => SanityDocument | undefined, now: string) => Mutation[],
    options: MutateOptions = {},
  ): Promise<MutationResult & { changes: DocumentChange[] }> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ plan, options, resolve, reject });
      this.#startCommitting();
    });
  }

  #startCommitting(): void {
    if (this.#committing) return;
    this.#committing = true;
    const run = this.#writeQueue.then(() => this.#commitPending());
    this.#writeQueue = run.catch(() => undefined);
  }

  /**
   * Calls the listener after every committed write: this store's own, and (once
   * watchForOutsideChanges has been called) those other processes make to the file.
   */
  subscribe(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Watches the dataset file for writes by other processes (the CLI while the Studio is
   * open) and reports each changed document to subscribers, grouped by the revision the
   * writer gave it. Resolves once the current state is the baseline.
   */
  async watchForOutsideChanges(): Promise<void> {
    if (this.#watcher) return;
    this.#announced ??= (await this.#load()).documents;
    let timer: NodeJS.Timeout | undefined;
    // The file is replaced by rename on every write, so watch its folder, not the file.
    this.#watcher = watch(path.dirname(this.#path), (_event, name) => {
      if (name !== path.basename(this.#path)) return;
      clearTimeout(timer);
      timer = setTimeout(() => void this.#noticeOutsideWrite(), 15);
    });
    this.#watcher.on('error', () => undefined);
  }

  /** Stops watching the file (listeners stay subscribed to this store's own writes). */
  close(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #noticeOutsideWrite(): Promise<void> {
    // Through the write queue: never compare while this store is itself mid-write.
    const run = this.#writeQueue.then(async () => {
      const snapshot = await this.#load().catch(() => undefined);
      if (!snapshot || !this.#announced || snapshot.documents === this.#announced) return;
      const transactions = diffAsTransactions(this.#announced, snapshot.documents, this.#now().toISOString());
      this.#announced = snapshot.documents;
      for (const transaction of transactions) this.#emit(transaction);
    });
    this.#writeQueue = run.catch(() => undefined);
    return run;
  }

  #emit(transaction: StoreTransaction): void {
    for (const listener of this.#listeners) {
      try {
        listener(transaction);
      } catch {
        // A listener's failure is its own; the write has happened.
      }
    }
  }

  /** All stored documents, drafts included; for export and tests. */
  async documents(): Promise<SanityDocument[]> {
    return structuredClone((await this.#load()).documents);
  }

  /** The documents a perspective sees (drafts overlaid for "drafts"); shared, never modify them. */
  async view(perspective: Perspective): Promise<() => SanityDocument[]> {
    const snapshot = await this.#load();
    return () => viewFor(snapshot, perspective);
  }

  /** Stored documents by id, drafts included, exactly as stored (undefined where missing). */
  async getDocuments(ids: string[]): Promise<Array<SanityDocument | undefined>> {
    const index = indexOf((await this.#load()).documents);
    return ids.map((id) => index.get(id));
  }

  /**
   * Writes every waiting transaction with one rewrite of the file (group commit): while
   * one write is under way, the Studio's next edits and a CLI command queue up and go
   * out together, so a large dataset costs one write per batch, not per keystroke.
   * Each transaction is still all-or-nothing on its own: one that fails is refused and
   * the others in the batch are written.
   */
  async #commitPending(): Promise<void> {
    try {
      await this.#commitBatches();
    } finally {
      this.#committing = false;
      // A transaction that arrived while the last batch was being acknowledged.
      if (this.#pending.length > 0) this.#startCommitting();
    }
  }

  async #commitBatches(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      const done: Array<{ entry: PendingTransaction; result: MutationResult & { changes: DocumentChange[] }; transaction: StoreTransaction }> = [];
      let outside: StoreTransaction[] = [];
      let release: (() => Promise<void>) | undefined;
      try {
        release = await acquireLock(`${this.#path}.lock`, this.#lockTimeoutMs);
        // Re-read under the lock: another process may have written since our last look.
        const snapshot = await this.#load();
        if (this.#announced && snapshot.documents !== this.#announced) {
          outside = diffAsTransactions(this.#announced, snapshot.documents, this.#now().toISOString());
        }
        let documents = snapshot.documents;
        for (const entry of batch) {
          try {
            const transactionId = entry.options.transactionId ?? randomBytes(11).toString('base64url');
            const timestamp = this.#now().toISOString();
            const index = indexOf(documents);
            const mutations = entry.plan((id) => index.get(id), timestamp);
            const applied = applyMutations(documents, mutations, { now: timestamp, transactionId });
            documents = applied.documents;
            done.push({
              entry,
              result: { transactionId, results: applied.results, changes: applied.changes },
              transaction: { id: transactionId, timestamp, author: entry.options.author ?? 'newsdesk', mutations, changes: applied.changes },
            });
          } catch (error) {
            entry.reject(error);
          }
        }
        if (done.length > 0) {
          await writeAtomically(this.#path, serialiseInParts(documents));
          const stat = await fs.stat(this.#path);
          this.#snapshot = { ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size, documents, views: new Map() };
          if (this.#announced) this.#announced = documents;
        }
      } catch (error) {
        // The lock or the write failed: nothing of this batch is stored.
        for (const { entry } of done) entry.reject(error);
        for (const entry of batch) if (!done.some((d) => d.entry === entry)) entry.reject(error);
        done.length = 0;
      } finally {
        await release?.();
      }
      for (const t of outside) this.#emit(t);
      for (const { entry, result, transaction } of done) {
        this.#emit(transaction);
        entry.resolve(result);
      }
    }
  }


  async #load(): Promise<Snapshot> {
    await this.#seedIfMissing();
    const stat = await fs.stat(this.#path);
    const cached = this.#snapshot;
    // Every write renames a new file into place, so a new inode means new content even
    // when two writes land within the clock's resolution with the same size.
    if (cached && cached.ino === stat.ino && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached;
    // Queries started together (the build starts several) share one read of the file
    // instead of each parsing (and holding) its own copy of the dataset.
    const version = `${stat.ino}:${stat.mtimeMs}:${stat.size}`;
    if (this.#reading?.version !== version) {
      const reading = {
        version,
        promise: (async () => {
          const documents = await readDataset(this.#path, { deriveRevisions: true });
          return { ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size, documents, views: new Map() } satisfies Snapshot;
        })(),
      };
      this.#reading = reading;
      reading.promise
        .then((snapshot) => {
          if (this.#reading === reading) this.#snapshot = snapshot;
        })
        .finally(() => {
          if (this.#reading === reading) this.#reading = undefined;
        })
        .catch(() => undefined);
    }
    return this.#reading.promise;
  }

  async #seedIfMissing(): Promise<void> {
    try {
      await fs.access(this.#path);
      return;
    } catch {
      // missing: seed below
    }
    await fs.mkdir(path.dirname(this.#path), { recursive: true });
    const seed = this.#seedFrom ? await fs.readFile(this.#seedFrom, 'utf8') : '';
    if (this.#seedFrom) parseDataset(seed, this.#seedFrom); // refuse to seed from a broken sample
    try {
      // COPYFILE_EXCL semantics: two processes seeding at once must not clobber each other.
      const tmp = `${this.#path}.${process.pid}.${randomBytes(4).toString('hex')}.seed`;
      await fs.writeFile(tmp, seed);
      await fs.link(tmp, this.#path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      await fs.rm(tmp, { force: true });
    } catch (error) {
      throw new NewsdeskError('DATASET_WRITE', `Could not create the dataset ${this.#path}: ${(error as Error).message}`, {
        cause: error,
        hint: 'Check that the folder is writable, or point NEWSDESK_DATASET elsewhere.',
      });
    }
  }
}

/**
 * What changed between two states of the dataset, as transactions: documents another
 * process wrote together carry the same new revision, so grouping by it recovers them.
 */
export function diffAsTransactions(was: SanityDocument[], now: SanityDocument[], timestamp: string): StoreTransaction[] {
  const previous = new Map(was.map((d) => [d._id, d] as const));
  const groups = new Map<string, DocumentChange[]>();
  const add = (rev: string, change: DocumentChange) => {
    const group = groups.get(rev);
    if (group) group.push(change);
    else groups.set(rev, [change]);
  };
  for (const doc of now) {
    const old = previous.get(doc._id);
    previous.delete(doc._id);
    if (old && (old === doc || (old._rev !== undefined && old._rev === doc._rev && old._updatedAt === doc._updatedAt))) continue;
    if (old && JSON.stringify(old) === JSON.stringify(doc)) continue;
    add(doc._rev ?? '', { id: doc._id, before: old ?? null, after: doc });
  }
  for (const [id, old] of previous) add('', { id, before: old, after: null });
  return [...groups].map(([rev, changes]) => ({
    id: rev || randomBytes(11).toString('base64url'),
    timestamp,
    author: 'outside',
    changes,
  }));
}

/** Parses an NDJSON dataset, naming the file and line of anything that is not a document. */
export function parseDataset(text: string, file: string): SanityDocument[] {
  const parser = new DatasetParser(file);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) parser.line(lines[i]!, i + 1);
  return parser.documents;
}

/**
 * Reads and parses a dataset file a block at a time: a large dataset is never held as
 * one string next to its parsed documents, which keeps the peak memory of a load
 * close to the documents alone.
 */
export async function readDataset(file: string, options: { deriveRevisions?: boolean } = {}): Promise<SanityDocument[]> {
  const parser = new DatasetParser(file, options.deriveRevisions ?? false);
  const handle = await fs.open(file, 'r');
  try {
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.allocUnsafe(1 << 20);
    let rest = '';
    let lineNumber = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      const text = bytesRead === 0 ? rest + decoder.end() : rest + decoder.write(buffer.subarray(0, bytesRead));
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        parser.line(text.slice(start, end), ++lineNumber);
        start = end + 1;
      }
      rest = text.slice(start);
      if (bytesRead === 0) break;
    }
    parser.line(rest, ++lineNumber);
  } finally {
    await handle.close();
  }
  return parser.documents;
}

class DatasetParser {
  readonly documents: SanityDocument[] = [];
  readonly #file: string;
  readonly #deriveRevisions: boolean;
  readonly #seen = new Map<string, number>();

  constructor(file: string, deriveRevisions = false) {
    this.#file = file;
    this.#deriveRevisions = deriveRevisions;
  }

  line(text: string, lineNumber: number): void {
    const line = text.trim();
    if (line === '') return;
    const where = `${this.#file}:${lineNumber}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new NewsdeskError('DATASET_PARSE', `${where}: line ${lineNumber} is not valid JSON (${(error as Error).message})`, {
        hint: 'Each line of a dataset file must be one whole JSON document; fix or remove that line.',
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new NewsdeskError('DATASET_PARSE', `${where}: line ${lineNumber} is not a JSON object`, {
        hint: 'Each line of a dataset file must be one document object with _id and _type.',
      });
    }
    const doc = value as Record<string, unknown>;
    if (typeof doc._id !== 'string' || doc._id === '' || typeof doc._type !== 'string' || doc._type === '') {
      throw new NewsdeskError('DATASET_PARSE', `${where}: line ${lineNumber} has no _id or no _type`, {
        hint: 'Every document needs a string _id and _type, as in a `sanity dataset export`.',
      });
    }
    const earlier = this.#seen.get(doc._id);
    if (earlier !== undefined) {
      throw new NewsdeskError('DATASET_PARSE', `${where}: line ${lineNumber} repeats _id "${doc._id}" from line ${earlier}`, {
        hint: 'Document ids must be unique; remove one of the two lines.',
      });
    }
    this.#seen.set(doc._id, lineNumber);
    // Every document needs a revision: the Studio chains live changes by previous and
    // next revision. A hand-written line without one gets one derived from its text, so
    // every process reading the same file derives the same.
    if (this.#deriveRevisions && (typeof doc._rev !== 'string' || doc._rev === '')) {
      doc._rev = `r${createHash('sha1').update(line).digest('base64url').slice(0, 20)}`;
    }
    this.documents.push(doc as SanityDocument);
  }
}

export function serialise(documents: SanityDocument[]): string {
  return documents.map((d) => JSON.stringify(d)).join('\n') + (documents.length ? '\n' : '');
}

function isSyncUnsupported(error: unknown): boolean {
  return error instanceof Error && /not supported|synchronous mode/.test(error.message);
}

/**
 * groq-js follows a reference (`->`) by scanning every document; with an id index per
 * view it is a map lookup, which turns loading a large archive from minutes into
 * seconds (added by the build work item).
 */
const idIndexes = new WeakMap<SanityDocument[], Map<string, SanityDocument>>();
function indexOf(dataset: SanityDocument[]): Map<string, SanityDocument> {
  let index = idIndexes.get(dataset);
  if (!index) {
    index = new Map(dataset.map((d) => [d._id, d] as const));
    idIndexes.set(dataset, index);
  }
  return index;
}

function dereferencer(dataset: SanityDocument[]) {
  const byId = indexOf(dataset);
  return ({ _ref }: { _ref: string }) => byId.get(_ref) ?? null;
}

function viewFor(snapshot: Snapshot, perspective: Perspective): SanityDocument[] {
  let view = snapshot.views.get(perspective);
  if (!view) {
    view = buildView(snapshot.documents, perspective);
    snapshot.views.set(perspective, view);
  }
  return view;
}

/** Sanity's perspectives, which groq-js leaves to us. */
export function buildView(documents: SanityDocument[], perspective: Perspective): SanityDocument[] {
  if (perspective === 'raw') return documents;
  const published = documents.filter((d) => !d._id.startsWith('drafts.'));
  if (perspective === 'published') return published;
  const drafts = new Map(
    documents.filter((d) => d._id.startsWith('drafts.')).map((d) => [d._id.slice('drafts.'.length), d] as const),
  );
  const out: SanityDocument[] = [];
  for (const doc of published) {
    const draft = drafts.get(doc._id);
    if (draft) {
      out.push({ ...draft, _id: doc._id, _originalId: draft._id });
      drafts.delete(doc._id);
    } else out.push(doc);
  }
  for (const [id, draft] of drafts) out.push({ ...draft, _id: id, _originalId: draft._id });
  return out;
}

/** As serialise, a megabyte or so at a time: a large dataset is never one string in memory. */
export function* serialiseInParts(documents: SanityDocument[]): Generator<string> {
  let part = '';
  for (const doc of documents) {
    part += `${JSON.stringify(doc)}\n`;
    if (part.length >= 1 << 20) {
      yield part;
      part = '';
    }
  }
  if (part) yield part;
}

/** Writes a file so that readers see either the old or the new content, never a mix. */
export async function writeAtomically(file: string, content: string | Iterable<string>): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      if (typeof content === 'string') await handle.writeFile(content);
      else for (const part of content) await handle.writeFile(part);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw new NewsdeskError('DATASET_WRITE', `Could not write ${file}: ${(error as Error).message}`, {
      cause: error,
      hint: 'The previous content is unchanged. Check free disk space and permissions, then try again.',
    });
  }
}

/**
 * A lock file created with O_EXCL holding the owner's pid. A lock whose owner is dead
 * is stale and taken over, so a crash never wedges the dataset.
 */
async function acquireLock(lockPath: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  // The lock appears complete or not at all: the pid is written to a private file first,
  // then hard-linked into place (link fails if the lock exists). A writer killed at any
  // moment never leaves a lock without an owner to check.
  const candidate = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(candidate, String(process.pid));
  try {
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      try {
        await fs.link(candidate, lockPath);
        return () => fs.rm(lockPath, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number(await fs.readFile(lockPath, 'utf8').catch(() => ''));
      const age = await fs.stat(lockPath).then((st) => Date.now() - st.mtimeMs, () => 0);
      // Stale: its owner is dead, or it names no owner and is old (written by something else).
      if ((owner && owner !== process.pid && !isAlive(owner)) || (!owner && age > 5_000)) {
        await fs.rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new NewsdeskError('DATASET_WRITE', `The dataset is locked by process ${owner || '(unknown)'} (${lockPath})`, {
          hint: 'Another newsdesk command is writing; wait for it, or delete the lock file if no such process runs.',
        });
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  } finally {
    await fs.rm(candidate, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
