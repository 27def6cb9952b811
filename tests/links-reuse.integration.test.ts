// A new process (`newsdesk build` after an edit) reuses the last build's link pages and
// feeds whole when every issue gives the links index what it gave then
// (build/links-output.ts StoredPageKeys.reuse), and makes the index again otherwise; either
// way the output is the one a build from scratch writes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { syntheticDataset, writeDataset } from './build-dataset.ts';
import { makeTempDir } from './helpers/temp.ts';
import { listFiles } from './web-build-fixture.ts';

/** buildSite as a new process has it (nothing remembered), and how many times it made the links index. */
async function buildInNewProcess(options: Parameters<typeof import('../build/build-site.ts').buildSite>[0]): Promise<number> {
  vi.resetModules();
  const { buildSite } = (await import('../build/build-site.ts')) as typeof import('../build/build-site.ts');
  const { linksIndexStats } = (await import('../build/links-index.ts')) as typeof import('../build/links-index.ts');
  await buildSite(options);
  return linksIndexStats.made;
}

describe('link pages in a new process', () => {
  it('are reused when no issue changed what it gives them, made again when one did, and equal a build from scratch either way', async () => {
    const dir = await makeTempDir('newsdesk-links-reuse-');
    const datasetPath = path.join(dir, 'dataset.ndjson');
    await writeDataset(datasetPath, syntheticDataset({ issues: 12, sectionsPerIssue: 3, linksPerIssue: 9 }));
    const store = new GroqJsStore({ datasetPath });
    const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    expect(await buildInNewProcess({ config, store, threads: 1 })).toBe(1);
    let step = 0;
    const sameAsFromScratch = async () => {
      const reference = path.join(dir, `reference-${++step}`);
      await buildInNewProcess({ config: { ...config, outDir: reference, dataDir: path.join(dir, `data-reference-${step}`) }, store, threads: 1 });
      const [ours, theirs] = await Promise.all([listFiles(config.outDir), listFiles(reference)]);
      expect(ours).toEqual(theirs);
      for (const rel of ours) {
        const [a, b] = await Promise.all([fs.readFile(path.join(config.outDir, rel)), fs.readFile(path.join(reference, rel))]);
        expect(a.equals(b), `step ${step}: ${rel}`).toBe(true);
      }
    };

    // A summary: not on the link pages.
    await store.mutate([{ patch: { id: 'issue-4', set: { summary: 'A summary no link page shows.' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toBe(0);
    await sameAsFromScratch();
    // The same in place, as a server would after a publish.
    await store.mutate([{ patch: { id: 'issue-5', set: { summary: 'Another one.' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1, inPlace: true })).toBe(0);
    await sameAsFromScratch();

    // The words around a link: shown on the link pages.
    const issue = (await store.fetch<{ sections: Array<{ body: Array<{ children?: Array<{ text?: string }> }> }> }>('*[_id == "issue-6"][0]{sections}', {}, { perspective: 'raw' }))!;
    const sections = structuredClone(issue.sections);
    const block = sections.flatMap((s) => s.body).find((b) => b.children?.some((c) => typeof c.text === 'string' && c.text.length > 0))!;
    block.children!.find((c) => typeof c.text === 'string')!.text += ' Now with a sentence more.';
    await store.mutate([{ patch: { id: 'issue-6', set: { sections } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toBe(1);
    await sameAsFromScratch();
    // That build digested only the issue that changed, keeping the others' digests: enough to reuse again.
    await store.mutate([{ patch: { id: 'issue-6', set: { summary: 'And then only its summary.' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toBe(0);
    await sameAsFromScratch();

    // A tag only a link names, renamed: its name is on the link pages, and no issue's cache key covers it.
    await store.mutate([
      { create: { _id: 'tag-quince', _type: 'tag', title: 'Quince', slug: { _type: 'slug', current: 'quince' } } },
      { patch: { id: 'link-9-0', set: { tags: [{ _type: 'reference', _ref: 'tag-quince', _key: 'q' }] } } },
    ]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toBe(1);
    await store.mutate([{ patch: { id: 'tag-quince', set: { title: 'Medlar' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toBe(1);
    await sameAsFromScratch();

    // A record of the pages the output's own record (build-cache/output.json) does not bear
    // out, or no record of the output at all: made again.
    const file = path.join(config.dataDir, 'build-cache', 'links-pages.json');
    const stored = JSON.parse(await fs.readFile(file, 'utf8')) as { reuse: { pages: Array<[string, string]> } };
    stored.reuse.pages[0]![1] = 'sha256:not-what-the-output-holds';
    await fs.writeFile(file, JSON.stringify(stored));
    await store.mutate([{ patch: { id: 'issue-7', set: { summary: 'After the record went wrong.' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toBe(1);
    await sameAsFromScratch();
    await store.mutate([{ patch: { id: 'issue-8', set: { summary: 'After the output went.' } } }]);
    await fs.rm(path.join(config.dataDir, 'build-cache', 'output.json'));
    expect(await buildInNewProcess({ config, store, threads: 1 })).toBe(1);
    await sameAsFromScratch();
  });
});
