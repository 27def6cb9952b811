// The editorial rules behind the schema types, one by one, with values an editor
// could plausibly type. Uniqueness rules run their real GROQ over groq-js.
import { evaluate, parse } from 'groq-js';
import { describe, expect, it } from 'vitest';
import { summaryMaxLength } from '../content/rules.ts';
import {
  checkAlt,
  checkDate,
  checkEmail,
  checkExternalHref,
  checkHexColor,
  checkHttpUrl,
  checkIssueNumber,
  checkIssueNumberUnique,
  checkLinkNotDuplicate,
  checkLinkStatus,
  checkNoteBody,
  checkReference,
  checkIssueRules,
  checkIssueSlug,
  checkLinkHref,
  indexPath,
  checkSiteUrl,
  checkSlug,
  checkSlugUnique,
  checkSummaryLength,
  checkSummaryPresent,
  externalHrefMessage,
  httpUrlMessage,
  idPair,
  normalizeLinkUrl,
  requireText,
  type QueryClient,
} from './validation.ts';

/** A query client over an in-memory list of stored documents (the raw perspective). */
function aDataset(documents: Array<Record<string, unknown>>): QueryClient {
  return {
    async fetch<R>(query: string, params: Record<string, unknown>): Promise<R> {
      const result = await evaluate(parse(query, { params }), { dataset: documents, params });
      return (await result.get()) as R;
    },
  };
}

const anIssueDoc = (id: string, number: number, slug: string, title = `Issue ${number}`) => ({
  _id: id,
  _type: 'issue',
  number,
  title,
  slug: { _type: 'slug', current: slug },
});

describe('issue number', () => {
  it('accepts a positive whole number', () => {
    expect(checkIssueNumber(12)).toBe(true);
  });

  it('asks for a number when there is none', () => {
    expect(checkIssueNumber(undefined)).toMatch(/Give the issue a number/);
  });

  it('rejects fractions, zero and negative numbers, saying what is allowed', () => {
    expect(checkIssueNumber(1.5)).toMatch(/whole number, not 1.5/);
    expect(checkIssueNumber(0)).toMatch(/1 or more, not 0/);
    expect(checkIssueNumber(-3)).toMatch(/1 or more/);
  });

  it('reports a number already used by another published issue, naming it', async () => {
    const lake = aDataset([anIssueDoc('issue-a', 12, 'a', 'Spring cleaning')]);
    expect(await checkIssueNumberUnique(12, 'drafts.issue-b', lake)).toBe(
      'Number 12 is already used by issue #12 "Spring cleaning"; give this issue the next free number.',
    );
  });

  it('reports a number already used by another issue that is only a draft', async () => {
    const lake = aDataset([anIssueDoc('drafts.issue-a', 12, 'a')]);
    expect(await checkIssueNumberUnique(12, 'issue-b', lake)).toMatch(/\(a draft\)/);
  });

  it('does not count the issue’s own draft, published copy or release version as a clash', async () => {
    const lake = aDataset([anIssueDoc('issue-a', 12, 'a'), anIssueDoc('drafts.issue-a', 12, 'a'), anIssueDoc('versions.r1.issue-a', 12, 'a')]);
    expect(await checkIssueNumberUnique(12, 'drafts.issue-a', lake)).toBe(true);
    expect(await checkIssueNumberUnique(12, 'issue-a', lake)).toBe(true);
  });

  it('leaves invalid numbers to the format rule instead of querying', async () => {
    const lake: QueryClient = { fetch: () => Promise.reject(new Error('should not query')) };
    expect(await checkIssueNumberUnique(-1, 'issue-a', lake)).toBe(true);
    expect(await checkIssueNumberUnique(undefined, 'issue-a', lake)).toBe(true);
  });
});

describe('slug', () => {
  it('accepts lower-case words joined by hyphens', () => {
    expect(checkSlug({ _type: 'slug', current: 'issue-12-spring-cleaning' })).toBe(true);
  });

  it('asks for a slug when it is missing or blank', () => {
    expect(checkSlug(undefined)).toMatch(/Add a slug/);
    expect(checkSlug({ current: '  ' })).toMatch(/Add a slug/);
  });

  it('lets an issue without a slug follow its title (the lake sets it on publish)', () => {
    expect(checkIssueSlug(undefined)).toBe(true);
    expect(checkIssueSlug({ current: '  ' })).toBe(true);
    expect(checkIssueSlug({ current: 'Spring Cleaning!' })).toMatch(/e\.g\. "spring-cleaning"/);
  });

  it('suggests the cleaned-up form of a slug with capitals or spaces', () => {
    expect(checkSlug({ current: 'Spring Cleaning!' })).toBe('Use lower-case letters, digits and single hyphens only, e.g. "spring-cleaning".');
  });

  it('reports a slug used by another document of the same type and suggests a variant', async () => {
    const lake = aDataset([anIssueDoc('issue-a', 11, 'spring', 'Spring')]);
    expect(await checkSlugUnique({ current: 'spring' }, 'issue', 'issue-b', lake)).toBe(
      'The slug "spring" is already used by issue #11 "Spring"; change it, e.g. "spring-2".',
    );
  });

  it('allows the same slug on a document of another type and on the document’s own twin', async () => {
    const lake = aDataset([{ _id: 'tag-spring', _type: 'tag', title: 'Spring', slug: { current: 'spring' } }, anIssueDoc('issue-b', 2, 'spring')]);
    expect(await checkSlugUnique({ current: 'spring' }, 'issue', 'drafts.issue-b', lake)).toBe(true);
  });

  it('names a clashing tag by its title', async () => {
    const lake = aDataset([{ _id: 'tag-a', _type: 'tag', title: 'Packaging', slug: { current: 'packaging' } }]);
    expect(await checkSlugUnique({ current: 'packaging' }, 'tag', 'tag-b', lake)).toMatch(/already used by "Packaging"/);
  });
});

describe('summary', () => {
  it('is required, because it is the preheader and the feed description', () => {
    expect(checkSummaryPresent('')).toMatch(/preheader/);
    expect(checkSummaryPresent('A fortnight of packaging news.')).toBe(true);
  });

  it('warns when longer than a preheader can show, saying by how much to shorten it', () => {
    const long = 'x'.repeat(summaryMaxLength + 12);
    expect(checkSummaryLength(long)).toBe(`The summary is ${summaryMaxLength + 12} characters; inboxes show about ${summaryMaxLength}, so shorten it by 12.`);
  });

  it('accepts a summary of exactly the maximum length', () => {
    expect(checkSummaryLength('y'.repeat(summaryMaxLength))).toBe(true);
  });

  it('warns when too short to say what is inside', () => {
    expect(checkSummaryLength('News.')).toMatch(/only 5 characters/);
  });

  it('leaves an empty summary to the required rule', () => {
    expect(checkSummaryLength(undefined)).toBe(true);
  });
});

describe('sections and dates', () => {
  it('refuses an issue whose sections are all empty, and only warns when some are', () => {
    const block = { _type: 'block', _key: 'b', children: [{ _type: 'span', text: 'x' }] };
    const at = (sections: unknown, level: 'error' | 'warning') =>
      checkIssueRules(level)(sections, { document: { _type: 'issue', title: 'T', sections }, path: ['sections'] });
    expect(at([], 'error')).toMatch(/Every section is empty/);
    expect(at(undefined, 'error')).toMatch(/Every section is empty/);
    expect(at([{ _key: 'a', heading: 'News', body: [] }, { _key: 'b', heading: 'Deployment' }], 'error')).toMatch(/Every section is empty/);
    expect(at([{ _key: 'a', heading: 'News', body: [block] }], 'error')).toBe(true);
    expect(at([{ _key: 'a', heading: 'News', body: [block] }, { _key: 'c', heading: 'Deployment', body: [] }], 'error')).toBe(true);
    expect(at([{ _key: 'a', heading: 'News', body: [block] }, { _key: 'c', heading: 'Deployment', body: [] }], 'warning')).toBe(
      'section “Deployment” has no content yet and will be left out of the email and the page. Fill it or remove it.',
    );
    expect(at([{ _key: 'a', heading: 'News', body: [block] }, { _key: 'b', heading: ' ' }], 'warning')).toMatch(/^section 2 \(untitled\) has no content yet/);
  });

  it('needs a YYYY-MM-DD date', () => {
    expect(checkDate('2026-03-14')).toBe(true);
    expect(checkDate(undefined)).toMatch(/Pick the publication date/);
    expect(checkDate('14/03/2026')).toMatch(/like 2026-03-14/);
  });
});

describe('URLs', () => {
  it('accepts http and https addresses for link documents', () => {
    expect(checkHttpUrl('https://example.org/post')).toBe(true);
    expect(checkHttpUrl('http://example.org')).toBe(true);
  });

  it('rejects other schemes, relative paths and missing URLs for link documents', () => {
    for (const bad of ['mailto:ed@example.org', 'javascript:alert(1)', 'ftp://example.org/file', '/relative', '', undefined]) {
      expect(checkHttpUrl(bad)).toBe(httpUrlMessage);
    }
  });

  it('accepts mailto in text links but still rejects script URLs', () => {
    expect(checkExternalHref('mailto:ed@example.org')).toBe(true);
    expect(checkExternalHref('https://example.org')).toBe(true);
    expect(checkExternalHref('javascript:alert(1)')).toBe(externalHrefMessage);
  });

  it('refuses a link URL with a space, naming the section and the link words', () => {
    const document = {
      _type: 'issue',
      title: 'T',
      sections: [
        { _key: 's1', heading: 'News', body: [{ _type: 'block', _key: 'p', children: [{ _type: 'span', text: 'fine' }] }] },
        {
          _key: 's2',
          heading: 'Tools',
          body: [{ _type: 'block', _key: 'p', markDefs: [{ _type: 'externalLink', _key: 'x', href: 'https://exa mple.com/a b' }], children: [{ _type: 'span', text: 'the new tool', marks: ['x'] }] }],
        },
      ],
    };
    const path = ['sections', { _key: 's2' }, 'body', { _key: 'p' }, 'markDefs', { _key: 'x' }, 'href'];
    expect(indexPath(document, path)).toBe('sections[1].body[0].markDefs[0].href');
    expect(checkLinkHref('https://exa mple.com/a b', { document, path })).toBe(
      'Section “Tools”: the link “the new tool” goes to "https://exa mple.com/a b", which is not a full web or mail address (https://…, http://… or mailto:…), so it would disappear from the email and the page. Fix the URL.',
    );
    // Outside an issue (no rule-book path), the plain URL test, and an empty URL is asked for.
    expect(checkLinkHref('https://exa mple.com', { document: { _type: 'newsletter' }, path: ['x'] })).toBe(externalHrefMessage);
    expect(checkLinkHref('', { document, path })).toBe(externalHrefMessage);
  });

  it('accepts an absolute site URL only', () => {
    expect(checkSiteUrl('https://news.example.org')).toBe(true);
    expect(checkSiteUrl('news.example.org')).toMatch(/https:\/\/news.example.org/);
  });

  it('normalises the same page captured two ways to one key', () => {
    expect(normalizeLinkUrl('https://Example.org/post/?utm_source=feed&b=2&a=1#top')).toBe('https://example.org/post?a=1&b=2');
    expect(normalizeLinkUrl('https://example.org/post')).toBe('https://example.org/post');
    expect(normalizeLinkUrl('mailto:ed@example.org')).toBeUndefined();
  });

  it('warns when a link’s page is already captured under another document', async () => {
    const lake = aDataset([{ _id: 'link-a', _type: 'link', url: 'https://example.org/post', normalizedUrl: 'https://example.org/post', title: 'A post', status: 'shortlisted' }]);
    expect(await checkLinkNotDuplicate('https://example.org/post/?utm_medium=email', 'link-b', lake)).toBe(
      'This page is already captured as "A post" (shortlisted); keep one and discard the other.',
    );
    expect(await checkLinkNotDuplicate('https://example.org/post', 'drafts.link-a', lake)).toBe(true);
  });
});

describe('links, references, images and notes', () => {
  it('accepts only the three triage statuses', () => {
    expect(checkLinkStatus('shortlisted')).toBe(true);
    expect(checkLinkStatus('archived')).toBe('Set the status to one of inbox, shortlisted, discarded.');
  });

  it('needs a chosen document in a reference', () => {
    const rule = checkReference('Choose the link this card shows.');
    expect(rule({ _type: 'reference', _ref: 'link-a' })).toBe(true);
    expect(rule({ _type: 'reference' })).toBe('Choose the link this card shows.');
    expect(rule(undefined)).toBe('Choose the link this card shows.');
  });

  it('needs alt text on images', () => {
    expect(checkAlt('A chart of downloads per week')).toBe(true);
    expect(checkAlt('   ')).toMatch(/Describe the image/);
  });

  it('needs some text in an editorial note', () => {
    const block = (text: string) => ({ _type: 'block', _key: 'b', style: 'normal', markDefs: [], children: [{ _type: 'span', _key: 's', text, marks: [] }] });
    expect(checkNoteBody([block('Not tested on Windows yet.')])).toBe(true);
    expect(checkNoteBody([block('  ')])).toMatch(/Write the aside/);
    expect(checkNoteBody(undefined)).toMatch(/Write the aside/);
  });

  it('needs text in required text fields, with the field’s own message', () => {
    const rule = requireText('Give the section a heading.');
    expect(rule('News')).toBe(true);
    expect(rule(' ')).toBe('Give the section a heading.');
  });
});

describe('settings', () => {
  it('checks sender and reply-to addresses, with reply-to optional', () => {
    expect(checkEmail(true, 'sender address')('ed@example.org')).toBe(true);
    expect(checkEmail(true, 'sender address')('')).toBe('Enter the sender address.');
    expect(checkEmail(false, 'reply-to address')(undefined)).toBe(true);
    expect(checkEmail(false, 'reply-to address')('ed.example.org')).toMatch(/not an email address/);
  });

  it('checks the accent colour is a six-digit hex colour', () => {
    expect(checkHexColor('#1d6b5f')).toBe(true);
    expect(checkHexColor(undefined)).toBe(true);
    expect(checkHexColor('teal')).toMatch(/#1d6b5f/);
    expect(checkHexColor('#fff')).toMatch(/not "#fff"/);
  });
});

describe('document ids', () => {
  it('derives the published id, draft id and version glob from any of them', () => {
    const pair = { published: 'issue-a', draft: 'drafts.issue-a', versions: 'versions.*.issue-a' };
    expect(idPair('issue-a')).toEqual(pair);
    expect(idPair('drafts.issue-a')).toEqual(pair);
    expect(idPair('versions.r1.issue-a')).toEqual(pair);
  });
});
