// Sanity's mutation format applied to an in-memory list of documents: the write half
// of the local dataset store and of the local Content Lake. Pure: the caller supplies
// the time and transaction id, and gets a new list back (the input is never modified),
// so a failed transaction changes nothing. Patches are applied by @sanity/mutator, the
// library the Studio itself uses, so every operation the Studio sends (set, unset,
// setIfMissing, insert, inc, dec, diffMatchPatch) means here what it means in Sanity.
import type { Mutation as SanityMutation } from '@sanity/mutator';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { NewsdeskError } from '../core/errors.ts';
import type { DocumentChange, Mutation, MutationResult, NewDocument, SanityDocument } from './store.ts';
import { materialise } from './lazy-document.ts';

// @sanity/mutator takes over 100 ms to load and only patches need it, so reading commands
// never load it; require() keeps applyMutations synchronous.
let patcher: typeof SanityMutation | undefined;
const loadPatcher = () => (patcher ??= (createRequire(import.meta.url)('@sanity/mutator') as typeof import('@sanity/mutator')).Mutation);

interface ApplyContext {
  now: string;
  transactionId: string;
}

export interface AppliedTransaction {
  documents: SanityDocument[];
  results: MutationResult['results'];
  /** Each document the transaction touched, once, with its state before and after. */
  changes: DocumentChange[];
}

export function applyMutations(current: SanityDocument[], mutations: Mutation[], ctx: ApplyContext): AppliedTransaction {
  const byId = new Map(current.map((d) => [d._id, d] as const));
  const order = current.map((d) => d._id);
  const before = new Map<string, SanityDocument | null>();
  const results: MutationResult['results'] = [];

  const remember = (id: string) => {
    if (!before.has(id)) before.set(id, byId.get(id) ?? null);
  };
  const put = (doc: SanityDocument, created: boolean) => {
    remember(doc._id);
    if (!byId.has(doc._id)) order.push(doc._id);
    byId.set(doc._id, doc);
    results.push({ id: doc._id, operation: created ? 'create' : 'update' });
  };
  const stamp = (doc: NewDocument & { _id: string }, existing?: SanityDocument): SanityDocument => ({
    ...(structuredClone(doc) as SanityDocument),
    _createdAt: existing?._createdAt ?? (typeof doc._createdAt === 'string' ? doc._createdAt : ctx.now),
    _updatedAt: ctx.now,
    _rev: ctx.transactionId,
  });

  mutations.forEach((mutation, index) => {
    const where = `mutation ${index + 1}`;
    if (!isObject(mutation)) fail(`${where}: is not an object`, 'Send mutations like {"patch": {"id": "…", "set": {…}}}.');
    if ('create' in mutation) {
      const doc = mutation.create;
      const id = doc._id?.endsWith('.') ? doc._id + newId() : (doc._id ?? newId());
      requireType(doc, where);
      if (byId.has(id)) conflict(`${where}: create: a document with id "${id}" already exists`, 'Use createOrReplace, or patch it.');
      put(stamp({ ...doc, _id: id }), true);
    } else if ('createOrReplace' in mutation) {
      const doc = mutation.createOrReplace;
      requireId(doc, where);
      requireType(doc, where);
      const existing = byId.get(doc._id);
      put(stamp(doc, existing), !existing);
    } else if ('createIfNotExists' in mutation) {
      const doc = mutation.createIfNotExists;
      requireId(doc, where);
      requireType(doc, where);
      if (byId.has(doc._id)) results.push({ id: doc._id, operation: 'none' });
      else put(stamp(doc), true);
    } else if ('patch' in mutation) {
      const { id, ifRevisionID, ...ops } = mutation.patch;
      if (typeof id !== 'string' || id === '') fail(`${where}: patch has no id`, 'Name the document to patch: {"patch": {"id": "…"}}.');
      const existing = byId.get(id);
      if (!existing) fail(`${where}: patch: no document with id "${id}"`, 'Create the document first, or check the id.');
      if (ifRevisionID && ifRevisionID !== existing._rev) {
        conflict(
          `${where}: patch: "${id}" has revision ${existing._rev ?? '(none)'}, not the expected ${ifRevisionID}`,
          'Someone changed it in the meantime: fetch the document again and redo the change.',
        );
      }
      put(stamp(applyPatch(existing, { id, ...ops }, where), existing), false);
    } else if ('delete' in mutation) {
      const { id } = mutation.delete;
      remember(id);
      if (byId.delete(id)) results.push({ id, operation: 'delete' });
      else results.push({ id, operation: 'none' });
    } else {
      fail(`${where}: unknown mutation ${JSON.stringify(Object.keys(mutation))}`, 'Use create, createOrReplace, createIfNotExists, patch or delete.');
    }
  });

  const documents = order.filter((id) => byId.has(id)).map((id) => byId.get(id)!);
  const changes: DocumentChange[] = [];
  for (const [id, was] of before) {
    const now = byId.get(id) ?? null;
    if (was !== now) changes.push({ id, before: was, after: now });
  }
  return { documents, results, changes };
}

/** The id of the document a mutation writes (undefined for a create that lets the store pick one). */
export function mutationTarget(mutation: Mutation): string | undefined {
  if ('create' in mutation) return mutation.create._id;
  if ('createOrReplace' in mutation) return mutation.createOrReplace._id;
  if ('createIfNotExists' in mutation) return mutation.createIfNotExists._id;
  if ('patch' in mutation) return mutation.patch.id;
  return mutation.delete.id;
}

function applyPatch(doc: SanityDocument, patch: Record<string, unknown> & { id: string }, where: string): SanityDocument {
  let patched: SanityDocument | null;
  try {
    patched = new (loadPatcher())({ mutations: [{ patch: structuredClone(patch) as never }] }).apply(structuredClone(materialise(doc))) as SanityDocument | null;
  } catch (error) {
    fail(`${where}: patch on "${patch.id}" could not be applied (${(error as Error).message})`, 'Check the paths, e.g. title, slug.current, tags[-1] or sections[_key=="abc"].heading.');
  }
  if (!patched || patched._id !== doc._id || typeof patched._type !== 'string' || patched._type === '') {
    fail(`${where}: patch may not remove or change _id or _type`, 'Leave _id and _type alone.');
  }
  return patched;
}

function requireId(doc: NewDocument, where: string): asserts doc is SanityDocument {
  if (typeof doc?._id !== 'string' || doc._id === '') fail(`${where}: the document has no _id`, 'Give the document an _id.');
}

function requireType(doc: NewDocument, where: string): void {
  if (typeof doc?._type !== 'string' || doc._type === '') fail(`${where}: the document has no _type`, 'Give the document a _type.');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function newId(): string {
  return randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
}

function fail(message: string, hint: string): never {
  throw new NewsdeskError('MUTATION_FAILED', message, { hint: `${hint} Nothing was written.` });
}

/** A clash with the stored state (the document exists, or changed since it was read). */
function conflict(message: string, hint: string): never {
  throw new NewsdeskError('MUTATION_CONFLICT', message, { hint: `${hint} Nothing was written.` });
}
