import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { digestOfText, documentDigest } from './document-digest.ts';
import { GroqJsStore } from './groq-js-store.ts';
import type { SanityDocument } from './store.ts';

async function load(lines: string[]): Promise<SanityDocument[]> {
  const dir = await makeTempDir();
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await fs.writeFile(datasetPath, `${lines.join('\n')}\n`);
  return new GroqJsStore({ datasetPath }).fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
}

describe('document digests', () => {
  it('are read from the line a document was parsed from, so the build does not serialise it again', async () => {
    // Spaces the store would not write: the line's digest is not that of the document's JSON.
    const line = '{ "_id": "tag-a", "_type": "tag", "_rev": "r1", "title": "Alpha" }';
    const [doc] = await load([line]);
    expect(documentDigest(doc!)).toBe(digestOfText(line));
    expect(documentDigest(doc!)).not.toBe(digestOfText(JSON.stringify(doc)));
  });

  it('of a line the store wrote equal those of the same document made in memory (a mutation), so cache keys carry over', async () => {
    const made: SanityDocument = { _id: 'tag-a', _type: 'tag', _rev: 'r1', title: 'Alpha' };
    const [doc] = await load([JSON.stringify(made)]);
    expect(doc).not.toBe(made);
    expect(documentDigest(doc!)).toBe(documentDigest(made));
  });

  it('change with the text, and a revision derived from a line without one comes from the same digest', async () => {
    const [a, b] = await load(['{"_id":"tag-a","_type":"tag","title":"Alpha"}', '{"_id":"tag-b","_type":"tag","title":"Alpha"}']);
    const [a2] = await load(['{"_id":"tag-a","_type":"tag","title":"Alpha!"}']);
    expect(new Set([documentDigest(a!), documentDigest(b!), documentDigest(a2!)]).size).toBe(3);
    expect(a!._rev).toMatch(/^r[\w-]{20}$/);
    expect(a!._rev).not.toBe(a2!._rev);
    const [again] = await load(['{"_id":"tag-a","_type":"tag","title":"Alpha"}']);
    expect(again!._rev).toBe(a!._rev);
  });
});
