// The reader-search index a build writes (build/search-index.ts): looked up here the way
// the search box's script does (meta.json, the word's file, the records), on the built
// sample and across in-place rebuilds after an edit.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildSite } from '../build/build-site.ts';
import { BuildCache } from '../build/cache.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { searchTokenizer } from '../web/search-tokens.ts';
import { syntheticDataset, writeDataset } from './build-dataset.ts';
import { syntheticSite } from './helpers/fresh-build.ts';
import { makeTempDir } from './helpers/temp.ts';
import { buildSample, listFiles } from './web-build-fixture.ts';

interface Found {
  n: number;
  t: string;
  u: string;
  h: string;
  p: Array<[id: string, text: string, links: string]>;
}

/** An issue's records file (search/<n>.json): the issue, and its sections in page order. */
type IssueRecords = Omit<Found, 'h' | 'p'> & { s: Array<Pick<Found, 'h' | 'p'>> };

/** Section `s` of an issue's records file, as the search box's script shows it. */
function section(file: IssueRecords, s: number): Found {
  const { s: sections, ...issue } = file;
  return { ...issue, ...sections[s]! };
}

const tokenizer = searchTokenizer();

/** The records holding every word of `query`, as the browser finds them. */
async function lookUp(outDir: string, query: string): Promise<Found[]> {
  const read = async <T,>(rel: string): Promise<T> => JSON.parse(await fs.readFile(path.join(outDir, 'search', rel), 'utf8')) as T;
  const meta = await read<{ v: string; b: number; i: Array<[number, number[]]> }>('meta.json');
  const table = meta.i.flatMap(([first, counts]) => counts.flatMap((count, k) => Array.from({ length: count }, (_, s) => [first + k, s] as const)));
  let hits: number[] | undefined;
  for (const word of new Set(tokenizer.terms(query))) {
    const shard = await read<Record<string, number[] | string>>(`w/${tokenizer.bucketOf(word, meta.b)}.json`);
    const posting = shard[word];
    let r = 0;
    const records =
      typeof posting === 'string'
        ? [...Buffer.from(posting, 'base64')].flatMap((byte, i) => [0, 1, 2, 3, 4, 5, 6, 7].filter((bit) => byte & (1 << bit)).map((bit) => i * 8 + bit))
        : (posting ?? []).map((gap) => (r += gap));
    hits = hits ? hits.filter((c) => records.includes(c)) : records;
  }
  return Promise.all((hits ?? []).map(async (r) => section(await read<IssueRecords>(`${table[r]![0]}.json`), table[r]![1])));
}

/** Each search file's inode and modification time: what changes when a rebuild writes it. */
async function stamps(outDir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rel of await listFiles(path.join(outDir, 'search'))) {
    const stat = await fs.stat(path.join(outDir, 'search', rel));
    out.set(`search/${rel}`, `${stat.ino}:${stat.mtimeMs}`);
  }
  return out;
}

describe('the reader-search index', () => {
  it('holds every issue of the sample, section by section, each block under the id its element has on the page', async () => {
    const site = await buildSample();
    const files = await site.files();
    expect(files).toContain('search.js');
    expect(files).toContain('search/meta.json');
    const issuePages = files.filter((f) => /^issues\/[^/]+\/index\.html$/.test(f));
    for (const page of issuePages) {
      const html = await site.read(page);
      const number = Number(/^issues\/(\d+)-/.exec(page)![1]);
      const rel = `search/${number}.json`;
      const file = JSON.parse(await site.read(rel)) as IssueRecords;
      // The header and intro, each section, and the sign-off when there is one.
      expect(file.s.length).toBeGreaterThanOrEqual((html.match(/<section aria-labelledby=/g) ?? []).length + 1);
      expect(`issues/${file.u.split('/')[1]}/index.html`).toBe(page);
      file.s.forEach((record, s) => {
        for (const [id] of record.p) if (id) expect(html, `${rel} section ${s} → #${id}`).toContain(` id="${id}"`);
      });
    }
  });

  it('finds paragraphs, asides, section headings and issue titles, and links by title, domain and tag', async () => {
    const site = await buildSample();
    const largest = section(JSON.parse(await site.read('search/4.json')) as IssueRecords, 1);
    // A section heading; an issue's title (and number) find the issue's header.
    expect((await lookUp(site.outDir, largest.h)).some((f) => f.n === 4 && f.h === largest.h)).toBe(true);
    expect((await lookUp(site.outDir, `4 ${largest.t}`)).map((f) => [f.n, f.p[0]![0]])).toContainEqual([4, '']);
    // An aside: its words are found in the block whose text carries the bracketed note.
    const aside = (await lookUp(site.outDir, 'quietly relying')).flatMap((f) => f.p.filter(([, text]) => /\[[^\]]*quietly relying[^\]]*—Ed\.\]/.test(text)));
    expect(aside.length).toBeGreaterThan(0);
    // A link: by its document's title, its domain and one of its tags, in the issue that used it.
    // "title · site · domain · tags", as the record shows a link document with a site name and tags.
    const details = largest.p.flatMap(([, , links]) => links.split(' | ')).find((l) => l.split(' · ').length === 4)!;
    const [title, , domain, tags] = details.split(' · ');
    const byLink = await lookUp(site.outDir, `${title} ${domain} ${tags!.split(', ')[0]}`);
    expect(byLink.some((f) => f.n === 4 && f.h === largest.h)).toBe(true);
  });

  it('after an edit, an in-place rebuild finds the new words and no longer the old ones, writing only what changed', async () => {
    const { dir, store, config } = await syntheticSite('newsdesk-search-');
    await buildSite({ config, store, threads: 1, inPlace: true });
    await store.mutate([{ patch: { id: 'issue-3', set: { summary: 'Marmalade zeppelins over the harbour.' } } }]);
    expect((await buildSite({ config, store, threads: 1, inPlace: true })).inPlace).toBe(true);
    expect((await lookUp(config.outDir, 'marmalade zeppelins')).map((f) => [f.n, f.h])).toEqual([[3, '']]);

    // A link's tag renamed: the issues naming that link are read again, the others kept.
    const tag = (await store.fetch<{ _id: string; title: string }>('*[_type == "tag"][0]{_id, title}', {}, { perspective: 'raw' }))!;
    await store.mutate([{ patch: { id: tag._id, set: { title: 'Tangerine' } } }]);
    await buildSite({ config, store, threads: 1, inPlace: true });
    expect((await lookUp(config.outDir, 'tangerine')).length).toBeGreaterThan(0);
    await store.mutate([{ patch: { id: tag._id, set: { title: tag.title } } }]);
    await buildSite({ config, store, threads: 1, inPlace: true });
    expect(await lookUp(config.outDir, 'tangerine')).toEqual([]);

    const before = await stamps(config.outDir);
    await store.mutate([{ patch: { id: 'issue-3', set: { summary: 'Quince lanterns instead.' } } }]);
    await buildSite({ config, store, threads: 1, inPlace: true });
    expect(await lookUp(config.outDir, 'marmalade zeppelins')).toEqual([]);
    expect((await lookUp(config.outDir, 'quince lanterns')).map((f) => f.n)).toEqual([3]);
    // Of the records, only issue 3's were rewritten; the rest of the index is word files and meta.json.
    const after = await stamps(config.outDir);
    const rewritten = [...after].filter(([rel, stamp]) => before.get(rel) !== stamp).map(([rel]) => rel);
    expect(rewritten.filter((rel) => !/^search\/(w\/\d+|meta)\.json$/.test(rel))).toEqual(['search/3.json']);

    // The word lists updated in place equal those a fresh process merges from scratch
    // (modules loaded anew: nothing remembered from the builds above).
    vi.resetModules();
    const fresh = (await import('../build/build-site.ts')) as typeof import('../build/build-site.ts');
    const reference = path.join(dir, 'reference');
    await fresh.buildSite({ config: { ...config, outDir: reference, dataDir: path.join(dir, 'data-reference') }, store, threads: 1 });
    const [ours, theirs] = await Promise.all([listFiles(path.join(config.outDir, 'search')), listFiles(path.join(reference, 'search'))]);
    expect(ours).toEqual(theirs);
    for (const rel of ours) {
      const [a, b] = await Promise.all([fs.readFile(path.join(config.outDir, 'search', rel), 'utf8'), fs.readFile(path.join(reference, 'search', rel), 'utf8')]);
      expect(a, rel).toBe(b);
    }
  });

  it("keeps each issue's records file in the build cache, not in memory, and hard-links it into the output; a build that finds one deleted fails, and the next reads the shares again", async () => {
    const { dir, store, config } = await syntheticSite('newsdesk-search-records-', 6);
    const recordsDir = path.join(config.dataDir, 'build-cache', 'search-records');
    /** The inodes of the stored records files, and of the output's search/<n>.json files. */
    const inodes = async (outDir: string) => {
      const stored = (await fs.readdir(recordsDir)).filter((name) => name.endsWith('.json'));
      const output = (await fs.readdir(path.join(outDir, 'search'))).filter((name) => /^\d+\.json$/.test(name));
      const ino = (file: string) => fs.stat(file).then((stat) => stat.ino);
      return {
        stored: new Set(await Promise.all(stored.map((name) => ino(path.join(recordsDir, name))))),
        output: await Promise.all(output.map((name) => ino(path.join(outDir, 'search', name)))),
      };
    };
    // The workers' path: each share read as its issue is rendered.
    await buildSite({ config, store, threads: 2, workerThreshold: 1 });
    let { stored, output } = await inodes(config.outDir);
    expect(output).toHaveLength(6);
    expect(stored.size).toBe(6);
    for (const ino of output) expect(stored.has(ino)).toBe(true);

    // An edit: the issue's new records are stored and linked, its old ones pruned from the store.
    await store.mutate([{ patch: { id: 'issue-3', set: { summary: 'Damson pelicans.' } } }]);
    await buildSite({ config, store, threads: 1, inPlace: true });
    ({ stored, output } = await inodes(config.outDir));
    expect(stored.size).toBe(6);
    for (const ino of output) expect(stored.has(ino)).toBe(true);
    expect((await lookUp(config.outDir, 'damson pelicans')).map((f) => f.n)).toEqual([3]);

    // The store deleted under a running server: a build staging a whole new folder finds a
    // remembered share's file gone, fails leaving that folder as it was, and the next build
    // reads every share again.
    await fs.rm(recordsDir, { recursive: true });
    const elsewhere = { ...config, outDir: path.join(dir, 'elsewhere') };
    await expect(buildSite({ config: elsewhere, store, threads: 1 })).rejects.toThrow(/Writing the output failed: ENOENT/);
    await expect(fs.stat(elsewhere.outDir)).rejects.toThrow(/ENOENT/);
    await buildSite({ config: elsewhere, store, threads: 1 });
    ({ stored, output } = await inodes(elsewhere.outDir));
    expect(stored.size).toBe(6);
    for (const ino of output) expect(stored.has(ino)).toBe(true);
    for (const rel of await listFiles(path.join(config.outDir, 'search'))) {
      const [a, b] = await Promise.all([fs.readFile(path.join(config.outDir, 'search', rel), 'utf8'), fs.readFile(path.join(elsewhere.outDir, 'search', rel), 'utf8')]);
      expect(a, rel).toBe(b);
    }
  });

  it('a new process patches the index its output holds: the files a build from every share writes, reading only the shares of issues that changed', async () => {
    const dir = await makeTempDir('newsdesk-search-patch-');
    const datasetPath = path.join(dir, 'dataset.ndjson');
    await writeDataset(datasetPath, syntheticDataset({ issues: 16, sectionsPerIssue: 3, linksPerIssue: 9 }));
    const store = new GroqJsStore({ datasetPath });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    /** buildSite as a new process has it: nothing remembered from earlier builds. */
    const freshBuildSite = async () => {
      vi.resetModules();
      return ((await import('../build/build-site.ts')) as typeof import('../build/build-site.ts')).buildSite;
    };
    await (await freshBuildSite())({ config, store, threads: 1 });
    let step = 0;
    /**
     * Builds as a new process would, with the search document of an issue that did not
     * change taken out of its cache entry (so reading every share would fail), then compares
     * the index with a build from scratch.
     */
    const buildAndCompare = async (expectPatched: boolean, inPlace = false) => {
      let entry: { file: string; text: string } | undefined;
      if (expectPatched) {
        const state = JSON.parse(await fs.readFile(path.join(config.dataDir, 'build-cache', 'search-state.json'), 'utf8')) as { issues: Array<[number, string]> };
        const key = state.issues[0]![1];
        const file = new BuildCache(path.join(config.dataDir, 'build-cache')).entryPath(key);
        entry = { file, text: await fs.readFile(file, 'utf8') };
        await fs.writeFile(file, JSON.stringify({ ...JSON.parse(entry.text), search: undefined }));
      }
      try {
        await (await freshBuildSite())({ config, store, threads: 1, inPlace });
      } finally {
        if (entry) await fs.writeFile(entry.file, entry.text);
      }
      const reference = path.join(dir, `reference-${++step}`);
      await (await freshBuildSite())({ config: { ...config, outDir: reference, dataDir: path.join(dir, `data-reference-${step}`) }, store, threads: 1 });
      const [ours, theirs] = await Promise.all([listFiles(path.join(config.outDir, 'search')), listFiles(path.join(reference, 'search'))]);
      expect(ours).toEqual(theirs);
      for (const rel of ours) {
        const [a, b] = await Promise.all([fs.readFile(path.join(config.outDir, 'search', rel), 'utf8'), fs.readFile(path.join(reference, 'search', rel), 'utf8')]);
        expect(a, `step ${step}: ${rel}`).toBe(b);
      }
    };

    // An edit to one issue's words, in place as the server rebuilds.
    await store.mutate([{ patch: { id: 'issue-5', set: { summary: 'Persimmon gondolas at dawn.' } } }]);
    await buildAndCompare(true, true);
    expect((await lookUp(config.outDir, 'persimmon gondolas')).map((f) => f.n)).toEqual([5]);
    // A new issue: more records, so every bitmap is longer.
    const issue = (await store.fetch<Record<string, unknown>>('*[_id == "issue-16"][0]', {}, { perspective: 'raw' }))!;
    await store.mutate([{ create: { ...issue, _id: 'issue-17', number: 17, slug: { _type: 'slug', current: 'issue-17' }, title: 'Seventeen', summary: 'Kumquat regattas.' } }]);
    await buildAndCompare(true);
    expect((await lookUp(config.outDir, 'kumquat regattas')).map((f) => f.n)).toEqual([17]);
    // Two more, one after the other, as publishes add them: the issue before each changes
    // (its page links to the next) but not its records, so every old record keeps its place
    // and the words no new issue holds keep their encoding (search-index.ts postingUnchanged).
    // The last one's made-up word sorts after every other word of its word file: it goes at the file's end.
    for (const [n, words] of [[18, 'Sapodilla lanterns'], [19, 'Rambutan semaphores zzzquokka']] as const) {
      await store.mutate([{ create: { ...issue, _id: `issue-${n}`, number: n, slug: { _type: 'slug', current: `issue-${n}` }, title: `Issue ${n}`, summary: `${words}.` } }]);
      await buildAndCompare(true);
      expect((await lookUp(config.outDir, words.toLowerCase())).map((f) => f.n)).toEqual([n]);
    }
    // An issue gone from the middle, and another with a section fewer: the records after them move.
    await store.mutate([{ delete: { id: 'issue-8' } }]);
    await buildAndCompare(true);
    const third = (await store.fetch<{ sections: unknown[] }>('*[_id == "issue-3"][0]{sections}', {}, { perspective: 'raw' }))!;
    await store.mutate([{ patch: { id: 'issue-3', set: { sections: third.sections.slice(1) } } }]);
    await buildAndCompare(true);
    expect((await lookUp(config.outDir, 'kumquat regattas')).map((f) => f.n)).toEqual([17]);
    // A tag only a link names, added then renamed: no issue's cache key covers a tag document,
    // so a change to any makes the build read every share again.
    await store.mutate([
      { create: { _id: 'tag-loquat', _type: 'tag', title: 'Loquat', slug: { _type: 'slug', current: 'loquat' } } },
      { patch: { id: 'link-12-0', set: { tags: [{ _type: 'reference', _ref: 'tag-loquat', _key: 'lq' }] } } },
    ]);
    await buildAndCompare(false);
    expect((await lookUp(config.outDir, 'loquat')).map((f) => f.n)).toEqual([12]);
    await store.mutate([{ patch: { id: 'tag-loquat', set: { title: 'Medlar' } } }]);
    await buildAndCompare(false);
    expect(await lookUp(config.outDir, 'loquat')).toEqual([]);
    expect((await lookUp(config.outDir, 'medlar')).map((f) => f.n)).toEqual([12]);
    // A state that does not describe the output (as after a crash between the swap and saving
    // it; here its records are off by one section): every share is read again.
    const stateFile = path.join(config.dataDir, 'build-cache', 'search-state.json');
    const state = JSON.parse(await fs.readFile(stateFile, 'utf8')) as { v: string; issues: Array<[number, string, number, string]> };
    state.issues[0]![2] += 1;
    state.v = 'not-this-one';
    await fs.writeFile(stateFile, JSON.stringify(state));
    await store.mutate([{ patch: { id: 'issue-2', set: { summary: 'Tamarind kites.' } } }]);
    await buildAndCompare(false);
    expect((await lookUp(config.outDir, 'tamarind kites')).map((f) => f.n)).toEqual([2]);
    // An unchanged issue's records file deleted by hand from the output (and the spare folder
    // gone, which would have it): that build fails saying so, and the next makes the index from every share.
    await fs.rm(path.join(config.outDir, 'search', '1.json'));
    await fs.rm(path.join(dir, '.out.spare'), { recursive: true, force: true });
    await store.mutate([{ patch: { id: 'issue-4', set: { summary: 'Guava balloons.' } } }]);
    await expect((await freshBuildSite())({ config, store, threads: 1 })).rejects.toThrow(/search\/1\.json is missing/);
    await buildAndCompare(false);
    expect((await lookUp(config.outDir, 'guava balloons')).map((f) => f.n)).toEqual([4]);
  });
});
