// What a new issue starts with, computed from the dataset as the Studio does.
import { evaluate, parse } from 'groq-js';
import { describe, expect, it } from 'vitest';
import { newIssueDefaults, newIssueDefaultsQuery } from './initial-values.ts';

async function factsFrom(dataset: Array<Record<string, unknown>>) {
  return (await (await evaluate(parse(newIssueDefaultsQuery), { dataset })).get()) as { lastNumber?: number; headings?: unknown };
}

const keys = () => {
  let n = 0;
  return () => `k${++n}`;
};

describe('a new issue', () => {
  it('takes the number after the highest one, counting drafts, and today’s date', async () => {
    const facts = await factsFrom([
      { _id: 'issue-a', _type: 'issue', number: 4 },
      { _id: 'drafts.issue-b', _type: 'issue', number: 5 },
    ]);
    expect(newIssueDefaults({ ...facts, today: '2026-03-14' }, keys())).toEqual({ number: 6, date: '2026-03-14', sections: [] });
  });

  it('starts with one empty section per default heading from Settings, preferring the settings draft', async () => {
    const facts = await factsFrom([
      { _id: 'newsletter', _type: 'newsletter', defaultSectionHeadings: ['Old'] },
      { _id: 'drafts.newsletter', _type: 'newsletter', defaultSectionHeadings: ['News', ' ', 'Package Updates'] },
    ]);
    expect(newIssueDefaults({ ...facts, today: '2026-03-14' }, keys())).toEqual({
      number: 1,
      date: '2026-03-14',
      sections: [
        { _type: 'section', _key: 'k1', heading: 'News', body: [] },
        { _type: 'section', _key: 'k2', heading: 'Package Updates', body: [] },
      ],
    });
  });

  it('is issue 1 in an empty dataset', async () => {
    expect(newIssueDefaults({ ...(await factsFrom([])), today: '2026-01-01' }).number).toBe(1);
  });
});
