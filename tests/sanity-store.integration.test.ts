// The Sanity adapter against a local stand-in of the Content Lake: the real
// @sanity/client builds and sends every request.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { loadIssues } from '../content/load.ts';
import { SanityClientStore } from '../content/sanity-client-store.ts';
import { startLocalLake, type LocalLake } from './helpers/local-lake.ts';
import { makeTempDir } from './helpers/temp.ts';

const docs = [
  { _id: 'newsletter', _type: 'newsletter', title: 'Stand-in Weekly', siteUrl: 'https://news.example.org', senderName: 'Ed', senderEmail: 'ed@example.org', postalAddress: '1 Example Street' },
  { _id: 'issue-1', _type: 'issue', number: 1, title: 'First', slug: { _type: 'slug', current: 'first' }, date: '2026-01-05', sections: [{ _key: 'a', _type: 'section', heading: 'News', body: [] }] },
  { _id: 'drafts.issue-1', _type: 'issue', number: 1, title: 'First (edited)', slug: { _type: 'slug', current: 'first' }, date: '2026-01-05', sections: [] },
  { _id: 'drafts.issue-2', _type: 'issue', number: 2, title: 'Second', slug: { _type: 'slug', current: 'second' }, date: '2026-01-19', sections: [] },
];

let local: GroqJsStore;
let standIn: LocalLake;
let sanity: SanityClientStore;

beforeAll(async () => {
  const dir = await makeTempDir();
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await fs.writeFile(datasetPath, docs.map((d) => JSON.stringify(d)).join('\n'));
  local = new GroqJsStore({ datasetPath });
  standIn = await startLocalLake(local, { token: 'sk-test-token' });
  sanity = new SanityClientStore({ projectId: 'standin', dataset: 'production', apiVersion: '2025-02-19', token: 'sk-test-token', apiHost: standIn.url });
});
afterAll(() => standIn.close());

describe('Sanity adapter through @sanity/client', () => {
  it('answers queries exactly as the local store does, in both perspectives', async () => {
    for (const perspective of ['published', 'drafts'] as const) {
      const query = '*[_type == "issue"] | order(number asc){ _id, number, title }';
      expect(await sanity.fetch(query, {}, { perspective })).toEqual(await local.fetch(query, {}, { perspective }));
    }
    expect(standIn.requests.map((r) => r.perspective)).toEqual(expect.arrayContaining(['published', 'drafts']));
  });

  it('passes query parameters through', async () => {
    expect(await sanity.fetch('*[_type == "issue" && number == $n][0].title', { n: 1 })).toBe('First');
  });

  it('loads issues through the read models', async () => {
    const issues = await loadIssues(sanity);
    expect(issues.map((i) => [i.number, i.title])).toEqual([[1, 'First']]);
    const withDrafts = await loadIssues(sanity, 'drafts');
    expect(withDrafts.map((i) => [i.number, i.title, i.isDraft])).toEqual([
      [2, 'Second', true],
      [1, 'First (edited)', true],
    ]);
  });

  it('writes mutations through the mutate endpoint', async () => {
    const result = await sanity.mutate([
      { createOrReplace: { _id: 'tag-x', _type: 'tag', title: 'X', slug: { _type: 'slug', current: 'x' } } },
      { patch: { id: 'issue-1', set: { summary: 'Now with a summary' } } },
    ]);
    expect(result.results).toEqual([
      { id: 'tag-x', operation: 'create' },
      { id: 'issue-1', operation: 'update' },
    ]);
    expect(await local.fetch('*[_id == "issue-1"][0].summary')).toBe('Now with a summary');
    expect(standIn.requests.some((r) => r.method === 'POST' && r.path.endsWith('/data/mutate/production'))).toBe(true);
  });

  it('sends long queries as POST and still gets the answer', async () => {
    const padding = ' '.repeat(12_000);
    expect(await sanity.fetch(`count(*[_type == "issue"])${padding}`)).toBe(1);
    expect(standIn.requests.some((r) => r.method === 'POST' && r.path.endsWith('/data/query/production'))).toBe(true);
  });

  it('reports a failed query as a NewsdeskError with a hint', async () => {
    const wrongToken = new SanityClientStore({ projectId: 'standin', dataset: 'production', apiVersion: '2025-02-19', token: 'nope', apiHost: standIn.url });
    await expect(wrongToken.fetch('*')).rejects.toMatchObject({ code: 'QUERY_FAILED', hint: expect.stringContaining('SANITY_TOKEN') });
  });
});
