// The build pipeline end to end with real files: the `newsdesk build` command on the
// sample dataset (and its cache on a second run), byte-identical output, incremental
// rebuilds, worker threads, and atomic output when a build fails midway.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildSite } from '../build/build-site.ts';
import { fetchRawContent, issueLines } from '../build/sources.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { isNewsdeskError } from '../core/errors.ts';
import { syntheticDataset, writeDataset } from './build-dataset.ts';
import { runCli } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';
import { listFiles } from './web-build-fixture.ts';

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of await listFiles(dir)) out[file] = createHash('sha256').update(await fs.readFile(path.join(dir, file))).digest('hex');
  return out;
}

async function smallDataset(dir: string, issues = 5) {
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await writeDataset(datasetPath, syntheticDataset({ issues, sectionsPerIssue: 3, linksPerIssue: 9, withDraft: true }));
  return datasetPath;
}

describe('newsdesk build', () => {
  it('writes the full output for the sample dataset, and a second build reuses every issue from the cache', async () => {
    const dir = await makeTempDir();
    const env = { NEWSDESK_DATA_DIR: path.join(dir, 'data'), NEWSDESK_OUT_DIR: path.join(dir, 'out') };
    const first = await runCli(['build'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const [, issues, rendered] = /built (\d+) issue\(s\) into .*: (\d+) rendered, 0 reused from cache, [\d.]+ s, 0 warning\(s\)/.exec(first.stdout) ?? [];
    expect(Number(issues)).toBeGreaterThan(0);
    expect(rendered).toBe(issues);
    const files = await listFiles(env.NEWSDESK_OUT_DIR);
    for (const f of ['index.html', '404.html', 'feed.xml', 'atom.xml', 'feed.json', 'sitemap.xml', 'emails/1.html', 'emails/1.txt']) expect(files).toContain(f);

    const second = await runCli(['build', '--timings'], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`built ${issues} issue(s)`);
    expect(second.stdout).toContain(`0 rendered, ${issues} reused from cache`);
    // --timings: every step, in the order it ran, in milliseconds. Alone in its process, the
    // build writes the search index and the tag pages before the links index (BuildOptions.alone).
    const steps = /\n {2}ms: (.+)\n/.exec(second.stdout)?.[1]?.split(', ').map((s) => s.split(' ')[0]);
    expect(steps).toEqual(['load', 'fingerprint', 'listings', 'plan', 'render', 'link', 'search', 'tags', 'pages', 'swap', 'cleanup']);
    expect(first.stdout).not.toContain('ms: ');
  });

  it('rejects unknown options by listing the valid ones', async () => {
    const result = await runCli(['build', '--fast']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--threads');
  });
});

describe('buildSite', () => {
  it('builds byte-identical output from the same content, in worker threads or in one thread', async () => {
    const dir = await makeTempDir();
    const store = new GroqJsStore({ datasetPath: await smallDataset(dir, 12) });
    const a = await buildSite({ config: { outDir: path.join(dir, 'a'), dataDir: path.join(dir, 'data-a'), baseUrl: undefined }, store, threads: 2, workerThreshold: 8 });
    // The one-thread build in modules loaded anew, as another process: it remembers nothing of
    // the first (what the workers handed back, such as each issue's search document, included).
    vi.resetModules();
    const fresh = (await import('../build/build-site.ts')) as typeof import('../build/build-site.ts');
    const b = await fresh.buildSite({ config: { outDir: path.join(dir, 'b'), dataDir: path.join(dir, 'data-b'), baseUrl: undefined }, store, threads: 1 });
    expect(a.threads).toBe(2);
    expect(b.threads).toBe(0);
    expect(a.rendered).toBe(12);
    expect(b.rendered).toBe(12);
    expect(await snapshot(path.join(dir, 'a'))).toEqual(await snapshot(path.join(dir, 'b')));
    // Both left the compiled email layout for the next process (emails/mjml-slots.ts), in the workers and in this thread alike.
    const layouts = (data: string) => fs.readdir(path.join(dir, data, 'build-cache', 'layouts'));
    expect((await layouts('data-a')).length).toBeGreaterThan(0);
    expect(await layouts('data-b')).toEqual(await layouts('data-a'));
  });

  it('builds in worker threads from the dataset file and from edits in the journal alike what one thread builds', async () => {
    const dir = await makeTempDir();
    const datasetPath = await smallDataset(dir, 12);
    const store = new GroqJsStore({ datasetPath });
    // Edits in the journal: those issues are projected on the main thread, the others by the workers from the file's lines.
    await store.mutate([
      { patch: { id: 'link-3-0', set: { title: 'A link renamed in the journal' } } },
      { patch: { id: 'issue-7', set: { summary: 'A summary edited in the journal.' } } },
    ]);
    const raw = await fetchRawContent(store);
    const fromLines = raw.issues.filter((doc) => issueLines(raw, doc._id) !== undefined).length;
    expect(fromLines).toBeGreaterThan(0);
    expect(fromLines).toBeLessThan(raw.issues.length);
    const a = await buildSite({ config: { outDir: path.join(dir, 'a'), dataDir: path.join(dir, 'data-a'), baseUrl: undefined }, store, threads: 2, workerThreshold: 0 });
    expect(a.threads).toBe(2);
    vi.resetModules();
    const fresh = (await import('../build/build-site.ts')) as typeof import('../build/build-site.ts');
    const b = await fresh.buildSite({ config: { outDir: path.join(dir, 'b'), dataDir: path.join(dir, 'data-b'), baseUrl: undefined }, store: new GroqJsStore({ datasetPath }), threads: 1 });
    expect(b.threads).toBe(0);
    expect(await snapshot(path.join(dir, 'a'))).toEqual(await snapshot(path.join(dir, 'b')));
    expect(await fs.readFile(path.join(dir, 'a', 'index.html'), 'utf8')).toContain('A summary edited in the journal.');
  });

  it('removes stored email layouts of another template version, and temporary files, keeping its own', async () => {
    const dir = await makeTempDir();
    const store = new GroqJsStore({ datasetPath: await smallDataset(dir, 3) });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    await buildSite({ config, store, threads: 1 });
    const folder = path.join(config.dataDir, 'build-cache', 'layouts');
    const own = await fs.readdir(folder);
    await fs.writeFile(path.join(folder, 'otherversio-abc.json'), '{}');
    await fs.writeFile(path.join(folder, `${own[0]}.tmp-1234`), '{');
    await buildSite({ config, store, threads: 1 });
    expect(await fs.readdir(folder)).toEqual(own);
  });

  it('re-renders only the changed issue when one issue changes', async () => {
    const dir = await makeTempDir();
    const datasetPath = await smallDataset(dir);
    const store = new GroqJsStore({ datasetPath });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    await buildSite({ config, store });
    await store.mutate([{ patch: { id: 'issue-3', set: { summary: 'A changed summary for the third issue.' } } }]);
    const summary = await buildSite({ config, store });
    expect(summary).toMatchObject({ issues: 5, rendered: 1, reused: 4 });
    expect(await fs.readFile(path.join(config.outDir, 'issues/3-issue-3/index.html'), 'utf8')).toContain('A changed summary for the third issue.');
    expect(await fs.readFile(path.join(config.outDir, 'index.html'), 'utf8')).toContain('A changed summary for the third issue.');
  });

  it('builds after an edit exactly what a build from scratch of the edited content gives', async () => {
    const dir = await makeTempDir();
    const datasetPath = await smallDataset(dir, 12);
    const store = new GroqJsStore({ datasetPath });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    await buildSite({ config, store, threads: 2, workerThreshold: 4 });
    const inodes = async (rels: string[]) => Promise.all(rels.map(async (rel) => (await fs.stat(path.join(config.outDir, rel))).ino));
    // Written (not cache) files: the search records of an issue no edit touches, and those of the edited issue.
    const kept = ['search/2.json', '404.html'];
    const [keptBefore, editedBefore] = [await inodes(kept), await inodes(['search/8.json'])];
    await store.mutate([
      { patch: { id: 'link-5-0', set: { title: 'A renamed link' } } },
      { patch: { id: 'issue-8', set: { title: 'A retitled eighth issue' } } },
    ]);
    const rebuilt = await buildSite({ config, store, threads: 2, workerThreshold: 4 });
    expect(rebuilt.rendered).toBe(4); // issue 5 (the link), 8, and its neighbours 7 and 9
    // The new folder links what the previous output already held instead of writing it again.
    expect(await inodes(kept)).toEqual(keptBefore);
    expect(await inodes(['search/8.json'])).not.toEqual(editedBefore);
    const scratch = { outDir: path.join(dir, 'scratch'), dataDir: path.join(dir, 'data-scratch'), baseUrl: undefined };
    await buildSite({ config: scratch, store: new GroqJsStore({ datasetPath }), threads: 1 });
    expect(await snapshot(config.outDir)).toEqual(await snapshot(scratch.outDir));
    expect(await fs.readFile(path.join(config.outDir, 'issues/9-issue-9/index.html'), 'utf8')).toContain('A retitled eighth issue');
  });

  it('stops the worker threads and leaves the previous output untouched when an issue fails in a worker', async () => {
    const dir = await makeTempDir();
    const store = new GroqJsStore({ datasetPath: await smallDataset(dir, 12) });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    await buildSite({ config, store, threads: 1 });
    const before = await snapshot(config.outDir);
    // A new base URL changes every page, so all twelve are rendered, in workers; one does not fit the content model.
    await store.mutate([{ patch: { id: 'issue-7', set: { 'sections[0].heading': '' } } }]);
    const error = await buildSite({ config: { ...config, baseUrl: 'https://elsewhere.example.org' }, store, threads: 2, workerThreshold: 4 }).catch((e: unknown) => e);
    expect(isNewsdeskError(error, 'CONTENT_INVALID')).toBe(true);
    expect(String((error as Error).message)).toContain('issue 7');
    expect(await snapshot(config.outDir)).toEqual(before);
    expect((await fs.readdir(dir)).filter((n) => n.includes('staging'))).toEqual([]);
  });

  it('leaves the previous output untouched when a step fails before the swap', async () => {
    const dir = await makeTempDir();
    const store = new GroqJsStore({ datasetPath: await smallDataset(dir) });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    await buildSite({ config, store });
    const before = await snapshot(config.outDir);
    await store.mutate([{ patch: { id: 'issue-2', set: { title: 'A title the failed build must not publish' } } }]);
    await expect(
      buildSite({ config, store, beforeCommit: () => Promise.reject(new Error('disk full (injected)')) }),
    ).rejects.toThrow(/disk full \(injected\).*unchanged/);
    expect(await snapshot(config.outDir)).toEqual(before);
    expect((await fs.readdir(dir)).filter((n) => n.includes('staging'))).toEqual([]);
  });

  it('leaves the previous output untouched when an issue cannot be rendered', async () => {
    const dir = await makeTempDir();
    const store = new GroqJsStore({ datasetPath: await smallDataset(dir) });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    await buildSite({ config, store });
    const before = await snapshot(config.outDir);
    // A section without a heading does not fit the content model: the build must stop, not publish half a site.
    await store.mutate([{ patch: { id: 'issue-4', set: { 'sections[0].heading': '' } } }]);
    const error = await buildSite({ config, store }).catch((e: unknown) => e);
    expect(isNewsdeskError(error, 'CONTENT_INVALID')).toBe(true);
    expect(String((error as Error).message)).toContain('issue 4');
    expect(await snapshot(config.outDir)).toEqual(before);
  });
});

describe('the spare output folder', () => {
  const setUp = async () => {
    const dir = await makeTempDir();
    const datasetPath = await smallDataset(dir, 8);
    const store = new GroqJsStore({ datasetPath });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    const spare = path.join(dir, '.out.spare');
    /** What a build from scratch of the store's content gives, in a folder of its own. */
    const scratch = async () => {
      const other = { outDir: path.join(dir, `scratch-${Math.random().toString(36).slice(2)}`), dataDir: path.join(dir, `data-${Math.random().toString(36).slice(2)}`), baseUrl: undefined };
      await buildSite({ config: other, store: new GroqJsStore({ datasetPath }), threads: 1 });
      return snapshot(other.outDir);
    };
    return { dir, store, config, spare, scratch };
  };
  const inodes = async (root: string) => {
    const out = new Map<string, number>();
    for (const file of await listFiles(root)) out.set(file, (await fs.stat(path.join(root, file))).ino);
    return out;
  };

  it('keeps the replaced output as the spare, and the next build brings it up to date and swaps it in, equal to a build from scratch', async () => {
    const { dir, store, config, spare, scratch } = await setUp();
    await buildSite({ config, store, threads: 1 });
    await expect(fs.stat(spare)).rejects.toThrow(); // nothing was replaced yet
    await store.mutate([{ patch: { id: 'issue-3', set: { title: 'A third issue, retitled' } } }]);
    await buildSite({ config, store, threads: 1 });
    // The first output is the spare now, whole.
    expect(await fs.readFile(path.join(spare, 'issues/3-issue-3/index.html'), 'utf8')).not.toContain('A third issue, retitled');
    const spareBefore = await inodes(spare);
    const secondOutput = await snapshot(config.outDir);

    await store.mutate([{ patch: { id: 'issue-6', set: { summary: 'A summary the third build adds.' } } }]);
    const third = await buildSite({ config, store, threads: 1 });
    expect(third.rendered).toBeGreaterThan(0);
    // The output is the former spare, brought up to date: every file as a build from scratch writes it, no file more.
    const output = await snapshot(config.outDir);
    expect(output).toEqual(await scratch());
    const now = await inodes(config.outDir);
    const untouched = [...now].filter(([file, ino]) => spareBefore.get(file) === ino).map(([file]) => file);
    expect(untouched).toContain('emails/1.html'); // issue 1 changed in neither build: its email stayed where it was
    expect(untouched).not.toContain('issues/3-issue-3/index.html'); // changed since the spare was live
    expect(untouched).not.toContain('issues/6-issue-6/index.html'); // changed in this build
    // …and the second output is the spare in its turn, exactly as it was served.
    expect(await snapshot(spare)).toEqual(secondOutput);
    expect((await fs.readdir(dir)).filter((n) => n.includes('staging') || n.includes('.old-'))).toEqual([]);
  });

  it('deletes a spare its manifest does not vouch for and builds in a new folder', async () => {
    const { store, config, spare, scratch } = await setUp();
    await buildSite({ config, store, threads: 1 });
    await buildSite({ config, store, threads: 1 });
    // Something changed the spare behind the build's back (its manifest no longer matches it).
    await fs.rm(path.join(spare, 'index.html'));
    await fs.writeFile(path.join(spare, 'index.html'), 'not what the manifest says');
    await fs.writeFile(path.join(spare, 'stray.txt'), 'left behind');
    await store.mutate([{ patch: { id: 'issue-2', set: { title: 'A second issue, retitled' } } }]);
    await buildSite({ config, store, threads: 1 });
    expect(await snapshot(config.outDir)).toEqual(await scratch());
  });

  it('deletes a spare with a file taken away or added by hand, though its manifest still matches its index page', async () => {
    for (const tamper of [
      (spare: string) => fs.rm(path.join(spare, 'emails/1.html')),
      (spare: string) => fs.writeFile(path.join(spare, 'issues/1-issue-1/notes.txt'), 'added by hand'),
    ]) {
      const { store, config, spare, scratch } = await setUp();
      await buildSite({ config, store, threads: 1 });
      await buildSite({ config, store, threads: 1 });
      await tamper(spare);
      await store.mutate([{ patch: { id: 'issue-2', set: { title: 'A second issue, retitled' } } }]);
      await buildSite({ config, store, threads: 1 });
      expect(await snapshot(config.outDir)).toEqual(await scratch());
    }
  });

  it('leaves the live output untouched when a build staging in the spare fails, and the next build starts afresh', async () => {
    const { store, config, spare, scratch } = await setUp();
    await buildSite({ config, store, threads: 1 });
    await buildSite({ config, store, threads: 1 });
    const before = await snapshot(config.outDir);
    await store.mutate([{ patch: { id: 'issue-5', set: { title: 'A title the failed build must not publish' } } }]);
    await expect(buildSite({ config, store, threads: 1, beforeCommit: () => Promise.reject(new Error('disk full (injected)')) })).rejects.toThrow(/unchanged/);
    expect(await snapshot(config.outDir)).toEqual(before);
    // The half-updated spare is gone, not left to pass for the output it was.
    await expect(fs.stat(spare)).rejects.toThrow();
    await buildSite({ config, store, threads: 1 });
    expect(await snapshot(config.outDir)).toEqual(await scratch());
  });
});

describe('the spare output folder, beside a server rebuilding in place', () => {
  it('is not kept when the output it was made from changed in place during the build, so no manifest lies about it', async () => {
    const dir = await makeTempDir();
    const datasetPath = await smallDataset(dir, 6);
    const store = new GroqJsStore({ datasetPath });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    const title = { id: 'issue-2', original: 'Issue 2', edited: 'A second issue, retitled in place' };
    const page = path.join(config.outDir, 'issues/2-issue-2/index.html');
    await store.mutate([{ patch: { id: title.id, set: { title: title.original } } }]);
    await buildSite({ config, store, threads: 1 });
    await buildSite({ config, store, threads: 1 });
    // While a third build is about to swap, a server publishes an edit in place into the live output.
    await buildSite({
      config,
      store: new GroqJsStore({ datasetPath }),
      threads: 1,
      beforeCommit: async () => {
        await store.mutate([{ patch: { id: title.id, set: { title: title.edited } } }]);
        expect((await buildSite({ config, store, threads: 1, inPlace: true })).inPlace).toBe(true);
        expect(await fs.readFile(page, 'utf8')).toContain(title.edited);
      },
    });
    // The edit is taken back; the next build (staging in whatever spare the last one kept) must show the original title again, everywhere.
    await store.mutate([{ patch: { id: title.id, set: { title: title.original } } }]);
    await buildSite({ config, store, threads: 1 });
    const scratch = { outDir: path.join(dir, 'scratch'), dataDir: path.join(dir, 'data-scratch'), baseUrl: undefined };
    await buildSite({ config: scratch, store: new GroqJsStore({ datasetPath }), threads: 1 });
    expect(await snapshot(config.outDir)).toEqual(await snapshot(scratch.outDir));
  });
});
