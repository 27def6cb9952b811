// `newsdesk check` over a whole store finds exactly what checking each issue on its own
// finds, in a fixed order: the check indexes the store once instead of asking per link
// or per problem, and this pins that the shortcut changed nothing.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticDataset, writeDataset } from '../tests/build-dataset.ts';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { checkContent } from './check.ts';
import { GroqJsStore } from './groq-js-store.ts';
import { describeProblem } from './model.ts';
import type { ContentStore } from './store.ts';

type Doc = Record<string, unknown> & { _id: string; _type: string };
type Block = { markDefs: unknown[] };
type Section = { body: Block[] };

/** Real-shaped issues, a dozen of them broken in a different way each, drafts included. */
function brokenDataset(): Doc[] {
  const docs = syntheticDataset({ issues: 24, sectionsPerIssue: 3, linksPerIssue: 6 });
  const issue = (n: number) => docs.find((d) => d._id === `issue-${n}`)!;
  const link = (n: number, l: number) => docs.find((d) => d._id === `link-${n}-${l}`)!;
  const firstBlock = (d: Doc) => (d.sections as Section[])[0]!.body[0]!;

  // No title: the issue is invalid, and so is every link it uses (its usedIn entry).
  delete issue(3).title;
  firstBlock(issue(5)).markDefs.push({ _type: 'externalLink', _key: 'bad', href: 'javascript:alert(1)' });
  issue(7).sections = [];
  issue(9).summary = 'x'.repeat(200);
  link(11, 2).url = 'ftp://files.example.org/a';
  link(11, 4).url = 'not a url';
  firstBlock(issue(13)).markDefs.push({ _type: 'linkReference', _key: 'gone', reference: { _type: 'reference', _ref: 'link-missing' } });
  issue(17).date = 'soon';
  (issue(19).sections as Section[])[1]!.body.push({ _type: 'linkCard', _key: 'card', link: { _type: 'reference', _ref: 'link-19-1' } } as unknown as Block);
  link(19, 1).status = 'lost';
  // A draft over issue 15 that keeps its published problem and adds one of its own.
  issue(15).summary = 'y'.repeat(150);
  docs.push({ ...structuredClone(issue(15)), _id: 'drafts.issue-15', date: 'later' });
  // A draft-only issue with a problem, and one without.
  docs.push({ ...structuredClone(issue(21)), _id: 'drafts.issue-40', number: 40, slug: { _type: 'slug', current: 'issue-40' }, summary: 'z'.repeat(160) });
  docs.push({ ...structuredClone(issue(22)), _id: 'drafts.issue-41', number: 41, slug: { _type: 'slug', current: 'issue-41' } });
  // A draft over a link an issue uses: the issue as the drafts show it links to javascript:.
  docs.push({ ...structuredClone(link(23, 0)), _id: 'drafts.link-23-0', url: 'javascript:void(0)' });
  return docs;
}

/** The part of a dataset issue `n` needs on its own: settings, tags, its links, it and its draft. */
function aloneDataset(docs: Doc[], n: number): Doc[] {
  // The draft-only issues are copies of 21 and 22 and use those issues' links.
  const linksOf = ({ 40: 21, 41: 22 } as Record<number, number>)[n] ?? n;
  const own = (d: Doc) => d._id === `issue-${n}` || d._id === `drafts.issue-${n}` || d._id.startsWith(`link-${linksOf}-`) || d._id.startsWith(`drafts.link-${linksOf}-`);
  return docs.filter((d) => d._type === 'newsletter' || d._type === 'tag' || own(d));
}

async function checkDataset(dir: string, name: string, docs: Doc[]): Promise<string[]> {
  const file = path.join(dir, `${name}.ndjson`);
  await writeDataset(file, docs);
  return (await checkContent(new GroqJsStore({ datasetPath: file }))).map(describeProblem);
}

describe('checkContent', () => {
  it('finds the same through a store in this process (issues and links projected in code) as through GROQ alone', async () => {
    const dir = await makeTempDir();
    const docs: Doc[] = [
      ...brokenDataset(),
      // Links a projection could get wrong: tags that point nowhere or are no list, fields of the wrong kind.
      { _id: 'link-odd', _type: 'link', url: 'https://example.org/odd', title: 5, tags: [{ _type: 'reference', _ref: 'tag-missing' }, 'tag-x', null], status: 'inbox' },
      { _id: 'link-tags-object', _type: 'link', url: 'https://example.org/t', tags: { _ref: 'tag-1' }, capturedAt: 3 },
    ];
    const file = path.join(dir, 'both.ndjson');
    await writeDataset(file, docs);
    const store = new GroqJsStore({ datasetPath: file });
    expect(store.local).toBe(true);
    // The same store, seen as a remote one is: everything asked of it in GROQ.
    const remote: ContentStore = { fetch: (query, params, options) => store.fetch(query, params, options), mutate: (mutations, options) => store.mutate(mutations, options), description: store.description };
    const viaGroq = (await checkContent(remote)).map(describeProblem);
    expect((await checkContent(store)).map(describeProblem)).toEqual(viaGroq);
    expect(viaGroq.filter((line) => line.includes('link-odd') || line.includes('link-tags-object')).length).toBeGreaterThanOrEqual(2);
    expect(viaGroq.length).toBeGreaterThanOrEqual(16);
  });

  it('finds in a store of many issues exactly what it finds in each issue alone', async () => {
    const dir = await makeTempDir();
    const docs = brokenDataset();
    const whole = await checkDataset(dir, 'whole', docs);
    const numbers = [...new Set(docs.filter((d) => d._type === 'issue').map((d) => Number(d.number)))];
    const alone = new Set<string>();
    for (const n of numbers) for (const line of await checkDataset(dir, `alone-${n}`, aloneDataset(docs, n))) alone.add(line);
    expect(new Set(whole).size).toBe(whole.length);
    expect([...whole].sort()).toEqual([...alone].sort());
    // Every kind of break above shows up, so the comparison is not between two empty lists.
    expect(whole.length).toBeGreaterThanOrEqual(14);
  });

  it('reports the problems of a store in the same order and words as before', async () => {
    const dir = await makeTempDir();
    const docs = brokenDataset();
    // Across issues too: a link two issues use (the untitled one second), a shared slug.
    const issue2 = docs.find((d) => d._id === 'issue-2')!;
    (issue2.sections as Section[])[0]!.body[0]!.markDefs.push({ _type: 'linkReference', _key: 'shared', reference: { _type: 'reference', _ref: 'link-3-0' } });
    docs.find((d) => d._id === 'issue-6')!.slug = { _type: 'slug', current: 'issue-4' };
    docs.find((d) => d._id === 'drafts.issue-41')!.number = 20;
    expect(await checkDataset(dir, 'order', docs)).toEqual(expectedOrder);
  });
});

// What `newsdesk check` printed for brokenDataset() before the check indexed the store
// (the rule book's three lines aside).
const expectedOrder: string[] = [
  'link (link-3-0): usedIn[1].title: Invalid input: expected string, received null',
  'link (link-3-1): usedIn[0].title: Invalid input: expected string, received null',
  'link (link-3-2): usedIn[0].title: Invalid input: expected string, received null',
  'link (link-3-3): usedIn[0].title: Invalid input: expected string, received null',
  'link (link-3-4): usedIn[0].title: Invalid input: expected string, received null',
  'link (link-3-5): usedIn[0].title: Invalid input: expected string, received null',
  'link (link-11-4): url: Invalid URL',
  'link (link-19-1): status: Invalid option: expected one of "inbox"|"shortlisted"|"discarded"',
  'link (link-11-2): url: "ftp://files.example.org/a" is not an http(s) or mailto URL; the build leaves this link out. Fix the URL or delete the link',
  'issue 3 (issue-3): title: This issue has no title yet: give it one; it is the email subject line.',
  'issue 17 (issue-17): date: must be a date like 2026-03-14',
  'issue 6 (issue-6): slug: slug "issue-4" is also used by issue-4; slugs must be unique',
  // Since the rule book (content/rules.ts): in the Studio's words, naming the section.
  'issue 5 (issue-5): sections[0].body[0].markDefs[2].href: Section “News”: a link goes to "javascript:alert(1)", which is not a full web or mail address (https://…, http://… or mailto:…), so it would disappear from the email and the page. Fix the URL.',
  'issue 7 (issue-7): sections: Every section is empty, so the email and the page would have no content: write in at least one section (or remove the empty ones and add one with content).',
  'issue 9 (issue-9): summary: is 200 characters; keep it to 140 so inboxes show it whole as the preheader',
  'issue 11 (issue-11): sections[1].body[0].markDefs[0].link.url: link to "ftp://files.example.org/a" left out: only http(s) and mailto links are allowed',
  'issue 11 (issue-11): sections[2].body[0].markDefs[0].link.url: link to "not a url" left out: only http(s) and mailto links are allowed',
  'issue 13 (issue-13): sections[0].body[0].markDefs[2].reference: link left out: the referenced link document is missing or unpublished',
  'issue 15 (issue-15): summary: is 150 characters; keep it to 140 so inboxes show it whole as the preheader',
  'issue 15 (draft) (issue-15): date: must be a date like 2026-03-14',
  'issue 20 (draft) (issue-41): number: number 20 is also used by issue-20; give each issue its own number',
  'issue 23 (issue-23): sections[0].body[0].markDefs[0].link.url: link to "javascript:void(0)" left out: only http(s) and mailto links are allowed',
  'issue 23 (issue-23): sections[2].body[1].link.url: link card to "javascript:void(0)" left out: only http(s) and mailto links are allowed',
  'issue 40 (draft) (issue-40): summary: is 160 characters; keep it to 140 so inboxes show it whole as the preheader',
];
