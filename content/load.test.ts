// The link library's list (`newsdesk links`) gives each link the published issues that use
// it. A store in this process finds them in one walk over each issue; this pins that the
// shortcut answers what GROQ's references(), asked per link, answers.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticDataset, writeDataset } from '../tests/build-dataset.ts';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { GroqJsStore } from './groq-js-store.ts';
import { loadLinks } from './load.ts';
import type { ContentStore } from './store.ts';

type Doc = Record<string, unknown> & { _id: string; _type: string };
type Block = { _type: string; markDefs: unknown[] };
type Section = { body: Block[] };

describe('loadLinks', () => {
  it('finds the same links, with the same issues using each, through a store in this process as through GROQ alone', async () => {
    const docs: Doc[] = syntheticDataset({ issues: 6, sectionsPerIssue: 2, linksPerIssue: 5, withDraft: true });
    const issue = (id: string) => docs.find((d) => d._id === id)!;
    const firstBlock = (id: string) => (issue(id).sections as Section[])[0]!.body.find((b) => b._type === 'block')!;
    // A link two published issues use (issue 2 by an annotation, issue 3 its own).
    firstBlock('issue-2').markDefs.push({ _type: 'linkReference', _key: 'shared', reference: { _type: 'reference', _ref: 'link-3-0' } });
    // A link used only by the unpublished draft issue (7), and an external link to a link's address: neither counts.
    firstBlock('drafts.issue-7').markDefs.push({ _type: 'linkReference', _key: 'draft', reference: { _type: 'reference', _ref: 'link-1-4' } });
    firstBlock('issue-5').markDefs.push({ _type: 'externalLink', _key: 'plain', href: 'https://example.com/unused' });
    // A link card, and links no issue uses in every triage state, one tagged.
    (issue('issue-4').sections as Section[])[1]!.body.push({ _type: 'linkCard', _key: 'card', link: { _type: 'reference', _ref: 'link-inbox' } } as unknown as Block);
    docs.push(
      { _id: 'link-inbox', _type: 'link', url: 'https://example.org/inbox', normalizedUrl: 'example.org/inbox', status: 'inbox', capturedAt: '2025-02-01T00:00:00Z', tags: [{ _type: 'reference', _ref: 'tag-releases', _key: 't' }] },
      { _id: 'link-unused', _type: 'link', url: 'https://example.com/unused', normalizedUrl: 'example.com/unused', status: 'inbox', capturedAt: '2025-02-02T00:00:00Z' },
      { _id: 'link-discarded', _type: 'link', url: 'https://example.org/gone', normalizedUrl: 'example.org/gone', status: 'discarded', capturedAt: '2025-02-03T00:00:00Z' },
    );
    const file = path.join(await makeTempDir(), 'links.ndjson');
    await writeDataset(file, docs);
    const store = new GroqJsStore({ datasetPath: file });
    expect(store.local).toBe(true);
    // The same store, seen as a remote one is: everything asked of it in GROQ.
    const remote: ContentStore = { fetch: (query, params, options) => store.fetch(query, params, options), mutate: (mutations, options) => store.mutate(mutations, options), description: store.description };

    for (const filter of [{}, { unused: true }, { status: 'inbox' as const }, { tag: 'releases' }, { status: 'shortlisted' as const, unused: true }]) {
      expect(await loadLinks(store, filter), JSON.stringify(filter)).toEqual(await loadLinks(remote, filter));
    }
    // So the comparison is not of empty or trivial lists.
    const all = await loadLinks(remote);
    const usedBy = (id: string) => all.find((l) => l.id === id)!.usedIn.map((u) => u.number);
    expect(usedBy('link-3-0')).toEqual([2, 3]);
    expect(usedBy('link-inbox')).toEqual([4]);
    expect(usedBy('link-1-4')).toEqual([1]);
    expect(usedBy('link-unused')).toEqual([]);
    expect(usedBy('link-7-0')).toEqual([]);
    expect((await loadLinks(remote, { unused: true })).map((l) => l.id)).toEqual(expect.arrayContaining(['link-unused', 'link-discarded', 'link-7-0']));
  });
});
