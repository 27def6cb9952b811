import { describe, expect, it } from 'vitest';
import type { SanityDocument } from '../store.ts';
import { evaluateSync, parse } from 'groq-js';
import { rewriteTextQuery, scannedTypes } from './search.ts';

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

  it('reads only the documents of the types a search scans, and answers as reading them all would', () => {
    const studio = `// findability-source: list-query
*[_type in $__types && (_type == $type)] | score(boost(_type in ["link"] && title match text::query($__query), 10), ([@, _id] match text::query($__query) || references($__rawQuery))) [_score > 0] {_id}`;
    const params = { __types: ['link'], type: 'link', __query: 'one*', __rawQuery: 'one' };
    expect(scannedTypes(studio, params)).toEqual(new Set(['link']));
    // The words ("Issue one") match, but it is not a link: its words are not read.
    const rewritten = rewriteTextQuery(studio, params, () => docs);
    expect(Object.entries(rewritten.params).filter(([name]) => name.startsWith('__newsdeskMatches'))).toEqual([
      ['__newsdeskMatches0', []],
      ['__newsdeskMatches1', []],
    ]);
    const answer = (query: string, q: Record<string, unknown>) => {
      const { query: text, params: all } = rewriteTextQuery(query, q, () => docs);
      return evaluateSync(parse(text, { params: all }), { dataset: docs, params: all }).data;
    };
    expect(answer('*[_type == "issue" && [@, _id] match text::query($q)]._id', { q: 'one' })).toEqual(['issue-1']);
    expect(answer('*[_type == $t && [@, _id] match text::query($q)]._id', { t: 'link', q: 'merging' })).toEqual(['link-a', 'link-b']);
    // Where a document of another type could still be tested, every document is read.
    for (const [query, q] of [
      ['*[_type == "link" && title match "x" || [@, _id] match text::query($q)]._id', { q: 'one' }],
      ['*[_type == "link"]{ "also": *[[@, _id] match text::query($q)]._id }', { q: 'one' }],
      ['*[_type == "link" && count(tags) * 2 > 0 || [@, _id] match text::query($q)]._id', { q: 'one' }],
      ['*[_type in $t && [@, _id] match text::query($q)]._id', { t: 'link', q: 'one' }],
      ['*[_type in $t && [@, _id] match text::query($q)]._id', { t: [1], q: 'one' }],
    ] as const) {
      expect(scannedTypes(query, q), query).toBeUndefined();
    }
    expect(answer('*[_type == "link" && title match "x" || [@, _id] match text::query($q)]._id', { q: 'one' })).toEqual(['issue-1']);
    // A star or a bar in a string is no scan and no `||`.
    expect(scannedTypes('*[_type == "link" && title != "* || *" && [@, _id] match text::query($q)]', {})).toEqual(new Set(['link']));
  });
});
