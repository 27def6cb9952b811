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

  it('reads a field that GROQ answered null, or left out, as its default (a new array each time) or as undefined', () => {
    const block = (span: Record<string, unknown>, fields: Record<string, unknown>) => ({ _type: 'block', _key: 'p', children: [{ _type: 'span', text: 'Hi', ...span }], ...fields });
    const note = { _type: 'editorialNote', _key: 'n', body: [{ _type: 'block', children: [{ _type: 'span', text: 'Aside' }] }] };
    const [issue] = parseOrThrow(
      issueSchema,
      [{ ...raw([{ key: 'a', heading: 'News', body: [block({}, {}), block({ marks: null, _key: null }, { markDefs: null, style: null }), note] }]), intro: null, signOff: undefined, summary: null }],
      'issue',
    );
    const [left, nulls, aside] = issue!.sections[0]!.body as Array<Record<string, any>>;
    for (const b of [left!, nulls!]) {
      expect(b.style).toBe('normal');
      expect(b.markDefs).toEqual([]);
      expect(b.children[0].marks).toEqual([]);
    }
    // Each default is its own array: a renderer that adds to one changes no other block.
    expect(left!.markDefs).not.toBe(nulls!.markDefs);
    expect(left!.children[0].marks).not.toBe(nulls!.children[0].marks);
    expect(aside!.signature).toBe('Ed.');
    expect(aside!.body[0].markDefs).toEqual([]);
    expect(issue!.intro).toEqual([]);
    expect(issue!.signOff).toEqual([]);
    // An optional field answered null is there, undefined; one left out stays out.
    expect('summary' in issue! && issue!.summary === undefined).toBe(true);
    expect('_key' in nulls!.children[0] && nulls!.children[0]._key === undefined).toBe(true);
    expect('_key' in left!.children[0]).toBe(false);
  });

  it('names the field and what was wrong when a value is of the wrong kind, not reading it as missing', () => {
    const bad = raw([{ key: 'a', heading: 'News', body: [{ _type: 'block', _key: 'p', style: 'h9', markDefs: 'none', children: [{ _type: 'span', text: 'Hi', marks: 'bold' }] }] }]);
    const result = issueSchema.safeParse(bad);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['sections.0.body.0.children.0.marks', 'sections.0.body.0.markDefs', 'sections.0.body.0.style']);
  });
});
