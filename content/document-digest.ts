// A document's content digest: what the build fingerprints issues with (build/sources.ts).
// A store that parses a document from a line of text records the digest of that text as
// it reads it: hashing the line costs a quarter of serialising the parsed document again.
// Any other document (from a mutation, a journal record, the Sanity API) is hashed as
// JSON.stringify gives it, which for a line a store wrote (JSON.stringify of the document)
// is the same text, so the same digest. Documents are never changed once handed out
// (stores replace what they change), so a digest is remembered per object.
import { hash } from 'node:crypto';
import { lazyDigest } from './lazy-document.ts';

const digests = new WeakMap<object, string>();

/** The digest of `text` (a document's JSON): sha256, hex. */
export function digestOfText(text: string): string {
  return hash('sha256', text);
}

/** Records that `doc` was parsed from `text`, whose digest is `digest` (digestOfText). */
export function recordDigest(doc: object, digest: string): void {
  digests.set(doc, digest);
}

/** The digest of the text `doc` was read from, or of its JSON when it was not read from text. */
export function documentDigest(doc: object): string {
  let digest = lazyDigest(doc) ?? digests.get(doc);
  if (digest === undefined) digests.set(doc, (digest = digestOfText(JSON.stringify(doc))));
  return digest;
}
