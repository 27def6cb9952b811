// The lean store (the archive import's): it keeps only the identity of what it wrote, yet
// writes what an ordinary store writes, answers queries with whole documents, and folds its
// journal line by line into exactly the dataset file an ordinary store's fold gives.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { GroqJsStore } from './groq-js-store.ts';
import type { Mutation, SanityDocument } from './store.ts';

const fixedNow = () => new Date('2026-05-01T10:00:00Z');
const doc = (id: string, fields: Record<string, unknown> = {}): SanityDocument => ({ _id: id, _type: 'note', text: `about ${id}`, ...fields });

/** The same base file in two folders: one for an ordinary store, one for a lean one. */
async function twoStores(): Promise<{ ordinary: GroqJsStore; lean: GroqJsStore; leanDir: string }> {
  // Lines without a revision (one derived from the text) and with one, a blank line, a non-ASCII text.
  const base = [JSON.stringify(doc('a')), JSON.stringify({ ...doc('b'), _rev: 'r-b' }), '', JSON.stringify(doc('c', { text: 'Gezeiten 潮汐 — 1' })), JSON.stringify(doc('d')), JSON.stringify(doc('e'))].join('\n') + '\n';
  const stores = [];
  for (const lean of [false, true]) {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'dataset.ndjson'), base);
    stores.push({ store: new GroqJsStore({ datasetPath: path.join(dir, 'dataset.ndjson'), now: fixedNow, compaction: { ratio: Infinity }, lean }), dir });
  }
  return { ordinary: stores[0]!.store, lean: stores[1]!.store, leanDir: stores[1]!.dir };
}

/** Writes in which documents are replaced in place, added, deleted, deleted and added again, added twice. */
const transactions: Mutation[][] = [
  [{ createOrReplace: doc('b', { text: 'b, rewritten' }) }, { createIfNotExists: doc('x1') }, { createIfNotExists: doc('a', { text: 'never written' }) }],
  [{ delete: { id: 'c' } }, { createOrReplace: doc('x2') }, { createOrReplace: doc('x3') }],
  [{ createOrReplace: doc('c', { text: 'c, back at the end' }) }, { createOrReplace: doc('x1', { text: 'x1 again, in its place' }) }, { delete: { id: 'x2' } }, { delete: { id: 'e' } }],
  [{ createOrReplace: doc('x2', { text: 'x2, back' }) }, { createIfNotExists: doc('x4', { text: 'ü'.repeat(3000) }) }],
];

describe('a lean store', () => {
  it('writes, reads and folds its journal into the same dataset file as an ordinary store', async () => {
    const { ordinary, lean, leanDir } = await twoStores();
    // Both read the base first, as the import does.
    expect(await lean.fetch('count(*)', {}, { perspective: 'raw' })).toBe(5);
    expect(await ordinary.fetch('count(*)', {}, { perspective: 'raw' })).toBe(5);
    for (const [i, mutations] of transactions.entries()) {
      const [a, b] = await Promise.all([ordinary.mutate(mutations, { transactionId: `tx-${i}` }), lean.mutate(mutations, { transactionId: `tx-${i}` })]);
      expect(b.results).toEqual(a.results);
    }
    // A query gets whole documents, the latest edits included.
    expect(await lean.documents()).toEqual(await ordinary.documents());
    expect(await lean.fetch('*[_id == "b"][0].text')).toBe('b, rewritten');
    // A patch reads the document it changes: the lean store reads it whole.
    for (const store of [ordinary, lean]) await store.mutate([{ patch: { id: 'x1', set: { seen: true } } }], { transactionId: 'tx-patch' });
    expect(await lean.fetch('*[_id == "x1"][0]{text, seen}')).toEqual({ text: 'x1 again, in its place', seen: true });
    await lean.mutate([{ createOrReplace: doc('x5') }], { transactionId: 'tx-last' });
    await ordinary.mutate([{ createOrReplace: doc('x5') }], { transactionId: 'tx-last' });

    await Promise.all([ordinary.compact(), lean.compact()]);
    const folded = await fs.readFile(lean.datasetPath, 'utf8');
    expect(folded).toBe(await fs.readFile(ordinary.datasetPath, 'utf8'));
    expect(folded.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as SanityDocument)._id)).toEqual(['a', 'b', 'd', 'x1', 'x3', 'c', 'x2', 'x4', 'x5']);
    // The lines no record touched are as they were written: without a revision (readers derive the same one).
    const [a, , d] = folded.split('\n');
    expect([a, d]).toEqual([JSON.stringify(doc('a')), JSON.stringify(doc('d'))]);
    // Nothing is left beside the dataset: no journal, no spill file.
    expect(await fs.readdir(leanDir)).toEqual(['dataset.ndjson']);
    expect(await new GroqJsStore({ datasetPath: lean.datasetPath }).documents()).toEqual(await ordinary.documents());
  });

  it('keeps writing identities only when another store folded the journal meanwhile, and loses nothing', async () => {
    const { lean } = await twoStores();
    await lean.mutate(transactions[0]!, { transactionId: 'tx-0' });
    // Another writer (the Studio, say) writes and folds the journal into a new dataset file.
    const other = new GroqJsStore({ datasetPath: lean.datasetPath, now: fixedNow });
    await other.mutate([{ createOrReplace: doc('from-the-studio') }], { transactionId: 'tx-studio' });
    await other.compact();
    for (const [i, mutations] of transactions.slice(1).entries()) await lean.mutate(mutations, { transactionId: `tx-${i + 1}` });
    await lean.compact();
    const ids = (await new GroqJsStore({ datasetPath: lean.datasetPath }).documents()).map((d) => d._id);
    expect(ids).toEqual(['a', 'b', 'd', 'x1', 'from-the-studio', 'x3', 'c', 'x2', 'x4']);
    expect(await lean.fetch('*[_id == "x1"][0].text')).toBe('x1 again, in its place');
  });
});
