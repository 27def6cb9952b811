import { describe, expect, it } from 'vitest';
import { countLinks } from './issues.ts';

const link = (href: string) => ({ _type: 'externalLink', _key: href, href });

describe('countLinks', () => {
  it('counts annotations in paragraphs, inline and block editorial notes, and link cards', () => {
    const content = [
      [{ _type: 'block', markDefs: [link('a'), link('b')], children: [] }],
      [
        [
          {
            _type: 'block',
            markDefs: [{ _type: 'linkReference', _key: 'r', reference: { _ref: 'link-1' } }],
            children: [{ _type: 'editorialNote', body: [{ _type: 'block', markDefs: [link('c')], children: [] }] }],
          },
          { _type: 'editorialNote', body: [{ _type: 'block', markDefs: [link('d')], children: [] }] },
          { _type: 'linkCard', link: { _type: 'reference', _ref: 'link-2' } },
        ],
      ],
      null,
    ];
    expect(countLinks(content)).toBe(6);
  });

  it('counts nothing in an empty issue', () => {
    expect(countLinks([null, null, null])).toBe(0);
  });
});
