import { describe, expect, it } from 'vitest';
import type { SanityDocument } from '../content/store.ts';
import { collapseSpaces, indexLinks, issueLinksDigests, issueLinksDigestsPaced, linksIndexStats, sentenceRun, type KeptShares } from './links-index.ts';
import type { Listing } from './sources.ts';

/** The run wordsAround keeps, as first written: grown by joining the sentences and measuring the join. */
function runByJoining(sentences: string[], at: number): [number, number] {
  const maxWords = 320;
  let from = at;
  let to = at + 1;
  const length = () => sentences.slice(from, to).join(' ').length;
  while (length() < maxWords / 2 && (from > 0 || to < sentences.length)) {
    if (to < sentences.length && sentences.slice(from, to + 1).join(' ').length <= maxWords) to++;
    else if (from > 0 && sentences.slice(from - 1, to).join(' ').length <= maxWords) from--;
    else break;
  }
  return [from, to];
}

/** A deterministic stream of numbers in [0, 1). */
function numbers(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('sentenceRun', () => {
  it('keeps the sentences that joining and measuring them kept, around any sentence of paragraphs of every shape', () => {
    const next = numbers(7);
    let grown = 0;
    for (let n = 0; n < 3000; n++) {
      // From one sentence to twenty, of 1 to 200 characters (a few longer than the limit).
      const sentences = Array.from({ length: 1 + Math.floor(next() * 20) }, () => 'x'.repeat(next() < 0.05 ? 300 + Math.floor(next() * 100) : 1 + Math.floor(next() * 200)));
      const at = Math.floor(next() * sentences.length);
      const run = sentenceRun(sentences, at);
      expect(run).toEqual(runByJoining(sentences, at));
      if (run[1] - run[0] > 1) grown++;
    }
    // Most runs took in more than their own sentence.
    expect(grown).toBeGreaterThan(1500);
  });
});

describe('collapseSpaces', () => {
  it('is replace(/\\s+/g, " ").trim(), and hands back a text that needs nothing as it is', () => {
    const texts = [
      '',
      ' ',
      'plain words with single spaces',
      ' leading',
      'trailing ',
      'two  spaces',
      'tab\there',
      'new\nline',
      'no-break\u00a0space',
      'line\u2028separator',
      '\ufeffbyte order mark',
      'ideographic\u3000space',
      'thin\u2009space and narrow\u202fno-break',
      'a\r\nb',
      '\t\n',
      'ends with newline\n',
    ];
    for (const text of texts) expect(collapseSpaces(text)).toBe(text.replace(/\s+/g, ' ').trim());
    const plain = ['plain words with single spaces', 'x'].join(' ');
    expect(collapseSpaces(plain)).toBe(plain);
  });
});

describe('indexLinks tags', () => {
  it("gives each entry its link document's tags and its sections' topics, entries with the same ones sharing a list and no others", async () => {
    const tag = (id: string, title: string, slug: string) => ({ _id: id, _type: 'tag', title, slug: { _type: 'slug', current: slug } });
    const link = (id: string, tags?: string[]) => ({ _id: id, _type: 'link', url: `https://${id}.example/`, title: id, ...(tags ? { tags: tags.map((_ref) => ({ _ref })) } : {}) });
    const card = (ref: string) => ({ _type: 'linkCard', _key: `k-${ref}`, link: { _ref: ref } });
    const docs: SanityDocument[] = [
      tag('tag-x', 'X', 'x'),
      tag('tag-y', 'Y', 'y'),
      tag('tag-t', 'Topic T', 't'),
      // Another tag document with the slug x: as a section's topic it names x so.
      tag('tag-xt', 'X as a topic', 'x'),
      link('link-a', ['tag-x']),
      link('link-b', ['tag-x']),
      link('link-c', ['tag-x', 'tag-y']),
      link('link-d', ['tag-y', 'tag-x']),
      link('link-e'),
      link('link-f', ['tag-x']),
      link('link-g', ['tag-x']),
      link('link-h', ['tag-x']),
      {
        _id: 'issue-1',
        _type: 'issue',
        sections: [
          { heading: 'With a topic', topic: { _ref: 'tag-t' }, body: [card('link-a')] },
          { heading: 'Without', body: [card('link-b'), card('link-c'), card('link-d'), card('link-e'), card('link-h')] },
          { heading: 'Topic named x', topic: { _ref: 'tag-xt' }, body: [card('link-f')] },
          { heading: 'Topic x', topic: { _ref: 'tag-x' }, body: [card('link-g')] },
        ],
      },
    ];
    const listing: Listing = { id: 'issue-1', number: 1, slug: 'issue-1', title: 'One', date: '2026-01-01', tags: [], topics: [] };
    const raw = { issues: docs.filter((d) => d._type === 'issue'), byId: new Map(docs.map((d) => [d._id, d] as const)) };
    const index = await indexLinks(raw, new Map([[listing.id, listing]]));
    const tagsOf = (id: string) => index.links.find((l) => l.url === `https://${id}.example/`)!.tags;
    const x = { title: 'X', slug: 'x' };
    const y = { title: 'Y', slug: 'y' };
    expect(tagsOf('link-a')).toEqual([{ title: 'Topic T', slug: 't' }, x]);
    expect(tagsOf('link-b')).toEqual([x]);
    expect(tagsOf('link-c')).toEqual([x, y]);
    expect(tagsOf('link-d')).toEqual([x, y]);
    expect(tagsOf('link-e')).toEqual([]);
    expect(tagsOf('link-f')).toEqual([{ title: 'X as a topic', slug: 'x' }]);
    expect(tagsOf('link-g')).toEqual([x]);
    // Entries made from the same tags and topics share one list.
    expect(tagsOf('link-h')).toEqual([x]);
    expect(tagsOf('link-h')).toBe(tagsOf('link-b'));
  });
});

/** Raw content of documents, as a build reads it. */
const rawOf = (from: SanityDocument[]) => ({ issues: from.filter((d) => d._type === 'issue'), byId: new Map(from.map((d) => [d._id, d] as const)) });

/** The shares a walk handed out (by cache key), kept as the record keeps them: what a new process reads. */
function keptFrom(keys: Map<string, string>, shares: Map<string, () => string>): KeptShares {
  const texts = new Map([...shares].map(([key, text]) => [key, text()] as const));
  return {
    keys,
    get: (key) => {
      const text = texts.get(key);
      if (text === undefined) return undefined;
      const tab = text.indexOf('\t');
      const words = text.slice(tab + 1);
      return {
        parsed: JSON.parse(text.slice(0, tab)),
        rest: { length: words.length, slice: (from, length) => words.slice(from, from + length) },
        damaged: () => {
          throw new Error('damaged');
        },
      };
    },
  };
}

/**
 * The index made by walking `docs` (handing out each issue's share under its cache key),
 * then made again from those shares over new document objects, as a new process makes it;
 * with the walk and words-read counts from just before the second.
 */
async function walkedThenKept(docs: SanityDocument[], listings: Map<string, Listing>, keys: Map<string, string>) {
  const shares = new Map<string, () => string>();
  const walked = await indexLinks(rawOf(docs), listings, undefined, { keys, get: () => undefined }, shares);
  const kept = keptFrom(keys, shares);
  const before = { walked: linksIndexStats.walked, wordsRead: linksIndexStats.wordsRead };
  const fromShares = await indexLinks(rawOf(structuredClone(docs)), listings, undefined, kept);
  return { walked, fromShares, before };
}

describe('indexLinks from kept shares', () => {
  it('gives each entry the tags, site and uses walking gives it, whatever the tags field holds', async () => {
    const tag = (id: string, slug: string) => ({ _id: id, _type: 'tag', title: `Tag ${slug}`, slug: { _type: 'slug', current: slug } });
    const link = (id: string, tags: unknown) => ({ _id: id, _type: 'link', url: `https://${id}.example/`, title: id, ...(tags === undefined ? {} : { tags }) });
    const card = (ref: string) => ({ _type: 'linkCard', _key: `k-${ref}`, link: { _ref: ref } });
    const refs = (...ids: unknown[]) => ids.map((_ref) => ({ _ref }));
    const docs: SanityDocument[] = [
      // Ids that look like the stored text's own marks: digits, colons, dashes, a bang.
      tag('tag-1:2', 'one-two'),
      tag('12:tag', 'twelve'),
      tag('-', 'dash'),
      tag('!', 'bang'),
      tag('tag-t', 't'),
      link('link-a', refs('tag-1:2')),
      link('link-b', refs('12:tag', '-', '!')),
      // Not a list; a target that is not an id; no tags at all; an empty list.
      link('link-c', 'tag-1:2'),
      link('link-d', refs(42, 'tag-1:2')),
      link('link-e', undefined),
      link('link-f', []),
      {
        _id: 'issue-1',
        _type: 'issue',
        sections: [
          { heading: 'All', body: ['link-a', 'link-b', 'link-c', 'link-d', 'link-e', 'link-f'].map(card) },
          { heading: 'On t', topic: { _ref: 'tag-t' }, body: [card('link-a')] },
        ],
      },
      // A second issue uses two of the links again, one in a section on a topic.
      { _id: 'issue-2', _type: 'issue', sections: [{ heading: 'Again', topic: { _ref: 'tag-t' }, body: [card('link-b'), card('link-e')] }] },
      // A third links nowhere: its share has no words at all, and is read as one all the same.
      { _id: 'issue-3', _type: 'issue', sections: [{ heading: 'Words only', body: [] }] },
    ];
    const listing = (n: number): Listing => ({ id: `issue-${n}`, number: n, slug: `issue-${n}`, title: `Issue ${n}`, date: `2026-01-0${n}`, tags: [], topics: [] });
    const listings = new Map([listing(1), listing(2), listing(3)].map((l) => [l.id, l] as const));
    const keys = new Map([['issue-1', 'key-1'], ['issue-2', 'key-2'], ['issue-3', 'key-3']]);
    const { walked, fromShares, before } = await walkedThenKept(docs, listings, keys);
    expect(linksIndexStats.walked).toBe(before.walked);
    // What places an entry, without reading any share's words.
    const placed = (index: typeof walked) => index.links.map((l) => [l.key, l.domain, l.tags, l.uses.map((u) => u.number)]);
    expect(placed(fromShares)).toEqual(placed(walked));
    expect(linksIndexStats.wordsRead).toBe(before.wordsRead);
    expect(placed(walked)).toEqual([
      ['https://link-a.example', 'link-a.example', [{ title: 'Tag one-two', slug: 'one-two' }, { title: 'Tag t', slug: 't' }], [1]],
      ['https://link-b.example', 'link-b.example', [{ title: 'Tag bang', slug: 'bang' }, { title: 'Tag dash', slug: 'dash' }, { title: 'Tag t', slug: 't' }, { title: 'Tag twelve', slug: 'twelve' }], [1, 2]],
      ['https://link-c.example', 'link-c.example', [], [1]],
      ['https://link-d.example', 'link-d.example', [{ title: 'Tag one-two', slug: 'one-two' }], [1]],
      ['https://link-e.example', 'link-e.example', [{ title: 'Tag t', slug: 't' }], [1, 2]],
      ['https://link-f.example', 'link-f.example', [], [1]],
    ]);
    // And whole, as the pages show them.
    expect(JSON.parse(JSON.stringify(fromShares.links))).toEqual(JSON.parse(JSON.stringify(walked.links)));
  });

  it("gives each topic section its own paragraphs, parsed only when a feed reads them, as walking the issue gives them", async () => {
    const tag = (id: string, slug: string) => ({ _id: id, _type: 'tag', title: slug.toUpperCase(), slug: { _type: 'slug', current: slug } });
    const paragraph = (key: string, text: string) => ({ _type: 'block', _key: key, style: 'normal', markDefs: [], children: [{ _type: 'span', _key: `${key}s`, text, marks: [] }] });
    const docs: SanityDocument[] = [
      tag('tag-a', 'a'),
      tag('tag-b', 'b'),
      { _id: 'link-1', _type: 'link', url: 'https://one.example/', title: 'One' },
      {
        _id: 'issue-1',
        _type: 'issue',
        sections: [
          { heading: 'First', topic: { _ref: 'tag-a' }, body: [paragraph('p1', 'The first section, on a.'), { _type: 'linkCard', _key: 'c1', link: { _ref: 'link-1' } }] },
          { heading: 'Untopical', body: [paragraph('p2', 'No topic here.')] },
          { heading: 'Second', topic: { _ref: 'tag-b' }, body: [paragraph('p3', 'The second section, on b.'), paragraph('p4', 'And a second paragraph.')] },
          { heading: 'Third', topic: { _ref: 'tag-a' }, body: [paragraph('p5', 'The third section, on a again.')] },
        ],
      },
    ];
    const listing: Listing = { id: 'issue-1', number: 1, slug: 'issue-1', title: 'One', date: '2026-01-01', tags: [], topics: [] };
    const listings = new Map([[listing.id, listing]]);

    // Walked, then made from the issue's share over new document objects, as a new process has: not by walking.
    const { walked, fromShares: fromShare, before } = await walkedThenKept(docs, listings, new Map([['issue-1', 'key-1']]));
    expect(linksIndexStats.walked).toBe(before.walked);
    expect(linksIndexStats.wordsRead).toBe(before.wordsRead);
    const shown = (index: typeof walked) => index.sections.map((s) => [s.tag.slug, s.heading, s.anchor, s.paragraphs]);
    expect(shown(fromShare)).toEqual(shown(walked));
    expect(shown(fromShare).map(([, heading, , paragraphs]) => [heading, paragraphs])).toEqual([
      ['First', ['The first section, on a.']],
      ['Second', ['The second section, on b.', 'And a second paragraph.']],
      ['Third', ['The third section, on a again.']],
    ]);
    expect(linksIndexStats.wordsRead).toBe(before.wordsRead + 1);
    // The same list each time it is read.
    expect(fromShare.sections[1]!.paragraphs).toBe(fromShare.sections[1]!.paragraphs);
  });
});

describe('issueLinksDigestsPaced', () => {
  it('gives the digests issueLinksDigests gives, pausing after every twenty issues', async () => {
    const docs: SanityDocument[] = [];
    const listings = new Map<string, Listing>();
    for (let n = 1; n <= 45; n++) {
      docs.push({ _id: `link-${n}`, _type: 'link', url: `https://site-${n % 7}.example/${n}`, title: `Link ${n}` });
      docs.push({ _id: `issue-${n}`, _type: 'issue', sections: [{ heading: 'Links', body: [{ _type: 'linkCard', _key: `c${n}`, link: { _ref: `link-${n}` }, comment: `Issue ${n}'s link.` }] }] });
      listings.set(`issue-${n}`, { id: `issue-${n}`, number: n, slug: `issue-${n}`, title: `Issue ${n}`, date: '2026-01-01', tags: [], topics: [] });
    }
    const raw = { issues: docs.filter((d) => d._type === 'issue'), byId: new Map(docs.map((d) => [d._id, d] as const)) };
    let pauses = 0;
    const paced = await issueLinksDigestsPaced(raw, listings, raw.issues, async () => void pauses++);
    expect(pauses).toBe(2);
    expect(paced.size).toBe(45);
    expect(paced).toEqual(issueLinksDigests(raw, listings, raw.issues));
    // Each issue's own: different links give different digests.
    expect(new Set(paced.values()).size).toBe(45);
  });
});
