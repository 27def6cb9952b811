// In-place rebuilds (what the server runs after a publish): only the files a change
// affects are written, files the site no longer has are deleted, and the result is the
// same bytes a full build of the same content writes into a fresh folder.
import fs from 'node:fs/promises';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { buildSite } from '../build/build-site.ts';
import { OutputManifest } from '../build/in-place-output.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { syntheticDataset, writeDataset } from './build-dataset.ts';
import { makeTempDir } from './helpers/temp.ts';
import { listFiles } from './web-build-fixture.ts';

interface FileState {
  ino: number;
  mtimeMs: number;
  content: Buffer;
}

async function readTree(dir: string): Promise<Map<string, FileState>> {
  const out = new Map<string, FileState>();
  for (const rel of await listFiles(dir)) {
    const file = path.join(dir, rel);
    const stat = await fs.stat(file);
    out.set(rel, { ino: stat.ino, mtimeMs: stat.mtimeMs, content: await fs.readFile(file) });
  }
  return out;
}

/** Files whose directory entry changed (a new file, or one replaced): what a rebuild wrote. */
function rewritten(before: Map<string, FileState>, after: Map<string, FileState>): string[] {
  return [...after].filter(([rel, now]) => before.get(rel)?.ino !== now.ino || before.get(rel)?.mtimeMs !== now.mtimeMs).map(([rel]) => rel);
}

async function expectSameAsFullBuild(store: GroqJsStore, dir: string, outDir: string, name: string) {
  const reference = path.join(dir, `reference-${name}`);
  await buildSite({ config: { outDir: reference, dataDir: path.join(dir, `data-${name}`), baseUrl: undefined }, store, threads: 1 });
  const [ours, theirs] = await Promise.all([readTree(outDir), readTree(reference)]);
  expect([...ours.keys()]).toEqual([...theirs.keys()]);
  for (const [rel, state] of theirs) expect(ours.get(rel)!.content.equals(state.content), rel).toBe(true);
  // No folder left empty where a full build has none.
  const folders = async (root: string) => (await fs.readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
  expect(await folders(outDir)).toEqual(await folders(reference));
}

async function setUp(issues = 8) {
  const dir = await makeTempDir('newsdesk-in-place-');
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await writeDataset(datasetPath, syntheticDataset({ issues, sectionsPerIssue: 3, linksPerIssue: 9 }));
  const store = new GroqJsStore({ datasetPath });
  const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
  const first = await buildSite({ config, store, threads: 1, inPlace: true });
  return { dir, store, config, first };
}

describe('buildSite in place', () => {
  it('builds a new folder when there is no record of the output, and rewrites nothing when nothing changed', async () => {
    const { store, config, first } = await setUp();
    // No earlier output to write into: a full build into a fresh folder.
    expect(first.inPlace).toBe(false);
    const before = await readTree(config.outDir);
    const again = await buildSite({ config, store, threads: 1, inPlace: true });
    expect(again.inPlace).toBe(true);
    expect(again.written).toBe(0);
    expect(rewritten(before, await readTree(config.outDir))).toEqual([]);
  });

  it('after a publish rewrites only the pages the issue appears on, and they equal a full build', async () => {
    const { dir, store, config } = await setUp();
    const before = await readTree(config.outDir);
    await store.mutate([{ patch: { id: 'issue-3', set: { summary: 'A summary written after the first build.' } } }]);

    const summary = await buildSite({ config, store, threads: 1, inPlace: true });
    expect(summary).toMatchObject({ inPlace: true, rendered: 1 });
    const after = await readTree(config.outDir);
    const written = rewritten(before, after);
    expect(summary.written).toBe(written.length);
    // The issue itself and the site-wide pages that list it; no other issue's page or email.
    expect(written).toEqual(expect.arrayContaining(['issues/3-issue-3/index.html', 'emails/3.html', 'emails/3.txt', 'index.html']));
    expect(written.filter((f) => f.startsWith('issues/') || f.startsWith('emails/')).sort()).toEqual(['emails/3.html', 'emails/3.txt', 'issues/3-issue-3/index.html']);
    // Site-wide pages are written only when their bytes change (a re-rendered issue's
    // files are placed together from its new cache entry, its unchanged text part too).
    for (const rel of written.filter((f) => !f.startsWith('issues/') && !f.startsWith('emails/'))) {
      expect(before.get(rel)?.content.equals(after.get(rel)!.content), rel).not.toBe(true);
    }
    expect(after.get('issues/3-issue-3/index.html')!.content.toString()).toContain('A summary written after the first build.');
    // The issue's old cache entry went with its old files: the cache holds the current entries, each whole.
    const cacheDir = path.join(config.dataDir, 'build-cache');
    const current = Object.keys(JSON.parse(await fs.readFile(path.join(cacheDir, 'metas.json'), 'utf8')) as object).sort();
    expect(current).toHaveLength(8);
    const shards = (await fs.readdir(cacheDir)).filter((name) => /^[0-9a-f]{2}$/.test(name));
    const entryFiles = (await Promise.all(shards.map((shard) => fs.readdir(path.join(cacheDir, shard))))).flat();
    expect([...new Set(entryFiles.map((name) => name.split('.')[0]))].sort()).toEqual(current);
    expect(entryFiles).toHaveLength(current.length * 4);
    await expectSameAsFullBuild(store, dir, config.outDir, 'edit');
  });

  it('adds a newly published issue with its neighbour, and removes an unpublished one and its folder', async () => {
    const { dir, store, config } = await setUp();
    const docs = await store.documents();
    const template = docs.find((d) => d._id === 'issue-8')!;
    await store.mutate([
      { create: { ...template, _id: 'issue-9', number: 9, title: 'Issue nine', slug: { _type: 'slug', current: 'issue-9' } } },
      { delete: { id: 'issue-2' } },
    ]);
    const before = await readTree(config.outDir);
    await buildSite({ config, store, threads: 1, inPlace: true });
    const after = await readTree(config.outDir);
    const written = rewritten(before, after);
    expect(written).toEqual(expect.arrayContaining(['issues/9-issue-9/index.html', 'emails/9.html', 'issues/8-issue-8/index.html']));
    // Issue 2's neighbours now point past it; the issues further away are untouched.
    expect(written).not.toContain('issues/5-issue-5/index.html');
    expect(after.has('issues/2-issue-2/index.html')).toBe(false);
    expect(after.has('emails/2.html')).toBe(false);
    await expect(fs.stat(path.join(config.outDir, 'issues', '2-issue-2'))).rejects.toThrow();
    await expectSameAsFullBuild(store, dir, config.outDir, 'add-remove');
  });

  it('after an in-place rebuild that failed half-way, writes a whole new folder, equal to a full build', async () => {
    const { dir, store, config } = await setUp(4);
    await store.mutate([{ patch: { id: 'issue-2', set: { summary: 'Written by a rebuild that then failed.' } } }]);
    const failing = buildSite({ config, store, threads: 1, inPlace: true, beforeCommit: () => Promise.reject(new Error('disk gone')) });
    await expect(failing).rejects.toThrow(/some files .* may be new and others old/);
    // Nor of the search index it may have half-written (a new process would patch it: build/search-index.ts).
    await expect(fs.stat(path.join(config.dataDir, 'build-cache', 'search-state.json'))).rejects.toThrow();
    await store.mutate([{ patch: { id: 'issue-3', set: { summary: 'And another edit.' } } }]);
    const summary = await buildSite({ config, store, threads: 1, inPlace: true });
    // The half-written folder is not trusted: no record of it survived the failure.
    expect(summary.inPlace).toBe(false);
    await expectSameAsFullBuild(store, dir, config.outDir, 'after-failure');
  });

  it('writes a new folder again when the output was replaced behind its back', async () => {
    const { store, config } = await setUp(4);
    // Another build (the CLI) swapped in its own folder: the record no longer describes it.
    await buildSite({ config, store, threads: 1 });
    await fs.rm(config.outDir, { recursive: true });
    await fs.mkdir(config.outDir);
    const summary = await buildSite({ config, store, threads: 1, inPlace: true });
    expect(summary.inPlace).toBe(false);
    expect(await listFiles(config.outDir)).toContain('index.html');
  });
});

/**
 * Edits issue 5, then issue 7, rebuilding after each (as a day of publishing does), and
 * expects the version of issue 5 from before its edit to be let go: no earlier build's
 * documents stay alive in the process.
 */
async function expectEarlierVersionLetGo(store: Pick<GroqJsStore, 'fetch' | 'mutate'>, rebuild: () => Promise<unknown>): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const old = new WeakRef((await store.fetch<object>('*[_id == "issue-5"][0]', {}, { perspective: 'raw' }))!);
  for (const id of ['issue-5', 'issue-7']) {
    await store.mutate([{ patch: { id, set: { summary: `Edited: ${id}.` } } }]);
    await rebuild();
  }
  // A WeakRef holds its target until the current job ends.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  expect(old.deref()).toBeUndefined();
}

describe('rebuilds in one process (a running server)', () => {
  it('keep no earlier build\'s documents alive: an edited document\'s old version is let go', async () => {
    const { store, config } = await setUp();
    const rebuild = () => buildSite({ config, store, threads: 1, inPlace: true });
    await store.mutate([{ patch: { id: 'issue-2', set: { summary: 'First edit.' } } }]);
    await rebuild();
    await expectEarlierVersionLetGo(store, rebuild);
  });

  it('keep no earlier build\'s documents alive when the first build of the process read the links index from kept shares', async () => {
    const { dir, config } = await setUp();
    // A process started after that build (a server restarted): its modules remember nothing yet.
    vi.resetModules();
    const { buildSite: serverBuild } = (await import('../build/build-site.ts')) as typeof import('../build/build-site.ts');
    const { GroqJsStore: ServerStore } = (await import('../content/groq-js-store.ts')) as typeof import('../content/groq-js-store.ts');
    const store = new ServerStore({ datasetPath: path.join(dir, 'dataset.ndjson') });
    const rebuild = () => serverBuild({ config, store, threads: 1, inPlace: true });
    // The words around a link: the links index is made again, every other issue from its kept share.
    const issue = (await store.fetch<{ sections: Array<{ body: Array<{ children?: Array<{ text?: string }> }> }> }>('*[_id == "issue-3"][0]{sections}', {}, { perspective: 'raw' }))!;
    const sections = structuredClone(issue.sections);
    sections.flatMap((section) => section.body).find((block) => block.children?.some((child) => typeof child.text === 'string' && child.text.length > 0))!.children![0]!.text += ' And more.';
    await store.mutate([{ patch: { id: 'issue-3', set: { sections } } }]);
    await rebuild();
    // Summary edits next: the link pages are reused whole, the links index not asked for.
    await expectEarlierVersionLetGo(store, rebuild);
  });
});

describe('OutputManifest', () => {
  it('gives back the files it saved for the same folder, and nothing when the record is damaged', async () => {
    const dir = await makeTempDir();
    const outDir = path.join(dir, 'dist');
    await fs.mkdir(outDir);
    await fs.writeFile(path.join(outDir, 'index.html'), '<p>archive</p>');
    const manifest = new OutputManifest(path.join(dir, 'cache'));
    const files = new Map([
      ['index.html', 'sha256:abc'],
      ['emails/1.html', 'link:/cache/01/x/emailHtml'],
    ]);
    await manifest.save(outDir, files);
    expect(await manifest.read(outDir)).toEqual(files);

    const saved = JSON.parse(await fs.readFile(manifest.file, 'utf8')) as Record<string, unknown>;
    for (const damaged of [{ 'index.html': 7 }, ['index.html'], 'index.html', null, { 'index.html': 'sha256:abc', 'a.html': { key: 'x' } }]) {
      await fs.writeFile(manifest.file, JSON.stringify({ ...saved, files: damaged }));
      expect(await manifest.read(outDir), JSON.stringify(damaged)).toBeUndefined();
    }
  });
});
