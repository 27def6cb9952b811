// Document history for the Studio's "Review changes" and "Restore": every transaction the
// lake sees (its own and the CLI's) is appended to a log beside the dataset. A change is
// kept as its mutations when replaying them gives exactly the stored result (typing in
// the Studio: small patches), and as the whole document otherwise, and every so often,
// so any past revision can be rebuilt by replaying a short run of entries.
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

export class DocumentHistory {
  readonly #transactions: StoredTransaction[] = [];
  readonly #byDocument = new Map<string, Entry[]>();
  readonly #ids = new Set<string>();
  readonly #log: AppendLog;

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
      const entries = this.#byDocument.get(change.id);
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
  transactions(ids: string[], options: { reverse?: boolean; limit?: number; fromTransaction?: string; toTransaction?: string; onlyIdentified?: boolean }): HistoryTransaction[] {
    const wanted = new Set(ids);
    let list = this.#transactions.filter((t) => Object.keys(t.documents).some((id) => wanted.has(id)));
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
    return list.map((t) => {
      const documentIDs = Object.keys(t.documents).filter((id) => !options.onlyIdentified || wanted.has(id));
      const effects: HistoryTransaction['effects'] = {};
      for (const id of documentIDs) {
        const position = this.#byDocument.get(id)!.findIndex((e) => e.transaction === t);
        effects[id] = {
          apply: [0, withoutRevision(this.#stateAfter(id, position))],
          revert: [0, withoutRevision(this.#stateBefore(id, position))],
        };
      }
      return { id: t.id, timestamp: t.timestamp, author: t.author, documentIDs, effects };
    });
  }

  /**
   * The document's life as the Studio's history panel lists it (newest first): its draft
   * created, published, unpublished, discarded, the whole group deleted. Edits in between
   * the Studio derives itself from the transactions.
   */
  events(documentId: string): DocumentEvent[] {
    const publishedId = documentId.replace(/^drafts\./, '');
    const draftId = `drafts.${publishedId}`;
    const variant = documentId.startsWith('drafts.') ? 'draft' : 'published';
    const events: DocumentEvent[] = [];
    const draftRevisionBefore = (position: number) => {
      const entries = this.#byDocument.get(draftId) ?? [];
      const index = entries.findIndex((e) => e.transaction === this.#transactions[position]);
      return index > 0 ? (revisionAfter(entries[index - 1]!) ?? undefined) : (entries[0]?.change.before?._rev ?? undefined);
    };
    this.#transactions.forEach((t, position) => {
      const draft = t.documents[draftId];
      const published = t.documents[publishedId];
      if (!draft && !published) return;
      const base = { id: t.id, timestamp: t.timestamp, author: userIdOfAuthor(t.author), documentId: publishedId, documentVariantType: variant };
      const draftState = draft ? this.#states(draftId, t) : undefined;
      const publishedState = published ? this.#states(publishedId, t) : undefined;
      if (draftState && publishedState && draftState.before && !draftState.after && publishedState.after) {
        events.push({ ...base, type: 'publishDocumentVersion', versionId: draftId, versionRevisionId: draftRevisionBefore(position) ?? t.id, revisionId: t.id, publishCause: 'document.publish' });
      } else if (publishedState && publishedState.before && !publishedState.after && draftState?.after) {
        events.push({ ...base, type: 'unpublishDocument', versionId: draftId, versionRevisionId: t.id });
      } else if (publishedState && publishedState.before && !publishedState.after) {
        events.push({ ...base, type: 'deleteDocumentGroup' });
      } else if (publishedState && !publishedState.before && publishedState.after && !draft) {
        events.push({ ...base, type: 'publishDocumentVersion', versionId: publishedId, versionRevisionId: t.id, revisionId: t.id, publishCause: 'document.publish' });
      } else if (draftState && !draftState.before && draftState.after) {
        events.push({ ...base, type: 'createDocumentVersion', versionId: draftId, versionRevisionId: t.id });
      } else if (draftState && draftState.before && !draftState.after) {
        events.push({ ...base, type: 'deleteDocumentVersion', versionId: draftId, versionRevisionId: draftRevisionBefore(position) ?? t.id });
      }
    });
    return events.reverse();
  }

  #states(id: string, transaction: StoredTransaction): { before: SanityDocument | null; after: SanityDocument | null } {
    const position = this.#byDocument.get(id)!.findIndex((e) => e.transaction === transaction);
    return { before: this.#stateBefore(id, position), after: this.#stateAfter(id, position) };
  }

  /** The document as it was right after the transaction `revision` (undefined: not known). */
  atRevision(id: string, revision: string): SanityDocument | null | undefined {
    const entries = this.#byDocument.get(id);
    const position = entries?.findIndex((e) => e.transaction.id === revision) ?? -1;
    if (position >= 0) return this.#stateAfter(id, position);
    // The state before the first recorded change may be the asked-for one.
    const first = entries?.[0]?.change.before;
    return first?._rev === revision ? first : undefined;
  }

  /** The document as it was at `time`: after the last transaction at or before it. */
  atTime(id: string, time: string): SanityDocument | null | undefined {
    const entries = this.#byDocument.get(id);
    if (!entries) return undefined;
    let position = -1;
    entries.forEach((e, i) => {
      if (e.transaction.timestamp <= time) position = i;
    });
    return position >= 0 ? this.#stateAfter(id, position) : (entries[0]!.change.before ?? undefined);
  }

  /** The last state in which the document existed (for restoring a deleted one). */
  lastRevision(id: string): SanityDocument | undefined {
    const entries = this.#byDocument.get(id) ?? [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const state = this.#stateAfter(id, i);
      if (state) return state;
    }
    return entries[0]?.change.before ?? undefined;
  }

  #index(transaction: StoredTransaction): void {
    this.#transactions.push(transaction);
    this.#ids.add(transaction.id);
    for (const [id, change] of Object.entries(transaction.documents)) {
      const entries = this.#byDocument.get(id) ?? [];
      entries.push({ transaction, change });
      this.#byDocument.set(id, entries);
    }
  }

  #stateBefore(id: string, position: number): SanityDocument | null {
    const change = this.#byDocument.get(id)![position]!.change;
    if (change.before !== undefined) return change.before;
    return position > 0 ? this.#stateAfter(id, position - 1) : null;
  }

  #stateAfter(id: string, position: number): SanityDocument | null {
    const entries = this.#byDocument.get(id)!;
    // Walk back to the nearest whole document, then replay forward.
    let start = position;
    while (start >= 0 && entries[start]!.change.after === undefined && entries[start]!.change.before === undefined) start--;
    let state: SanityDocument | null = null;
    if (start >= 0) {
      const change = entries[start]!.change;
      state = change.after !== undefined ? change.after : replayEntry(change.before ?? null, entries[start]!);
    } else start = -1;
    for (let i = start + 1; i <= position; i++) state = replayEntry(state, entries[i]!);
    return state;
  }
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

