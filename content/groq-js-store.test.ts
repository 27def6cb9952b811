import { fork } from 'node:child_process';
import { watch } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNewsdeskError } from '../core/errors.ts';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { GroqJsStore, linesInParts, parseDataset, serialise, serialiseInParts } from './groq-js-store.ts';
import { loadIssues } from './load.ts';
import type { Mutation, SanityDocument } from './store.ts';

const fixedNow = () => new Date('2026-05-01T10:00:00Z');

const issueDoc = (id: string, number: number, title: string): SanityDocument => ({
  _id: id,
  _type: 'issue',
  number,
  title,
  slug: { _type: 'slug', current: `issue-${number}` },
  date: '2026-04-01',
  sections: [{ _key: 's1', _type: 'section', heading: 'News', body: [] }],
});

async function storeWith(docs: SanityDocument[]) {
  const dir = await makeTempDir();
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await fs.writeFile(datasetPath, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  return { store: new GroqJsStore({ datasetPath, now: fixedNow }), datasetPath, dir };
}

describe('perspectives', () => {
  const docs = [
    issueDoc('issue-1', 1, 'Published one'),
    issueDoc('drafts.issue-1', 1, 'Edited one'),
    issueDoc('drafts.issue-2', 2, 'Draft only'),
  ];

  it('published hides every draft', async () => {
    const { store } = await storeWith(docs);
    const titles = await store.fetch<string[]>('*[_type == "issue"] | order(number asc).title', {}, { perspective: 'published' });
    expect(titles).toEqual(['Published one']);
  });

  it('drafts overlays a draft on its published twin under the published id and adds draft-only documents', async () => {
    const { store } = await storeWith(docs);
    const rows = await store.fetch<Array<{ _id: string; title: string; _originalId: string }>>(
      '*[_type == "issue"] | order(number asc){ _id, title, _originalId }',
      {},
      { perspective: 'drafts' },
    );
    expect(rows).toEqual([
      { _id: 'issue-1', title: 'Edited one', _originalId: 'drafts.issue-1' },
      { _id: 'issue-2', title: 'Draft only', _originalId: 'drafts.issue-2' },
    ]);
  });

  it('answers * alone with the documents the perspective sees, in a new array each time, as a filter over them does', async () => {
    const { store } = await storeWith(docs);
    for (const perspective of ['published', 'drafts', 'raw'] as const) {
      const all = await store.fetch<SanityDocument[]>('*', {}, { perspective });
      expect(all).toEqual(await store.fetch<SanityDocument[]>('*[true]', {}, { perspective }));
      all.pop();
      expect(await store.fetch<SanityDocument[]>('*', {}, { perspective })).toHaveLength(all.length + 1);
    }
  });

  it('hands a build the published documents with their id index, which a later edit leaves as it was', async () => {
    // No drafts: the published view is then the store's documents themselves, with the id
    // index the store keeps up to date as edits come in (an edit first makes it).
    const { store } = await storeWith([docs[0]!, issueDoc('issue-3', 3, 'Third')]);
    await store.mutate([{ patch: { id: 'issue-3', set: { title: 'Third, edited' } } }]);
    const first = await store.published();
    expect(first.documents.map((d) => d._id).sort()).toEqual(['issue-1', 'issue-3']);
    expect([...first.byId.keys()].sort()).toEqual(['issue-1', 'issue-3']);
    expect(first.byId.get('issue-3')?.title).toBe('Third, edited');

    await store.mutate([{ patch: { id: 'issue-3', set: { title: 'Third, again' } } }, { createOrReplace: issueDoc('issue-4', 4, 'Fourth') }, { delete: { id: 'issue-1' } }]);
    // What the first build holds is still the state it began with.
    expect(first.byId.get('issue-3')?.title).toBe('Third, edited');
    expect(first.byId.has('issue-4')).toBe(false);
    expect(first.byId.get('issue-1')?.title).toBe('Published one');
    const second = await store.published();
    expect(second.byId.get('issue-3')?.title).toBe('Third, again');
    expect([...second.byId.keys()].sort()).toEqual(['issue-3', 'issue-4']);
    expect(second.documents.map((d) => d._id).sort()).toEqual(['issue-3', 'issue-4']);
  });

  it('raw shows drafts under their own ids', async () => {
    const { store } = await storeWith(docs);
    const ids = await store.fetch<string[]>('*[_type == "issue"] | order(_id asc)._id', {}, { perspective: 'raw' });
    expect(ids).toEqual(['drafts.issue-1', 'drafts.issue-2', 'issue-1']);
  });

  it('defaults to published when no perspective is given', async () => {
    const { store } = await storeWith(docs);
    expect(await store.fetch('count(*[_type == "issue"])')).toBe(1);
  });
});

describe('mutations', () => {
  it('applies create, createOrReplace, createIfNotExists, patch and delete in one transaction', async () => {
    const { store } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    const result = await store.mutate([
      { create: { _id: 'tag-a', _type: 'tag', title: 'A' } },
      { createOrReplace: issueDoc('issue-2', 2, 'Two') },
      { createIfNotExists: { _id: 'tag-a', _type: 'tag', title: 'ignored' } },
      { patch: { id: 'issue-1', set: { title: 'One, revised', 'slug.current': 'one-revised' }, setIfMissing: { summary: 'Hello' }, unset: ['date'] } },
      { patch: { id: 'issue-1', setIfMissing: { tags: [] }, insert: { after: 'tags[-1]', items: [{ _key: 't1', _type: 'reference', _ref: 'tag-a' }] } } },
      { delete: { id: 'issue-2' } },
    ]);
    expect(result.results.map((r) => r.operation)).toEqual(['create', 'create', 'none', 'update', 'update', 'delete']);
    const one = await store.fetch<Record<string, unknown>>('*[_id == "issue-1"][0]{title, "slug": slug.current, summary, date, "tag": tags[0]->title, _updatedAt}');
    expect(one).toEqual({ title: 'One, revised', slug: 'one-revised', summary: 'Hello', date: null, tag: 'A', _updatedAt: '2026-05-01T10:00:00.000Z' });
    expect(await store.fetch('count(*[_id == "issue-2"])')).toBe(0);
  });

  it('writes nothing when any mutation in the transaction fails', async () => {
    const { store, datasetPath } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    const before = await fs.readFile(datasetPath, 'utf8');
    const attempt = store.mutate([
      { patch: { id: 'issue-1', set: { title: 'changed' } } },
      { create: { _id: 'issue-1', _type: 'issue' } },
    ]);
    await expect(attempt).rejects.toMatchObject({ code: 'MUTATION_CONFLICT', message: expect.stringContaining('already exists') });
    expect(await fs.readFile(datasetPath, 'utf8')).toBe(before);
    expect(await store.fetch('*[_id == "issue-1"][0].title')).toBe('One');
  });

  it('writes transactions that queue up together, each still all-or-nothing on its own', async () => {
    const { store, datasetPath } = await storeWith([{ _id: 'counter', _type: 'counter', items: [] }]);
    const heard: string[] = [];
    store.subscribe((t) => heard.push(t.id));
    const attempts = Array.from({ length: 12 }, (_, i) =>
      i === 5
        ? store.mutate([{ patch: { id: 'counter', insert: { after: 'items[-1]', items: ['bad'] } } }, { create: { _id: 'counter', _type: 'counter' } }])
        : store.mutate([{ patch: { id: 'counter', insert: { after: 'items[-1]', items: [i] } } }], { transactionId: `t${i}` }),
    );
    const settled = await Promise.allSettled(attempts);
    expect(settled.map((r) => r.status)).toEqual(settled.map((_, i) => (i === 5 ? 'rejected' : 'fulfilled')));
    const items = await store.fetch<number[]>('*[_id == "counter"][0].items');
    expect(items).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
    expect(heard).toEqual(['t0', 't1', 't2', 't3', 't4', 't6', 't7', 't8', 't9', 't10', 't11']);
    expect(await new GroqJsStore({ datasetPath }).fetch('*[_id == "counter"][0]._rev')).toBe('t11');
  });

  it('serialises writers in two stores on the same file so no update is lost', async () => {
    const { datasetPath } = await storeWith([{ _id: 'counter', _type: 'counter', items: [] }]);
    const a = new GroqJsStore({ datasetPath });
    const b = new GroqJsStore({ datasetPath });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).mutate([{ patch: { id: 'counter', insert: { after: 'items[-1]', items: [i] } } }]),
      ),
    );
    const items = await new GroqJsStore({ datasetPath }).fetch<number[]>('*[_id == "counter"][0].items');
    expect([...items].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('atomic writes', () => {
  it('leaves a readable dataset when the writing process is killed mid-write', async () => {
    const { datasetPath } = await storeWith([issueDoc('issue-1', 1, 'Survivor')]);
    for (let round = 0; round < 3; round++) {
      const child = fork(path.resolve(import.meta.dirname, '../tests/helpers/dataset-writer-child.ts'), [datasetPath], {
        execArgv: ['--import', 'tsx'],
        stdio: 'ignore',
      });
      await new Promise((resolve) => child.once('message', resolve));
      await new Promise((resolve) => setTimeout(resolve, 150 + round * 70));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      // Whatever moment the kill hit, the file is a whole dataset: old or new, never a mix.
      const docs = parseDataset(await fs.readFile(datasetPath, 'utf8'), datasetPath);
      expect(docs.find((d) => d._id === 'issue-1')?.title).toBe('Survivor');
    }
    // The dead writer's lock is stale and is taken over; the next write succeeds.
    const store = new GroqJsStore({ datasetPath, lockTimeoutMs: 2000 });
    await store.mutate([{ patch: { id: 'issue-1', set: { title: 'After the crash' } } }]);
    expect(await store.fetch('*[_id == "issue-1"][0].title')).toBe('After the crash');
    // The dead writers' journal may make that write start a compaction of this store's own,
    // with a temporary file of its own while it runs: wait for it (compact() queues behind it).
    await store.compact();
    const leftovers = (await fs.readdir(path.dirname(datasetPath))).filter((f) => f.endsWith('.lock') || f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });
});

describe('write locks', () => {
  it('takes over a lock left by a dead process and one that names no owner', async () => {
    const { datasetPath } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    const store = new GroqJsStore({ datasetPath, lockTimeoutMs: 1000 });
    await fs.writeFile(`${datasetPath}.lock`, '999999999');
    await store.mutate([{ patch: { id: 'issue-1', set: { title: 'after a dead owner' } } }]);
    await fs.writeFile(`${datasetPath}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(`${datasetPath}.lock`, old, old);
    await store.mutate([{ patch: { id: 'issue-1', set: { title: 'after an ownerless lock' } } }]);
    expect(await store.fetch('*[_id == "issue-1"][0].title')).toBe('after an ownerless lock');
  });

  it('waits for a live owner and then says who holds the lock', async () => {
    const { datasetPath } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    await fs.writeFile(`${datasetPath}.lock`, String(process.ppid));
    const attempt = new GroqJsStore({ datasetPath, lockTimeoutMs: 100 }).mutate([{ delete: { id: 'issue-1' } }]);
    await expect(attempt).rejects.toMatchObject({ code: 'DATASET_WRITE', message: expect.stringContaining(`locked by process ${process.ppid}`) });
    await fs.rm(`${datasetPath}.lock`);
  });
});

describe('reading dataset files', () => {
  it('names the file and line of a line that is not JSON', async () => {
    const dir = await makeTempDir();
    const datasetPath = path.join(dir, 'broken.ndjson');
    await fs.writeFile(datasetPath, `${JSON.stringify(issueDoc('issue-1', 1, 'Fine'))}\n\n{"_id": "x", "_type": oops}\n`);
    const error = await new GroqJsStore({ datasetPath }).fetch('*').catch((e: unknown) => e);
    expect(isNewsdeskError(error, 'DATASET_PARSE')).toBe(true);
    expect((error as Error).message).toContain(`${datasetPath}:3`);
    expect((error as Error).message).toContain('line 3 is not valid JSON');
  });

  it('reads a dataset of several read blocks, with characters split between blocks and no final newline, as parseDataset does', async () => {
    const dir = await makeTempDir();
    const datasetPath = path.join(dir, 'large.ndjson');
    // Over 1 MB (the read block), with multi-byte characters at every offset.
    const docs = Array.from({ length: 3000 }, (_, i) => issueDoc(`issue-${i}`, i + 1, `Ünïcødé title ${'✓€'.repeat(i % 200)} #${i}`));
    const text = docs.map((d) => JSON.stringify(d)).join('\n');
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 ** 21);
    await fs.writeFile(datasetPath, text);
    const read = await new GroqJsStore({ datasetPath }).fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
    const withoutRevisions = read.map(({ _rev, ...doc }) => doc);
    expect(withoutRevisions).toEqual(parseDataset(text, datasetPath));
    expect(withoutRevisions).toEqual(docs);
    expect(new Set(read.map((d) => d._rev)).size).toBe(docs.length);
  });

  it('writes a dataset in parts that join to exactly the serialised dataset', () => {
    const docs = Array.from({ length: 5000 }, (_, i) => issueDoc(`issue-${i}`, i + 1, `Title ${'x'.repeat(i % 700)}`));
    const parts = [...serialiseInParts(docs)];
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('')).toBe(serialise(docs));
    expect([...serialiseInParts([])].join('')).toBe(serialise([]));
    // Documents read from no file are serialised for a compaction too.
    const lines = [...linesInParts(docs)];
    expect(lines.length).toBeGreaterThan(1);
    expect(Buffer.concat(lines).toString()).toBe(serialise(docs));
  });

  it('refuses documents without _id or _type, and repeated ids, by line', () => {
    expect(() => parseDataset('{"_type":"tag"}\n', 'd.ndjson')).toThrow(/d\.ndjson:1: line 1 has no _id/);
    expect(() => parseDataset('{"_id":"a","_type":"t"}\n{"_id":"a","_type":"t"}\n', 'd.ndjson')).toThrow(/line 2 repeats _id "a" from line 1/);
  });

  it('seeds a missing dataset from the sample and never writes to the sample', async () => {
    const dir = await makeTempDir();
    const samplePath = path.join(dir, 'sample.ndjson');
    const sample = `${JSON.stringify(issueDoc('issue-1', 1, 'Sample'))}\n`;
    await fs.writeFile(samplePath, sample);
    const store = new GroqJsStore({ datasetPath: path.join(dir, 'mine', 'dataset.ndjson'), seedFrom: samplePath });
    expect(await store.fetch('*[_id == "issue-1"][0].title')).toBe('Sample');
    await store.mutate([{ patch: { id: 'issue-1', set: { title: 'Mine now' } } }]);
    expect(await store.fetch('*[_id == "issue-1"][0].title')).toBe('Mine now');
    expect(await fs.readFile(samplePath, 'utf8')).toBe(sample);
  });

  it('sees writes made by another process (re-reads a changed file)', async () => {
    const { store, datasetPath } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    expect(await store.fetch('*[_id == "issue-1"][0].title')).toBe('One');
    await new GroqJsStore({ datasetPath }).mutate([{ patch: { id: 'issue-1', set: { title: 'Changed elsewhere' } } }]);
    expect(await store.fetch('*[_id == "issue-1"][0].title')).toBe('Changed elsewhere');
  });
});

describe('read models at the boundary', () => {
  it('names the document id and field path of content that does not fit', async () => {
    const bad = issueDoc('issue-7', 7, 'Bad');
    (bad.sections as Array<Record<string, unknown>>)[0]!.body = [
      { _type: 'block', _key: 'b1', style: 'normal', markDefs: [], children: [{ _type: 'span', _key: 's', text: 42 }] },
    ];
    const { store } = await storeWith([issueDoc('issue-1', 1, 'Good'), bad]);
    const error = await loadIssues(store).catch((e: unknown) => e);
    expect(isNewsdeskError(error, 'CONTENT_INVALID')).toBe(true);
    expect((error as Error).message).toContain('issue 7 (issue-7): sections[0].body[0].children[0].text:');
  });
});

describe('the journal', () => {
  const journalLines = async (file: string) => (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('appends a write to the journal, leaves the dataset file as it was, and other stores read both', async () => {
    const { store, datasetPath } = await storeWith([issueDoc('issue-1', 1, 'One'), issueDoc('issue-2', 2, 'Two')]);
    const before = await fs.readFile(datasetPath, 'utf8');
    const inode = (await fs.stat(datasetPath)).ino;
    await store.mutate([{ patch: { id: 'issue-1', set: { title: 'One, edited' } } }], { transactionId: 'tx-a', author: 'pEditor' });
    await store.mutate([{ delete: { id: 'issue-2' } }, { create: { _id: 'tag-a', _type: 'tag', title: 'A' } }], { transactionId: 'tx-b' });
    expect(await fs.readFile(datasetPath, 'utf8')).toBe(before);
    expect((await fs.stat(datasetPath)).ino).toBe(inode);
    const [header, ...records] = await journalLines(store.journalPath);
    expect(header).toMatchObject({ journal: 1, base: expect.any(String) });
    expect(records.map((r) => [r.tx, r.by, r.del])).toEqual([['tx-a', 'pEditor', []], ['tx-b', 'newsdesk', ['issue-2']]]);
    const other = new GroqJsStore({ datasetPath });
    expect(await other.fetch('*[_type in ["issue", "tag"]] | order(_id)._id')).toEqual(['issue-1', 'tag-a']);
    expect(await other.fetch('*[_id == "issue-1"][0]{title, _rev}')).toEqual({ title: 'One, edited', _rev: 'tx-a' });
  });

  it('folds the journal into a fresh dataset file of every document, once it outgrows the threshold', async () => {
    const { datasetPath } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    const store = new GroqJsStore({ datasetPath, now: fixedNow, compaction: { ratio: 0.25, minBytes: 2_000 } });
    for (let i = 0; i < 40; i++) await store.mutate([{ createOrReplace: { _id: `note-${i % 7}`, _type: 'note', i, text: 'y'.repeat(200) } }]);
    const expected = await store.documents();
    // Folded on its own, beside the writes: the dataset file itself holds notes now.
    const notesInFile = async () => parseDataset(await fs.readFile(datasetPath, 'utf8'), datasetPath).filter((d) => d._type === 'note').length;
    await expect.poll(notesInFile, { timeout: 10_000 }).toBeGreaterThan(0);
    await store.compact();
    await expect(fs.access(store.journalPath)).rejects.toMatchObject({ code: 'ENOENT' });
    const exported = parseDataset(await fs.readFile(datasetPath, 'utf8'), datasetPath);
    // The line of the first issue as it was written, without a revision (readers derive the same one).
    expect(exported).toEqual(expected.map((d) => (d._id === 'issue-1' ? issueDoc('issue-1', 1, 'One') : d)));
    expect(exported.find((d) => d._id === 'note-4')).toMatchObject({ i: 39, _rev: expect.any(String) });
    expect(await new GroqJsStore({ datasetPath }).documents()).toEqual(expected);
  });

  it('passes over a last journal line cut short by a crash and cuts it off before the next write', async () => {
    const { store, datasetPath } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    await store.mutate([{ patch: { id: 'issue-1', set: { title: 'Acknowledged' } } }], { transactionId: 'tx-ok' });
    await fs.appendFile(store.journalPath, '{"tx":"tx-torn","at":"2026-05-01T10:00:00Z","by":"x","put":[{"_id":"issue-1","_type":"issue","title":"Nev');
    const reopened = new GroqJsStore({ datasetPath });
    expect(await reopened.fetch('*[_id == "issue-1"][0].title')).toBe('Acknowledged');
    await reopened.mutate([{ create: { _id: 'tag-a', _type: 'tag' } }], { transactionId: 'tx-next' });
    const records = await journalLines(reopened.journalPath);
    expect(records.slice(1).map((r) => r.tx)).toEqual(['tx-ok', 'tx-next']);
    expect(await new GroqJsStore({ datasetPath }).fetch('*[_id in ["issue-1", "tag-a"]] | order(_id)._id')).toEqual(['issue-1', 'tag-a']);
  });

  it('never applies a journal to a dataset file replaced by hand, and keeps it aside at the next write', async () => {
    const { store, datasetPath, dir } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    await store.mutate([{ patch: { id: 'issue-1', set: { title: 'Edited before the restore' } } }]);
    // A backup restored over the dataset file.
    await fs.writeFile(datasetPath, `${JSON.stringify(issueDoc('issue-1', 1, 'From the backup'))}\n`);
    const after = new GroqJsStore({ datasetPath });
    expect(await after.fetch('*[_id == "issue-1"][0].title')).toBe('From the backup');
    await after.mutate([{ create: { _id: 'tag-a', _type: 'tag' } }]);
    expect(await new GroqJsStore({ datasetPath }).fetch('*[_id in ["issue-1", "tag-a"]] | order(_id) .title')).toEqual(['From the backup', null]);
    const aside = (await fs.readdir(dir)).filter((f) => f.endsWith('.set-aside'));
    expect(aside).toHaveLength(1);
    expect(await fs.readFile(path.join(dir, aside[0]!), 'utf8')).toContain('Edited before the restore');
  });

  it('loses nothing when compaction is cut short between writing the dataset file and removing the journal', async () => {
    const { store, datasetPath, dir } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    for (let i = 0; i < 5; i++) await store.mutate([{ patch: { id: 'issue-1', set: { title: `Edit ${i}` } } }]);
    const journal = await fs.readFile(store.journalPath);
    await store.compact();
    // As if killed right after the rename: the old journal is still there.
    await fs.writeFile(store.journalPath, journal);
    const reopened = new GroqJsStore({ datasetPath });
    expect(await reopened.fetch('*[_id == "issue-1"][0].title')).toBe('Edit 4');
    await reopened.mutate([{ patch: { id: 'issue-1', set: { title: 'Edit 5' } } }]);
    expect(await new GroqJsStore({ datasetPath }).fetch('*[_id == "issue-1"][0].title')).toBe('Edit 5');
    // Its records were all in the dataset file: removed, not kept aside.
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.set-aside'))).toEqual([]);
  });

  it('removes temporary files a killed writer left, at start-up', async () => {
    const { datasetPath, dir } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    await fs.writeFile(`${datasetPath}.999999998.0a1b2c3d.tmp`, 'half a dataset');
    await fs.writeFile(`${datasetPath}.journal.999999998.0a1b2c3d.tmp`, 'half a journal');
    await fs.writeFile(`${datasetPath}.lock.999999999.0a1b2c3d`, '999999999');
    await fs.writeFile(path.join(dir, 'unrelated.tmp'), 'not ours');
    expect(await new GroqJsStore({ datasetPath }).fetch('count(*)')).toBe(1);
    expect((await fs.readdir(dir)).sort()).toEqual(['dataset.ndjson', 'unrelated.tmp']);
  });

  it('removes the lock a killed writer held, at start-up, even when the store only reads', async () => {
    const { datasetPath, dir } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    // Killed between taking the lock and releasing it, after its lock candidate was removed.
    await fs.writeFile(`${datasetPath}.lock`, '999999999');
    expect(await new GroqJsStore({ datasetPath }).fetch('count(*)')).toBe(1);
    expect((await fs.readdir(dir)).sort()).toEqual(['dataset.ndjson']);
    // A live owner's lock stays.
    await fs.writeFile(`${datasetPath}.lock`, String(process.ppid));
    expect(await new GroqJsStore({ datasetPath }).fetch('count(*)')).toBe(1);
    expect((await fs.readdir(dir)).sort()).toEqual(['dataset.ndjson', 'dataset.ndjson.lock']);
  });

  it('tells listeners of another process\'s writes read from the journal, once each', async () => {
    const { store, datasetPath } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    const heard: string[] = [];
    store.subscribe((t) => heard.push(`${t.author}:${t.changes.map((c) => c.id).join(',')}`));
    await store.watchForOutsideChanges();
    const other = new GroqJsStore({ datasetPath });
    await other.mutate([{ patch: { id: 'issue-1', set: { title: 'Elsewhere' } } }]);
    await expect.poll(() => heard, { timeout: 5_000 }).toEqual(['outside:issue-1']);
    await store.mutate([{ create: { _id: 'tag-a', _type: 'tag' } }]);
    expect(heard).toEqual(['outside:issue-1', 'newsdesk:tag-a']);
    await store.close();
  });

  it('neither makes again a dataset file moved away while it watches, nor reports its documents deleted', async () => {
    const { store, datasetPath } = await storeWith([issueDoc('issue-1', 1, 'One')]);
    const heard: string[] = [];
    store.subscribe((t) => heard.push(`${t.author}:${t.changes.map((c) => c.id).join(',')}`));
    await store.watchForOutsideChanges();
    // A watch of our own on the folder says when the move is seen; the store's watcher sees it in the same turn of the event loop.
    const seen = new Promise<void>((resolve) => {
      const watcher = watch(path.dirname(datasetPath), () => {
        watcher.close();
        resolve();
      });
    });
    await fs.rename(datasetPath, `${datasetPath}.moved`);
    await seen;
    await new Promise((resolve) => setImmediate(resolve));
    await store.noticed();
    await expect(fs.access(datasetPath)).rejects.toThrow();
    expect(heard).toEqual([]);
    await store.close();
  });
});

describe('compaction', () => {
  // Lines as another tool or a hand may write them: without a revision (one is derived from
  // the text), with an escaped character and keys in another order (JSON.stringify would
  // write both otherwise), with other characters, and one that does not start with its _id and _type.
  const base = [
    '{"_id":"a","_type":"note","text":"caf\\u00e9"}',
    '{"_type":"note","_id":"b","_rev":"r-b","text":"keys in another order"}',
    '{"_id":"e","_type":"note","text":"Gezeiten 潮汐 — then"}',
    '{"n":1,"_id":"f","_type":"note"}',
    '{"_id":"c","_type":"note","text":"to be edited"}',
  ];
  const edits: Mutation[] = [{ patch: { id: 'c', set: { text: 'edited' } } }, { create: { _id: 'd', _type: 'note', text: 'new' } }];

  async function datasetWith(lines: string[]): Promise<string> {
    const datasetPath = path.join(await makeTempDir(), 'dataset.ndjson');
    await fs.writeFile(datasetPath, `${lines.join('\n')}\n`);
    return datasetPath;
  }

  const kinds = { eager: 'an eager store', lazy: 'a lazy store', indexed: 'a lazy store reading through its line index' } as const;
  for (const [kind, label] of Object.entries(kinds)) {
    it(`writes the lines no edit touched as they were, in ${label}`, async () => {
      const datasetPath = await datasetWith(base);
      // The documents as a store that never compacts holds them after the same edits.
      const reference = new GroqJsStore({ datasetPath: await datasetWith(base), now: fixedNow, compaction: { ratio: Infinity } });
      await reference.mutate(edits, { transactionId: 'tx-1' });
      // A first lazy read leaves the line index the next one reads documents through.
      if (kind === 'indexed') expect(await new GroqJsStore({ datasetPath, lazy: true }).fetch('count(*)')).toBe(5);
      const store = new GroqJsStore({ datasetPath, now: fixedNow, lazy: kind !== 'eager', compaction: { ratio: Infinity } });
      await store.mutate(edits, { transactionId: 'tx-1' });
      await store.compact();
      const folded = (await fs.readFile(datasetPath, 'utf8')).split('\n');
      expect(folded.slice(0, 4)).toEqual(base.slice(0, 4));
      expect(folded.slice(4).map((line) => (line ? (JSON.parse(line) as SanityDocument) : line))).toEqual([
        expect.objectContaining({ _id: 'c', text: 'edited', _rev: 'tx-1' }),
        expect.objectContaining({ _id: 'd', text: 'new', _rev: 'tx-1' }),
        '',
      ]);
      // Read again, the documents are the same, the revision derived from the first line too.
      expect(await new GroqJsStore({ datasetPath }).documents()).toEqual(await reference.documents());
      // The new file's line index came with it: what a lazy read of the file makes, and through it a lazy store reads the same documents.
      const lines = `${datasetPath}.lines`;
      const written = await fs.readFile(lines);
      expect(await new GroqJsStore({ datasetPath, lazy: true }).documents()).toEqual(await reference.documents());
      await fs.rm(lines);
      expect(await new GroqJsStore({ datasetPath, lazy: true }).fetch('count(*)')).toBe(6);
      expect((await fs.readFile(lines)).equals(written)).toBe(true);
    });
  }

  it('serialises a document whose line changed in place since it was read, instead of copying the changed bytes', async () => {
    const datasetPath = await datasetWith(base);
    // The same modification time before and after the change (and the same size), so the store takes the file for unchanged.
    const when = new Date('2026-05-01T09:00:00Z');
    await fs.utimes(datasetPath, when, when);
    const store = new GroqJsStore({ datasetPath, now: fixedNow, compaction: { ratio: Infinity } });
    const held = await store.fetch<string>('*[_id == "a"][0].text');
    expect(held).toBe('café');
    const file = await fs.open(datasetPath, 'r+');
    await file.write('caf\\u00e8', base[0]!.indexOf('caf'));
    await file.close();
    await fs.utimes(datasetPath, when, when);
    await store.mutate(edits, { transactionId: 'tx-1' });
    await store.compact();
    const first = (await fs.readFile(datasetPath, 'utf8')).split('\n')[0]!;
    expect(first).not.toContain('\\u00e8');
    expect(JSON.parse(first)).toMatchObject({ _id: 'a', text: held, _rev: expect.any(String) });
  });
});
