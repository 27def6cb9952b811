// The content-store interface every stage reads and writes through. Two adapters
// implement it: the local dataset (groq-js over an NDJSON file, the default) and
// Sanity's Content Lake (@sanity/client). Mutations use Sanity's own format, so the
// same code writes to either backend.

/** Which documents a query sees. */
export type Perspective =
  /** Published documents only: ids starting with "drafts." are invisible. */
  | 'published'
  /** Drafts overlay their published twins (the twin's id is kept, `_originalId` names the draft). */
  | 'drafts'
  /** Everything exactly as stored, drafts included under their own ids. */
  | 'raw';

export interface FetchOptions {
  perspective?: Perspective;
  /** What GROQ's identity() returns: the user a query runs for (the local lake's editor). */
  identity?: string;
}

export type SanityDocument = {
  _id: string;
  _type: string;
  _rev?: string;
  _createdAt?: string;
  _updatedAt?: string;
  [field: string]: unknown;
};

export type NewDocument = Omit<SanityDocument, '_id'> & { _id?: string };

export interface PatchOperations {
  set?: Record<string, unknown>;
  setIfMissing?: Record<string, unknown>;
  unset?: string[];
  /** Sanity's `insert` patch, for appending to arrays (e.g. tags). */
  insert?: { before?: string; after?: string; replace?: string; items: unknown[] };
  ifRevisionID?: string;
}

export type Mutation =
  | { create: NewDocument }
  | { createOrReplace: SanityDocument }
  | { createIfNotExists: SanityDocument }
  | { patch: PatchOperations & { id: string; [operation: string]: unknown } }
  | { delete: { id: string } };

export interface MutationResult {
  transactionId: string;
  results: Array<{ id: string; operation: 'create' | 'update' | 'delete' | 'none' }>;
}

/** One document a transaction touched: null before means created, null after means deleted. */
export interface DocumentChange {
  id: string;
  before: SanityDocument | null;
  after: SanityDocument | null;
}

export interface MutateOptions {
  /** Becomes the new `_rev` of every document the transaction changes (the Studio supplies its own). */
  transactionId?: string;
  /** Who made the change, for history ("newsdesk CLI" when unset). */
  author?: string;
}

export interface ContentStore {
  /** Runs a GROQ query; the result is unvalidated and must go through a read model. */
  fetch<T = unknown>(query: string, params?: Record<string, unknown>, options?: FetchOptions): Promise<T>;
  /** Applies the mutations as one transaction: all of them or none. */
  mutate(mutations: Mutation[], options?: MutateOptions): Promise<MutationResult>;
  /** A short description for messages, e.g. "local dataset .newsdesk/dataset.ndjson". */
  readonly description: string;
  /**
   * The store holds its documents in this process and answers with them as they are: a
   * query may then return whole documents as cheaply as a projection of them (cheaper:
   * nothing is copied), where over the network each field costs.
   */
  readonly local?: boolean;
  /**
   * Every published document and their id index, as the store holds them (shared: never
   * modify either, and the index is not changed after it is handed out): a build's raw
   * content without a copy of its own (build/sources.ts fetchRawContent). A store without
   * it is asked for `*`.
   */
  published?(): Promise<{ documents: readonly SanityDocument[]; byId: ReadonlyMap<string, SanityDocument> }>;
}
