// The links index made from the last build's outline (build/links-outline.ts,
// links-index.ts indexFromOutline) against making it from every issue: a seeded run of the
// edits an editor makes between two builds, each followed by a build as a new process runs
// it and compared, byte for byte, with a build from scratch. The edits the outline can
// follow (words around a link, new issues published after the others linking to new and
// older links, a link document retitled, an issue retitled, a section's topic) make the
// index from it; the ones that move entries (a link added to an older issue, links in
// another order, an issue unpublished or renumbered, a link's address changed) make it
// from every issue. Either way the outline left for the next build is the one a build from
// scratch leaves.
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { outlineFile, readOutline, type LinksOutline } from '../build/links-outline.ts';
import { columnsFileParts, readColumnsFile } from '../build/columns.ts';
import type { SanityDocument } from '../content/store.ts';
import { seededRandom } from './helpers/seeded-random.ts';
import { buildInNewProcess as buildFresh, expectSameAsFromScratch, syntheticSite } from './helpers/fresh-build.ts';

type Doc = SanityDocument & Record<string, unknown>;
type Block = { _type: string; _key: string; markDefs?: Array<{ _key: string }>; children?: Array<{ text?: string; marks?: string[] }>; link?: unknown };

/** The outline in a data folder, entry by entry with its site and tags by name (the two ways of making it number them differently). */
function outlineIn(dataDir: string) {
  const cacheDir = path.join(dataDir, 'build-cache');
  const header = readFileSync(outlineFile(cacheDir), 'latin1').split('\n', 1)[0]!;
  const outline = readOutline(cacheDir, (JSON.parse(header) as { context: string }).context) as LinksOutline;
  expect(outline).toBeDefined();
  const entries = Array.from({ length: outline.count }, (_, i) => [
    outline.digests.slice(i * 12, i * 12 + 12),
    outline.hashLow[i],
    outline.hashHigh[i],
    outline.domains[outline.domainOf[i]!] ?? null,
    outline.tagLists[outline.tagsOf[i]!],
    [...outline.uses.subarray(outline.usesAt[i]!, outline.usesAt[i + 1]!)],
  ]);
  const issueKeys = outline.issues.map((_, k) => [...outline.issueKeys.subarray(outline.issueKeysAt[k]!, outline.issueKeysAt[k + 1]!)]);
  return { issues: outline.issues, entries, issueKeys, sections: outline.sections };
}

describe('the links index from the outline, in a new process', () => {
  it('follows the edits it can, makes the index from every issue after the others, and equals a build from scratch either way', async () => {
    const { dir, store, config } = await syntheticSite('newsdesk-links-outline-', 16);
    const options = { config, store, threads: 1 };
    const build = (inPlace: boolean) => buildFresh({ ...options, inPlace }, ({ linksIndex }) => ({ made: linksIndex.linksIndexStats.made, outlined: linksIndex.linksIndexStats.outlined }));
    expect(await build(false)).toEqual({ made: 1, outlined: 0 });
    const rnd = seededRandom(11);
    const pick = <T,>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    const docs = async (type: string) => (await store.fetch<Doc[]>('*[_type == $type && !(_id in path("drafts.**"))] | order(_id asc)', { type })).filter(Boolean);
    const issueWithCards = async () => pick((await docs('issue')).filter((i) => (i.sections as Array<{ body: Block[] }>).some((s) => s.body.some((b) => b._type === 'linkCard'))));
    const tags = (await docs('tag')).map((t) => t._id);
    let made = 0;
    const newLink = (tag: string) => ({
      _id: `link-new-${++made}`,
      _type: 'link',
      url: `https://new.example.org/${made}`,
      title: `A new link ${made}`,
      siteName: 'new.example.org',
      tags: [{ _type: 'reference', _ref: tag, _key: `t${made}` }],
      status: 'shortlisted',
    });
    const card = (id: string) => ({ _type: 'linkCard', _key: `card-${++made}`, link: { _type: 'reference', _ref: id }, comment: `Worth a look, ${made}.` });
    const publish = async (count: number) => {
      const issues = await docs('issue');
      const number = Math.max(...issues.map((i) => i.number as number));
      const links = (await docs('link')).filter((l) => issues.some((i) => JSON.stringify(i).includes(`"${l._id}"`)));
      let shared: string | undefined;
      const mutations: unknown[] = [];
      for (let n = 1; n <= count; n++) {
        const from = pick(issues);
        const fresh = newLink(pick(tags));
        // The second of two links to the first one's new link.
        const reused = [pick(links)._id, pick(links)._id, ...(shared ? [shared] : [])];
        shared = fresh._id;
        const sections = (from.sections as Array<{ body: unknown[] }>).map((s, i) => (i === 1 ? { ...s, body: [...s.body, card(fresh._id), ...reused.map(card)] } : s));
        mutations.push({ createOrReplace: fresh }, { createOrReplace: { ...from, _id: `issue-new-${made}`, number: number + n, slug: { _type: 'slug', current: `new-${made}` }, date: `2031-01-${String(n).padStart(2, '0')}`, sections } });
      }
      await store.mutate(mutations as never);
    };

    const edits: Array<[name: string, path: 'outline' | 'every issue' | 'reused', edit: () => Promise<void>]> = [
      ['the words around a link in an older issue', 'outline', async () => {
        const issue = pick(await docs('issue'));
        const sections = structuredClone(issue.sections) as Array<{ body: Block[] }>;
        const block = sections.flatMap((s) => s.body).find((b) => b.markDefs?.length && b.children?.some((c) => typeof c.text === 'string'))!;
        block.children!.find((c) => typeof c.text === 'string')!.text += ` A sentence more, ${++made}.`;
        await store.mutate([{ patch: { id: issue._id, set: { sections } } }]);
      }],
      ['a new issue published, with a new link and links of older issues', 'outline', () => publish(1)],
      ['two new issues, the second linking to the first one’s new link', 'outline', () => publish(2)],
      ['a link document an issue uses retitled', 'outline', async () => {
        const issue = await issueWithCards();
        const ref = (issue.sections as Array<{ body: Block[] }>).flatMap((s) => s.body).find((b) => b._type === 'linkCard')!.link as { _ref: string };
        await store.mutate([{ patch: { id: ref._ref, set: { title: `Retitled ${++made}` } } }]);
      }],
      ['an issue retitled', 'outline', async () => {
        await store.mutate([{ patch: { id: pick(await docs('issue'))._id, set: { title: `Retitled issue ${++made}` } } }]);
      }],
      ['a section given another topic', 'outline', async () => {
        const issue = pick(await docs('issue'));
        const sections = structuredClone(issue.sections) as Array<{ topic?: unknown }>;
        sections[0]!.topic = { _type: 'reference', _ref: pick(tags) };
        await store.mutate([{ patch: { id: issue._id, set: { sections } } }]);
      }],
      ['an issue’s summary (no link page shows it)', 'reused', async () => {
        await store.mutate([{ patch: { id: pick(await docs('issue'))._id, set: { summary: `A summary ${++made}.` } } }]);
      }],
      ['a new link added to an older issue', 'every issue', async () => {
        const issues = (await docs('issue')).sort((a, b) => (a.number as number) - (b.number as number));
        const issue = issues[Math.floor(issues.length / 3)]!;
        const fresh = newLink(pick(tags));
        const sections = structuredClone(issue.sections) as Array<{ body: unknown[] }>;
        sections[0]!.body.push(card(fresh._id));
        await store.mutate([{ createOrReplace: fresh }, { patch: { id: issue._id, set: { sections } } }]);
      }],
      ['an issue’s links in another order', 'every issue', async () => {
        const issue = pick(await docs('issue'));
        const sections = structuredClone(issue.sections) as Array<{ body: Block[] }>;
        sections.reverse();
        await store.mutate([{ patch: { id: issue._id, set: { sections } } }]);
      }],
      ['an issue unpublished', 'every issue', async () => {
        await store.mutate([{ delete: { id: pick(await docs('issue'))._id } }]);
      }],
      ['an older issue renumbered after the newest', 'every issue', async () => {
        const issues = (await docs('issue')).sort((a, b) => (a.number as number) - (b.number as number));
        await store.mutate([{ patch: { id: issues[1]!._id, set: { number: (issues.at(-1)!.number as number) + 1 } } }]);
      }],
      ['a link document’s address changed', 'every issue', async () => {
        const issue = await issueWithCards();
        const ref = (issue.sections as Array<{ body: Block[] }>).flatMap((s) => s.body).find((b) => b._type === 'linkCard')!.link as { _ref: string };
        await store.mutate([{ patch: { id: ref._ref, set: { url: `https://moved.example.org/${++made}` } } }]);
      }],
    ];

    const outlineKinds = edits.filter(([, way]) => way === 'outline');
    for (let step = 1; step <= edits.length + 6; step++) {
      // Each kind once, then more of the kinds the outline follows, each after one that made the index from every issue or reused it.
      const [name, way, edit] = step <= edits.length ? edits[step - 1]! : pick(outlineKinds);
      await edit();
      const label = `step ${step}: ${name}`;
      const stats = await build(rnd() < 0.3);
      if (way === 'outline') expect(stats, label).toEqual({ made: 1, outlined: 1 });
      if (way === 'every issue') expect(stats, label).toEqual({ made: 1, outlined: 0 });
      if (way === 'reused') expect(stats, label).toEqual({ made: 0, outlined: 0 });
      await expectSameAsFromScratch(options, path.join(dir, `reference-${step}`), label);
      // The outline left for the next build: the one a build from scratch leaves.
      if (way !== 'reused') expect(outlineIn(config.dataDir), label).toEqual(outlineIn(path.join(dir, `reference-${step}`, 'data')));
    }

    // An outline damaged on disk: its entries other than an issue's named by hashes no key has.
    // An edit to that issue's words passes the outline's checks; the build fails once it reads
    // an entry from the kept shares, saying so, and removes the outline; the next build makes
    // the index from every issue, and is right.
    const file = outlineFile(path.join(config.dataDir, 'build-cache'));
    const stored = readColumnsFile(readFileSync(file))!;
    const header = stored.header as { count: number; issues: Array<[number, string]> };
    const outline = outlineIn(config.dataDir);
    const issue = 0;
    const kept = new Set(outline.issueKeys[issue]);
    stored.ints.hashHigh = stored.ints.hashHigh!.map((high, i) => (kept.has(i) ? high : high ^ 1));
    await fs.writeFile(file, Buffer.concat(columnsFileParts(stored)));
    const number = header.issues[issue]![0];
    const [edited] = await store.fetch<Doc[]>('*[_type == "issue" && number == $number && !(_id in path("drafts.**"))]', { number });
    const sections = structuredClone(edited!.sections) as Array<{ body: Block[] }>;
    const block = sections.flatMap((s) => s.body).find((b) => b.markDefs?.length && b.children?.some((c) => typeof c.text === 'string'))!;
    block.children!.find((c) => typeof c.text === 'string')!.text += ' After the outline was damaged.';
    await store.mutate([{ patch: { id: edited!._id, set: { sections } } }]);
    await expect(build(false)).rejects.toThrow(/links-outline\.bin does not match the links index's kept shares/);
    await expect(fs.access(file)).rejects.toThrow();
    expect(await build(false)).toEqual({ made: 1, outlined: 0 });
    await expectSameAsFromScratch(options, path.join(dir, 'reference-damaged'), 'after the damaged outline');
  });
});
