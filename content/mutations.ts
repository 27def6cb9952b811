// Sanity's mutation format applied to an in-memory list of documents: the write half
// of the local dataset store. Pure: the caller supplies the time and transaction id,
// and gets a new list back (the input is never modified), so a failed transaction
// changes nothing.
import { randomBytes } from 'node:crypto';
import { NewsdeskError } from '../core/errors.ts';
import type { Mutation, MutationResult, NewDocument, PatchOperations, SanityDocument } from './store.ts';

interface ApplyContext {
  now: string;
  transactionId: string;
}

export function applyMutations(
  current: SanityDocument[],
  mutations: Mutation[],
  ctx: ApplyContext,
): { documents: SanityDocument[]; results: MutationResult['results'] } {
  const byId = new Map(current.map((d) => [d._id, d] as const));
  const order = current.map((d) => d._id);
  const results: MutationResult['results'] = [];

  const put = (doc: SanityDocument, created: boolean) => {
    if (!byId.has(doc._id)) order.push(doc._id);
    byId.set(doc._id, doc);
    results.push({ id: doc._id, operation: created ? 'create' : 'update' });
  };
  const stamp = (doc: NewDocument & { _id: string }, existing?: SanityDocument): SanityDocument => ({
    ...(doc as SanityDocument),
    _createdAt: existing?._createdAt ?? (typeof doc._createdAt === 'string' ? doc._createdAt : ctx.now),
    _updatedAt: ctx.now,
    _rev: ctx.transactionId,
  });

  mutations.forEach((mutation, index) => {
    const where = `mutation ${index + 1}`;
    if ('create' in mutation) {
      const doc = mutation.create;
      const id = doc._id?.endsWith('.') ? doc._id + newId() : (doc._id ?? newId());
      requireType(doc, where);
      if (byId.has(id)) fail(`${where}: create: a document with id "${id}" already exists`, 'Use createOrReplace, or patch it.');
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
      const { id, ...ops } = mutation.patch;
      const existing = byId.get(id);
      if (!existing) fail(`${where}: patch: no document with id "${id}"`, 'Create the document first, or check the id.');
      if (ops.ifRevisionID && ops.ifRevisionID !== existing._rev) {
        fail(`${where}: patch: "${id}" changed since revision ${ops.ifRevisionID}`, 'Fetch the document again and redo the change.');
      }
      const patched = applyPatch(structuredClone(existing), ops, where);
      put(stamp(patched, existing), false);
    } else if ('delete' in mutation) {
      const { id } = mutation.delete;
      if (byId.delete(id)) results.push({ id, operation: 'delete' });
      else results.push({ id, operation: 'none' });
    } else {
      fail(`${where}: unknown mutation ${JSON.stringify(Object.keys(mutation))}`, 'Use create, createOrReplace, createIfNotExists, patch or delete.');
    }
  });

  const documents = order.filter((id) => byId.has(id)).map((id) => byId.get(id)!);
  return { documents, results };
}

function applyPatch(doc: SanityDocument, ops: PatchOperations, where: string): SanityDocument {
  for (const [p, value] of Object.entries(ops.setIfMissing ?? {})) {
    if (getPath(doc, p) === undefined) setPath(doc, p, structuredClone(value), where);
  }
  for (const [p, value] of Object.entries(ops.set ?? {})) setPath(doc, p, structuredClone(value), where);
  for (const p of ops.unset ?? []) unsetPath(doc, p);
  if (ops.insert) insertItems(doc, ops.insert, where);
  if (doc._id === undefined || doc._type === undefined) fail(`${where}: patch may not remove _id or _type`, 'Leave _id and _type alone.');
  return doc;
}

type Segment = { field: string } | { index: number } | { key: string };

/** Parses `a.b[2].c[_key=="x"]` into segments. */
function parsePath(p: string): Segment[] {
  const segments: Segment[] = [];
  const re = /([A-Za-z_$][\w$]*)|\[(-?\d+)\]|\[_key\s*==\s*["']([^"']+)["']\]|(\.)/g;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(p)) !== null) {
    if (m.index !== consumed) break;
    consumed = re.lastIndex;
    if (m[1] !== undefined) segments.push({ field: m[1] });
    else if (m[2] !== undefined) segments.push({ index: Number(m[2]) });
    else if (m[3] !== undefined) segments.push({ key: m[3] });
  }
  if (consumed !== p.length || segments.length === 0) {
    fail(`patch path "${p}" is not supported`, 'Use paths like title, slug.current, tags[0] or sections[_key=="abc"].heading.');
  }
  return segments;
}

function step(container: unknown, seg: Segment): unknown {
  if ('field' in seg) return isObject(container) ? container[seg.field] : undefined;
  if (!Array.isArray(container)) return undefined;
  if ('index' in seg) return container.at(seg.index);
  return container.find((item) => isObject(item) && item._key === seg.key);
}

function getPath(doc: unknown, p: string): unknown {
  return parsePath(p).reduce<unknown>((c, seg) => step(c, seg), doc);
}

function setPath(doc: SanityDocument, p: string, value: unknown, where: string): void {
  const segs = parsePath(p);
  let container: unknown = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    let next = step(container, seg);
    if (next === undefined && 'field' in seg && isObject(container)) {
      next = 'field' in segs[i + 1]! ? {} : [];
      container[seg.field] = next;
    }
    if (next === undefined) fail(`${where}: set "${p}": nothing at ${segmentName(seg)}`, 'Check the path.');
    container = next;
  }
  const last = segs.at(-1)!;
  if ('field' in last && isObject(container)) container[last.field] = value;
  else if (Array.isArray(container)) {
    const idx = 'index' in last ? (last.index < 0 ? container.length + last.index : last.index) : container.findIndex((x) => isObject(x) && x._key === (last as { key: string }).key);
    if (idx < 0 || idx >= container.length) fail(`${where}: set "${p}": no such array item`, 'Check the index or _key.');
    container[idx] = value;
  } else fail(`${where}: set "${p}": cannot set inside a non-object`, 'Check the path.');
}

function unsetPath(doc: SanityDocument, p: string): void {
  const segs = parsePath(p);
  const parent = segs.slice(0, -1).reduce<unknown>((c, seg) => step(c, seg), doc);
  const last = segs.at(-1)!;
  if ('field' in last && isObject(parent)) delete parent[last.field];
  else if (Array.isArray(parent)) {
    const idx = 'index' in last ? (last.index < 0 ? parent.length + last.index : last.index) : parent.findIndex((x) => isObject(x) && x._key === (last as { key: string }).key);
    if (idx >= 0 && idx < parent.length) parent.splice(idx, 1);
  }
}

function insertItems(doc: SanityDocument, insert: NonNullable<PatchOperations['insert']>, where: string): void {
  const target = insert.after ?? insert.before ?? insert.replace;
  if (!target) fail(`${where}: insert needs before, after or replace`, 'Say where the items go, e.g. after: "tags[-1]".');
  const segs = parsePath(target);
  const last = segs.at(-1)!;
  if ('field' in last) fail(`${where}: insert "${target}" must end in an array position`, 'Use e.g. tags[-1] or tags[_key=="k"].');
  const arrayPath = segs.slice(0, -1);
  let array = arrayPath.reduce<unknown>((c, seg) => step(c, seg), doc);
  if (array === undefined && arrayPath.length === 1 && 'field' in arrayPath[0]!) {
    array = [];
    (doc as Record<string, unknown>)[arrayPath[0].field] = array;
  }
  if (!Array.isArray(array)) fail(`${where}: insert "${target}": not an array`, 'Check the path.');
  let idx = 'index' in last ? (last.index < 0 ? array.length + last.index : last.index) : array.findIndex((x) => isObject(x) && x._key === last.key);
  if (array.length === 0) idx = insert.after ? -1 : 0;
  else if (idx < 0 || idx >= array.length) fail(`${where}: insert "${target}": no such array item`, 'Check the index or _key.');
  const items = structuredClone(insert.items);
  if (insert.after !== undefined) array.splice(idx + 1, 0, ...items);
  else if (insert.before !== undefined) array.splice(idx, 0, ...items);
  else array.splice(idx, 1, ...items);
}

function segmentName(seg: Segment): string {
  return 'field' in seg ? seg.field : 'index' in seg ? `[${seg.index}]` : `[_key=="${seg.key}"]`;
}

function requireId(doc: NewDocument, where: string): asserts doc is SanityDocument {
  if (typeof doc._id !== 'string' || doc._id === '') fail(`${where}: the document has no _id`, 'Give the document an _id.');
}

function requireType(doc: NewDocument, where: string): void {
  if (typeof doc._type !== 'string' || doc._type === '') fail(`${where}: the document has no _type`, 'Give the document a _type.');
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
