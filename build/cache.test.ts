import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { BuildCache, entryPart, metaSchema, readEntryPart, type EntryMeta } from './cache.ts';

const key = (c: string) => c.repeat(64);

describe('BuildCache.readMetas', () => {
  it('takes the record for entries whose entry.json is there, entry.json for the others, and nothing for entries that are gone', async () => {
    const cache = new BuildCache(await makeTempDir());
    const meta = (n: number): EntryMeta => ({ number: n, subject: `Issue ${n}`, warnings: [] });
    const artifacts = { subject: 'Issue 1', warnings: [], page: 'p', body: 'b', emailHtml: 'h', emailText: 't', search: '{}' };
    await cache.write(key('a'), 1, artifacts);
    cache.writeSync(key('b'), 2, { ...artifacts, subject: 'Issue 2' });
    // No record yet: each entry's entry.json.
    expect(await cache.readMetas([key('a'), key('b'), key('c')])).toEqual(new Map([[key('a'), meta(1)], [key('b'), meta(2)]]));

    // The record says what it says for entries that are there (a test can tell: it differs from entry.json)…
    await cache.saveMetas(new Map([[key('a'), { ...meta(1), subject: 'From the record' }], [key('c'), meta(3)]]));
    // …and nothing for an entry that was removed.
    await cache.remove([key('b')]);
    expect(await cache.readMetas([key('a'), key('b'), key('c')])).toEqual(new Map([[key('a'), { ...meta(1), subject: 'From the record' }]]));

    // A record cut short or damaged is passed over: each entry's own entry.json says.
    for (const damaged of ['{"broken', '', 'null', '[1, 2']) {
      await fs.writeFile(path.join(cache.dir, 'metas.json'), damaged);
      expect(await cache.readMetas([key('a'), key('b')]), damaged).toEqual(new Map([[key('a'), meta(1)]]));
    }
  });

  it('checks the record as metaSchema checks one entry: a record it would refuse is not used', async () => {
    const dir = await makeTempDir();
    const cache = new BuildCache(dir);
    // An entry.json without metadata: only a record can vouch for it.
    await fs.mkdir(path.dirname(cache.entryPath(key('d'))), { recursive: true });
    await fs.writeFile(cache.entryPath(key('d')), '{}');
    const good: EntryMeta = { number: 4, subject: 'Issue 4', warnings: [{ where: 'issue 4', field: 'title', message: 'long' }] };
    const variants: unknown[] = [
      good,
      { ...good, warnings: [] },
      { ...good, number: '4' },
      { ...good, subject: undefined },
      { ...good, warnings: undefined },
      { ...good, warnings: [{ where: 'issue 4', field: 'title' }] },
      { ...good, warnings: [null] },
      [],
      null,
      'issue 4',
    ];
    for (const variant of variants) {
      await fs.writeFile(path.join(dir, 'metas.json'), JSON.stringify({ [key('d')]: variant }));
      const metas = await cache.readMetas([key('d')]);
      expect(metas.has(key('d')), JSON.stringify(variant)).toBe(metaSchema.safeParse(variant).success);
    }
  });
});

describe('a cache entry', () => {
  it('is the three files the output links and one entry.json with the metadata, the body and the search document, the same through write and writeSync', async () => {
    const cache = new BuildCache(await makeTempDir());
    const search = JSON.stringify({ number: 7, sections: [{ heading: 'A "quoted" <b>', blocks: [] }], words: [['quoted']] });
    const artifacts = { subject: 'Issue 7', warnings: [], page: '<p>page</p>', body: '<p>Body with "quotes", \\ and \u2028</p>', emailHtml: 'h', emailText: 't', search };
    await cache.write(key('e'), 7, artifacts);
    cache.writeSync(key('f'), 7, artifacts);
    for (const k of [key('e'), key('f')]) {
      // Four files named by the key in its shard, nothing else (no temporary file left).
      const shard = (await fs.readdir(path.dirname(cache.entryPath(k)))).filter((name) => name.startsWith(k)).sort();
      expect(shard).toEqual(['email.html', 'email.txt', 'entry.json', 'page.html'].map((name) => `${k}.${name}`));
      expect(await cache.readBody(k)).toBe(artifacts.body);
      expect(await cache.readMeta(k)).toEqual({ number: 7, subject: 'Issue 7', warnings: [] });
      expect(JSON.parse(await fs.readFile(cache.entryPath(k), 'utf8')).search).toEqual(JSON.parse(search));
    }
    await fs.writeFile(cache.entryPath(key('e')), '{"meta":');
    await expect(cache.readBody(key('e'))).rejects.toThrow(/entry\.json failed/);
    expect(await cache.readMeta(key('e'))).toBeUndefined();
  });

  it('gives each part of entry.json as the whole file parsed would, with the other parts named in quotes in its texts', async () => {
    const cache = new BuildCache(await makeTempDir());
    const search = JSON.stringify({ number: 8, title: 'x","body":"y', sections: [{ heading: '},"meta":{', blocks: [] }] });
    const tricky = 'A body that quotes ,"search": and ,"body": and {"meta": \\",\'s\u00e9';
    const artifacts = { subject: 'The ,"body":"x" issue', warnings: [{ where: ',"search":', field: 'f', message: '\\' }], page: 'p', body: tricky, emailHtml: 'h', emailText: 't', search };
    cache.writeSync(key('g'), 8, artifacts);
    const whole = JSON.parse(await fs.readFile(cache.entryPath(key('g')), 'utf8')) as Record<string, unknown>;
    for (const part of ['meta', 'body', 'search'] as const) expect(await readEntryPart(cache.entryPath(key('g')), part)).toEqual(whole[part]);
    expect(await cache.readBody(key('g'))).toBe(tricky);
    expect(entryPart('{"search":{"a":1},"body":"b"}', 'body')).toBe('b');
    expect(entryPart('{"meta":{"number":1}}', 'search')).toBeUndefined();
  });

  it('is written again by replacing its files, never into them: a file the output links keeps its bytes', async () => {
    const dir = await makeTempDir();
    const cache = new BuildCache(path.join(dir, 'cache'));
    const artifacts = { subject: 'Issue 7', warnings: [], page: '<p>first</p>', body: 'b', emailHtml: 'h', emailText: 't', search: '{}' };
    cache.writeSync(key('e'), 7, artifacts);
    const linked = path.join(dir, 'index.html');
    await fs.link(cache.artifactPath(key('e'), 'page'), linked);
    // The same key written again (another build, or one that found the entry incomplete).
    await cache.write(key('e'), 7, { ...artifacts, page: '<p>second</p>' });
    expect(await fs.readFile(cache.artifactPath(key('e'), 'page'), 'utf8')).toBe('<p>second</p>');
    expect(await fs.readFile(linked, 'utf8')).toBe('<p>first</p>');
  });

  it('is pruned whole when no longer kept, with what a build stopped half-way left and entries of an older layout', async () => {
    const cache = new BuildCache(await makeTempDir());
    const artifacts = { subject: 'Issue 7', warnings: [], page: 'p', body: 'b', emailHtml: 'h', emailText: 't', search: '{}' };
    for (const c of ['a', 'b']) cache.writeSync(key(c), 7, artifacts);
    const shard = path.dirname(cache.entryPath(key('a')));
    await fs.writeFile(`${cache.artifactPath(key('a'), 'page')}.tmp-0a1b2c3d4e5f`, 'half');
    await fs.mkdir(path.join(shard, key('a').replace(/^a{3}/, 'aa0')), { recursive: true });
    await cache.prune(new Set([key('a')]));
    expect((await fs.readdir(shard)).sort()).toEqual(['email.html', 'email.txt', 'entry.json', 'page.html'].map((name) => `${key('a')}.${name}`));
    expect(await cache.readMetas([key('a'), key('b')])).toEqual(new Map([[key('a'), { number: 7, subject: 'Issue 7', warnings: [] }]]));
  });
});

