// A new process (`newsdesk build` after an edit) takes each tag's links from the last
// build's record (build/tag-pages.ts) when no published issue's use of links changed, and
// a tag page it must render again takes its links section from the page store; when a few
// issues changed their use of links it splices the stored sections with the links those
// issues use, from the links index; a change to the tags themselves, or a record or index
// it cannot trust, resolves every link again. Either way the output is the one a build from
// scratch writes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { columnsFileParts, readColumnsFile, type ColumnsFile } from '../build/columns.ts';
import { buildInNewProcess as buildFresh, expectSameAsFromScratch, syntheticSite, type BuildOptions } from './helpers/fresh-build.ts';

/** buildSite as a new process has it; how many times it resolved every tag's links, and spliced them. */
const buildInNewProcess = (options: BuildOptions) => buildFresh(options, ({ tagPages }) => ({ ...tagPages.tagLinksStats }));
const fromRecord = { resolved: 0, spliced: 0 };
const spliced = { resolved: 0, spliced: 1 };
const resolved = { resolved: 1, spliced: 0 };

describe('tag pages in a new process', () => {
  it('take their links from the record while no issue changed its use of links, splice them when one did, resolve them when a tag changed, and equal a build from scratch', async () => {
    const { dir, store, config } = await syntheticSite('newsdesk-tag-pages-');
    const record = path.join(config.dataDir, 'build-cache', 'tag-links.json');
    const index = path.join(config.dataDir, 'build-cache', 'tag-links-index.bin');
    const pagesDir = path.join(config.dataDir, 'build-cache', 'pages');
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(resolved);
    let step = 0;
    const sameAsFromScratch = () => expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, `reference-${++step}`), `step ${step}`);
    const tagPagesShowing = async (text: string) => {
      const slugs = await fs.readdir(path.join(config.outDir, 'tags'));
      const pages = await Promise.all(slugs.map((slug) => fs.readFile(path.join(config.outDir, 'tags', slug, 'index.html'), 'utf8')));
      return pages.filter((html) => html.includes(text)).length;
    };

    // A summary is on the tags' pages of its issue, not in any link: those pages are rendered again around their stored links sections.
    await store.mutate([{ patch: { id: 'issue-4', set: { summary: 'A summary the tag pages show.' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(fromRecord);
    expect(await tagPagesShowing('A summary the tag pages show.')).toBeGreaterThan(0);
    await sameAsFromScratch();
    // In place, as a server would after a publish.
    await store.mutate([{ patch: { id: 'issue-5', set: { summary: 'Another one.' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1, inPlace: true })).toEqual(fromRecord);
    await sameAsFromScratch();

    // A link's title, a number ("issue #n" under each link): each changes what the pages list, spliced; a tag's name resolves them all.
    await store.mutate([{ patch: { id: 'link-3-0', set: { title: 'A retitled link' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(spliced);
    expect(await tagPagesShowing('A retitled link')).toBeGreaterThan(0);
    await sameAsFromScratch();
    await store.mutate([{ patch: { id: 'issue-12', set: { number: 40 } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(spliced);
    expect(await tagPagesShowing('issue #40')).toBeGreaterThan(0);
    await sameAsFromScratch();
    const [tag] = await store.fetch<Array<{ _id: string }>>('*[_type == "tag"] | order(_id asc) { _id }');
    await store.mutate([{ patch: { id: tag!._id, set: { title: 'Renamed tag' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(resolved);
    await sameAsFromScratch();
    // An issue unpublished: its links' "issue #n" go.
    await store.mutate([{ delete: { id: 'issue-11' } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(spliced);
    await sameAsFromScratch();
    // After resolving or splicing, the record is whole again.
    await store.mutate([{ patch: { id: 'issue-6', set: { summary: 'Once more from the record.' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(fromRecord);
    await sameAsFromScratch();

    // A stored links section gone: made again (resolving the links), and the record stands.
    const sections = async () => (await fs.readdir(pagesDir)).filter((name) => name.endsWith('.html'));
    const before = await sections();
    for (const name of before) await fs.rm(path.join(pagesDir, name));
    await store.mutate([{ patch: { id: 'issue-7', set: { summary: 'With the store emptied.' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(resolved);
    await sameAsFromScratch();
    await store.mutate([{ patch: { id: 'issue-7', set: { summary: 'And back to the record.' } } }]);
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(fromRecord);
    await sameAsFromScratch();

    // A links index it cannot trust. Gone, of another generation than the record names, or damaged:
    // every link is resolved. Wrong lengths, or the stored sections gone: the splice is
    // planned, the sections cannot be made from it, and the links are resolved instead
    // (giving the digests planned).
    const retitle = (title: string) => store.mutate([{ patch: { id: 'link-5-1', set: { title } } }]);
    const rewriteIndex = async (change: (index: ColumnsFile) => void) => {
      const stored = readColumnsFile(await fs.readFile(index))!;
      change(stored);
      await fs.writeFile(index, Buffer.concat(columnsFileParts(stored)));
    };
    await fs.rm(index);
    await retitle('Retitled with no index');
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(resolved);
    await sameAsFromScratch();
    await rewriteIndex((stored) => void (stored.header.generation = 'another'));
    await retitle('Retitled with another index');
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(resolved);
    await sameAsFromScratch();
    await fs.writeFile(index, (await fs.readFile(index)).subarray(0, -3));
    await retitle('Retitled with a damaged index');
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(resolved);
    await sameAsFromScratch();
    await rewriteIndex((stored) => void (stored.ints.bytes = stored.ints.bytes!.map((bytes) => bytes + 1)));
    await retitle('Retitled with wrong lengths');
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual({ resolved: 1, spliced: 1 });
    await sameAsFromScratch();
    for (const name of await sections()) await fs.rm(path.join(pagesDir, name));
    await retitle('Retitled with the sections gone');
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual({ resolved: 1, spliced: 1 });
    expect(await tagPagesShowing('Retitled with the sections gone')).toBeGreaterThan(0);
    await sameAsFromScratch();
    await retitle('Retitled from the index again');
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(spliced);
    await sameAsFromScratch();

    // A record that does not match the content (a tag's links digest changed by hand): the
    // build stops before the swap and deletes it; the output stays; the next build resolves.
    const stored = JSON.parse(await fs.readFile(record, 'utf8')) as { tags: Array<[string, string, string]> };
    stored.tags[0]![2] = 'not-the-digest';
    await fs.writeFile(record, JSON.stringify(stored));
    const output = await fs.readFile(path.join(config.outDir, 'index.html'));
    await store.mutate([{ patch: { id: 'issue-8', set: { summary: 'After the record went wrong.' } } }]);
    const failure = await buildInNewProcess({ config, store, threads: 1 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    // A NewsdeskError of the modules that build loaded (vi.resetModules), so by its fields.
    expect(failure).toMatchObject({ code: 'BUILD_FAILED', message: expect.stringContaining('tag-links.json') });
    expect((await fs.readFile(path.join(config.outDir, 'index.html'))).equals(output)).toBe(true);
    await expect(fs.stat(record)).rejects.toThrow();
    expect(await buildInNewProcess({ config, store, threads: 1 })).toEqual(resolved);
    await sameAsFromScratch();
  });
});
