// The Studio's notices on broken and moved links, from the linkCheck documents `newsdesk
// links check` wrote, under Sanity's own validation through a real @sanity/client against
// the local Content Lake: on a link document, on a link inserted into an issue and on an
// external link in an issue's text, in any spelling of the address. A fine link says nothing.
import type { Workspace } from 'sanity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkCheckIdFor } from '../content/link-check/check-links.ts';
import type { LinkCheckRecord } from '../content/link-check/link-health.ts';
import { normaliseUrl } from '../content/normalize-url.ts';
import type { SanityDocument } from '../content/store.ts';
import type { LocalLake } from './helpers/local-lake.ts';
import { findingsOf, startValidationLake } from './helpers/validation-lake.ts';
import { aLinkReferenceMark, aStoredIssue, anExternalLinkMark } from './stored-issues.ts';

const linkDoc = (id: string, url: string): SanityDocument => ({ _id: id, _type: 'link', url, normalizedUrl: normaliseUrl(url), status: 'inbox', capturedAt: '2026-01-01T00:00:00Z' });

const aCheck = (url: string, record: Partial<LinkCheckRecord>): SanityDocument => ({
  _id: linkCheckIdFor(normaliseUrl(url)),
  _type: 'linkCheck',
  url,
  normalizedUrl: normaliseUrl(url),
  outcome: 'ok',
  status: 200,
  finalUrl: url,
  redirects: 0,
  checkedAt: '2026-03-14T09:30:00.000Z',
  usedIn: [12],
  ...record,
});

const draftIssue = (markDefs: object[]) => aStoredIssue('drafts.issue-13', 13, markDefs);

const lakeDocuments: SanityDocument[] = [
  linkDoc('link-old', 'https://example.org/old'),
  linkDoc('link-fine', 'https://example.org/fine'),
  aCheck('https://example.org/old', { outcome: 'moved', finalUrl: 'https://example.org/new', movedTo: 'https://example.org/new', redirects: 1 }),
  aCheck('https://example.org/gone', { outcome: 'broken', status: 404 }),
  aCheck('https://example.org/fine', {}),
];

let lake: LocalLake;
let workspace: Workspace;

beforeAll(async () => {
  ({ lake, workspace } = await startValidationLake(lakeDocuments, 'newsdesk-studio-link-health-'));
});
afterAll(async () => {
  await lake?.close();
});

const warnings = async (document: SanityDocument) => (await findingsOf({ workspace }, document, 'warning', new Set(lakeDocuments.map((d) => d._id)))).sort();

describe('link health, in the Studio', () => {
  it('warns on a link document whose page moved, naming where to link instead', async () => {
    expect(await warnings(lakeDocuments[0]!)).toEqual([
      'normalizedUrl: Moved: redirects permanently to https://example.org/new (checked on 2026-03-14); link there instead. (newsdesk links check)',
    ]);
    expect(await warnings(lakeDocuments[1]!)).toEqual([]);
  });

  it('warns on a moved link inserted into an issue and on a broken external link in any spelling', async () => {
    const draft = draftIssue([
      aLinkReferenceMark('a', 'link-old'),
      anExternalLinkMark('b', 'https://EXAMPLE.org/gone/?utm_source=feed'),
      anExternalLinkMark('c', 'https://example.org/fine'),
      anExternalLinkMark('d', 'mailto:editor@example.org'),
    ]);
    expect(await warnings(draft)).toEqual([
      'sections[_key=="sec"].body[_key=="p"].markDefs[_key=="a"].reference: Moved: redirects permanently to https://example.org/new (checked on 2026-03-14); link there instead. (newsdesk links check)',
      'sections[_key=="sec"].body[_key=="p"].markDefs[_key=="b"].href: Broken link: HTTP 404 when checked on 2026-03-14. (newsdesk links check)',
    ]);
  });
});
