// The embedded content store: a dataset file in Sanity's export format (NDJSON, one
// document a line) queried with groq-js. Writes are serialised (an in-process queue
// plus a lock file against other processes) and appended to a journal beside the
// dataset (content/journal.ts), fsynced before they are acknowledged: a write costs the
// size of its change, not of the archive. Readers (this process and others) see the
// dataset with the journal applied. Once the journal outgrows a share of the dataset it
// is folded into a fresh dataset file (written while writes go on, then temp file, fsync,
// rename), so the file stays a valid Sanity export and a crash at any moment leaves a
// whole dataset.
import { isAscii } from 'node:buffer';
import { hash, randomBytes } from 'node:crypto';
import { fstatSync, watch, type FSWatcher } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { evaluate, evaluateSync, parse } from 'groq-js';
import { asciiJson } from '../core/ascii-json.ts';
import { OpenFile } from '../core/open-file.ts';
import { NewsdeskError } from '../core/errors.ts';
import { appendRebase, appendToJournal, applyRecords, fingerprintOf, isFoldedInto, journalHeader, journalPathFor, readJournal, readJournalBytes, sameJournalState, syncFolder, type JournalRead, type JournalRecord } from './journal.ts';
import { digestOfText, documentDigest, lineOf, recordDigest, recordLine } from './document-digest.ts';
import { idAndTypeOf, lazyDocument, lazyStats, lazyText, materialise, probesOf, type LineReader, type LineTable } from './lazy-document.ts';
import { narrowQuery, rememberedTypes, rememberTypes } from './groq-narrow.ts';
import { foldJournalInParts } from './journal-fold.ts';
import { applyMutations, mutationTarget } from './mutations.ts';
import { buildView } from './perspective-view.ts';
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
  /**
   * When the journal is folded into the dataset file: once it holds more than this
   * share of the dataset's size (default 0.25) and more than minBytes (default 1 MiB).
   */
  compaction?: { ratio?: number; minBytes?: number };
  /**
   * For a bulk writer (the archive import): once written, a document is kept in memory only
   * as its identity (id, type, revision, times), so memory stays that of one transaction
   * however much is written. A query reads the files again; compaction streams them.
   */
  lean?: boolean;
  /**
   * For a one-off build (`newsdesk build`): documents whose line names its _id and _type
   * first are parsed only when something reads more of them (content/lazy-document.ts).
   * Such a store's documents must not be structured-cloned; documents() copies them out.
   */
  lazy?: boolean;
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

/**
 * Told about each committed write, in commit order. A listener that returns a promise
 * (the lake's history, appending durably) holds back the write's acknowledgement until
 * it settles, so what a writer was told is stored is also in what the listener keeps.
 */
export type StoreListener = (transaction: StoreTransaction) => unknown;

interface PendingTransaction {
  plan: (lookup: (id: string) => SanityDocument | undefined, now: string) => Mutation[];
  /** The plan writes whole documents or deletes, reading nothing of the stored ones but their identity. */
  identityOnly?: boolean;
  options: MutateOptions;
  resolve: (result: MutationResult & { changes: DocumentChange[] }) => void;
  reject: (error: unknown) => void;
}

/** The dataset file a snapshot was read from. */
interface BaseState {
  ino: number;
  mtimeMs: number;
  size: number;
  fingerprint: string;
}

interface Snapshot {
  base: BaseState;
  /** How far the journal has been read (its records are applied to documents and dropped). */
  journal: JournalRead | undefined;
  /** The journal belongs to another dataset file (replaced by hand): its records are not applied. */
  journalStale: boolean;
  documents: SanityDocument[];
  views: Map<Perspective, SanityDocument[]>;
  /** Lean mode: some documents are only their identity (enough to write, not to query). */
  partial?: boolean;
}

export class GroqJsStore implements ContentStore {
  readonly description: string;
  /** Queries are answered in this process, with the stored documents themselves (ContentStore.local). */
  readonly local = true;
  readonly #path: string;
  readonly #seedFrom: string | undefined;
  readonly #now: () => Date;
  readonly #lockTimeoutMs: number;
  readonly #journalPath: string;
  readonly #compaction: { ratio: number; minBytes: number };
  readonly #lean: boolean;
  readonly #lazy: boolean;
  #startingUp: Promise<void> | undefined;
  #compacting: Promise<void> = Promise.resolve();
  #compactionQueued = false;
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
  /** The watcher's planned look at the file (a moment after the last change it saw), its promise, and the look under way. */
  #noticeTimer: NodeJS.Timeout | undefined;
  #nextNotice: { promise: Promise<void>; resolve: () => void } | undefined;
  #noticing: Promise<void> = Promise.resolve();

  constructor(options: GroqJsStoreOptions) {
    this.#path = path.resolve(options.datasetPath);
    this.#seedFrom = options.seedFrom;
    this.#now = options.now ?? (() => new Date());
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    this.#journalPath = journalPathFor(this.#path);
    this.#compaction = { ratio: options.compaction?.ratio ?? 0.25, minBytes: options.compaction?.minBytes ?? 1 << 20 };
    this.#lean = options.lean ?? false;
    this.#lazy = options.lazy ?? false;
    this.description = `local dataset ${path.relative(process.cwd(), this.#path) || this.#path}`;
  }

  get datasetPath(): string {
    return this.#path;
  }

  /** The journal beside the dataset file (dataset.ndjson.journal). */
  get journalPath(): string {
    return this.#journalPath;
  }

  async fetch<T = unknown>(query: string, params: Record<string, unknown> = {}, options: FetchOptions = {}): Promise<T> {
    const snapshot = await this.#loadWhole();
    const dataset = viewFor(snapshot, options.perspective ?? 'published');
    let tree;
    try {
      tree = parse(query, { params });
    } catch (error) {
      throw new NewsdeskError('QUERY_FAILED', `GROQ query could not be parsed: ${(error as Error).message}`, { cause: error });
    }
    // `*` alone is the view itself, as groq-js gives it (the same documents, in a new
    // array), without its walk over every document (a build asks for it first).
    if (tree.type === 'Everything') return dataset.slice() as T;
    // Each `*` filtered to one type reads only that type's documents (content/groq-narrow.ts).
    const evaluation = { dataset, params: narrowQuery(tree, dataset, params), dereference: dereferencer(dataset), ...(options.identity ? { identity: options.identity } : {}) };
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
    return this.#enqueue(() => mutations, options, mutations.every((m) => m && typeof m === 'object' && !('patch' in m)));
  }

  /**
   * Plans the mutations from the stored state under the write lock, then applies them as
   * one transaction: what `plan` reads cannot change before its mutations are written.
   */
  transact(
    plan: (lookup: (id: string) => SanityDocument | undefined, now: string) => Mutation[],
    options: MutateOptions = {},
  ): Promise<MutationResult & { changes: DocumentChange[] }> {
    return this.#enqueue(plan, options, false);
  }

  #enqueue(plan: PendingTransaction['plan'], options: MutateOptions, identityOnly: boolean): Promise<MutationResult & { changes: DocumentChange[] }> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ plan, options, identityOnly, resolve, reject });
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
    this.#announced ??= (await this.#loadWhole()).documents;
    // Writes append to the journal; compaction replaces both files by rename and removal.
    // So watch the folder, not the files.
    const names = new Set([path.basename(this.#path), path.basename(this.#journalPath)]);
    this.#watcher = watch(path.dirname(this.#path), (_event, name) => {
      if (!name || !names.has(name)) return;
      // A burst of changes is looked at once, a moment after the last.
      clearTimeout(this.#noticeTimer);
      const next = (this.#nextNotice ??= pending());
      this.#noticeTimer = setTimeout(() => {
        this.#noticeTimer = undefined;
        this.#nextNotice = undefined;
        this.#noticing = this.#noticeOutsideWrite().finally(next.resolve);
      }, 15);
    });
    this.#watcher.on('error', () => undefined);
  }

  /**
   * Stops watching the file (listeners stay subscribed to this store's own writes): a look
   * at the file its watcher had planned is dropped; resolves once one under way is over.
   */
  close(): Promise<void> {
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = undefined;
    this.#nextNotice?.resolve();
    this.#nextNotice = undefined;
    this.#watcher?.close();
    this.#watcher = undefined;
    return this.#noticing.catch(() => undefined);
  }

  /** Resolves once the store has looked at the file after every change its watcher has seen so far (for tests). */
  async noticed(): Promise<void> {
    await this.#nextNotice?.promise;
    await this.#noticing.catch(() => undefined);
  }

  #noticeOutsideWrite(): Promise<void> {
    // Through the write queue: never compare while this store is itself mid-write.
    const run = this.#writeQueue.then(async () => {
      // Closed meanwhile; or the dataset file is gone (moved, or its folder removed): that is
      // no write to report, and the store must not make the file (and its folder) again.
      if (!this.#watcher || !(await fs.access(this.#path).then(() => true, () => false))) return;
      const snapshot = await this.#loadWhole().catch(() => undefined);
      if (!snapshot || !this.#announced || snapshot.documents === this.#announced) return;
      const transactions = diffAsTransactions(this.#announced, snapshot.documents, this.#now().toISOString());
      this.#announced = snapshot.documents;
      await Promise.all(transactions.map((transaction) => this.#emit(transaction)));
    });
    this.#writeQueue = run.catch(() => undefined);
    return run;
  }

  /** Tells every listener; settles when the promises they return have (never rejects). */
  #emit(transaction: StoreTransaction): Promise<void> {
    const waits: Array<Promise<void>> = [];
    for (const listener of this.#listeners) {
      try {
        const result = listener(transaction);
        if (result instanceof Promise) waits.push(result.catch(() => undefined));
      } catch {
        // A listener's failure is its own; the write has happened.
      }
    }
    return waits.length ? Promise.all(waits).then(() => undefined) : Promise.resolve();
  }

  /** All stored documents, drafts included; for export and tests. */
  async documents(): Promise<SanityDocument[]> {
    return structuredClone((await this.#loadWhole()).documents.map(materialise));
  }

  /** The documents a perspective sees (drafts overlaid for "drafts"); shared, never modify them. */
  async view(perspective: Perspective): Promise<() => SanityDocument[]> {
    const snapshot = await this.#loadWhole();
    return () => viewFor(snapshot, perspective);
  }

  /** ContentStore.published: the published view and its id index, which the next edit applied copies instead of changing (handedOut). */
  async published(): Promise<{ documents: readonly SanityDocument[]; byId: ReadonlyMap<string, SanityDocument> }> {
    const documents = viewFor(await this.#loadWhole(), 'published');
    const byId = indexOf(documents);
    handedOut.add(byId);
    return { documents, byId };
  }

  /** Stored documents by id, drafts included, exactly as stored (undefined where missing). */
  async getDocuments(ids: string[]): Promise<Array<SanityDocument | undefined>> {
    const index = indexOf((await this.#loadWhole()).documents);
    return ids.map((id) => index.get(id));
  }

  /**
   * Writes every waiting transaction with one append to the journal (group commit):
   * while one write is under way, the Studio's next edits and a CLI command queue up and
   * go out together, one fsync per batch. Each transaction is still all-or-nothing on
   * its own: one that fails is refused and the others in the batch are written.
   */
  async #commitPending(): Promise<void> {
    try {
      await this.#commitBatches();
      if (this.#isCompactionDue(this.#snapshot)) this.#compact(false).catch(() => undefined);
    } finally {
      this.#committing = false;
      // A transaction that arrived while the last batch was being acknowledged.
      if (this.#pending.length > 0) this.#startCommitting();
    }
  }

  async #commitBatches(): Promise<void> {
    await this.#startUp();
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      const done: Array<{ entry: PendingTransaction; result: MutationResult & { changes: DocumentChange[] }; transaction: StoreTransaction }> = [];
      let outside: StoreTransaction[] = [];
      let release: (() => Promise<void>) | undefined;
      try {
        release = await acquireLock(`${this.#path}.lock`, this.#lockTimeoutMs);
        // Re-read under the lock: another process may have written since our last look.
        // A lean store's plan that reads documents gets them whole.
        const snapshot = batch.every((entry) => entry.identityOnly) ? await this.#load(true) : await this.#loadWhole();
        if (this.#announced && snapshot.documents !== this.#announced) {
          outside = diffAsTransactions(this.#announced, snapshot.documents, this.#now().toISOString());
        }
        // Each transaction sees the ones before it in the batch through `written`.
        const stored = indexOf(snapshot.documents);
        const written = new Map<string, SanityDocument | null>();
        const lookup = (id: string) => (written.has(id) ? (written.get(id) ?? undefined) : stored.get(id));
        const records: JournalRecord[] = [];
        for (const entry of batch) {
          try {
            const transactionId = entry.options.transactionId ?? randomBytes(11).toString('base64url');
            const timestamp = this.#now().toISOString();
            const mutations = entry.plan(lookup, timestamp);
            // Only the documents the mutations name take part: the cost is the change's, not the dataset's.
            const targets = new Set(mutations.map((m) => (m && typeof m === 'object' ? safeTarget(m) : undefined)).filter((id): id is string => id !== undefined));
            const current = [...targets].map(lookup).filter((d): d is SanityDocument => d !== undefined);
            const applied = applyMutations(current, mutations, { now: timestamp, transactionId });
            for (const change of applied.changes) written.set(change.id, change.after);
            const author = entry.options.author ?? 'newsdesk';
            records.push({
              tx: transactionId,
              at: timestamp,
              by: author,
              put: applied.changes.flatMap((c) => (c.after ? [c.after] : [])),
              del: applied.changes.flatMap((c) => (c.after ? [] : [c.id])),
            });
            done.push({
              entry,
              result: { transactionId, results: applied.results, changes: applied.changes },
              transaction: { id: transactionId, timestamp, author, mutations, changes: applied.changes },
            });
          } catch (error) {
            entry.reject(error);
          }
        }
        if (done.length > 0) {
          let journal = snapshot.journal;
          if (journal && (snapshot.journalStale || journal.bases.length === 0)) {
            await this.#setAsideJournal(snapshot);
            journal = undefined;
          }
          const appended = await appendToJournal(this.#journalPath, records, journal ? { end: journal.end } : { createFor: snapshot.base.fingerprint });
          // Lean: the documents just written, and those read before, are kept as their identity only.
          const documents = this.#lean ? applyRecordsIndexed(identitiesOf(snapshot), records.map(identityRecord)) : applyRecordsIndexed(snapshot.documents, records);
          this.#settle({ base: snapshot.base, journal: { ...appended, bases: journal?.bases ?? [snapshot.base.fingerprint], records: [] }, journalStale: false, documents, views: new Map(), partial: this.#lean });
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
      // In commit order; a listener that keeps the write durably (the history) is waited for.
      await Promise.all([...outside.map((t) => this.#emit(t)), ...done.map((d) => this.#emit(d.transaction))]);
      for (const { entry, result } of done) entry.resolve(result);
    }
  }

  /** Folds the journal into a fresh dataset file now (it is also done on its own as the journal grows). */
  compact(): Promise<void> {
    return this.#compact(true);
  }

  /** One compaction at a time per store; one due on its own is not queued twice. */
  #compact(force: boolean): Promise<void> {
    if (!force && this.#compactionQueued) return this.#compacting;
    this.#compactionQueued = true;
    const run = this.#compacting.then(() => {
      this.#compactionQueued = false;
      return this.#compactOnce(force);
    });
    this.#compacting = run.catch(() => undefined);
    return run;
  }

  #isCompactionDue(snapshot: Snapshot | undefined): boolean {
    const journal = snapshot?.journal;
    if (!snapshot || !journal) return false;
    return journal.end > this.#compaction.minBytes && journal.end > snapshot.base.size * this.#compaction.ratio;
  }

  /**
   * Writes the documents as a new dataset file while writes go on (they are appended to
   * the journal), then, under the lock: names the new file in the journal, renames the
   * file into place, and replaces the journal with the records the file lacks. Readers
   * apply a journal over any file it names, and its records hold whole documents, so a
   * crash between the steps loses nothing (see journal.ts).
   */
  async #compactOnce(force: boolean): Promise<void> {
    await this.#startUp();
    // The state to fold, taken in the write queue: no write of this store is half-applied.
    const snapshot = await this.#inWriteQueue(() => this.#load(true));
    const journal = snapshot.journal;
    if (!journal) return;
    if (snapshot.journalStale || journal.bases.length === 0) {
      await this.#inWriteQueue(() =>
        this.#underLock(async () => {
          const now = await this.#load(true);
          if (!now.journal || !(now.journalStale || now.journal.bases.length === 0)) return;
          await this.#setAsideJournal(now);
          this.#settle({ ...now, journal: undefined, journalStale: false });
        }),
      );
      return;
    }
    if (!force && !this.#isCompactionDue(snapshot)) return;
    const folder = path.dirname(this.#path);
    const tmp = temporaryPathFor(this.#path);
    try {
      // In small parts: between two, the event loop answers the edits made meanwhile. A lean
      // store holds no documents: the dataset file and the journal are folded line by line.
      const parser = new DatasetParser(this.#path, true);
      // The new file's line index, made as its lines are written: the next lazy read (the
      // next `newsdesk build`) need not read the whole file to make it.
      const index = snapshot.partial ? undefined : emptyLineIndex();
      const folded = snapshot.partial
        ? foldJournalInParts({ datasetPath: this.#path, journalPath: this.#journalPath, journalEnd: journal.end, spillPath: temporaryPathFor(this.#path), parseLine: (text, n) => parser.document(text, n) })
        : linesInParts(snapshot.documents, 64 * 1024, index);
      await writeDurably(tmp, folded);
      const fingerprint = await fingerprintFile(tmp);
      await this.#inWriteQueue(() =>
        this.#underLock(async () => {
          const now = await this.#load(true);
          // Another process compacted, or the dataset was replaced, meanwhile: this file is not needed.
          if (!isSameBase(now.base, snapshot.base) || !now.journal || now.journalStale || now.journal.ino !== journal.ino || now.journal.end < journal.end) return;
          await appendRebase(this.#journalPath, now.journal.end, fingerprint);
          await fs.rename(tmp, this.#path);
          await syncFolder(folder);
          // The records appended while the file was written (whole lines, so whole UTF-8).
          const carried = (await readJournalBytes(this.#journalPath, journal.end, now.journal.end)).toString('utf8');
          let next: JournalRead | undefined;
          if (carried === '') await fs.rm(this.#journalPath, { force: true });
          else {
            await writeAtomically(this.#journalPath, [journalHeader(fingerprint), carried]);
            const stat = await fs.stat(this.#journalPath);
            next = { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, end: stat.size, bases: [fingerprint], records: [] };
          }
          await syncFolder(folder);
          const stat = await fs.stat(this.#path);
          const base = { ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size, fingerprint };
          if (index) await writeLineIndex(this.#path, { ...base, ...index });
          this.#settle({ base, journal: next, journalStale: false, documents: now.documents, views: now.views, partial: now.partial });
        }),
      );
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  #inWriteQueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writeQueue.then(work);
    this.#writeQueue = run.catch(() => undefined);
    return run;
  }

  async #underLock<T>(work: () => Promise<T>): Promise<T> {
    const release = await acquireLock(`${this.#path}.lock`, this.#lockTimeoutMs);
    try {
      return await work();
    } finally {
      await release();
    }
  }

  /**
   * Removes a journal that does not belong to the dataset file, under the lock: when its
   * records are all in the file (a compaction cut short) it is removed; otherwise (the
   * dataset was replaced by hand) it is kept aside as dataset.ndjson.journal.<time>.set-aside.
   */
  async #setAsideJournal(snapshot: Snapshot): Promise<void> {
    const read = await readJournal(this.#journalPath);
    if (!read) return;
    if (read.bases.length === 0 || read.bases.includes(snapshot.base.fingerprint) || isFoldedInto(read.records, snapshot.documents)) {
      await fs.rm(this.#journalPath, { force: true });
    } else {
      await fs.rename(this.#journalPath, `${this.#journalPath}.${new Date().toISOString().replace(/[:.]/g, '-')}.set-aside`);
    }
    await syncFolder(path.dirname(this.#path));
  }

  /** Makes a snapshot this store wrote the current one (a read still under way must not replace it). */
  #settle(snapshot: Snapshot): void {
    this.#snapshot = snapshot;
    this.#reading = undefined;
  }

  /** The current state; with `partialOk`, a lean store reads what it lacks as identities only (enough to write and fold). */
  async #load(partialOk = false): Promise<Snapshot> {
    await this.#seedIfMissing();
    await this.#startUp();
    const [stat, journalStat] = await Promise.all([fs.stat(this.#path), statIfExists(this.#journalPath)]);
    const cached = this.#snapshot;
    const sameBase = cached !== undefined && isSameBase(cached.base, stat);
    if (sameBase && sameJournalState(cached.journal, journalStat)) return cached;
    // Queries started together (the build starts several) share one read instead of each
    // parsing (and holding) its own copy of the dataset.
    const version = `${stat.ino}:${stat.mtimeMs}:${stat.size}|${journalStat ? `${journalStat.ino}:${journalStat.size}:${journalStat.mtimeMs}` : '-'}`;
    if (this.#reading?.version !== version) {
      // Only the journal changed (a write by this or another process): read what was appended.
      const identities = this.#lean && partialOk;
      const reading = { version, promise: sameBase && journalStat ? this.#readAppended(cached, identities) : this.#readWhole(identities) };
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

  /** The current state with every document whole (a lean store's writes left only identities). */
  async #loadWhole(): Promise<Snapshot> {
    for (;;) {
      const snapshot = await this.#load();
      if (!snapshot.partial) return snapshot;
      // Read afresh: neither the partial state nor a read continuing it will do.
      this.#snapshot = undefined;
      this.#reading = undefined;
    }
  }

  async #readAppended(from: Snapshot, identities: boolean): Promise<Snapshot> {
    const read = await readJournal(this.#journalPath, from.journal);
    // Compaction by another process replaces the dataset file before it removes the
    // journal: a new dataset file means the journal read may be of another base.
    const stat = await fs.stat(this.#path);
    if (!read || !isSameBase(from.base, stat)) return this.#readWhole(identities);
    const previous = from.journal && from.journal.end > 0 ? from.journal : undefined;
    const continued = previous !== undefined && read.ino === previous.ino && read.size >= previous.end;
    // A different journal file under the same dataset file (removed by hand): start over.
    if (previous && !continued) return this.#readWhole(identities);
    const stale = continued ? from.journalStale : !belongs(read, from.base.fingerprint);
    const documents = stale ? from.documents : applyRecordsIndexed(from.documents, from.partial ? read.records.map(identityRecord) : read.records);
    return { base: from.base, journal: { ...read, records: [] }, journalStale: stale, documents, views: documents === from.documents ? from.views : new Map(), partial: from.partial };
  }

  async #readWhole(identities = false): Promise<Snapshot> {
    for (let attempt = 0; ; attempt++) {
      const handle = await fs.open(this.#path, 'r');
      let base: BaseState;
      let documents: SanityDocument[];
      try {
        const stat = await handle.stat();
        base = { ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size, fingerprint: await fingerprintOf(handle, stat.size) };
        // Lazily, from the line index an earlier lazy read of this very file left, if any.
        const index = this.#lazy && !identities ? await readLineIndex(this.#path, base) : undefined;
        if (index) documents = documentsOfIndex(index, this.#path, true, base);
        else {
          const read = await readDatasetFrom(handle, this.#path, { deriveRevisions: true, ...(identities ? { map: identityOf } : { lazy: this.#lazy }) });
          documents = read.documents;
          if (read.index && !identities) await writeLineIndex(this.#path, { ...base, ...read.index });
        }
      } finally {
        await handle.close();
      }
      const journal = await readJournal(this.#journalPath);
      // Replaced while we read (another process compacted): the journal may not be this file's.
      if (attempt < 5 && !isSameBase(base, await fs.stat(this.#path))) continue;
      const stale = journal !== undefined && !belongs(journal, base.fingerprint);
      if (journal && !stale) documents = applyRecordsIndexed(documents, identities ? journal.records.map(identityRecord) : journal.records);
      return { base, journal: journal && { ...journal, records: [] }, journalStale: stale, documents, views: new Map(), ...(identities ? { partial: true } : {}) };
    }
  }

  /**
   * Once per store: removes what writers killed mid-write left behind (temporary dataset
   * and journal files, half-made seeds and lock candidates, and the lock they held): files
   * named after a process that no longer runs, removed under the lock.
   */
  #startUp(): Promise<void> {
    this.#startingUp ??= this.#removeStrayFiles().catch(() => undefined);
    return this.#startingUp;
  }

  async #removeStrayFiles(): Promise<void> {
    const folder = path.dirname(this.#path);
    const name = escapeRegExp(path.basename(this.#path));
    // dataset.ndjson.<pid>.<hex>.tmp (compaction), dataset.ndjson.journal.<pid>.<hex>.tmp,
    // dataset.ndjson.lines.<pid>.<hex>.tmp (a line index), dataset.ndjson.<pid>.<hex>.seed,
    // dataset.ndjson.lock.<pid>.<hex>: each names its writer.
    const owned = new RegExp(`^${name}\\.(?:lock\\.|journal\\.|lines\\.)?(\\d+)\\.[0-9a-f]{8}(?:\\.seed|\\.tmp)?$`);
    const strays = (names: string[]) =>
      names.filter((n) => {
        const pid = Number(owned.exec(n)?.[1]);
        return pid > 0 && pid !== process.pid && !isAlive(pid);
      });
    // The lock itself, when the writer holding it was killed: taken over (acquireLock) and released.
    const lockOwner = Number(await fs.readFile(`${this.#path}.lock`, 'utf8').catch(() => ''));
    const staleLock = lockOwner > 0 && lockOwner !== process.pid && !isAlive(lockOwner);
    if (!staleLock && strays(await fs.readdir(folder).catch(() => [])).length === 0) return;
    const release = await acquireLock(`${this.#path}.lock`, this.#lockTimeoutMs);
    try {
      for (const file of strays(await fs.readdir(folder))) await fs.rm(path.join(folder, file), { force: true });
    } finally {
      await release();
    }
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

/** A promise and what resolves it. */
function pending(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
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
  const handle = await fs.open(file, 'r');
  try {
    return (await readDatasetFrom(handle, file, options)).documents;
  } finally {
    await handle.close();
  }
}

async function readDatasetFrom(
  handle: fs.FileHandle,
  file: string,
  options: { deriveRevisions?: boolean; map?: (doc: SanityDocument) => SanityDocument; lazy?: boolean } = {},
): Promise<{ documents: SanityDocument[]; index?: DatasetParser['index'] | undefined }> {
  const parser = new DatasetParser(file, options.deriveRevisions ?? false, options.map, options.lazy, options.map ? undefined : await sameFile(handle, file));
  // Split on the bytes (a newline byte never occurs inside a multi-byte UTF-8 character),
  // each line decoded on its own, but for a lazy read's ASCII blocks (below).
  let buffer = Buffer.allocUnsafe(1 << 20);
  let held = 0;
  let lineNumber = 0;
  let position = 0;
  for (;;) {
    // A line longer than the buffer: a bigger one, the part read so far carried over.
    if (held === buffer.length) buffer = Buffer.concat([buffer], buffer.length * 2);
    // The file offset of buffer[0] (a line's offset and length go into a lazy read's line index).
    const base = position - held;
    const { bytesRead } = await handle.read(buffer, held, buffer.length - held, position);
    position += bytesRead;
    const end = held + bytesRead;
    let start = 0;
    const last = options.lazy && bytesRead > 0 ? buffer.lastIndexOf(10, end - 1) : -1;
    if (last >= held && last > 0 && isAscii(buffer.subarray(0, last))) {
      // Lazily, ASCII lines are cut from one string of the whole block: held outside the
      // young generation (large enough), it is never copied by the garbage collector as
      // tens of thousands of line strings would be while the dataset is read. (A block
      // with other characters is decoded line by line: one would make it two bytes a character.)
      const block = buffer.toString('latin1', 0, last);
      for (let newline = block.indexOf('\n'); newline >= 0; newline = block.indexOf('\n', start)) {
        parser.line(block.slice(start, newline), ++lineNumber, base + start, newline - start);
        start = newline + 1;
      }
      parser.line(block.slice(start), ++lineNumber, base + start, last - start);
      start = last + 1;
    }
    for (let newline = buffer.indexOf(10, Math.max(held, start)); newline >= 0 && newline < end; newline = buffer.indexOf(10, start)) {
      parser.line(buffer.toString('utf8', start, newline), ++lineNumber, base + start, newline - start);
      start = newline + 1;
    }
    if (bytesRead === 0) {
      parser.line(buffer.toString('utf8', start, end), ++lineNumber, base + start, end - start);
      break;
    }
    // The unfinished line moves to the front, and the next read continues it.
    held = buffer.copy(buffer, 0, start, end);
  }
  return { documents: parser.documents, index: options.lazy && parser.index.offsets.every((offset) => offset >= 0) ? parser.index : undefined };
}

/**
 * The file `handle` reads, opened again by its path and kept open for as long as a
 * document read from it is alive (each document records where its line is, a lazy one in
 * its own state: a build's render workers read an issue's lines from it instead of the
 * main thread projecting and serialising the issue, and a compaction copies the lines no
 * edit touched); undefined when the path now names another file.
 */
async function sameFile(handle: fs.FileHandle, file: string): Promise<OpenFile | undefined> {
  try {
    const source = new OpenFile(file);
    const [a, b] = [await handle.stat(), fstatSync(source.fd)];
    return a.ino === b.ino && a.dev === b.dev ? source : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a lazy read of a dataset file found, line by line, so the next lazy read of the same
 * file (same inode, size, modification time and fingerprint) makes its documents without
 * reading 80 MB: per line its _id, _type, digest, line number, byte offset and length, and
 * which probe keys it may hold (lazy-document.ts probesOf); a line that does not name its
 * _id and _type first has null for both and is parsed when the index is read. Kept beside
 * the dataset as `<dataset>.lines`; writes go to the journal, so the file (and its index)
 * stays the same from one edit to the next until compaction replaces it.
 */
type LineIndex = BaseState & LineColumns;

const lineIndexPath = (file: string) => `${file}.lines`;

/** A line index's columns, one entry per document line. */
interface LineColumns {
  ids: Array<string | null>;
  types: Array<string | null>;
  digests: string[];
  lineNumbers: number[];
  offsets: number[];
  lengths: number[];
  probes: number[];
}

function emptyLineIndex(): LineColumns {
  return { ids: [], types: [], digests: [], lineNumbers: [], offsets: [], lengths: [], probes: [] };
}

/** Adds a line to `index`: `named` when a lazy read hands it out unparsed (it names its _id and _type first), with the probe keys it may hold. */
function pushLine(index: LineColumns, named: { id: string; type: string; probes: number } | undefined, lineNumber: number, offset: number, length: number, digest: string): void {
  index.ids.push(named ? named.id : null);
  index.types.push(named ? named.type : null);
  index.digests.push(digest);
  index.lineNumbers.push(lineNumber);
  index.offsets.push(offset);
  index.lengths.push(length);
  index.probes.push(named ? named.probes : 0);
}

/**
 * Adds a line a compaction writes (its bytes) to `index`, as a lazy read of the new file
 * would (DatasetParser.line). Its _id and _type come first or not at all, so the start of
 * the line is decoded, and the rest only when they were not found in it.
 */
function indexLine(index: LineColumns, line: Buffer, lineNumber: number, offset: number, digest: string): void {
  const start = 1024;
  const named = idAndTypeOf(line.toString('utf8', 0, Math.min(line.length, start))) ?? (line.length > start ? idAndTypeOf(line.toString()) : undefined);
  // The probe keys are ASCII: found in the bytes read as Latin-1 as in the text (and a string search is faster than a buffer's).
  pushLine(index, named && named.id !== '' && named.type !== '' ? { ...named, probes: probesOf(line.toString('latin1')) } : undefined, lineNumber, offset, line.length, digest);
}

/**
 * The line index as read back: the ids, and the rest as they are stored (writeLineIndex):
 * the digests one string (a line's is sliced from it), the types by number, the numbers in
 * typed arrays. Made without parsing a number or a digest: read as JSON, 81,000 lines' index
 * cost a new process 140 ms, most of it in making a string for each digest and type.
 */
interface IndexedLines extends NumberColumns {
  count: number;
  ids: Array<string | null>;
  /** What `types` numbers (-1: none). */
  typeNames: string[];
  digests: string;
}

/** A line index file's first line. */
interface LineIndexHeader extends BaseState {
  version: 2;
  count: number;
  typeNames: string[];
  /** The bytes of the ids' JSON array, which follows the header's line. */
  idsBytes: number;
}

/** Every digest a line index holds is this long (content/document-digest.ts digestOfText: SHA-256 in hex). */
const lineDigestLength = 64;
const isLineDigest = /^[0-9a-f]{64}$/;

/** The number columns after the digests, in the file's order, each with the typed array it is read and written as. */
const numberColumns = [
  ['types', Int32Array],
  ['lineNumbers', Uint32Array],
  ['offsets', Float64Array],
  ['lengths', Uint32Array],
  ['probes', Int32Array],
] as const;
type NumberColumns = { [C in (typeof numberColumns)[number] as C[0]]: InstanceType<C[1]> };
const bytesPerLine = lineDigestLength + numberColumns.reduce((sum, [, array]) => sum + array.BYTES_PER_ELEMENT, 0);

/** The line index of `base`'s file, or undefined when there is none for it (or it is unreadable, or of another format). */
async function readLineIndex(file: string, base: BaseState): Promise<IndexedLines | undefined> {
  try {
    const bytes = await fs.readFile(lineIndexPath(file));
    const newline = bytes.indexOf(10);
    if (newline < 0) return undefined;
    const header = JSON.parse(bytes.toString('latin1', 0, newline)) as LineIndexHeader;
    if (header.version !== 2 || header.ino !== base.ino || header.size !== base.size || header.mtimeMs !== base.mtimeMs || header.fingerprint !== base.fingerprint) return undefined;
    const { count, typeNames, idsBytes } = header;
    let at = newline + 1;
    if (!Number.isInteger(count) || !Number.isInteger(idsBytes) || !Array.isArray(typeNames) || bytes.length !== at + idsBytes + count * bytesPerLine) return undefined;
    const ids = JSON.parse(bytes.toString('latin1', at, (at += idsBytes))) as Array<string | null>;
    if (!Array.isArray(ids) || ids.length !== count) return undefined;
    const digests = bytes.toString('latin1', at, (at += count * lineDigestLength));
    // Copied out into arrays of their own (the file's bytes need not be aligned for them).
    const columns = Object.fromEntries(
      numberColumns.map(([name, array]) => {
        const copy = new Uint8Array(count * array.BYTES_PER_ELEMENT);
        copy.set(bytes.subarray(at, (at += copy.length)));
        return [name, new array(copy.buffer)];
      }),
    ) as unknown as NumberColumns;
    if (columns.types.some((t) => t < -1 || t >= typeNames.length)) return undefined;
    return { count, ids, typeNames, digests, ...columns };
  } catch {
    return undefined;
  }
}

/**
 * Writes a line index whole (temporary file, rename): a JSON header line, the ids as a JSON
 * array (ASCII: JSON escapes the rest), the digests back to back, then the number columns
 * (numberColumns) in the machine's byte order (read back only here). A failure, or a digest
 * of another kind, only means the next read reads the file.
 */
async function writeLineIndex(file: string, index: LineIndex): Promise<void> {
  const count = index.ids.length;
  if (!index.digests.every((digest) => isLineDigest.test(digest))) return;
  const typeNames = [...new Set(index.types.filter((t): t is string => t !== null))];
  const typeNumber = new Map(typeNames.map((name, i) => [name, i] as const));
  const ids = Buffer.from(asciiJson(JSON.stringify(index.ids)), 'latin1');
  const header: LineIndexHeader = { version: 2, ino: index.ino, size: index.size, mtimeMs: index.mtimeMs, fingerprint: index.fingerprint, count, typeNames, idsBytes: ids.length };
  const values = { ...index, types: index.types.map((t) => (t === null ? -1 : typeNumber.get(t)!)) };
  const numbers = numberColumns.map(([name, array]) => Buffer.from(array.from(values[name]).buffer));
  const parts = [Buffer.from(`${asciiJson(JSON.stringify(header))}\n`, 'latin1'), ids, Buffer.from(index.digests.join(''), 'latin1'), ...numbers];
  const temp = `${lineIndexPath(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temp, parts);
    await fs.rename(temp, lineIndexPath(file));
  } catch {
    await fs.rm(temp, { force: true }).catch(() => undefined);
  }
}

/**
 * The documents of a line index: lazy ones whose line is read from the file (through a
 * descriptor kept open, so a compaction that replaces the file meanwhile does not change
 * what they read), and the few lines that do not name their _id and _type first, parsed now.
 */
function documentsOfIndex(index: IndexedLines, file: string, deriveRevisions: boolean, base: BaseState): SanityDocument[] {
  const lines = new OpenFile(file);
  const reader = lineReader(file, deriveRevisions, lines);
  const table = indexTable(index, reader, base);
  const documents: SanityDocument[] = new Array(index.count);
  // The id index (indexOf) made here from the ids the line index holds: asked of each lazy
  // document through its Proxy, the ids cost a new process as much again (cold code, 81,000 calls).
  const byId = new Map<string, SanityDocument>();
  // So are the types (the pools of groq-narrow.ts) and whether any is a draft (the views).
  const types = new Array<string>(index.count);
  let drafts = false;
  for (let i = 0; i < index.count; i++) {
    const id = index.ids[i];
    const type = index.types[i]!;
    let doc: SanityDocument;
    if (id && type >= 0) {
      doc = lazyDocument<SanityDocument>(table, i);
      byId.set(id, doc);
      types[i] = index.typeNames[type]!;
      drafts ||= isDraftId(id);
    } else {
      const offset = table.offset(i);
      const digest = table.digest(i);
      doc = parseLine(reader.read!(offset, index.lengths[i]!), file, index.lineNumbers[i]!, deriveRevisions, digest);
      recordDigest(doc, digest);
      recordLine(doc, { file: lines, offset, length: index.lengths[i]! });
      byId.set(doc._id, doc);
      types[i] = doc._type;
      drafts ||= isDraftId(doc._id);
    }
    documents[i] = doc;
  }
  idIndexes.set(documents, byId);
  knowTypes(documents, types, !drafts);
  return documents;
}

/** The rows of a line index read from its file, as its lazy documents read them (content/lazy-document.ts LineTable). */
function indexTable(index: IndexedLines, reader: LineReader, base: BaseState): LineTable {
  const { ids, types, typeNames, digests, offsets, lengths, probes, lineNumbers } = index;
  return {
    reader,
    // The line index was read for this base alone (readLineIndex), so its digests are this file's.
    base: JSON.stringify([base.ino, base.size, base.mtimeMs, base.fingerprint]),
    id: (row) => ids[row]!,
    type: (row) => typeNames[types[row]!]!,
    // A slice of the one string (V8 shares its characters), made when asked.
    digest: (row) => digests.slice(row * lineDigestLength, (row + 1) * lineDigestLength),
    offset: (row) => offsets[row]!,
    length: (row) => lengths[row]!,
    probes: (row) => probes[row]!,
    lineNumber: (row) => lineNumbers[row]!,
  };
}

/**
 * The rows of a line index a lazy read is making (DatasetParser.index), as its lazy
 * documents read them; without `source` the file is not read again (offset -1: each
 * document holds its line).
 */
function columnsTable(index: LineColumns, reader: LineReader, source: OpenFile | undefined): LineTable {
  return {
    reader,
    id: (row) => index.ids[row]!,
    type: (row) => index.types[row]!,
    digest: (row) => index.digests[row]!,
    offset: source ? (row) => index.offsets[row]! : () => -1,
    length: (row) => index.lengths[row]!,
    probes: (row) => index.probes[row]!,
    lineNumber: (row) => index.lineNumbers[row]!,
  };
}

class DatasetParser {
  readonly documents: SanityDocument[] = [];
  readonly #file: string;
  readonly #deriveRevisions: boolean;
  readonly #map: ((doc: SanityDocument) => SanityDocument) | undefined;
  readonly #lazy: boolean;
  readonly #seen = new Map<string, number>();
  #table: LineTable | undefined;
  readonly #source: OpenFile | undefined;
  /** The probe keys (lazy-document.ts probesOf) the last lazy document's line may hold. */
  #probes = 0;

  /**
   * `map` turns each document into what is kept of it (a lean store keeps its identity);
   * `lazy` hands out lines that name their _id and _type first as lazy documents
   * (content/lazy-document.ts), parsed when first read.
   */
  constructor(file: string, deriveRevisions = false, map?: (doc: SanityDocument) => SanityDocument, lazy = false, source?: OpenFile) {
    this.#file = file;
    this.#source = source;
    this.#deriveRevisions = deriveRevisions;
    this.#map = map;
    this.#lazy = lazy;
  }

  /** A lazy read's line index, filled as lines are read (offsets in bytes). */
  readonly index: LineColumns = emptyLineIndex();

  line(text: string, lineNumber: number, offset = -1, length = 0): void {
    const read = this.#read(text, lineNumber, offset, length, this.#lazy);
    if (!read) return;
    const { doc, named, digest } = read;
    this.documents.push(this.#map ? this.#map(doc) : doc);
    // A lazy document knows where its line is itself.
    if (this.#source && offset >= 0 && !named) recordLine(doc, { file: this.#source, offset, length });
    if (this.#lazy) pushLine(this.index, named && { ...named, probes: this.#probes }, lineNumber, offset, length, digest);
  }

  /** One line's document, checked (and its revision derived) as line() does, without keeping it; undefined for a blank line. */
  document(text: string, lineNumber: number, offset = -1, length = 0): SanityDocument | undefined {
    return this.#read(text, lineNumber, offset, length, false)?.doc;
  }

  /**
   * A line's document and digest. `lazy`: a line that names its _id and _type first (`named`)
   * gives a lazy document, of the row line() adds to the index next.
   */
  #read(text: string, lineNumber: number, offset: number, length: number, lazy: boolean): { doc: SanityDocument; digest: string; named?: { id: string; type: string } } | undefined {
    const line = text.trim();
    if (line === '') return undefined;
    const digest = digestOfText(line);
    const named = lazy ? idAndTypeOf(line) : undefined;
    if (named && named.id !== '' && named.type !== '') {
      this.#claim(named.id, lineNumber);
      this.#table ??= columnsTable(this.index, lineReader(this.#file, this.#deriveRevisions, this.#source), this.#source);
      this.#probes = probesOf(line);
      // A line that can be read again from the file is not kept (80 MB of lines for 1,000 issues).
      return { doc: lazyDocument<SanityDocument>(this.#table, this.index.ids.length, this.#source && offset >= 0 ? undefined : line), digest, named };
    }
    const doc = parseLine(line, this.#file, lineNumber, this.#deriveRevisions, digest);
    this.#claim(doc._id, lineNumber);
    // What the line says, so a build fingerprints the document without serialising it again.
    recordDigest(doc, digest);
    return { doc, digest };
  }

  #claim(id: string, lineNumber: number): void {
    const earlier = this.#seen.get(id);
    if (earlier !== undefined) {
      throw new NewsdeskError('DATASET_PARSE', `${this.#file}:${lineNumber}: line ${lineNumber} repeats _id "${id}" from line ${earlier}`, {
        hint: 'Document ids must be unique; remove one of the two lines.',
      });
    }
    this.#seen.set(id, lineNumber);
  }
}

/** How far ahead a lazy document's line is read when the line before it was the last one read (lineReader). */
const readAhead = 64 * 1024;

/**
 * Parses the lines of lazy documents (content/lazy-document.ts) of one dataset file; with
 * `source` (the file, kept open), reads them from it by position too.
 */
function lineReader(file: string, deriveRevisions: boolean, source?: OpenFile): LineReader {
  // The stretch of the file read ahead, when lines are asked for in the order they are in
  // the file (an issue's links, one after the other): then one read takes the next lines
  // too. A first build read 52,000 link lines one system call each, 0.5 s of its main
  // thread. A line far from the last one is read alone, so reading here and there costs
  // no more than before. One buffer, read into again each time (its lines are copied out).
  let ahead = Buffer.alloc(0);
  let aheadAt = 0;
  let aheadLength = 0;
  let lastEnd = -1;
  return {
    ...(source && {
      source,
      read(offset: number, length: number) {
        let bytes: Buffer;
        if (offset >= aheadAt && offset + length <= aheadAt + aheadLength) bytes = ahead.subarray(offset - aheadAt, offset - aheadAt + length);
        else {
          lazyStats.fileReads++;
          if (offset >= lastEnd && offset - lastEnd < readAhead) {
            const stretch = Math.max(readAhead, length);
            if (ahead.length < stretch) ahead = Buffer.allocUnsafe(stretch);
            aheadAt = offset;
            aheadLength = source.read(offset, stretch, ahead).length;
            bytes = ahead.subarray(0, Math.min(length, aheadLength));
          } else bytes = source.read(offset, length);
        }
        lastEnd = offset + length;
        if (bytes.length < length) throw new NewsdeskError('DATASET_PARSE', `${file}: the file ended before the line at byte ${offset} that an earlier read found`, { hint: 'Run the command again.' });
        return bytes.toString('utf8').trim();
      },
    }),
    parse(line, lineNumber, digest, named) {
      const doc = parseLine(line, file, lineNumber, deriveRevisions, digest);
      if (doc._id !== named.id || doc._type !== named.type) {
        throw new NewsdeskError('DATASET_PARSE', `${file}:${lineNumber}: line ${lineNumber} gives its _id or _type twice`, {
          hint: 'Each key of a document may appear once; remove the repeated one.',
        });
      }
      return doc;
    },
  };
}

/** One dataset line's document, checked, its revision derived from `digest` (the line's) when it has none and `deriveRevisions`. */
function parseLine(line: string, file: string, lineNumber: number, deriveRevisions: boolean, digest: string): SanityDocument {
  const where = `${file}:${lineNumber}`;
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
  // Every document needs a revision: the Studio chains live changes by previous and
  // next revision. A hand-written line without one gets one derived from its text, so
  // every process reading the same file derives the same.
  if (deriveRevisions && (typeof doc._rev !== 'string' || doc._rev === '')) {
    doc._rev = `r${Buffer.from(digest, 'hex').toString('base64url').slice(0, 20)}`;
  }
  return doc as SanityDocument;
}

export function serialise(documents: SanityDocument[]): string {
  return documents.map((d) => JSON.stringify(d)).join('\n') + (documents.length ? '\n' : '');
}

/** A lean store's documents: each only its identity, enough for a write to tell what exists and when it was created. */
function identitiesOf(snapshot: Snapshot): SanityDocument[] {
  return snapshot.partial ? snapshot.documents : snapshot.documents.map(identityOf);
}

function identityOf(doc: SanityDocument): SanityDocument {
  const { _id, _type, _rev, _createdAt, _updatedAt } = doc;
  return { _id, _type, ...(_rev === undefined ? {} : { _rev }), ...(_createdAt === undefined ? {} : { _createdAt }), ...(_updatedAt === undefined ? {} : { _updatedAt }) };
}

function identityRecord(record: JournalRecord): JournalRecord {
  return { ...record, put: record.put.map(identityOf) };
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
    index = new Map();
    for (const d of dataset) index.set(d._id, d);
    idIndexes.set(dataset, index);
  }
  return index;
}

/**
 * Applies journal records, handing the id index of the old array on to the new one
 * (updated, not rebuilt). A query still running over the old array may then follow a
 * reference to a newer version of a document: as if it had started a moment later.
 */
function applyRecordsIndexed(documents: SanityDocument[], records: JournalRecord[]): SanityDocument[] {
  if (records.length === 0) return documents;
  const found = indexOf(documents);
  // One a build holds (GroqJsStore.published) stays as it was: the new array gets a copy.
  const index = handedOut.has(found) ? new Map(found) : found;
  const types = rememberedTypes(documents);
  const result = applyRecords(documents, records, index, types);
  if (index === found) idIndexes.delete(documents);
  idIndexes.set(result.documents, index);
  if (result.types) knowTypes(result.documents, result.types, draftFree.has(documents) && records.every((r) => r.put.every((doc) => !isDraftId(doc._id))));
  return result.documents;
}

/** Arrays known to hold no draft (a line index's, and what journal records without one made of them): every view of them is the array. */
const draftFree = new WeakSet<SanityDocument[]>();

/** Each document's type by place (groq-narrow.ts rememberTypes), for arrays whose documents were not asked (a line index's, and what journal records made of them). */
function knowTypes(documents: SanityDocument[], types: readonly string[], free: boolean): void {
  rememberTypes(documents, types);
  if (free) draftFree.add(documents);
}

const isDraftId = (id: string) => id.startsWith('drafts.');

/** Id indexes handed out whole (GroqJsStore.published): never changed in place again. */
const handedOut = new WeakSet<Map<string, SanityDocument>>();

function dereferencer(dataset: SanityDocument[]) {
  const byId = indexOf(dataset);
  return ({ _ref }: { _ref: string }) => byId.get(_ref) ?? null;
}

function viewFor(snapshot: Snapshot, perspective: Perspective): SanityDocument[] {
  let view = snapshot.views.get(perspective);
  if (!view) {
    view = buildView(snapshot.documents, perspective, draftFree.has(snapshot.documents));
    snapshot.views.set(perspective, view);
  }
  return view;
}

/** As serialise, a megabyte (or `partSize` characters) or so at a time: a large dataset is never one string in memory. */
export function* serialiseInParts(documents: SanityDocument[], partSize = 1 << 20): Generator<string> {
  let part = '';
  for (const doc of documents) {
    part += `${JSON.stringify(doc)}\n`;
    if (part.length >= partSize) {
      yield part;
      part = '';
    }
  }
  if (part) yield part;
}

/**
 * The documents as dataset lines for a compaction, as serialiseInParts gives them (in
 * bytes), except that a document read from a line is that line again, byte for byte:
 * documents are never changed once handed out, so its text is still what it was read from
 * (checked against the digest it was read with: bytes changed in place since are passed
 * over, and the document serialised). A compaction thereby neither parses the documents a
 * lazy store has not (80,000 of them cost 2.2 s and 150 MB), nor makes other text of lines
 * no edit touched: a line written without a revision keeps none (readers derive the same
 * one from the same text), and the digests a build fingerprints issues with stay as they were.
 * With `index`, each line written is added to it as a lazy read of the new file would add it.
 */
export function* linesInParts(documents: SanityDocument[], partSize = 1 << 20, index?: LineColumns): Generator<Buffer> {
  // The stretch of a file last read: documents come mostly in the order of their lines.
  let window: { file: OpenFile; start: number; bytes: Buffer } | undefined;
  const lineBytes = (doc: SanityDocument): Buffer | undefined => {
    const text = lazyText(doc);
    if (text !== undefined) return Buffer.from(text);
    const at = lineOf(doc);
    if (!at) return undefined;
    if (!window || window.file !== at.file || at.offset < window.start || at.offset + at.length > window.start + window.bytes.length) {
      window = { file: at.file, start: at.offset, bytes: at.file.read(at.offset, Math.max(1 << 20, at.length)) };
    }
    const bytes = window.bytes.subarray(at.offset - window.start, at.offset - window.start + at.length);
    return bytes.length === at.length && hash('sha256', bytes) === documentDigest(doc) ? bytes : undefined;
  };
  let pieces: Buffer[] = [];
  let size = 0;
  let position = 0;
  for (const doc of documents) {
    const copied = lineBytes(doc);
    const json = copied ? undefined : JSON.stringify(doc);
    const line = copied ?? Buffer.from(json!);
    if (index) indexLine(index, line, index.offsets.length + 1, position, json === undefined ? documentDigest(doc) : digestOfText(json));
    position += line.length + 1;
    pieces.push(line, newline);
    size += line.length + 1;
    if (size >= partSize) {
      yield Buffer.concat(pieces, size);
      pieces = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(pieces, size);
}

const newline = Buffer.from('\n');

/** Writes a file so that readers see either the old or the new content, never a mix. */
export async function writeAtomically(file: string, content: string | Iterable<string> | AsyncIterable<string>): Promise<void> {
  const tmp = temporaryPathFor(file);
  try {
    await writeDurably(tmp, content);
    await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** A temporary file beside `file`, named after this process (so a later start-up can tell it is stray). */
function temporaryPathFor(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/** Writes and fsyncs a new file, in parts when given parts. */
async function writeDurably(file: string, content: string | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>): Promise<void> {
  try {
    const handle = await fs.open(file, 'w');
    try {
      if (typeof content === 'string') await handle.writeFile(content);
      else for await (const part of content) await handle.writeFile(part);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await fs.rm(file, { force: true });
    throw new NewsdeskError('DATASET_WRITE', `Could not write ${file}: ${(error as Error).message}`, {
      cause: error,
      hint: 'The previous content is unchanged. Check free disk space and permissions, then try again.',
    });
  }
}

async function fingerprintFile(file: string): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    return await fingerprintOf(handle, (await handle.stat()).size);
  } finally {
    await handle.close();
  }
}

/** Whether a journal belongs to the dataset file with this fingerprint (one without a header holds nothing). */
function belongs(journal: JournalRead, fingerprint: string): boolean {
  return journal.bases.length === 0 || journal.bases.includes(fingerprint);
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

function isSameBase(base: BaseState, stat: { ino: number; mtimeMs: number; size: number }): boolean {
  // Compaction renames a new file into place, so a new inode means new content even when
  // two writes land within the clock's resolution with the same size.
  return base.ino === stat.ino && base.mtimeMs === stat.mtimeMs && base.size === stat.size;
}

async function statIfExists(file: string): Promise<{ ino: number; size: number; mtimeMs: number } | undefined> {
  try {
    const { ino, size, mtimeMs } = await fs.stat(file);
    return { ino, size, mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The document a mutation names; a malformed one is left for applyMutations to refuse. */
function safeTarget(mutation: Mutation): string | undefined {
  try {
    const id = mutationTarget(mutation);
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
