import { describe, expect, it } from 'vitest';
import type { SanityDocument } from '../content/store.ts';
import { collapseSpaces, indexLinks, sentenceRun } from './links-index.ts';
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
