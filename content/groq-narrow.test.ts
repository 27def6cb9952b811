import { evaluateSync, parse, type ExprNode } from 'groq-js';
import { describe, expect, it } from 'vitest';
import { issueListingsByIdQuery, issueProjection, linksQuery, settingsQuery, tagsQuery } from './queries.ts';
import { narrowQuery, requiredType } from './groq-narrow.ts';
import type { SanityDocument } from './store.ts';

const filterOf = (query: string): ExprNode => {
  const tree = parse(query);
  if (tree.type !== 'Filter') throw new Error(`${query} is not a filter`);
  return tree.expr;
};

describe('requiredType', () => {
  it('finds a type every match must have, through && and parentheses, on either side of ==', () => {
    expect(requiredType(filterOf('*[_type == "issue"]'))).toBe('issue');
    expect(requiredType(filterOf('*[number > 2 && _type == "issue"]'))).toBe('issue');
    expect(requiredType(filterOf('*[(_type == "issue" && number > 2) && defined(title)]'))).toBe('issue');
    expect(requiredType(filterOf('*["link" == _type]'))).toBe('link');
    expect(requiredType(filterOf('*[@._type == "tag"]'))).toBe('tag');
  });

  it('reads a type named by a parameter holding a string, as the Studio\'s document lists name it', () => {
    expect(requiredType(filterOf('*[_type == $type]'), { type: 'issue' })).toBe('issue');
    expect(requiredType(filterOf('*[defined(title) && ($type == _type)]'), { type: 'link' })).toBe('link');
    for (const type of [undefined, 5, ['issue'], null]) expect(requiredType(filterOf('*[_type == $type]'), { type }), String(type)).toBeUndefined();
  });

  it('finds none where a document of another type could still match', () => {
    for (const query of [
      '*[_type == "issue" || _type == "link"]',
      '*[_type != "issue"]',
      '*[!(_type == "issue")]',
      '*[_type == $type]',
      '*[^._type == "issue"]',
      '*[_type in ["issue"]]',
      '*[defined(title)]',
    ]) {
      expect(requiredType(filterOf(query)), query).toBeUndefined();
    }
  });
});

describe('narrowQuery', () => {
  const ref = (id: string) => ({ _type: 'reference', _ref: id, _key: id });
  const dataset: SanityDocument[] = [
    { _id: 'newsletter', _type: 'newsletter', title: 'Notes', siteUrl: 'https://example.org' },
    { _id: 'tag-a', _type: 'tag', title: 'Alpha', slug: { current: 'alpha' } },
    { _id: 'tag-b', _type: 'tag', title: 'Beta', slug: { current: 'beta' } },
    { _id: 'link-1', _type: 'link', url: 'https://a.example/1', title: 'One', tags: [ref('tag-a')] },
    { _id: 'link-2', _type: 'link', url: 'https://a.example/2', title: 'Two', tags: [ref('tag-b')] },
    { _id: 'link-3', _type: 'link', url: 'https://a.example/3', title: 'Three', tags: [] },
    ...[3, 1, 2].map((n) => ({
      _id: `issue-${n}`,
      _type: 'issue',
      number: n,
      title: `Issue ${n}`,
      slug: { _type: 'slug', current: `issue-${n}` },
      date: `2026-0${n}-01`,
      tags: [ref(n === 2 ? 'tag-b' : 'tag-a')],
      sections: [{ _key: 's', _type: 'section', heading: 'News', items: [{ _key: 'i', _type: 'linkItem', link: ref(`link-${n}`) }] }],
    })),
  ];
  const byId = new Map(dataset.map((d) => [d._id, d]));
  const dereference = ({ _ref }: { _ref: string }) => byId.get(_ref) ?? null;

  /** The answer as groq-js gives it over the whole dataset, and with this module's rewrite; and whether it rewrote. */
  const both = (query: string, params: Record<string, unknown> = {}, docs: SanityDocument[] = dataset) => {
    const plain = evaluateSync(parse(query, { params }), { dataset: docs, params, dereference }).data;
    const tree = parse(query, { params });
    const narrowedParams = narrowQuery(tree, docs, params);
    const narrowed = evaluateSync(tree, { dataset: docs, params: narrowedParams, dereference }).data;
    return { plain, narrowed, rewrote: narrowedParams !== params };
  };

  /** Each query is narrowed and answers as groq-js does over every document, to the JSON text (no mark of the narrowing shows). */
  const expectNarrowedAlike = (queries: string[], params: Record<string, unknown>, docs: SanityDocument[]) => {
    for (const query of queries) {
      const { plain, narrowed, rewrote } = both(query, params, docs);
      expect(narrowed, query).toEqual(plain);
      expect(JSON.stringify(narrowed), query).toBe(JSON.stringify(plain));
      expect(rewrote, query).toBe(true);
    }
  };

  it("gives groq-js's own answer for the product's queries and nested ones, reading only the named type", () => {
    const cases: Array<[string, Record<string, unknown>?]> = [
      [settingsQuery],
      [tagsQuery],
      [issueListingsByIdQuery, { ids: ['issue-2', 'issue-3'] }],
      [`*[_type == "issue"] | order(number asc) ${issueProjection}`],
      [`*[_type == "issue" && number >= 2][0]{ title }`],
      [linksQuery],
      ['*[_type == "link"]{ title, "usedIn": *[_type == "issue" && references(^._id)] | order(number asc).number }'],
      ['count(*[_type == "link"])'],
      ['*[_type == $type && number >= 2] | order(number desc){ _id, number }', { type: 'issue' }],
      ['*[_type in ["issue", "link"] && (_type == $type)]._id', { type: 'link' }],
      ['{ "issues": *[_type == "issue"].number, "tags": *[(_type == "tag")].title, "all": count(*) }'],
    ];
    for (const [query, params] of cases) {
      const { plain, narrowed, rewrote } = both(query, params);
      expect(narrowed, query).toEqual(plain);
      expect(rewrote, query).toBe(true);
    }
  });

  it('leaves a query alone when no filter requires one type, and answers a type with no documents with none', () => {
    for (const query of ['*[_type == "issue" || _type == "tag"]._id', '*[defined(title)]._id', '*._id']) {
      const { plain, narrowed, rewrote } = both(query);
      expect(narrowed, query).toEqual(plain);
      expect(rewrote, query).toBe(false);
    }
    expect(both('*[_type == "author"]')).toEqual({ plain: [], narrowed: [], rewrote: true });
  });

  it('tests a path pattern of plain segments ending in .** as a prefix, with groq-js\'s answer for every id it gives one for', () => {
    const withDrafts: SanityDocument[] = [
      ...dataset,
      { _id: 'drafts.issue-1', _type: 'issue', number: 1, title: 'Issue 1, edited' },
      { _id: 'drafts.link-9', _type: 'link', url: 'https://a.example/9', title: 'Nine' },
      { _id: 'versions.r1.link-1', _type: 'link', url: 'https://a.example/1', title: 'One, in a release' },
      { _id: 'nodrafts.x', _type: 'link', title: 'Not a draft' },
      { _id: 'drafts', _type: 'link', title: 'No dot' },
      { _id: 7 as unknown as string, _type: 'link', title: 'An id that is no string' },
    ];
    const answer = (query: string, rewrite: boolean) => {
      const tree = parse(query);
      const params = rewrite ? narrowQuery(tree, withDrafts, {}) : {};
      return { tree, data: evaluateSync(tree, { dataset: withDrafts, params }).data };
    };
    for (const query of [
      '*[!(_id in path("drafts.**")) && !(_id in path("versions.**"))]._id',
      '*[_id in path("drafts.**")]{ _id, title }',
      '*[_type == "link"]{ _id, "draft": _id in path("drafts.**"), "release": _id in path("versions.r1.**") }',
      '{ "drafts": count(*[_id in path("drafts.**")]), "ids": *[@._id in path("drafts.**")]._id }',
    ]) {
      const plain = answer(query, false);
      const rewritten = answer(query, true);
      expect(rewritten.data, query).toEqual(plain.data);
      expect(JSON.stringify(rewritten.tree), query).not.toContain('"path"');
      expect(JSON.stringify(rewritten.tree), query).toContain('"startsWith"');
    }
    // Patterns with a wildcard segment before the end stay paths.
    const kept = parse('*[_id in path("drafts.*") || _id in path("*.issue-1") || _id in path("**")]._id');
    narrowQuery(kept, withDrafts, {});
    expect(JSON.stringify(kept)).not.toContain('"startsWith"');
    expect(evaluateSync(kept, { dataset: withDrafts }).data).toEqual(evaluateSync(parse('*[_id in path("drafts.*") || _id in path("*.issue-1") || _id in path("**")]._id'), { dataset: withDrafts }).data);
  });

  it('reads only the documents a filter on _id can match (==, in, sanity::versionOf; literals or parameters), with groq-js\'s answer', () => {
    const withVersions: SanityDocument[] = [
      ...dataset,
      { _id: 'drafts.issue-1', _type: 'issue', number: 1, title: 'Issue 1, edited' },
      { _id: 'versions.r1.issue-1', _type: 'issue', number: 1, title: 'Issue 1, in a release' },
      { _id: 'versions.r1.sub.issue-1', _type: 'issue', title: 'Not a version of issue-1 (its release has a dot)' },
      { _id: 'drafts.link-2', _type: 'link', url: 'https://a.example/2-draft', title: 'Two, draft' },
    ];
    const params = { id: 'link-2', draft: 'drafts.link-2', ids: ['issue-3', 'link-1', 7, 'nope'], published: 'issue-1', missing: 'nothing-here', notAList: 'issue-2' };
    const cases = [
      '*[_id == "issue-2"]',
      '*["link-3" == _id]{ title }',
      '*[_id in ["issue-3", "link-1", "nope", 5, null]]{ _id }',
      '*[_id in $ids]._id',
      '*[_id in [$published, $draft, $ids]]._id',
      'coalesce(*[_id == $id][0].url, *[_id == $draft][0].url)',
      'coalesce(*[_id == $missing][0].url, *[_id == $draft][0].url)',
      '*[sanity::versionOf("issue-1")]._id',
      '*[sanity::versionOf($published)] | order(_id asc){ _id, title }',
      '[*[_id in ["drafts.issue-1", "issue-1"]][0...1]{ _id, _rev, _type }][0...1]',
      '*[_id in $ids && _type == "issue"]{ _id, number }',
      '*[_type == "issue" && (_id == "issue-2" || _id == "issue-3")]._id',
      '*[@._id == "tag-a"].title',
      '*[_type == "link"]{ _id, "same": *[_id == ^._id][0].title }',
    ];
    for (const query of cases) {
      const { plain, narrowed } = both(query, params, withVersions);
      expect(narrowed, query).toEqual(plain);
    }
    // Only the ids asked for are read: the parameter holds just those documents, in dataset order.
    const tree = parse('*[_id in ["link-2", "issue-3", "tag-b"]]._id');
    const narrowed = narrowQuery(tree, withVersions, {});
    const [holding] = Object.values(narrowed) as SanityDocument[][];
    expect(holding!.map((d) => d._id)).toEqual(['tag-b', 'link-2', 'issue-3']);
    const versions = narrowQuery(parse('*[sanity::versionOf("issue-1")]'), withVersions, {});
    expect((Object.values(versions)[0] as SanityDocument[]).map((d) => d._id)).toEqual(['issue-1', 'drafts.issue-1', 'versions.r1.issue-1']);
    // Ids a filter only may name leave it reading everything.
    for (const query of ['*[_id == "issue-2" || defined(title)]', '*[!(_id in ["issue-2"])]', '*[_id == ^.ref]', '*[_id in [...$ids]]', '*[references("tag-a") || _type == "tag"]']) {
      expect(narrowQuery(parse(query, { params }), withVersions, params), query).toBe(params);
    }
  });

  it("answers the Studio's search (the ids whose words match, or what references the words as typed) from those documents alone, as groq-js does", () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({ _id: `link-m${i}`, _type: 'link', title: `Match ${i}`, tags: i % 7 === 0 ? [ref('tag-b')] : [] }));
    const docs: SanityDocument[] = [...dataset, ...many, { _id: 'note-1', _type: 'note', about: { _ref: 'tag-a' }, inner: { _ref: 'elsewhere', also: ref('tag-a') } }];
    const matches = many.filter((_, i) => i % 2 === 0).map((d) => d._id);
    const params = { __types: ['link'], type: 'link', __ids: [...matches, 'issue-1', 7], __rawQuery: 'tag-b', refs: ['tag-a', 3] };
    const cases = [
      '*[_type in $__types && ((_id in $__ids) || references($__rawQuery)) && (_type == $type)] {_type, _id} | order(_id asc) [0...40]',
      'count(*[(_id in $__ids) || references($__rawQuery)])',
      '*[references($refs) || _id == "tag-b"]._id',
      '*[references("tag-a", "nothing") || sanity::versionOf("issue-1")]._id',
      '*[references([]) || _id in []]._id',
    ];
    expectNarrowedAlike(cases, params, docs);
    // The list of matches is no longer tested document by document: the test became true for those it kept.
    const tree = parse(cases[0]!, { params });
    narrowQuery(tree, docs, params);
    expect(JSON.stringify(tree)).not.toContain('__ids');
  });

  it("answers a search sorted by relevance (score() kept by _score > 0) from the documents some argument scores, with groq-js's scores", () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ _id: `link-m${i}`, _type: 'link', title: `Match ${i}`, capturedAt: `2026-01-01T00:${String(i % 60).padStart(2, '0')}:00Z`, tags: i % 7 === 0 ? [ref('tag-b')] : [] }));
    const docs: SanityDocument[] = [...dataset, ...many, { _id: 'link-scored', _type: 'link', title: 'Carries a score', _score: 3 }, { _id: 'drafts.link-m4', _type: 'link', title: 'Match 4, draft' }];
    const params = {
      __types: ['link'],
      type: 'link',
      __limit: 101,
      titles: many.filter((_, i) => i % 3 === 0).map((d) => d._id),
      words: [...many.filter((_, i) => i % 2 === 0).map((d) => d._id), 'issue-1', 'drafts.link-m4'],
      __rawQuery: 'tag-b',
    };
    const studio = '*[_type in $__types && (_type == $type)] | score(boost(_type in ["link"] && (_id in $titles), 10), ((_id in $words) || references($__rawQuery))) [_score > 0] {_type, _id, _originalId, "orderings": [_score, capturedAt]} | order(orderings[0] desc, dateTime(orderings[1]) desc) [0...$__limit]';
    const narrowedCases = [
      studio,
      // Unparenthesised || and && score each side; ! and a version test; the whole documents, with their scores.
      '*[_type == "link"] | score(_id in $words || _id in $titles, boost(!(_id in $titles) && sanity::versionOf("link-m4"), 2)) [_score > 1] | order(_score desc, _id asc) [0...30]',
      '* | score(references("tag-b"), _id == "issue-2") [_score > 0] { ..., "s": _score } | order(_id asc)',
      'count(*[_type == "link"] | score(_id in $titles) [(_score > 0)])',
    ];
    expectNarrowedAlike(narrowedCases, params, docs);
    // Only the documents some argument scores (or that carry a score) are read, and the lists are no longer tested element by element.
    const tree = parse(studio, { params });
    const narrowedParams = narrowQuery(tree, docs, params);
    const read = Object.entries(narrowedParams).filter(([name]) => name.includes('\u0000')).map(([, value]) => value as SanityDocument[]);
    expect(read).toHaveLength(1);
    // link-2 of the fixture references tag-b too.
    const scoring = new Set([...params.titles, ...params.words, ...many.filter((_, i) => i % 7 === 0).map((d) => d._id), 'link-2', 'link-scored']);
    expect(read[0]!.map((d) => d._id).sort()).toEqual(docs.filter((d) => d._type === 'link' && scoring.has(d._id)).map((d) => d._id).sort());
    expect(JSON.stringify(tree)).not.toContain('link-m');
    // Where an argument might score any document, or a score may fall, everything is scored as before.
    for (const query of [
      '*[_type == "link"] | score(_id in $titles, title match "match") [_score > 0]._id',
      '*[_type == "link"] | score(boost(_id in $titles, -1), _id in $words) [_score > 0]._id',
      '*[_type == "link"] | score(_id in $titles) [_score >= 0]._id',
      '*[_type == "link"] | score(_id in $titles) [_score < 1]._id',
    ]) {
      const { plain, narrowed } = both(query, params, docs);
      expect(narrowed, query).toEqual(plain);
      const again = parse(query, { params });
      narrowQuery(again, docs, params);
      expect(JSON.stringify(again), query).toContain('link-m');
    }
  });

  it('reads drafts.** as the Content Lake does: an id whose first segment is "drafts", not one that merely starts with the letters', () => {
    const tree = parse('*[!(_id in path("drafts.**"))]._id');
    const docs: SanityDocument[] = [
      { _id: 'draftsman-notes', _type: 'link' },
      { _id: 'drafts.draftsman-notes', _type: 'link' },
    ];
    expect(evaluateSync(tree, { dataset: docs, params: narrowQuery(tree, docs, {}) }).data).toEqual(['draftsman-notes']);
  });

  it('reads the documents of the type, in dataset order, through a parameter no query can name', () => {
    const tree = parse('*[_type == "issue"].number');
    const params = narrowQuery(tree, dataset, { ids: [] });
    const names = Object.keys(params).filter((name) => name !== 'ids');
    expect(names).toHaveLength(1);
    expect(names[0]).toContain('\u0000');
    expect((params[names[0]!] as SanityDocument[]).map((d) => d._id)).toEqual(['issue-3', 'issue-1', 'issue-2']);
  });
});
