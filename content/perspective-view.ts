// Sanity's perspectives over raw documents (published only, or drafts laid over what they
// edit), which groq-js leaves to us. Shared by the store and the lake's query workers, so
// it imports nothing but types: a worker thread loads it without the store behind it.
import type { Perspective, SanityDocument } from './store.ts';

export function buildView(documents: SanityDocument[], perspective: Perspective, draftFree = false): SanityDocument[] {
  // Known to hold no draft (the store read every id from its line index): every view is the documents.
  if (perspective === 'raw' || draftFree) return documents;
  const published = documents.filter((d) => !d._id.startsWith('drafts.'));
  // With no drafts the view is the documents themselves, and shares their id index (groq-js-store.ts indexOf).
  if (perspective === 'published') return published.length === documents.length ? documents : published;
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
