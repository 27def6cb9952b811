import { describe, expect, it } from 'vitest';
import type { SanityDocument } from '../store.ts';
import { rewriteTextQuery } from './search.ts';

const docs: SanityDocument[] = [
  { _id: 'link-a', _type: 'link', title: 'GPU pools for kelpie', description: 'Merging schedulers', _note: 'hidden' },
  { _id: 'link-b', _type: 'link', title: 'Merging slates without', description: 'tears, and Café ＦＵＬＬ width', tags: [{ _ref: 'tag-gpu', _type: 'reference' }] },
  {
    _id: 'issue-1',
    _type: 'issue',
    title: 'Issue one',
    intro: [{ _type: 'block', _key: 'k', children: [{ _type: 'span', _key: 's', text: 'Σίσυφος ΟΔΟΣ and the ﬁnal word' }] }],
  },
];

/** The ids each text::query() call matched, in dataset order. */
function matches(q: string, target = '[@, _id]'): string[][] {
  const { query, params } = rewriteTextQuery(`*[${target} match text::query($q)]`, { q }, () => docs);
  if (query.includes('true')) return [docs.map((d) => d._id)];
  return Object.entries(params)
    .filter(([name]) => name.startsWith('__newsdeskMatches'))
    .map(([, ids]) => ids as string[]);
}

describe('rewriteTextQuery', () => {
  it('matches every word as the start of a word in any string of the document, its id included, system fields aside', () => {
    expect(matches('gpu')).toEqual([['link-a']]);
    expect(matches('merg*')).toEqual([['link-a', 'link-b']]);
    expect(matches('merg sched')).toEqual([['link-a']]);
    expect(matches('erging')).toEqual([[]]);
    expect(matches('link')).toEqual([['link-a', 'link-b']]);
    expect(matches('hidden')).toEqual([[]]);
    expect(matches('tag')).toEqual([[]]);
  });

  it('reads exclusions and quoted phrases, a phrase spanning two fields as the words run on', () => {
    expect(matches('merging -kelpie')).toEqual([['link-b']]);
    expect(matches('"without tears"')).toEqual([['link-b']]);
    expect(matches('"without tear"')).toEqual([[]]);
    expect(matches('-"without tears" merging')).toEqual([['link-a']]);
    expect(matches('*')).toEqual([['link-a', 'link-b', 'issue-1']]);
  });

  it('folds case and compatibility forms, in Portable Text too', () => {
    expect(matches('cafe')).toEqual([[]]);
    expect(matches('café full')).toEqual([['link-b']]);
    expect(matches('ΣΊΣΥΦΟΣ')).toEqual([['issue-1']]);
    expect(matches('οδος')).toEqual([['issue-1']]);
    expect(matches('οδοσ')).toEqual([[]]);
    expect(matches('"ΟΔΟΣ and"')).toEqual([['issue-1']]);
    expect(matches('final')).toEqual([['issue-1']]);
  });

  it('matches a named field alone', () => {
    expect(matches('merging', 'title')).toEqual([['link-b']]);
    expect(matches('gpu', 'title')).toEqual([['link-a']]);
    expect(matches('text', 'intro')).toEqual([[]]);
    expect(matches('word', 'intro')).toEqual([['issue-1']]);
  });
});
