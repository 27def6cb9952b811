import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { documentDigest } from './document-digest.ts';
import { GroqJsStore } from './groq-js-store.ts';
import { idAndTypeOf, isUnparsed, lazyStats, lazyText, parsedBudget } from './lazy-document.ts';
import type { SanityDocument } from './store.ts';

const docs: SanityDocument[] = [
  { _id: 'newsletter', _type: 'newsletter', title: 'Notes' },
  { _id: 'tag-a', _type: 'tag', title: 'Alpha', slug: { current: 'alpha' } },
  { _id: 'link-1', _type: 'link', url: 'https://a.example/1', title: 'One "quoted"', tags: [{ _type: 'reference', _ref: 'tag-a', _key: 'k' }] },
  { _id: 'issue-1', _type: 'issue', _rev: 'r1', number: 1, title: 'First', sections: [{ _key: 's', _type: 'section', heading: 'News', body: [] }] },
  { _id: 'issue-2', _type: 'issue', _rev: 'r2', number: 2, title: 'Second', next: 'a field named as the iterator protocol asks' },
];

async function stores(lines: string[]) {
  const dir = await makeTempDir('newsdesk-lazy-');
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await fs.writeFile(datasetPath, `${lines.join('\n')}\n`);
  return { lazy: new GroqJsStore({ datasetPath, lazy: true }), eager: new GroqJsStore({ datasetPath }), datasetPath };
}

describe('idAndTypeOf', () => {
  it("reads a line's _id and _type from its start, whatever the spacing and escapes", () => {
    expect(idAndTypeOf('{"_id":"a","_type":"issue","title":"x"}')).toEqual({ id: 'a', type: 'issue' });
    expect(idAndTypeOf(' { "_createdAt" : "2026-01-01", "_type":"link" ,"_rev":"r","_id":"b\\"c","url":{}}')).toEqual({ id: 'b"c', type: 'link' });
    expect(idAndTypeOf('{"_id":"\\u0061","_type":"tag"}')).toEqual({ id: 'a', type: 'tag' });
  });

  it('gives up where only parsing the line could tell', () => {
    for (const line of ['{"_id":"a","number":1,"_type":"issue"}', '{"_id":"a","slug":{"current":"x"},"_type":"issue"}', '["_id","a"]', '{"_id":"a"}', '{"_id":1,"_type":"x"}', 'not json']) {
      expect(idAndTypeOf(line), line).toBeUndefined();
    }
  });
});

describe('a lazy store', () => {
  it('gives the documents an eager one gives, parsing a line only when more than its _id and _type is read', async () => {
    const { lazy, eager } = await stores(docs.map((d) => JSON.stringify(d)));
    const before = lazyStats.parsed;
    const all = await lazy.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
    const ids = await lazy.fetch<string[]>('*[_type == "issue" && _id in $ids]._id', { ids: ['issue-2'] }, { perspective: 'raw' });
    expect(ids).toEqual(['issue-2']);
    expect(all.map((d) => [d._id, d._type])).toEqual(docs.map((d) => [d._id, d._type]));
    // groq-js asks each document it meets for `next`: only the one whose line holds that key is parsed to answer.
    expect(all.map((d) => isUnparsed(d))).toEqual([true, true, true, true, false]);
    expect(lazyStats.parsed).toBe(before + 1);
    // The digest comes from the line, as an eager store's does.
    const plain = await eager.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
    expect(all.map((d) => documentDigest(d))).toEqual(plain.map((d) => documentDigest(d)));
    expect(lazyStats.parsed).toBe(before + 1);

    // Read as a whole, each is the parsed document.
    expect(all.map((d) => JSON.stringify(d))).toEqual(plain.map((d) => JSON.stringify(d)));
    expect(all.map((d) => ({ ...d }))).toEqual(plain);
    expect(all.map((d) => Object.keys(d))).toEqual(plain.map((d) => Object.keys(d)));
    expect(lazyStats.parsed).toBe(before + docs.length);
    const [, , link, issue, second] = all;
    expect('url' in link! && !('url' in issue!) && Object.hasOwn(issue!, 'sections')).toBe(true);
    expect(second!.next).toBe(docs[4]!.next);
    expect(await lazy.fetch('*[_type == "link"][0]{ title, "tag": tags[0]->title }')).toEqual({ title: 'One "quoted"', tag: 'Alpha' });
    expect(await lazy.documents()).toEqual(await eager.documents());
  });

  it('reads a dataset of many blocks as an eager store does: ASCII blocks cut from one string, others line by line, lines across blocks and longer than one', async () => {
    // About 3 MB: lines cross the 1 MB reads; a line of 2.5 MB is longer than a read; some blocks hold non-ASCII text.
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) {
      const title = i % 1500 === 7 ? `Caf\u00e9 \u201c${i}\u201d \u2014 \ud83e\udd86` : `Plain title ${i}`;
      lines.push(JSON.stringify({ _id: `link-${i}`, _type: 'link', url: `https://a.example/${i}`, title, description: 'x'.repeat(100 + (i % 250)) }));
      if (i === 3000) lines.push(JSON.stringify({ _id: 'long', _type: 'issue', title: 'Long', body: 'y'.repeat(2_500_000) }));
    }
    for (const end of ['\n', '']) {
      const { lazy, eager, datasetPath } = await stores(lines);
      if (end === '') await fs.writeFile(datasetPath, lines.join('\n'));
      const [fromLazy, fromEager] = await Promise.all([lazy.documents(), eager.documents()]);
      expect(fromLazy.length).toBe(lines.length);
      expect(fromLazy).toEqual(fromEager);
      expect(fromLazy.map((d) => documentDigest(d))).toEqual(fromEager.map((d) => documentDigest(d)));
    }
  });

  it("makes a second read's documents from the line index the first left, reading a line from the file only when more than its _id, _type and digest is asked", async () => {
    const lines = [
      ...docs.map((d) => JSON.stringify(d)),
      // Not naming _id and _type first: parsed whole, from the index too.
      '{"title":"Late \u00e9t\u00e9 \u2014 naming","_id":"tag-b","_type":"tag"}',
      JSON.stringify({ _id: 'link-2', _type: 'link', url: 'https://b.example/2', title: 'Caf\u00e9 \u201cquoted\u201d \ud83e\udd86' }),
    ];
    const { lazy: first, eager, datasetPath } = await stores(lines);
    const plain = await eager.documents();
    expect(await first.documents()).toEqual(plain);
    const indexFile = `${datasetPath}.lines`;
    expect((await fs.stat(indexFile)).size).toBeGreaterThan(0);

    const second = new GroqJsStore({ datasetPath, lazy: true });
    const before = { ...lazyStats };
    const all = await second.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
    expect(await second.fetch<string[]>('*[_type == "link"]._id', {}, { perspective: 'raw' })).toEqual(['link-1', 'link-2']);
    const fromEager = await eager.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
    expect(all.map((d) => documentDigest(d))).toEqual(fromEager.map((d) => documentDigest(d)));
    // Ids, types and digests come from the index: no line was read.
    expect(lazyStats.linesRead - before.linesRead).toBe(0);
    const title = 'Caf\u00e9 \u201cquoted\u201d \ud83e\udd86';
    expect(await second.fetch('*[_id == "link-2" || _id == $notAnId][0].title', { notAnId: 5 }, { perspective: 'raw' })).toBe(title);
    // That filter (no id list a document must be in) asked every document for `next`: the index answers for all but issue-2, whose line holds it; then link-2's title.
    expect(lazyStats.linesRead - before.linesRead).toBe(2);
    expect(await second.documents()).toEqual(plain);
    // A filter that names the one id it must have reads that document's line alone (content/groq-narrow.ts).
    const byId = new GroqJsStore({ datasetPath, lazy: true });
    const beforeById = { ...lazyStats };
    expect(await byId.fetch('*[_id == "link-2"][0].title', {}, { perspective: 'raw' })).toBe(title);
    expect(lazyStats.linesRead - beforeById.linesRead).toBe(1);

    // Another file at the same path (as a compaction leaves it): the index is not its, and is made anew.
    const replaced = [...lines.slice(1), JSON.stringify({ _id: 'tag-c', _type: 'tag', title: 'Gamma' })];
    await fs.writeFile(`${datasetPath}.new`, `${replaced.join('\n')}\n`);
    await fs.rename(`${datasetPath}.new`, datasetPath);
    const third = new GroqJsStore({ datasetPath, lazy: true });
    expect(await third.documents()).toEqual(await new GroqJsStore({ datasetPath }).documents());
    // An index that cannot be read is only not used.
    await fs.writeFile(indexFile, '{"version":1,"ids":[');
    expect(await new GroqJsStore({ datasetPath, lazy: true }).documents()).toEqual(await new GroqJsStore({ datasetPath }).documents());
  });

  it("answers by type and perspective as an eager store does after journal writes over its line index's documents: a draft, a type changed, a document deleted and made again", async () => {
    const { lazy: first, datasetPath } = await stores(docs.map((d) => JSON.stringify(d)));
    await first.documents();
    // A new process: documents from the line index, their types and draft-free views known from it.
    const writer = new GroqJsStore({ datasetPath, lazy: true });
    const queries = ['*[_type == "issue"]._id', '*[_type == "tag"]{_id, title}', '*[_type == "link"]._id', '*._id'];
    const answers = async (store: GroqJsStore) => {
      const out: unknown[] = [];
      for (const perspective of ['published', 'drafts', 'raw'] as const) for (const query of queries) out.push(await store.fetch(query, {}, { perspective }));
      return out;
    };
    expect(await answers(writer)).toEqual(await answers(new GroqJsStore({ datasetPath })));
    await writer.mutate([{ createOrReplace: { _id: 'drafts.issue-1', _type: 'issue', number: 1, title: 'First, drafted' } }]);
    await writer.mutate([{ createOrReplace: { _id: 'link-1', _type: 'tag', title: 'Once a link' } }, { delete: { id: 'tag-a' } }]);
    await writer.mutate([{ create: { _id: 'tag-a', _type: 'tag', title: 'Alpha again' } }, { create: { _id: 'issue-3', _type: 'issue', number: 3, title: 'Third' } }]);
    for (const store of [writer, new GroqJsStore({ datasetPath, lazy: true })]) {
      const got = await answers(store);
      expect(got).toEqual(await answers(new GroqJsStore({ datasetPath })));
      // The draft is seen through the drafts perspective only; link-1 is a tag now; tag-a was made again, last.
      expect(got[0]).toEqual(['issue-1', 'issue-2', 'issue-3']);
      expect(got[3]).not.toContain('drafts.issue-1');
      expect(got[11]).toContain('drafts.issue-1');
      expect(await store.fetch('*[_id == "issue-1"][0].title', {}, { perspective: 'drafts' })).toBe('First, drafted');
      expect(await store.fetch('*[_id == "issue-1"][0].title', {}, { perspective: 'published' })).toBe('First');
      expect(got[1]).toEqual([{ _id: 'link-1', title: 'Once a link' }, { _id: 'tag-a', title: 'Alpha again' }]);
      expect(got[2]).toEqual([]);
    }
  });

  it('derives a missing revision as an eager store does', async () => {
    const { lazy, eager } = await stores(['{"_id":"tag-a","_type":"tag","title":"Alpha"}']);
    const [fromLazy] = await lazy.fetch<SanityDocument[]>('*');
    const [fromEager] = await eager.fetch<SanityDocument[]>('*');
    expect(fromLazy!._rev).toMatch(/^r/);
    expect(fromLazy!._rev).toBe(fromEager!._rev);
  });

  it('finds a repeated _id while loading, and a broken line when it is read, naming the file and line', async () => {
    const repeated = await stores(['{"_id":"a","_type":"tag"}', '{"_id":"a","_type":"tag"}']);
    await expect(repeated.lazy.fetch('*')).rejects.toMatchObject({ code: 'DATASET_PARSE', message: expect.stringContaining(':2: line 2 repeats _id "a"') });

    const broken = await stores(['{"_id":"a","_type":"tag","title":"ok"}', '{"_id":"b","_type":"tag","title":', '{"_id":"c","_type":"tag","_id":"d"}']);
    const [a, b, c] = await broken.lazy.fetch<SanityDocument[]>('*');
    expect(a!.title).toBe('ok');
    expect(() => b!.title).toThrow(expect.objectContaining({ code: 'DATASET_PARSE', message: expect.stringContaining(`${broken.datasetPath}:2: line 2 is not valid JSON`) }));
    expect(() => JSON.stringify(c)).toThrow(expect.objectContaining({ code: 'DATASET_PARSE', message: expect.stringContaining(':3: line 3 gives its _id or _type twice') }));
    // The eager store refuses the file as it loads.
    await expect(broken.eager.fetch('*')).rejects.toMatchObject({ code: 'DATASET_PARSE' });
  });

  it('reads lines asked for in the order of the file a stretch at a time, and a line far from the last one alone', async () => {
    const words = 'caf\u00e9 \u00e9t\u00e9 \u2014 \ud83e\udd86 '.repeat(40);
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ _id: `link-${i}`, _type: 'link', url: `https://a.example/${i}`, title: `Link ${i}`, description: words }));
    // One line longer than a stretch.
    lines.splice(150, 0, JSON.stringify({ _id: 'issue-long', _type: 'issue', title: 'Long', summary: 'x'.repeat(100_000) }));
    const { lazy, eager, datasetPath } = await stores(lines);
    await lazy.documents();
    const bytes = (await fs.stat(datasetPath)).size;
    const expected = await eager.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
    for (const order of ['in the order of the file', 'last line first']) {
      // Documents of the line index the first read left: each line is read from the file when first looked into.
      const all = await new GroqJsStore({ datasetPath, lazy: true }).fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
      const before = { ...lazyStats };
      const at = order === 'last line first' ? [...all.keys()].reverse() : [...all.keys()];
      for (const i of at) expect(all[i]!.description ?? all[i]!.summary, `${order}: line ${i + 1}`).toEqual(expected[i]!.description ?? expected[i]!.summary);
      const linesRead = lazyStats.linesRead - before.linesRead;
      expect(linesRead).toBeGreaterThanOrEqual(lines.length);
      const reads = lazyStats.fileReads - before.fileReads;
      if (order === 'last line first') expect(reads).toBe(linesRead);
      else expect(reads).toBeLessThanOrEqual(Math.ceil(bytes / 65_536) + 2);
    }
  });

  it('keeps no line it can read again from the file, but for the parse a question leads to', async () => {
    const { lazy } = await stores(docs.map((d) => JSON.stringify(d)));
    const all = await lazy.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
    const issue = all[3]!;
    expect(all.map((d) => lazyText(d))).toEqual(all.map(() => undefined));
    const before = lazyStats.linesRead;
    // A key its line lacks: the line is read to answer, and not kept.
    expect('url' in issue).toBe(false);
    expect(lazyText(issue)).toBeUndefined();
    expect(isUnparsed(issue)).toBe(true);
    expect(lazyStats.linesRead).toBe(before + 1);
    // A key it holds: read once, for the question and the parse.
    expect(issue.title).toBe('First');
    expect(lazyStats.linesRead).toBe(before + 2);
    expect(isUnparsed(issue)).toBe(false);
  });

  it('lets the oldest parses go past its budget and parses them again from the file when read, but keeps one in use and one changed', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ _id: `link-${i}`, _type: 'link', url: `https://a.example/${i}`, title: `Link ${i} \u00e9t\u00e9` }));
    // Read from the file (offsets known) and, the second time, from the line index it left.
    for (const pass of ['first read', 'from the line index']) {
      const { lazy, eager, datasetPath } = await stores(lines);
      if (pass === 'from the line index') await lazy.documents();
      const store = pass === 'first read' ? lazy : new GroqJsStore({ datasetPath, lazy: true });
      const docsOf = await store.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
      const plain = await eager.fetch<SanityDocument[]>('*', {}, { perspective: 'raw' });
      const budget = parsedBudget.bytes;
      // Room for about three lines' parses.
      parsedBudget.bytes = Buffer.byteLength(lines[0]!) * 3;
      try {
        const before = { ...lazyStats };
        const inUse = docsOf[0]!;
        const changed = docsOf[1]!;
        changed.title = 'Changed';
        for (const [i, doc] of docsOf.entries()) {
          expect(doc.title, pass).toBe(i === 1 ? 'Changed' : plain[i]!.title);
          // Read again as each of the others is parsed: never let go.
          expect(inUse.url).toBe(plain[0]!.url);
        }
        expect(lazyStats.letGo - before.letGo, pass).toBeGreaterThan(30);
        expect(isUnparsed(docsOf[5]!)).toBe(true);
        expect(isUnparsed(inUse) || isUnparsed(changed)).toBe(false);
        // Read again, each is its line's document (the changed one as changed), and the
        // keys every document is asked for are answered without parsing.
        const parsed = lazyStats.parsed;
        expect(docsOf.filter((d) => 'next' in d || 'then' in d)).toEqual([]);
        expect(lazyStats.parsed).toBe(parsed);
        expect(docsOf.map((d) => ({ ...d }))).toEqual(plain.map((d, i) => (i === 1 ? { ...d, title: 'Changed' } : d)));
        expect(lazyStats.parsed - parsed).toBeGreaterThan(30);
      } finally {
        parsedBudget.bytes = budget;
      }
    }
  });
});

