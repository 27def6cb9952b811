// The rule book (content/rules.ts) heard in two places: one table of issues runs through
// the Studio's own validation (validateDocument, as the Studio runs it, against the local
// lake) and through `newsdesk check` over the same dataset; both refuse the same issues
// with the same words, and the lake refuses to publish exactly those.
import type { SanityClient } from '@sanity/client';
import { pathToString, validateDocument, type Workspace } from 'sanity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContent } from '../content/check.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import type { SanityDocument } from '../content/store.ts';
import { anIssueForCase, issueRuleCases } from './fixtures/issue-rule-cases.ts';
import type { LocalLake } from './helpers/local-lake.ts';
import { startValidationLake } from './helpers/validation-lake.ts';

const settings: SanityDocument = {
  _id: 'newsletter',
  _type: 'newsletter',
  title: 'Ecosystem Tracker',
  siteUrl: 'https://news.example.org',
  senderName: 'Ecosystem Tracker',
  senderEmail: 'tracker@news.example.org',
  postalAddress: '1 Example Street, Springfield',
};
const issues = issueRuleCases.map((c, i) => anIssueForCase(`issue-${i + 1}`, i + 1, c.fields) as SanityDocument);

let lake: LocalLake;
let client: SanityClient;
let workspace: Workspace;
let datasetPath: string;

beforeAll(async () => {
  ({ lake, client, workspace, datasetPath } = await startValidationLake([settings, ...issues], 'newsdesk-rules-'));
});

afterAll(async () => {
  await lake?.close();
});

async function studioFindings(document: SanityDocument): Promise<Array<{ level: string; path: string; message: string }>> {
  const markers = await validateDocument({
    document: document as Parameters<typeof validateDocument>[0]['document'],
    workspace,
    environment: 'studio',
    getDocumentExists: async () => true,
  });
  return markers.map((m) => ({ level: m.level, path: pathToString(m.path), message: m.message }));
}

describe('the Studio and `newsdesk check` on one table of issues', () => {
  it('refuse the same issues, with the same words', async () => {
    const problems = await checkContent(new GroqJsStore({ datasetPath }));
    for (const [i, c] of issueRuleCases.entries()) {
      const studio = (await studioFindings(issues[i]!)).filter((f) => f.level === 'error').map((f) => f.message);
      const check = problems.filter((p) => p.id === issues[i]!._id).map((p) => p.message);
      expect(studio, `Studio: ${c.name}`).toEqual(c.errors);
      expect(check, `check: ${c.name}`).toEqual(c.errors);
    }
  });

  it('only warn, in the Studio, about an empty section beside a full one', async () => {
    const i = issueRuleCases.findIndex((c) => c.name.startsWith('one empty section'));
    expect(await studioFindings(issues[i]!)).toEqual([
      { level: 'warning', path: 'sections', message: 'section “Tools” has no content yet and will be left out of the email and the page. Fill it or remove it.' },
    ]);
  });

  it('and the lake publishes exactly the issues both accept', async () => {
    for (const [i, c] of issueRuleCases.entries()) {
      const draft = { ...issues[i]!, _id: `drafts.case-${i}` };
      await client.createOrReplace(draft);
      const outcome = await client
        .action({ actionType: 'sanity.action.document.publish', draftId: `drafts.case-${i}`, publishedId: `case-${i}` })
        .then(() => 'published', (error: Error) => error.message);
      if (c.errors.length === 0) expect(outcome, c.name).toBe('published');
      else for (const message of c.errors) expect(outcome, c.name).toContain(message);
    }
  });
});
