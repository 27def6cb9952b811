// projectIssue is issueProjection without GROQ (projectIssueListing the listings' projection):
// held to what groq-js gives for the same
// query, key for key and in the same key order, on the shipped sample, on a synthetic
// archive with hostile content and a draft, on documents with every field missing, null
// or of the wrong kind, and on lazy documents (a build after an edit reads those).
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fetchRawContent } from '../build/sources.ts';
import { sampleDataset } from '../tests/email-goldens.ts';
import { syntheticDataset, writeDataset } from '../tests/build-dataset.ts';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { GroqJsStore } from './groq-js-store.ts';
import { projectIssue, projectIssueListing, projectLink } from './issue-projection.ts';
import { isUnparsed } from './lazy-document.ts';
import { everythingQuery, issueListingsByIdQuery, issuesByIdQuery } from './queries.ts';

/**
 * Every published issue of the store, through groq-js and through projectIssue over the
 * documents `*` gives, and its listing through groq-js and projectIssueListing (what a build
 * takes from the same documents); returns how many.
 */
async function expectSameProjections(store: GroqJsStore, groq: GroqJsStore = store): Promise<number> {
  const raw = await fetchRawContent(store);
  if (store !== groq) expect(raw.issues.every(isUnparsed), 'the issues are lazy documents, not parsed yet').toBe(true);
  const ids = raw.issues.map((doc) => doc._id);
  let count = 0;
  for (const [query, project] of [
    [issuesByIdQuery, projectIssue],
    [issueListingsByIdQuery, projectIssueListing],
  ] as const) {
    const expected = await groq.fetch<Array<{ id: string }>>(query, { ids }, { perspective: 'published' });
    expect(expected.map((issue) => issue.id).sort()).toEqual([...ids].sort());
    for (const issue of expected) {
      const projected = project(raw.byId.get(issue.id)!, (id) => raw.byId.get(id));
      // The text pins the key order and the nulls; the deep comparison the values' kinds.
      expect(JSON.stringify(projected)).toBe(JSON.stringify(issue));
      expect(isDeepStrictEqual(projected, issue), `${project.name} of ${issue.id}`).toBe(true);
    }
    count = expected.length;
  }
  return count;
}

async function storeOf(docs: unknown[]): Promise<{ datasetPath: string; store: GroqJsStore }> {
  const datasetPath = path.join(await makeTempDir(), 'dataset.ndjson');
  await writeDataset(datasetPath, docs as Parameters<typeof writeDataset>[1]);
  return { datasetPath, store: new GroqJsStore({ datasetPath }) };
}

const span = (text: string, marks: unknown = []) => ({ _type: 'span', _key: `s-${text.length}`, text, marks });
const ref = (id: unknown) => ({ _type: 'reference', _ref: id });

/** Documents with every field of the projection missing, null, of the wrong kind, or pointing nowhere. */
function oddDocuments(): unknown[] {
  const linkDef = (key: string, reference: unknown) => ({ _type: 'linkReference', _key: key, reference });
  const block = (markDefs: unknown, children: unknown) => ({ _type: 'block', _key: 'b', style: 'normal', markDefs, children });
  const note = (body: unknown) => ({ _type: 'editorialNote', _key: 'n', signature: 'Ed.', body });
  const body = [
    block([linkDef('l1', ref('link-full')), linkDef('l2', ref('link-missing')), linkDef('l3', 'not-an-object'), linkDef('l4', { _ref: 7 }), linkDef('l5', ref('tag-plain')), { _type: 'externalLink', _key: 'e', href: 'https://example.org' }, 'a string', null], [
      span('one', ['l1']),
      note([block([linkDef('n1', ref('link-bare'))], [span('inside')]), 'text', 3, null, { _type: 'block', markDefs: 'no' }]),
      { _type: 'editorialNote', _key: 'n2', body: 'not a list' },
      { _type: 'editorialNote', _key: 'n3' },
      [1, 2],
      null,
    ]),
    block(undefined, undefined),
    block(null, {}),
    { _type: 'block', _key: 'children-only', children: [span('plain')] },
    note([block([linkDef('n2', ref('link-full'))], [span('aside')])]),
    note(null),
    { _type: 'linkCard', _key: 'c1', link: ref('link-full'), comment: 'A card.' },
    { _type: 'linkCard', _key: 'c2', link: ref('link-missing') },
    { _type: 'linkCard', _key: 'c3' },
    { _type: 'linkCard', _key: 'c4', link: 'link-full' },
    { _type: 'image', _key: 'i1', asset: ref('image-full'), alt: 'Full', caption: 'Whole asset' },
    { _type: 'image', _key: 'i2', asset: ref('image-no-size'), url: 'https://img.example.org/fallback.png' },
    { _type: 'image', _key: 'i3', asset: ref('image-no-url'), url: 'https://img.example.org/own.png' },
    { _type: 'image', _key: 'i4', url: 'https://img.example.org/only-url.png' },
    { _type: 'image', _key: 'i5', asset: ref('image-missing') },
    { _type: 'image', _key: 'i6', asset: ref('image-odd'), url: null },
    { _type: 42, _key: 'odd-type', markDefs: [linkDef('x', ref('link-full'))] },
    { _key: 'no-type', link: ref('link-full') },
    'a string',
    7,
    true,
    null,
    [block([], [])],
  ];
  return [
    { _id: 'link-full', _type: 'link', url: 'https://example.org/a', title: 'A', siteName: 'Example', description: 'About A', tags: [ref('tag-plain')] },
    { _id: 'link-bare', _type: 'link', url: 'https://example.org/b', title: null },
    { _id: 'tag-plain', _type: 'tag', title: 'Plain', slug: { _type: 'slug', current: 'plain' } },
    { _id: 'tag-no-slug', _type: 'tag', title: 'No slug' },
    { _id: 'tag-string-slug', _type: 'tag', title: 'String slug', slug: 'string-slug' },
    { _id: 'image-full', _type: 'sanity.imageAsset', url: 'https://cdn.example.org/full.png', path: 'images/full.png', metadata: { dimensions: { width: 640, height: 480, aspectRatio: 1.33 } } },
    { _id: 'image-no-size', _type: 'sanity.imageAsset', url: 'https://cdn.example.org/no-size.png', path: 'images/no-size.png', metadata: {} },
    { _id: 'image-no-url', _type: 'sanity.imageAsset', path: 'images/no-url.png', metadata: { dimensions: { width: 10 } } },
    { _id: 'image-odd', _type: 'sanity.imageAsset', url: null, metadata: { dimensions: 'wide' } },
    {
      _id: 'issue-odd',
      _type: 'issue',
      _updatedAt: '2026-12-01T10:00:00Z',
      _originalId: 'drafts.issue-odd',
      number: 1,
      title: 'Odd',
      slug: 'not-an-object',
      date: '2026-12-01',
      summary: null,
      intro: body,
      sections: [
        { _key: 's1', heading: 'Topic', topic: ref('tag-plain'), body },
        { _key: 's2', heading: 'Gone topic', topic: ref('tag-missing'), body: 'not a list' },
        { _key: 's3', topic: ref('link-full'), body: null },
        { _key: 's4', topic: ref('tag-no-slug') },
        'a string',
        null,
      ],
      signOff: 'not a list',
      tags: [ref('tag-plain'), ref('tag-missing'), ref('tag-string-slug'), null, 'tag-plain', { _ref: 5 }],
    },
    { _id: 'issue-bare', _type: 'issue', number: 2 },
    { _id: 'issue-nulls', _type: 'issue', number: null, title: null, slug: null, date: null, summary: null, byline: null, intro: null, sections: null, signOff: null, tags: null, _originalId: 'issue-nulls' },
    { _id: 'issue-odd-kinds', _type: 'issue', number: '3', title: 4, slug: { current: 5 }, intro: {}, sections: {}, signOff: [null], tags: {}, _originalId: 6, _updatedAt: 7 },
    { _id: 'drafts.issue-bare', _type: 'issue', number: 2, title: 'A draft the published projection never sees' },
  ];
}

describe('projectIssue, against groq-js on issueProjection', () => {
  it('gives what groq-js gives for every issue of the shipped sample', async () => {
    expect(await expectSameProjections(new GroqJsStore({ datasetPath: sampleDataset }))).toBeGreaterThan(3);
  });

  it('gives what groq-js gives on a synthetic archive with hostile content and a draft', async () => {
    const { store } = await storeOf(syntheticDataset({ issues: 30, sectionsPerIssue: 4, linksPerIssue: 12, withDraft: true, hostile: true }));
    expect(await expectSameProjections(store)).toBe(30);
  });

  it('gives what groq-js gives where fields are missing, null, of the wrong kind or point nowhere', async () => {
    const { store } = await storeOf(oddDocuments());
    expect(await expectSameProjections(store)).toBe(4);
  });

  it('gives the same from lazy documents (a build after an edit) as groq-js from parsed ones', async () => {
    const { datasetPath, store } = await storeOf([...oddDocuments(), ...syntheticDataset({ issues: 5, sectionsPerIssue: 3, linksPerIssue: 6 }).filter((d) => d._id !== 'newsletter')]);
    // The first lazy read leaves the line index the second makes its documents from.
    await fetchRawContent(new GroqJsStore({ datasetPath, lazy: true }));
    expect(await expectSameProjections(new GroqJsStore({ datasetPath, lazy: true }), store)).toBe(9);
  });
});

/** Every published link of the store, as everythingQuery's links through groq-js and through projectLink; returns how many. */
async function expectSameLinks(store: GroqJsStore): Promise<number> {
  const raw = await fetchRawContent(store);
  const expected = (await store.fetch<{ links: Array<{ id: string }> }>(everythingQuery, {}, { perspective: 'published' })).links;
  const projected = [...raw.byId.values()].filter((doc) => doc._type === 'link').map((doc) => projectLink(doc, (id) => raw.byId.get(id)));
  expect(JSON.stringify(projected)).toBe(JSON.stringify(expected));
  expect(isDeepStrictEqual(projected, expected)).toBe(true);
  return expected.length;
}

/** Links with every field projectLink reads missing, null, of the wrong kind, or pointing nowhere. */
function oddLinks(): unknown[] {
  return [
    ...oddDocuments(),
    { _id: 'link-odd-tags', _type: 'link', url: 7, normalizedUrl: null, title: ['A'], tags: [ref('tag-missing'), ref('tag-no-slug'), ref('link-full'), 'tag-plain', null, { _ref: 3 }, ref('tag-string-slug')], needsEnrichment: 'yes' },
    { _id: 'link-tags-object', _type: 'link', tags: { _ref: 'tag-plain' }, status: 'inbox', note: { text: 'n' }, capturedAt: 5, foundAt: null },
    { _id: 'link-everything', _type: 'link', url: 'https://example.org/e', normalizedUrl: 'example.org/e', title: 'E', description: 'About E', siteName: 'Example', capturedAt: '2026-12-01T10:00:00Z', foundAt: 'a list', tags: [ref('tag-plain')], status: 'shortlisted', note: 'Worth a look', needsEnrichment: false },
    { _id: 'drafts.link-everything', _type: 'link', title: 'A draft the published check never sees' },
  ];
}

describe('projectLink, against groq-js on the links of everythingQuery', () => {
  it('gives what groq-js gives on the shipped sample and on a synthetic archive with hostile content and a draft', async () => {
    expect(await expectSameLinks(new GroqJsStore({ datasetPath: sampleDataset }))).toBeGreaterThan(5);
    const { store } = await storeOf(syntheticDataset({ issues: 10, sectionsPerIssue: 3, linksPerIssue: 6, withDraft: true, hostile: true }));
    expect(await expectSameLinks(store)).toBeGreaterThanOrEqual(60);
  });

  it('gives what groq-js gives where fields are missing, null, of the wrong kind or point nowhere', async () => {
    const { store } = await storeOf(oddLinks());
    expect(await expectSameLinks(store)).toBe(5);
  });
});
