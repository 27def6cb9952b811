// Live changes for the Studio: every committed transaction (the lake's own writes and the
// CLI's, seen in the dataset file) becomes `mutation` events for each listener whose
// filter the document matched before or after, in the shape of Sanity's listen API.
import { evaluateSync, parse } from 'groq-js';
import type { StoreTransaction } from '../groq-js-store.ts';
import { mutationTarget } from '../mutations.ts';
import type { Mutation, SanityDocument } from '../store.ts';

export interface ListenOptions {
  /** The filter, e.g. `*[_type == "link"]`. */
  query: string;
  params: Record<string, unknown>;
  includeResult: boolean;
  includePreviousRevision: boolean;
  includeMutations: boolean;
  /** "mendoza" asks for effects {apply, revert}. */
  effectFormat: string | undefined;
}

export interface Listener {
  options: ListenOptions;
  /** Sends one server-sent event. */
  send(event: string, data: unknown, id?: string): void;
}

export interface MutationEvent {
  eventId: string;
  documentId: string;
  transactionId: string;
  transition: 'appear' | 'update' | 'disappear';
  identity: string;
  previousRev?: string;
  resultRev?: string;
  timestamp: string;
  visibility: 'query';
  mutations?: Mutation[];
  effects?: { apply: unknown; revert: unknown };
  result?: SanityDocument;
  previous?: SanityDocument | null;
  transactionTotalEvents: number;
  transactionCurrentEvent: number;
}

type Matcher = (doc: SanityDocument | null) => boolean;

export class ListenHub {
  readonly #listeners = new Map<Listener, Matcher>();
  readonly #identity: (author: string) => string;

  /** `identity` names the user behind a transaction's author, as events carry it. */
  constructor(identity: (author: string) => string) {
    this.#identity = identity;
  }

  get size(): number {
    return this.#listeners.size;
  }

  /** Registers a listener; throws (before any event is sent) when its filter is not GROQ. */
  add(listener: Listener): () => void {
    this.#listeners.set(listener, compileFilter(listener.options.query, listener.options.params));
    return () => this.#listeners.delete(listener);
  }

  publish(transaction: StoreTransaction): void {
    for (const [listener, matches] of this.#listeners) {
      const events = eventsFor(transaction, listener.options, matches, this.#identity(transaction.author));
      for (const event of events) listener.send('mutation', event, event.eventId);
    }
  }

  /** Tells every listener to reconnect (the lake is stopping or restarting). */
  disconnectAll(): void {
    for (const listener of this.#listeners.keys()) listener.send('reconnect', { reason: 'The local Content Lake is restarting.' });
    this.#listeners.clear();
  }
}

export function eventsFor(transaction: StoreTransaction, options: ListenOptions, matches: Matcher, identity: string): MutationEvent[] {
  const relevant = transaction.changes
    .map((change) => ({ change, was: matches(change.before), is: matches(change.after) }))
    .filter(({ was, is }) => was || is);
  return relevant.map(({ change, was, is }, index) => {
    const event: MutationEvent = {
      eventId: `${transaction.id}#${change.id}`,
      documentId: change.id,
      transactionId: transaction.id,
      transition: was && is ? 'update' : is ? 'appear' : 'disappear',
      identity,
      ...(change.before?._rev ? { previousRev: change.before._rev } : {}),
      resultRev: change.after?._rev ?? transaction.id,
      timestamp: transaction.timestamp,
      visibility: 'query',
      transactionTotalEvents: relevant.length,
      transactionCurrentEvent: index + 1,
    };
    if (options.includeMutations) event.mutations = mutationsFor(transaction, change.id, change.after);
    if (options.effectFormat === 'mendoza') event.effects = { apply: [0, withoutRevision(change.after)], revert: [0, withoutRevision(change.before)] };
    if (options.includeResult && change.after) event.result = change.after;
    if (options.includePreviousRevision) event.previous = change.before;
    return event;
  });
}

/**
 * The transaction's mutations on this document. A write seen in the file (by another
 * process) has no mutations of its own: it is described as replacing the document.
 */
function mutationsFor(transaction: StoreTransaction, id: string, after: SanityDocument | null): Mutation[] {
  const own = transaction.mutations?.filter((m) => mutationTarget(m) === id);
  if (own && own.length > 0) return own;
  return after ? [{ createOrReplace: after }] : [{ delete: { id } }];
}


/** Mendoza's "replace with this value" effect carries the document without its revision. */
export function withoutRevision(doc: SanityDocument | null): Omit<SanityDocument, '_rev'> | null {
  if (!doc) return null;
  const { _rev: _, ...rest } = doc;
  return rest;
}

/** A listen filter evaluated against one document at a time. */
export function compileFilter(query: string, params: Record<string, unknown>): Matcher {
  const tree = parse(query, { params });
  return (doc) => {
    if (!doc) return false;
    try {
      const result = evaluateSync(tree, { dataset: [doc], params }).data;
      return Array.isArray(result) ? result.length > 0 : result !== null && result !== undefined && result !== false;
    } catch {
      return false;
    }
  };
}
