// A new process (`newsdesk build` after an edit) reuses the last build's link pages and
// feeds whole when every issue gives the links index what it gave then
// (build/links-output.ts StoredPageKeys.reuse), and makes the index again otherwise; either
// way the output is the one a build from scratch writes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInNewProcess as buildFresh, expectSameAsFromScratch, syntheticSite, type BuildOptions } from './helpers/fresh-build.ts';

/** buildSite as a new process has it; how many times it made the links index. */
const buildInNewProcess = (options: BuildOptions) => buildFresh(options, ({ linksIndex }) => linksIndex.linksIndexStats.made);

describe('link pages in a new process', () => {
  it('are reused when no issue changed what it gives them, made again when one did, and equal a build from scratch either way', async () => {
    const { dir, store, config } = await syntheticSite('newsdesk-links-reuse-');
    expect(await buildInNewProcess({ config, store, threads: 1 })).toBe(1);
    let step = 0;
    const sameAsFromScratch = () => expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, `reference-${++step}`), `step ${step}`);

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

describe("the links index in a new process", () => {
  it('reads the unchanged issues from their kept shares and walks only the changed ones, in the same context, equal to a build from scratch', async () => {
    const { dir, store, config } = await syntheticSite('newsdesk-links-shares-');
    /** How many issues the build walked to make the links index (and that it made it); `digested`: how many entries it digested. */
    let digested = 0;
    const walked = async () => {
      let made = 0;
      const count = await buildFresh({ config, store, threads: 1 }, ({ linksIndex }) => {
        ({ made, digested } = linksIndex.linksIndexStats);
        return linksIndex.linksIndexStats.walked;
      });
      expect(made).toBe(1);
      return count;
    };
    let step = 0;
    const sameAsFromScratch = () => expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, `reference-${++step}`), `step ${step}`);
    const editWords = async (id: string, words: string) => {
      const issue = (await store.fetch<{ sections: Array<{ body: Array<{ markDefs?: unknown[]; children?: Array<{ text?: string }> }> }> }>('*[_id == $id][0]{sections}', { id }, { perspective: 'raw' }))!;
      const sections = structuredClone(issue.sections);
      const block = sections.flatMap((s) => s.body).find((b) => b.markDefs?.length && b.children?.some((c) => typeof c.text === 'string'))!;
      block.children!.find((c) => typeof c.text === 'string')!.text += words;
      await store.mutate([{ patch: { id, set: { sections } } }]);
    };
    const published = 12;
    expect(await walked()).toBe(published);

    // Words around a link, outside ASCII too (the record is ASCII, its JSON escaping the rest).
    await editWords('issue-6', ' Now with a café, a naïve “quote” — and 🦆.');
    expect(await walked()).toBe(1);
    await sameAsFromScratch();
    // Another issue: issue 6 is read from the share the last build kept of it. An entry made
    // from one kept contribution takes its digest from the share: only issue 7's own links,
    // and the few entries several issues share, are digested.
    const entries = (await store.fetch<string[]>('*[_type == "link"].url', {}, { perspective: 'published' }))!.length;
    await editWords('issue-7', ' And one more sentence.');
    expect(await walked()).toBe(1);
    expect(digested).toBeGreaterThan(0);
    expect(digested).toBeLessThan(entries / 4);
    await sameAsFromScratch();

    // A link document retitled: the issues that use it have new cache keys, and only they are walked.
    await store.mutate([{ patch: { id: 'link-3-0', set: { title: 'A retitled link' } } }]);
    const users = (await store.fetch<number>('count(*[_type == "issue" && references("link-3-0")])', {}, { perspective: 'published' }))!;
    expect(users).toBeGreaterThan(0);
    expect(await walked()).toBe(users);
    await sameAsFromScratch();

    // A tag renamed: another context (no issue's key covers the tag documents), so every issue is walked.
    await store.mutate([{ patch: { id: 'tag-tooling', set: { title: 'Tools' } } }]);
    await editWords('issue-8', ' After the rename.');
    expect(await walked()).toBe(published);
    await sameAsFromScratch();

    // A share the record holds broken (as a build stopped while appending might leave it): that issue is walked.
    const file = path.join(config.dataDir, 'build-cache', 'links-shares.ndjson');
    const lines = (await fs.readFile(file, 'latin1')).split('\n');
    expect(lines.every((line) => /^[\x00-\x7f]*$/.test(line))).toBe(true);
    // A share's line: context, key, share, and its words (a tab-separated JSON text per link document and contribution).
    const broken = lines.findIndex((line) => line.split('\t').length >= 4);
    lines[broken] = lines[broken]!.slice(0, lines[broken]!.length / 2);
    await fs.writeFile(file, lines.join('\n'), 'latin1');
    await editWords('issue-9', ' After the record broke.');
    expect(await walked()).toBe(2);
    await sameAsFromScratch();
  });

  it("reads the words of only the kept shares whose entries a rendered page or feed shows", async () => {
    const published = 120;
    const { dir, store, config } = await syntheticSite('newsdesk-links-words-', published);
    const build = () =>
      buildFresh({ config, store, threads: 1 }, ({ linksIndex, topicFeeds }) => {
        const { walked, wordsRead } = linksIndex.linksIndexStats;
        return { walked, wordsRead, feedsMade: topicFeeds.topicFeedStats.made };
      });
    expect((await build()).walked).toBe(published);
    // Words around a link in an early issue: its page of /links/ and its site's page are made
    // again; the other pages and the feeds keep their digests without their entries' words.
    // The two pages take their other items from the pages the output holds (links-items.ts),
    // so no kept share's words are read at all.
    const issue = (await store.fetch<{ sections: Array<{ body: Array<{ markDefs?: unknown[]; children?: Array<{ text?: string }> }> }> }>('*[_id == "issue-5"][0]{sections}', {}, { perspective: 'raw' }))!;
    const sections = structuredClone(issue.sections);
    const block = sections.flatMap((s) => s.body).find((b) => b.markDefs?.length && b.children?.some((c) => typeof c.text === 'string'))!;
    const edit = async (words: string) => {
      block.children!.find((c) => typeof c.text === 'string')!.text += words;
      await store.mutate([{ patch: { id: 'issue-5', set: { sections } } }]);
    };
    await edit(' A sentence more.');
    const spliced = await build();
    expect(spliced.walked).toBe(1);
    expect(spliced.wordsRead).toBe(0);
    // No feed shows an entry of issue 5 (each shows the newest 50 of its kind): each is placed from what the last build wrote.
    expect(spliced.feedsMade).toBe(0);
    await expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, 'reference'), 'after the words edit');

    // Without the record of where the items are, the two pages are rendered whole: only the
    // shares of the entries they show are read.
    const items = path.join(config.dataDir, 'build-cache', 'links-items.bin');
    await fs.rm(items);
    await edit(' One more.');
    const { walked, wordsRead } = await build();
    expect(walked).toBe(1);
    expect(wordsRead).toBeGreaterThan(0);
    expect(wordsRead).toBeLessThan(published / 2);
    await expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, 'reference-1'), 'after the words edit, rendered whole');

    // Words damaged on disk (whole lines, the same length, not JSON): the build that needs them
    // fails saying so and removes the record; the next one walks every issue, and is right.
    const file = path.join(config.dataDir, 'build-cache', 'links-shares.ndjson');
    // Every word text of every share starts with '[' after a tab (the share's first text with '{').
    const lines = (await fs.readFile(file, 'latin1')).split('\n').map((line) => line.replace(/\t\[/g, '\tx'));
    await fs.writeFile(file, lines.join('\n'), 'latin1');
    await fs.rm(items);
    await edit(' And another.');
    await expect(build()).rejects.toThrow(/links-shares\.ndjson was damaged/);
    await expect(fs.access(file)).rejects.toThrow();
    expect((await build()).walked).toBe(published);
    await expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, 'reference-2'), 'after the damaged record');
  });
});
