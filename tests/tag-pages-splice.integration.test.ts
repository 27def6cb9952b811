// Splicing the tag pages' links (build/tag-pages.ts) against resolving them: a seeded run of
// the edits an editor makes between two builds (a new issue published with new and reused
// links, a link retitled to tie with another or to a control character, its URL made unsafe,
// its tags dropped, doubled or moved, a link discarded, an issue renumbered, retitled,
// unpublished, a link added to an older issue or taken out of it), each followed by a build
// as a new process runs it and compared, byte for byte, with a build from scratch.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTagLinksIndex } from '../build/tag-pages.ts';
import type { SanityDocument } from '../content/store.ts';
import { seededRandom } from './helpers/seeded-random.ts';
import { buildInNewProcess as buildFresh, expectSameAsFromScratch, syntheticSite, type BuildOptions } from './helpers/fresh-build.ts';

const buildInNewProcess = (options: BuildOptions) => buildFresh(options, ({ tagPages }) => ({ ...tagPages.tagLinksStats }));

type Doc = SanityDocument & Record<string, unknown>;

describe('tag pages spliced in a new process', () => {
  it('equal a build from scratch after each of a run of link and issue edits', async () => {
    const { dir, store, config } = await syntheticSite('newsdesk-tag-splice-', 14);
    const options = { config, store, threads: 1 };
    await buildInNewProcess(options);
    const rnd = seededRandom(7);
    const pick = <T,>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    const docs = async (type: string) => (await store.fetch<Doc[]>('*[_type == $type && !(_id in path("drafts.**"))] | order(_id asc)', { type })).filter(Boolean);
    const tags = (await docs('tag')).map((t) => t._id);
    const tagRef = (id: string, key: string) => ({ _type: 'reference', _ref: id, _key: key });
    let made = 0;

    const edits: Array<[name: string, edit: () => Promise<void>]> = [
      [
        'a new issue published, with new links and links of older issues',
        async () => {
          const issues = await docs('issue');
          const from = pick(issues);
          const number = Math.max(...issues.map((i) => i.number as number)) + 1;
          const fresh = Array.from({ length: 3 }, (_, i) => ({
            _id: `link-new-${++made}-${i}`,
            _type: 'link',
            url: `https://new.example.org/${made}/${i}`,
            title: i === 0 ? null : `A new link ${made}.${i}`,
            siteName: 'new.example.org',
            tags: [tagRef(pick(tags), `t${made}${i}`)],
            status: 'shortlisted',
          }));
          const reused = (await docs('link')).filter(() => rnd() < 0.05).map((l) => l._id);
          const cards = [...fresh.map((l) => l._id), ...reused].map((id, i) => ({ _type: 'linkCard', _key: `card${made}-${i}`, link: { _type: 'reference', _ref: id }, comment: 'Worth a look.' }));
          const sections = (from.sections as Array<{ body: unknown[] }>).map((s, i) => (i === 0 ? { ...s, body: [...s.body, ...cards] } : s));
          await store.mutate([
            ...fresh.map((doc) => ({ createOrReplace: doc })),
            { createOrReplace: { ...from, _id: `issue-new-${made}`, number, slug: { _type: 'slug', current: `new-${made}` }, date: '2031-01-01', sections } },
          ]);
        },
      ],
      ['a link retitled to tie with another', async () => {
        const links = await docs('link');
        await store.mutate([{ patch: { id: pick(links)._id, set: { title: pick(links).title ?? 'Tied' } } }]);
      }],
      ['a link retitled with a control character, or to no title', async () => {
        await store.mutate([{ patch: { id: pick(await docs('link'))._id, set: { title: rnd() < 0.5 ? 'Bell \u0007 in a title & <more>' : null } } }]);
      }],
      ['a link URL made unsafe', async () => {
        await store.mutate([{ patch: { id: pick(await docs('link'))._id, set: { url: 'javascript:alert(1)' } } }]);
      }],
      ['a link that loses its tags, carries one twice, or moves to another', async () => {
        const link = pick(await docs('link'));
        const choice = rnd();
        const next = choice < 0.33 ? [] : choice < 0.66 ? [tagRef(tags[0]!, 'x1'), tagRef(tags[0]!, 'x2')] : [tagRef(pick(tags), 'x3'), tagRef(pick(tags), 'x4')];
        await store.mutate([{ patch: { id: link._id, set: { tags: next } } }]);
      }],
      ['a link discarded', async () => {
        await store.mutate([{ patch: { id: pick(await docs('link'))._id, set: { status: 'discarded' } } }]);
      }],
      ['an issue renumbered and retitled', async () => {
        const issues = await docs('issue');
        const number = Math.max(...issues.map((i) => i.number as number)) + 1 + Math.floor(rnd() * 5);
        await store.mutate([{ patch: { id: pick(issues)._id, set: { number, title: `Renumbered as ${number}` } } }]);
      }],
      ['an issue unpublished', async () => {
        await store.mutate([{ delete: { id: pick(await docs('issue'))._id } }]);
      }],
      ['a link of another issue added to an older issue', async () => {
        const issue = pick(await docs('issue'));
        const link = pick(await docs('link'));
        const sections = issue.sections as Array<{ body: unknown[] }>;
        sections[sections.length - 1]!.body.push({ _type: 'linkCard', _key: `added${++made}`, link: { _type: 'reference', _ref: link._id }, comment: 'Also this.' });
        await store.mutate([{ patch: { id: issue._id, set: { sections } } }]);
      }],
      ['a section taken out of an issue', async () => {
        const issue = pick((await docs('issue')).filter((i) => (i.sections as unknown[]).length > 1));
        await store.mutate([{ patch: { id: issue._id, set: { sections: (issue.sections as unknown[]).slice(1) } } }]);
      }],
      ['two edits at once: a link retitled and an issue renumbered', async () => {
        const issues = await docs('issue');
        await store.mutate([
          { patch: { id: pick(await docs('link'))._id, set: { title: `Retitled ${++made}` } } },
          { patch: { id: pick(issues)._id, set: { number: Math.max(...issues.map((i) => i.number as number)) + 1 } } },
        ]);
      }],
    ];

    let splices = 0;
    for (let step = 1; step <= 16; step++) {
      // Each kind once, in order, then drawn at random.
      const [name, edit] = step <= edits.length ? edits[step - 1]! : pick(edits);
      await edit();
      const stats = await buildInNewProcess({ ...options, inPlace: rnd() < 0.3 });
      splices += stats.spliced;
      // Nothing about the tags changed: a build splices (or, when the edit touched no link a
      // published issue uses, takes the record) and never resolves every link.
      expect(stats.resolved, `step ${step}: ${name}`).toBe(0);
      if (step <= edits.length) expect(stats.spliced, `step ${step}: ${name}`).toBe(1);
      await expectSameAsFromScratch(options, path.join(dir, `reference-${step}`), `step ${step}: ${name}`);
      // The index after splicing is the one resolving makes (the same links, tags and order).
      const ours = readTagLinksIndex(path.join(config.dataDir, 'build-cache'))!;
      const theirs = readTagLinksIndex(path.join(dir, `reference-${step}`, 'data', 'build-cache'))!;
      type Index = NonNullable<ReturnType<typeof readTagLinksIndex>>;
      const linkAt = (index: Index, i: number) => [index.ids[i], index.sortKeys[i], index.digests[i], index.bytes[i], index.used.slice(index.usedAt[i], index.usedAt[i + 1]).map((k) => index.issues[k])];
      const byTag = (index: Index) => Object.fromEntries(index.tags.map(([slug, order]) => [slug, order.map((i) => linkAt(index, i))]));
      expect(byTag(ours), `step ${step}: ${name}`).toEqual(byTag(theirs));
    }
    expect(splices).toBeGreaterThanOrEqual(edits.length);
  });
});
