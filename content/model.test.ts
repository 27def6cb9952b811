import { describe, expect, it } from 'vitest';
import { issueSchema, parseOrThrow } from './model.ts';

const raw = (sections: unknown[]) => ({
  id: 'issue-6',
  number: 6,
  title: 'Made in the Studio',
  slug: 'made-in-the-studio',
  date: '2026-11-29',
  summary: 'A summary.',
  isDraft: false,
  intro: [],
  sections,
  signOff: [],
  tags: [],
  updatedAt: '2026-11-29T10:00:00Z',
});

describe('the issue read model', () => {
  it('leaves out sections the editor left empty, keeping the others in order', () => {
    const paragraph = { _type: 'block', _key: 'p', style: 'normal', markDefs: [], children: [{ _type: 'span', _key: 's', text: 'Hello', marks: [] }] };
    const [issue] = parseOrThrow(
      issueSchema,
      [raw([{ key: 'a', heading: 'News', body: [paragraph] }, { key: 'b', heading: 'Package Updates', body: [] }, { key: 'c', heading: 'Deployment', body: [paragraph] }])],
      'issue',
    );
    expect(issue!.sections.map((s) => s.heading)).toEqual(['News', 'Deployment']);
  });
});
