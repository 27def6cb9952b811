// Stored issue documents, in the shape the content store holds them (before any read
// model), whose one paragraph carries the given link annotations: for tests about which
// links issues use (already linked in #N, link checks).
import type { SanityDocument } from '../content/store.ts';

export function aStoredIssue(id: string, number: number, markDefs: object[], overrides: Partial<SanityDocument> = {}): SanityDocument {
  return {
    _id: id,
    _type: 'issue',
    number,
    title: `Issue ${number}`,
    slug: { _type: 'slug', current: `issue-${number}` },
    date: '2026-02-06',
    summary: 'A round-up of the week in small tools.',
    sections: [
      {
        _type: 'section',
        _key: 'sec',
        heading: 'News',
        body: [{ _type: 'block', _key: 'p', style: 'normal', markDefs, children: [{ _type: 'span', _key: 's', text: 'a link', marks: markDefs.map((m) => (m as { _key: string })._key) }] }],
      },
    ],
    ...overrides,
  };
}

/** Text linked to a captured link document. */
export const aLinkReferenceMark = (key: string, to: string) => ({ _type: 'linkReference', _key: key, reference: { _type: 'reference', _ref: to } });

/** Text linked straight to an address. */
export const anExternalLinkMark = (key: string, href: string) => ({ _type: 'externalLink', _key: key, href });
