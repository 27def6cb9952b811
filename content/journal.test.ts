// Reading the journal in a new process: a record whose every document a later record
// writes or deletes again is read only by the ids its line starts with, not parsed, and the
// documents come out the same and in the same order as applying every record in full.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { GroqJsStore } from './groq-js-store.ts';
import { applyRecords, journalStats, readJournal, type JournalRecord } from './journal.ts';
import type { Mutation, SanityDocument } from './store.ts';

const fixedNow = () => new Date('2026-05-01T10:00:00Z');
const doc = (id: string, fields: Record<string, unknown> = {}): SanityDocument => ({ _id: id, _type: 'note', text: `about ${id}`, ...fields });

/** Order-sensitive writes (replaced in place, added, deleted, deleted and added again), then an issue saved over and over. */
const transactions: Mutation[][] = [
  [{ createOrReplace: doc('b', { text: 'b, rewritten' }) }, { createIfNotExists: doc('x1') }],
  [{ delete: { id: 'c' } }, { createOrReplace: doc('x2') }, { createOrReplace: doc('x3') }],
  [{ createOrReplace: doc('c', { text: 'c, back at the end' }) }, { createOrReplace: doc('x1', { text: 'x1 again, in its place' }) }, { delete: { id: 'x2' } }],
  [{ createOrReplace: doc('x2', { text: 'x2, back' }) }, { createOrReplace: doc('x5', { text: 'ü "quoted" ]' }) }],
  [{ delete: { id: 'x5' } }],
  ...Array.from({ length: 40 }, (_, i): Mutation[] => [{ createOrReplace: doc('issue', { text: `save ${i}`, body: 'y'.repeat(2000) }) }]),
  [{ createOrReplace: doc('x3', { text: 'x3, last' }) }, { createOrReplace: doc('a', { text: 'a, last' }) }],
];

describe('the journal read by a new process', () => {
  it('gives the documents, in their order, that applying every record gives, parsing only the records not written over', async () => {
    const dir = await makeTempDir();
    const datasetPath = path.join(dir, 'dataset.ndjson');
    await fs.writeFile(datasetPath, ['a', 'b', 'c', 'd'].map((id) => JSON.stringify(doc(id))).join('\n') + '\n');
    const writer = new GroqJsStore({ datasetPath, now: fixedNow, compaction: { ratio: Infinity } });
    // The writer applies each transaction in full as it commits it.
    for (const mutations of transactions) await writer.mutate(mutations);
    const written = await writer.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });

    journalStats.parsed = 0;
    const reader = new GroqJsStore({ datasetPath, now: fixedNow, compaction: { ratio: Infinity } });
    const read = await reader.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
    expect(read.map((d) => d._id)).toEqual(written.map((d) => d._id));
    expect(read).toEqual(written);
    expect(read.find((d) => d._id === 'issue')?.text).toBe('save 39');
    // The 40 saves of one issue are one parsed record.
    expect(journalStats.parsed).toBeLessThan(transactions.length - 30);

    // Every record's ids are at the start of its line.
    const records = (await readJournal(writer.journalPath))!.records;
    expect(records).toHaveLength(transactions.length);
    expect(records.filter((r) => r.placed !== undefined).length).toBeGreaterThanOrEqual(39);
  });

  it('reads the records of a journal written before lines started with their ids, in full', async () => {
    const dir = await makeTempDir();
    const datasetPath = path.join(dir, 'dataset.ndjson');
    await fs.writeFile(datasetPath, `${JSON.stringify(doc('a'))}\n`);
    const writer = new GroqJsStore({ datasetPath, now: fixedNow, compaction: { ratio: Infinity } });
    for (let i = 0; i < 5; i++) await writer.mutate([{ createOrReplace: doc('a', { text: `save ${i}` }) }]);
    // The same records as the earlier format wrote them: tx first, no ids.
    const lines = (await fs.readFile(writer.journalPath, 'utf8')).trimEnd().split('\n');
    const older = lines.map((line, i) => {
      if (i === 0) return line;
      const { ids: _ids, ...record } = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify({ tx: record.tx, at: record.at, by: record.by, put: record.put, del: record.del });
    });
    await fs.writeFile(writer.journalPath, `${older.join('\n')}\n`);
    journalStats.parsed = 0;
    const reader = new GroqJsStore({ datasetPath, now: fixedNow, compaction: { ratio: Infinity } });
    expect((await reader.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' })).map((d) => d.text)).toEqual(['save 4']);
    expect(journalStats.parsed).toBe(5);
  });
});

describe('applyRecords', () => {
  it("gives the result's types by place with it, as its documents say them, through deletes, replacements, new documents and places kept for later ones", () => {
    const doc = (id: string, type: string) => ({ _id: id, _type: type });
    const documents = [doc('a', 'tag'), doc('b', 'link'), doc('c', 'issue'), doc('d', 'link')];
    const record = (put: SanityDocument[], del: string[] = [], placed?: string[]): JournalRecord => ({ tx: 't', at: '2026-01-01T00:00:00Z', by: 'test', put, del, ...(placed ? { placed } : {}) });
    const records = [
      record([doc('b', 'tag'), doc('e', 'issue')], ['a']),
      record([], [], ['f', 'g']),
      record([doc('g', 'link'), doc('a', 'issue')], ['d']),
      record([doc('f', 'tag')], ['c']),
    ];
    const index = new Map(documents.map((d) => [d._id, d] as const));
    const result = applyRecords(documents, records, index, documents.map((d) => d._type));
    expect(result.documents.map((d) => d._id)).toEqual(['b', 'e', 'f', 'g', 'a']);
    expect(result.types).toEqual(result.documents.map((d) => d._type));
    expect(applyRecords(documents, records, new Map(documents.map((d) => [d._id, d] as const))).types).toBeUndefined();
  });
});
