// The Studio's "already linked in #N" notices under Sanity's own validation, through a real
// @sanity/client against the local stand-in of the Content Lake: on a link document in the
// inbox, and on a link inserted into a draft issue (leaving out that issue itself). Drafts
// never count.
import type { Workspace } from 'sanity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseUrl } from '../content/normalize-url.ts';
import type { SanityDocument } from '../content/store.ts';
import type { LocalLake } from './helpers/local-lake.ts';
import { findingsOf, startValidationLake } from './helpers/validation-lake.ts';
import { aLinkReferenceMark, aStoredIssue, anExternalLinkMark } from './stored-issues.ts';


const linkDoc = (id: string, url: string): SanityDocument => ({ _id: id, _type: 'link', url, normalizedUrl: normaliseUrl(url), status: 'inbox' });

const issueDoc = aStoredIssue;
const ref = aLinkReferenceMark;
const ext = anExternalLinkMark;

const lakeDocuments: SanityDocument[] = [
  linkDoc('link-seen', 'https://example.org/seen'),
  linkDoc('link-draft-only', 'https://example.org/draft-only'),
  linkDoc('link-new', 'https://example.org/new'),
  issueDoc('issue-12', 12, [ref('a', 'link-seen')]),
  // Another spelling, by annotation only.
  issueDoc('issue-31', 31, [ext('b', 'https://EXAMPLE.org/seen/?utm_source=feed')]),
  issueDoc('drafts.issue-40', 40, [ref('c', 'link-draft-only')]),
];

let lake: LocalLake;
let workspace: Workspace;

beforeAll(async () => {
  ({ lake, workspace } = await startValidationLake(lakeDocuments, 'newsdesk-studio-linked-in-'));
});
afterAll(async () => {
  await lake?.close();
});

const notices = (document: SanityDocument) => findingsOf({ workspace }, document, 'info', new Set(lakeDocuments.map((d) => d._id)));

describe('already linked in, in the Studio', () => {
  it('tells on an inbox link which published issues linked its page, in any spelling', async () => {
    expect(await notices(lakeDocuments[0]!)).toEqual(['normalizedUrl: Already linked in #12 (2026-02-06) and #31 (2026-02-06).']);
  });

  it('says nothing for a link used only in a draft, or never used', async () => {
    expect(await notices(lakeDocuments[1]!)).toEqual([]);
    expect(await notices(lakeDocuments[2]!)).toEqual([]);
  });

  it('tells when a used link is inserted into a draft issue, leaving out that issue itself', async () => {
    const draft = issueDoc('drafts.issue-12', 12, [ref('a', 'link-seen'), ref('d', 'link-new')]);
    expect(await notices(draft)).toEqual(['sections[_key=="sec"].body[_key=="p"].markDefs[_key=="a"].reference: Already linked in #31 (2026-02-06).']);
  });
});
