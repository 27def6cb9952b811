// A document's content digest: what the build fingerprints issues with (build/sources.ts).
// A store that parses a document from a line of text records the digest of that text as
// it reads it: hashing the line costs a quarter of serialising the parsed document again.
// Any other document (from a mutation, a journal record, the Sanity API) is hashed as
// JSON.stringify gives it, which for a line a store wrote (JSON.stringify of the document)
// is the same text, so the same digest. Documents are never changed once handed out
// (stores replace what they change), so a digest is remembered per object.
import { hash } from 'node:crypto';
import type { OpenFile } from '../core/open-file.ts';
import { lazyDigest, lazyLineOf } from './lazy-document.ts';

const digests = new WeakMap<object, string>();

/** The digest of `text` (a document's JSON): sha256, hex. */
export function digestOfText(text: string): string {
  return hash('sha256', text);
}

// A digest recorded from a document's text is kept on the document itself, as a hidden
// property (JSON, spreads and clones leave it out), not in the weak map: a dataset read
// records 80,000 of them, and a weak-map entry per document costs every young-generation
// collection while the read goes on.
const recorded = Symbol('digest');

/** Records that `doc` was parsed from `text`, whose digest is `digest` (digestOfText). */
export function recordDigest(doc: object, digest: string): void {
  Object.defineProperty(doc, recorded, { value: digest, writable: true });
}

/** Where a document's line is: in `file` (kept open as long as the document is), `length` bytes from `offset`. */
export interface LineAt {
  file: OpenFile;
  offset: number;
  length: number;
}

const located = Symbol('line');

/** Records where in its file the line `doc` was parsed from is (a hidden property, as the digest). */
export function recordLine(doc: object, at: LineAt): void {
  Object.defineProperty(doc, located, { value: at });
}

/** Where the line `doc` was parsed from is, when it was read from a file, eagerly or lazily from a line index (undefined otherwise). */
export function lineOf(doc: object): LineAt | undefined {
  return lazyLineOf(doc) ?? (doc as { [located]?: LineAt })[located];
}

/** The digest of the text `doc` was read from, or of its JSON when it was not read from text. */
export function documentDigest(doc: object): string {
  let digest = lazyDigest(doc) ?? (doc as { [recorded]?: string })[recorded] ?? digests.get(doc);
  if (digest === undefined) digests.set(doc, (digest = digestOfText(JSON.stringify(doc))));
  return digest;
}
