// What a new issue starts with: the next free number, today's date and one empty
// section per default heading from Settings, so an editor starts from the usual shape.
import { randomKey } from './keys.ts';

// "drafts.newsletter" sorts before "newsletter", so an unpublished edit to Settings wins.
export const newIssueDefaultsQuery = `{
  "lastNumber": *[_type == "issue"] | order(number desc)[0].number,
  "headings": *[_id in ["newsletter", "drafts.newsletter"]] | order(_id asc)[0].defaultSectionHeadings
}`;

export interface NewIssueFacts {
  lastNumber?: number | null;
  headings?: unknown;
  today: string;
}

export function newIssueDefaults(facts: NewIssueFacts, makeKey: () => string = randomKey) {
  const headings = Array.isArray(facts.headings) ? facts.headings.filter((h): h is string => typeof h === 'string' && h.trim() !== '') : [];
  return {
    number: typeof facts.lastNumber === 'number' && Number.isInteger(facts.lastNumber) ? facts.lastNumber + 1 : 1,
    date: facts.today,
    sections: headings.map((heading) => ({ _type: 'section', _key: makeKey(), heading, body: [] })),
  };
}
