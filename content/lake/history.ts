// Document history for the Studio's "Review changes" and "Restore": every transaction the
// lake sees (its own and the CLI's) is appended to a log beside the dataset. A change is
// kept as its mutations when replaying them gives exactly the stored result (typing in
// the Studio: small patches), and as the whole document otherwise, and every so often,
// so any past revision can be rebuilt by replaying a short run of entries.
// Reading a document's history never replays from a snapshot per transaction: a state is
// replayed from the nearest state already known (or whole document) and every state on
// the way is kept, so a listing costs one replay per entry listed, plus at most one run
// to a whole document; replays run in slices that give the event loop back every few
// milliseconds. The history panel's events need only whether each version existed,
// which a walk over the entries gives without replaying anything.
import fs from 'node:fs';
import readline from 'node:readline';
import { isDeepStrictEqual } from 'node:util';
import { AppendLog } from '../append-log.ts';
import type { StoreTransaction } from '../groq-js-store.ts';
import { applyMutations, mutationTarget } from '../mutations.ts';
import type { Mutation, SanityDocument } from '../store.ts';
import { withoutRevision } from './listen-hub.ts';
import { userIdOf as userIdOfAuthor } from './users.ts';

/** How a transaction changed one document, as stored in the log. */
interface StoredChange {
  /** The whole document before, when the log cannot rebuild it from its own entries. */
  before?: SanityDocument | null;
  /** The mutations that turn the previous state into the next. */
  mutations?: Mutation[];
  /** The whole document after (null: deleted) when mutations are absent. */
  after?: SanityDocument | null;
}

interface StoredTransaction {
  id: string;
  timestamp: string;
  author: string;
  documents: Record<string, StoredChange>;
}

interface Entry {
  transaction: StoredTransaction;
  change: StoredChange;
  /** The transaction's place in the whole log: merging two documents' entries keeps log order. */
  seq: number;
}

/** One document's entries in log order, and where each transaction sits among them. */
interface DocumentLog {
  entries: Entry[];
  positionOf: Map<StoredTransaction, number>;
  /** The first position of each transaction id (a revision is the id of the transaction that made it). */
  positionOfId: Map<string, number>;
}

/** The states a document had after its entries, where known (undefined: not replayed yet). */
interface StateCache {
  states: Array<SanityDocument | null | undefined>;
  known: number;
}

export interface DocumentEvent {
  id: string;
  type: 'createDocumentVersion' | 'publishDocumentVersion' | 'unpublishDocument' | 'deleteDocumentVersion' | 'deleteDocumentGroup';
  timestamp: string;
  author: string;
  documentId: string;
  documentVariantType: string;
  versionId?: string;
  versionRevisionId?: string;
  revisionId?: string;
  publishCause?: 'document.publish';
}

export interface HistoryTransaction {
  id: string;
  timestamp: string;
  author: string;
  documentIDs: string[];
  effects: Record<string, { apply: unknown; revert: unknown }>;
}

/** Replay never runs longer than this many patch entries before a whole document. */
const snapshotEvery = 50;

/** How long one slice of replaying may hold the event loop before it yields. */
const sliceMs = 8;

/** States kept for recently read documents, over all of them (the one being read is always kept). */
const cachedStatesLimit = 2_000;

export class DocumentHistory {
  readonly #transactions: StoredTransaction[] = [];
  readonly #byDocument = new Map<string, DocumentLog>();
  readonly #ids = new Set<string>();
  readonly #log: AppendLog;
  /** Least recently read first. */
  readonly #stateCache = new Map<string, StateCache>();
  #replayed = 0;

  private constructor(log: AppendLog) {
    this.#log = log;
  }

  /** Opens the log at `file` (created on the first write), reading what it holds. */
  static async open(file: string): Promise<DocumentHistory> {
    const history = new DocumentHistory(await AppendLog.open(file));
    if (fs.existsSync(file)) {
      const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line.trim()) continue;
        try {
          history.#index(JSON.parse(line) as StoredTransaction);
        } catch {
          // A line cut short by a crash: the transactions before it are whole.
        }
      }
    }
    return history;
  }

  /** How many entries reading has replayed since the log was opened (each once while its document's states stay cached). */
  get replayed(): number {
    return this.#replayed;
  }

  /** Whether a transaction with this id has been recorded. */
  has(transactionId: string): boolean {
    return this.#ids.has(transactionId);
  }

  /**
   * Records a committed transaction; returns once it is on disk (fsynced): the store
   * waits for this before it acknowledges the write, so the log holds every
   * acknowledged transaction even when the process is killed right after.
   */
  record(transaction: StoreTransaction): Promise<void> {
    const stored: StoredTransaction = { id: transaction.id, timestamp: transaction.timestamp, author: transaction.author, documents: {} };
    for (const change of transaction.changes) {
      const entries = this.#byDocument.get(change.id)?.entries;
      const last = entries?.at(-1);
      const chained = last !== undefined && revisionAfter(last) === (change.before?._rev ?? null);
      const own = transaction.mutations?.filter((m) => mutationTarget(m) === change.id) ?? [];
      const keep: StoredChange = chained ? {} : { before: change.before };
      const sinceWhole = entries ? entries.length - lastWholeIndex(entries) : snapshotEvery;
      const replayed =
        own.length > 0 && change.before && change.after && sinceWhole < snapshotEvery
          ? replay(change.before, own, transaction.id, change.after._updatedAt ?? transaction.timestamp)
          : undefined;
      if (replayed && isDeepStrictEqual(replayed, change.after)) keep.mutations = own;
      else keep.after = change.after;
      stored.documents[change.id] = keep;
    }
    this.#index(stored);
    return this.#log.append(JSON.stringify(stored));
  }

  /**
   * Transactions touching any of `ids`, newest first when `reverse`, with whole-document
   * effects; `toTransaction` (inclusive) is where a reverse listing continues.
   */
  async transactions(ids: string[], options: { reverse?: boolean; limit?: number; fromTransaction?: string; toTransaction?: string; onlyIdentified?: boolean }): Promise<HistoryTransaction[]> {
    const wanted = new Set(ids);
    let list = mergeInLogOrder([...wanted].map((id) => this.#byDocument.get(id)?.entries ?? [])).map((e) => e.transaction);
    if (options.fromTransaction) {
      const from = list.findIndex((t) => t.id === options.fromTransaction);
      if (from >= 0) list = list.slice(from);
    }
    if (options.toTransaction) {
      const to = list.findIndex((t) => t.id === options.toTransaction);
      if (to >= 0) list = list.slice(0, to + 1);
    }
    if (options.reverse) list = [...list].reverse();
    list = list.slice(0, options.limit ?? 100);
    const out: HistoryTransaction[] = [];
    let sliceStart = performance.now();
    for (const t of list) {
      if (performance.now() - sliceStart > sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      const documentIDs = Object.keys(t.documents).filter((id) => !options.onlyIdentified || wanted.has(id));
      const effects: HistoryTransaction['effects'] = {};
      for (const id of documentIDs) {
        const { before, after } = await this.#states(id, t);
        effects[id] = { apply: [0, withoutRevision(after)], revert: [0, withoutRevision(before)] };
      }
      out.push({ id: t.id, timestamp: t.timestamp, author: t.author, documentIDs, effects });
    }
    return out;
  }

  /**
   * The document's life as the Studio's history panel lists it (newest first): its draft
   * created, published, unpublished, discarded, the whole group deleted. Edits in between
   * the Studio derives itself from the transactions.
   */
  async events(documentId: string): Promise<DocumentEvent[]> {
    const publishedId = documentId.replace(/^drafts\./, '');
    const draftId = `drafts.${publishedId}`;
    const variant = documentId.startsWith('drafts.') ? 'draft' : 'published';
    const draftLog = this.#byDocument.get(draftId);
    const publishedLog = this.#byDocument.get(publishedId);
    const draftExists = existence(draftLog?.entries ?? []);
    const publishedExists = existence(publishedLog?.entries ?? []);
    const stateAround = (log: DocumentLog, exists: boolean[], position: number) => ({
      before: log.entries[position]!.change.before !== undefined ? log.entries[position]!.change.before !== null : position > 0 && exists[position - 1]!,
      after: exists[position]!,
    });
    const draftRevisionBefore = (t: StoredTransaction) => {
      const entries = draftLog?.entries ?? [];
      const index = draftLog?.positionOf.get(t) ?? -1;
      return index > 0 ? (revisionAfter(entries[index - 1]!) ?? undefined) : (entries[0]?.change.before?._rev ?? undefined);
    };
    const events: DocumentEvent[] = [];
    for (const { transaction: t } of mergeInLogOrder([draftLog?.entries ?? [], publishedLog?.entries ?? []])) {
      const draftPosition = draftLog?.positionOf.get(t);
      const publishedPosition = publishedLog?.positionOf.get(t);
      const draft = draftPosition !== undefined;
      const base = { id: t.id, timestamp: t.timestamp, author: userIdOfAuthor(t.author), documentId: publishedId, documentVariantType: variant };
      const draftState = draft ? stateAround(draftLog!, draftExists, draftPosition) : undefined;
      const publishedState = publishedPosition !== undefined ? stateAround(publishedLog!, publishedExists, publishedPosition) : undefined;
      if (draftState && publishedState && draftState.before && !draftState.after && publishedState.after) {
        events.push({ ...base, type: 'publishDocumentVersion', versionId: draftId, versionRevisionId: draftRevisionBefore(t) ?? t.id, revisionId: t.id, publishCause: 'document.publish' });
      } else if (publishedState && publishedState.before && !publishedState.after && draftState?.after) {
        events.push({ ...base, type: 'unpublishDocument', versionId: draftId, versionRevisionId: t.id });
      } else if (publishedState && publishedState.before && !publishedState.after) {
        events.push({ ...base, type: 'deleteDocumentGroup' });
      } else if (publishedState && !publishedState.before && publishedState.after && !draft) {
        events.push({ ...base, type: 'publishDocumentVersion', versionId: publishedId, versionRevisionId: t.id, revisionId: t.id, publishCause: 'document.publish' });
      } else if (draftState && !draftState.before && draftState.after) {
        events.push({ ...base, type: 'createDocumentVersion', versionId: draftId, versionRevisionId: t.id });
      } else if (draftState && draftState.before && !draftState.after) {
        events.push({ ...base, type: 'deleteDocumentVersion', versionId: draftId, versionRevisionId: draftRevisionBefore(t) ?? t.id });
      }
    }
    return events.reverse();
  }

  /** The document as it was right after the transaction `revision` (undefined: not known). */
  async atRevision(id: string, revision: string): Promise<SanityDocument | null | undefined> {
    const log = this.#byDocument.get(id);
    const position = log?.positionOfId.get(revision);
    if (position !== undefined) return this.#stateAfter(id, position);
    // The state before the first recorded change may be the asked-for one.
    const first = log?.entries[0]?.change.before;
    return first?._rev === revision ? first : undefined;
  }

  /** The document as it was at `time`: after the last transaction at or before it. */
  async atTime(id: string, time: string): Promise<SanityDocument | null | undefined> {
    const entries = this.#byDocument.get(id)?.entries;
    if (!entries) return undefined;
    let position = -1;
    entries.forEach((e, i) => {
      if (e.transaction.timestamp <= time) position = i;
    });
    return position >= 0 ? this.#stateAfter(id, position) : (entries[0]!.change.before ?? undefined);
  }

  /** The last state in which the document existed (for restoring a deleted one). */
  async lastRevision(id: string): Promise<SanityDocument | undefined> {
    const entries = this.#byDocument.get(id)?.entries ?? [];
    const last = existence(entries).lastIndexOf(true);
    if (last >= 0) return (await this.#stateAfter(id, last)) ?? undefined;
    return entries[0]?.change.before ?? undefined;
  }

  async #states(id: string, transaction: StoredTransaction): Promise<{ before: SanityDocument | null; after: SanityDocument | null }> {
    const position = this.#byDocument.get(id)!.positionOf.get(transaction)!;
    const after = await this.#stateAfter(id, position);
    return { before: await this.#stateBefore(id, position), after };
  }

  #index(transaction: StoredTransaction): void {
    const seq = this.#transactions.length;
    this.#transactions.push(transaction);
    this.#ids.add(transaction.id);
    for (const [id, change] of Object.entries(transaction.documents)) {
      let log = this.#byDocument.get(id);
      if (!log) {
        log = { entries: [], positionOf: new Map(), positionOfId: new Map() };
        this.#byDocument.set(id, log);
      }
      log.positionOf.set(transaction, log.entries.length);
      if (!log.positionOfId.has(transaction.id)) log.positionOfId.set(transaction.id, log.entries.length);
      log.entries.push({ transaction, change, seq });
    }
  }

  async #stateBefore(id: string, position: number): Promise<SanityDocument | null> {
    const change = this.#byDocument.get(id)!.entries[position]!.change;
    if (change.before !== undefined) return change.before;
    return position > 0 ? this.#stateAfter(id, position - 1) : null;
  }

  /**
   * The document right after its entry at `position`: replayed forward from the nearest
   * known state or whole document before it (at most `snapshotEvery` entries back), each
   * state on the way kept for the next request.
   */
  async #stateAfter(id: string, position: number): Promise<SanityDocument | null> {
    const entries = this.#byDocument.get(id)!.entries;
    let cache = this.#stateCache.get(id);
    if (cache) this.#stateCache.delete(id);
    else cache = { states: [], known: 0 };
    this.#stateCache.set(id, cache);
    const { states } = cache;
    const known = states[position];
    if (known !== undefined) return known;
    let start = position;
    while (start > 0 && states[start - 1] === undefined && !isWhole(entries[start]!)) start--;
    let sliceStart = performance.now();
    for (let i = start; i <= position; i++) {
      if (states[i] === undefined) {
        const entry = entries[i]!;
        const base = entry.change.before !== undefined ? entry.change.before : i > 0 ? (states[i - 1] ?? null) : null;
        states[i] = replayEntry(base, entry);
        cache.known++;
        this.#replayed++;
      }
      if (performance.now() - sliceStart > sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    this.#evictStates(id);
    return states[position] ?? null;
  }

  #evictStates(keep: string): void {
    let total = 0;
    for (const cache of this.#stateCache.values()) total += cache.known;
    for (const [id, cache] of this.#stateCache) {
      if (total <= cachedStatesLimit) break;
      if (id === keep) continue;
      total -= cache.known;
      this.#stateCache.delete(id);
    }
  }
}

/** Whether an entry holds a whole document (after, or before) to replay from. */
function isWhole(entry: Entry): boolean {
  return entry.change.after !== undefined || entry.change.before !== undefined;
}

/**
 * Whether the document existed after each entry, without replaying: a patch keeps a
 * document in being (the log keeps a change as patches only when replaying them gave
 * exactly the stored result).
 */
function existence(entries: Entry[]): boolean[] {
  const exists: boolean[] = [];
  entries.forEach((entry, i) => {
    if (entry.change.after !== undefined) exists.push(entry.change.after !== null);
    else exists.push(entry.change.before !== undefined ? entry.change.before !== null : i > 0 && exists[i - 1]!);
  });
  return exists;
}

/** The entries of several documents as one list in log order, each transaction once. */
function mergeInLogOrder(lists: Entry[][]): Entry[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const seen = new Set<number>();
  return nonEmpty
    .flat()
    .sort((a, b) => a.seq - b.seq)
    .filter((e) => (seen.has(e.seq) ? false : (seen.add(e.seq), true)));
}

function replayEntry(state: SanityDocument | null, entry: Entry): SanityDocument | null {
  if (entry.change.after !== undefined) return entry.change.after;
  if (!state || !entry.change.mutations) return state;
  return replay(state, entry.change.mutations, entry.transaction.id, entry.transaction.timestamp);
}

function replay(doc: SanityDocument, mutations: Mutation[], transactionId: string, now: string): SanityDocument | null {
  try {
    const { changes } = applyMutations([doc], mutations, { now, transactionId });
    return changes.find((c) => c.id === doc._id)?.after ?? doc;
  } catch {
    return null;
  }
}

function lastWholeIndex(entries: Entry[]): number {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.change.after !== undefined || entries[i]!.change.before !== undefined) return i;
  return -1;
}

/** The revision an entry left the document at (null: deleted); patches stamp the transaction id. */
function revisionAfter(entry: Entry): string | null {
  return entry.change.after !== undefined ? (entry.change.after?._rev ?? null) : entry.transaction.id;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
