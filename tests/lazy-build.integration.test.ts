// `newsdesk build` after an earlier build opens the local dataset lazily
// (content/lazy-document.ts): a rebuild after an edit parses only the documents it reads
// beyond their id, type and digest, and writes what a build from scratch writes.
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildSite } from '../build/build-site.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { syntheticDataset, writeDataset } from './build-dataset.ts';
import { lazyStats, parsedBudget } from '../content/lazy-document.ts';
import { expectSameAsFromScratch, syntheticSite, type BuildOptions } from './helpers/fresh-build.ts';
import { collectGarbage } from '../core/collect-garbage.ts';
import { makeTempDir } from './helpers/temp.ts';

/** A build as `newsdesk build` runs it in a new process, on a lazy store of that process's modules; how many documents it parsed. */
async function lazyBuildInNewProcess(datasetPath: string, config: BuildOptions['config']): Promise<number> {
  vi.resetModules();
  const { GroqJsStore: FreshStore } = (await import('../content/groq-js-store.ts')) as typeof import('../content/groq-js-store.ts');
  const { lazyStats } = (await import('../content/lazy-document.ts')) as typeof import('../content/lazy-document.ts');
  const { buildSite } = (await import('../build/build-site.ts')) as typeof import('../build/build-site.ts');
  await buildSite({ config, store: new FreshStore({ datasetPath, lazy: true }), threads: 1 });
  return lazyStats.parsed;
}

describe('a build on a lazily read dataset', () => {
  it('parses only what an edit makes it read, and writes what a build from scratch writes', async () => {
    const dir = await makeTempDir('newsdesk-lazy-build-');
    const datasetPath = path.join(dir, 'dataset.ndjson');
    const issues = 12;
    const linksPerIssue = 9;
    await writeDataset(datasetPath, syntheticDataset({ issues, sectionsPerIssue: 3, linksPerIssue }));
    const store = new GroqJsStore({ datasetPath });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    const documents = (await store.fetch<unknown[]>('*', {}, { perspective: 'raw' })).length;
    // The first build reads nearly everything.
    expect(await lazyBuildInNewProcess(datasetPath, config)).toBeGreaterThan(documents * 0.8);

    // A summary: the edited issue comes from the journal; of the rest, its links, the tags and the settings are read.
    await store.mutate([{ patch: { id: 'issue-4', set: { summary: 'Read lazily.' } } }]);
    const parsed = await lazyBuildInNewProcess(datasetPath, config);
    expect(parsed).toBeGreaterThan(0);
    expect(parsed).toBeLessThanOrEqual(linksPerIssue + 10);
    await expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, 'reference-1'), 'after a summary edit');

    // The words around a link: the links index reads every issue.
    const issue = (await store.fetch<{ sections: Array<{ body: Array<{ children?: Array<{ text?: string }> }> }> }>('*[_id == "issue-6"][0]{sections}', {}, { perspective: 'raw' }))!;
    const sections = structuredClone(issue.sections);
    sections.flatMap((s) => s.body).find((b) => b.children?.some((c) => typeof c.text === 'string' && c.text.length > 0))!.children![0]!.text += ' And more.';
    await store.mutate([{ patch: { id: 'issue-6', set: { sections } } }]);
    expect(await lazyBuildInNewProcess(datasetPath, config)).toBeGreaterThanOrEqual(issues - 1);
    await expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, 'reference-2'), 'after a link edit');
  });

  it('renders again only what an edit changed when the journal was folded into the dataset file meanwhile', async () => {
    const dir = await makeTempDir('newsdesk-lazy-compacted-');
    const datasetPath = path.join(dir, 'dataset.ndjson');
    const issues = 12;
    // Lines without revisions, as a hand-written dataset has them: each document gets one derived from its text.
    await writeDataset(datasetPath, syntheticDataset({ issues, sectionsPerIssue: 3, linksPerIssue: 6 }));
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    const build = async () => (await buildSite({ config, store: new GroqJsStore({ datasetPath, lazy: true }), threads: 1 })).rendered;
    expect(await build()).toBe(issues);

    const store = new GroqJsStore({ datasetPath, lazy: true });
    await store.mutate([{ patch: { id: 'issue-12', set: { summary: 'Edited, then folded in.' } } }]);
    await store.compact();
    // The compaction wrote the lines no edit touched as they were: every other issue keeps its fingerprint.
    expect(await build()).toBe(1);
    await expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, 'reference'), 'after a compaction');
  });

  it('writes what a build from scratch writes when it keeps no parse but the newest, in one thread and with workers', async () => {
    const { dir, datasetPath, store, config } = await syntheticSite('newsdesk-lazy-budget-', 14);
    const documents = (await store.fetch<unknown[]>('*', {}, { perspective: 'raw' })).length;
    const budget = parsedBudget.bytes;
    parsedBudget.bytes = 0;
    try {
      for (const threads of [1, 2]) {
        const build = { ...config, outDir: path.join(dir, `out-${threads}`), dataDir: path.join(dir, `data-${threads}`) };
        const before = { ...lazyStats };
        await buildSite({ config: build, store: new GroqJsStore({ datasetPath, lazy: true }), threads });
        // Each document read in more than one step was parsed again.
        expect(lazyStats.letGo - before.letGo).toBeGreaterThan(documents);
        expect(lazyStats.parsed - before.parsed).toBeGreaterThan(documents * 1.2);
        // But a link document once (its fields are taken once for every step that reads them),
        // and an issue's references are found in its line: 2.9 and 1.5 times the documents,
        // in one thread and with workers (issues are projected in this thread without them);
        // 3.7 and 2.4 with the fields taken again for the search index's tags, 6.8 and 5.4
        // with the links index reading them anew for each use too.
        expect(lazyStats.parsed - before.parsed).toBeLessThan(documents * (threads === 1 ? 3.3 : 2));
        await expectSameAsFromScratch({ config: build, store, threads: 1 }, path.join(dir, `reference-${threads}`), `${threads} thread(s), no parse kept`);
      }
    } finally {
      parsedBudget.bytes = budget;
    }
  });
  it('alone in its process, lets go of the tagged links once its tag pages are written, and writes what a build from scratch writes', async () => {
    const { dir, datasetPath, store, config } = await syntheticSite('newsdesk-lone-build-', 14);
    for (const threads of [1, 2]) {
      vi.resetModules();
      const sources = (await import('../build/sources.ts')) as typeof import('../build/sources.ts');
      const { buildSite } = (await import('../build/build-site.ts')) as typeof import('../build/build-site.ts');
      const lazy = new GroqJsStore({ datasetPath, lazy: true });
      // The links as the build resolves them: the same objects, as nothing changes in between.
      const raw = await sources.fetchRawContent(lazy);
      const listings = new Map(sources.projectListings(raw, raw.issues.map((d) => d._id)).map((l) => [l.id, l] as const));
      let links: unknown[] | undefined = sources.taggedLinks(raw, listings);
      const refs = links.map((link) => new WeakRef(link as object));
      expect(refs.length).toBeGreaterThan(20);
      const build = { ...config, outDir: path.join(dir, `out-${threads}`), dataDir: path.join(dir, `data-${threads}`) };
      await buildSite({ config: build, store: lazy, threads, alone: true });
      // Nothing kept for a next build: not the links, nor each tag's sort of them, nor their markup.
      expect(sources.knownTaggedLinks(raw, listings)).toBeUndefined();
      links = undefined;
      collectGarbage();
      expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
      await expectSameAsFromScratch({ config: build, store, threads: 1 }, path.join(dir, `reference-${threads}`), `alone, ${threads} thread(s)`);
    }
  });
});
