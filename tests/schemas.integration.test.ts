// The schema types under Sanity's own validation (`validateDocument` from 'sanity'),
// exactly as the Studio runs it. Cross-document rules (unique numbers and slugs,
// duplicate links) query through a real @sanity/client against the local stand-in of
// the Content Lake, so their GROQ, perspective and id handling are exercised for real.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createClient, type SanityClient } from '@sanity/client';
import { pathToString, validateDocument, type Workspace } from 'sanity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroqJsStore } from '../content/groq-js-store.ts';
import type { SanityDocument } from '../content/store.ts';
import { badLinkMessage, emptyIssueMessage, noTitleMessage } from '../content/rules.ts';
import { httpUrlMessage, siteUrlMessage } from '../schemas/validation.ts';
import { studioSearchFields } from '../content/lake/search.ts';
import { schemaTypes } from '../schemas/index.ts';
import { startLocalLake, type LocalLake } from './helpers/local-lake.ts';
import { startValidationLake, studioSchema as schema } from './helpers/validation-lake.ts';
import { makeTempDir } from './helpers/temp.ts';


// ── stored-shape builders (what the Studio writes; see /work/notes/shapes.md) ──

const span = (text: string, marks: string[] = [], key = 's1') => ({ _type: 'span', _key: key, text, marks });
const paragraph = (key: string, children: unknown[], markDefs: unknown[] = [], extra: Record<string, unknown> = {}) => ({
  _type: 'block',
  _key: key,
  style: 'normal',
  markDefs,
  children,
  ...extra,
});
const note = (key: string, text: string, signature = 'Ed.') => ({
  _type: 'editorialNote',
  _key: key,
  body: [paragraph(`${key}-p`, [span(text)])],
  signature,
});

function aTag(overrides: Record<string, unknown> = {}): SanityDocument {
  return { _id: 'tag-packaging', _type: 'tag', title: 'Packaging', slug: { _type: 'slug', current: 'packaging' }, description: 'Wheels and builds.', ...overrides };
}

function aLinkDoc(overrides: Record<string, unknown> = {}): SanityDocument {
  return {
    _id: 'link-release',
    _type: 'link',
    url: 'https://example.org/release-notes',
    normalizedUrl: 'https://example.org/release-notes',
    title: 'Release notes',
    description: 'What changed.',
    siteName: 'Example',
    capturedAt: '2026-03-01T09:30:00.000Z',
    foundAt: 'a forum thread',
    tags: [{ _type: 'reference', _ref: 'tag-packaging', _key: 't1' }],
    status: 'inbox',
    note: 'Check the benchmarks.',
    needsEnrichment: false,
    ...overrides,
  };
}

/** A section body using every Portable Text feature the content model has. */
function everyFeatureBody(): unknown[] {
  return [
    paragraph('p1', [span('Read '), span('the notes', ['strong', 'ext1'], 's2'), span(' and ', [], 's3'), span('this', ['ref1'], 's4'), note('n-inline', 'Not on Windows yet.')], [
      { _type: 'externalLink', _key: 'ext1', href: 'https://example.org/notes' },
      { _type: 'linkReference', _key: 'ref1', reference: { _type: 'reference', _ref: 'link-release' } },
    ]),
    paragraph('h', [span('Smaller news')], [], { style: 'h3' }),
    paragraph('q', [span('A quoted line', ['em'])], [], { style: 'blockquote' }),
    paragraph('b1', [span('first', ['code'])], [], { listItem: 'bullet', level: 1 }),
    paragraph('n1', [span('second', ['strike-through'])], [], { listItem: 'number', level: 2 }),
    paragraph('m', [span('write to us', ['mail'])], [{ _type: 'externalLink', _key: 'mail', href: 'mailto:editors@example.org' }]),
    note('n-block', 'A whole paragraph of aside.', 'The editors'),
    { _type: 'linkCard', _key: 'card', link: { _type: 'reference', _ref: 'link-release' }, comment: 'Worth it.' },
    { _type: 'image', _key: 'img', asset: { _type: 'reference', _ref: 'image-abc-10x10-png' }, alt: 'A bar chart', caption: 'Downloads' },
  ];
}

function anIssueDoc(overrides: Record<string, unknown> = {}): SanityDocument {
  return {
    _id: 'issue-12',
    _type: 'issue',
    number: 12,
    title: 'Spring cleaning',
    slug: { _type: 'slug', current: 'spring-cleaning' },
    date: '2026-03-14',
    summary: 'Releases, a packaging guide and where to help this fortnight.',
    byline: 'The editors',
    intro: [paragraph('i1', [span('Hello again.')])],
    sections: [{ _type: 'section', _key: 'sec1', heading: 'News', topic: { _type: 'reference', _ref: 'tag-packaging' }, body: everyFeatureBody() }],
    signOff: [paragraph('o1', [span('Until next time.')])],
    tags: [{ _type: 'reference', _ref: 'tag-packaging', _key: 'tg1' }],
    ...overrides,
  };
}

function someSettingsDoc(overrides: Record<string, unknown> = {}): SanityDocument {
  return {
    _id: 'newsletter',
    _type: 'newsletter',
    title: 'Ecosystem Tracker',
    description: 'A fortnightly round-up.',
    siteUrl: 'https://news.example.org',
    senderName: 'Ecosystem Tracker',
    senderEmail: 'tracker@news.example.org',
    replyTo: 'editors@news.example.org',
    postalAddress: '1 Example Street, Springfield',
    accentColor: '#1d6b5f',
    language: 'en',
    defaultSectionHeadings: ['News', 'Package Updates'],
    ...overrides,
  };
}

// ── the lake: documents other than the one under validation ──────────────────

const lakeDocuments: SanityDocument[] = [
  aTag(),
  aTag({ _id: 'tag-community', title: 'Community', slug: { _type: 'slug', current: 'community' } }),
  aLinkDoc(),
  { _id: 'image-abc-10x10-png', _type: 'sanity.imageAsset', url: 'https://cdn.example.org/a.png' },
  anIssueDoc({ _id: 'issue-11', number: 11, title: 'Winter notes', slug: { _type: 'slug', current: 'winter-notes' } }),
  anIssueDoc({ _id: 'drafts.issue-13', number: 13, title: 'Next time', slug: { _type: 'slug', current: 'next-time' } }),
  // Issue 12 exists published and as a draft: validating either must not clash with the other.
  anIssueDoc(),
  anIssueDoc({ _id: 'drafts.issue-12', title: 'Spring cleaning (edited)' }),
];

let standIn: LocalLake;
let client: SanityClient;
let workspace: Workspace;

beforeAll(async () => {
  ({ lake: standIn, client, workspace } = await startValidationLake(lakeDocuments, 'newsdesk-schemas-'));
});
afterAll(async () => {
  await standIn?.close();
});

interface Finding {
  path: string;
  level: string;
  message: string;
}

async function validate(document: SanityDocument): Promise<Finding[]> {
  const ids = new Set(lakeDocuments.map((d) => d._id));
  const markers = await validateDocument({
    document: document as Parameters<typeof validateDocument>[0]['document'],
    workspace,
    // As the Studio runs it: the 'cli' environment adds an unknown-fields check to each
    // object rule with .warning(), which also turns that rule's own errors into warnings.
    environment: 'studio',
    getDocumentExists: async ({ id }) => ids.has(id),
  });
  // Notices ("already linked in #N") are information, tested in studio-linked-in.integration.test.ts.
  return markers.filter((m) => m.level !== 'info').map((m) => ({ path: pathToString(m.path), level: m.level, message: m.message }));
}

const errorsOf = (findings: Finding[]) => findings.filter((f) => f.level === 'error');

describe('the compiled schema', () => {
  it('compiles without errors, as `sanity schema validate` requires', () => {
    const problems = (schema._validation ?? []).flatMap((group) => group.problems.map((p) => ({ path: group.path, ...p })));
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it("boosts in the Studio's search only the fields the lake's query workers read ahead", () => {
    // Sanity weighs a document type's preview title, subtitle and description in its search (10, 5, 1.5).
    const boosted = new Set<string>();
    for (const { name } of schemaTypes) {
      const type = schema.get(name) as { type?: { name?: string }; preview?: { select?: Record<string, string> } } | undefined;
      if (type?.type?.name !== 'document') continue;
      for (const key of ['title', 'subtitle', 'description']) {
        const path = type.preview?.select?.[key];
        if (path) boosted.add(path);
      }
    }
    expect(boosted.size).toBeGreaterThan(0);
    expect([...boosted].filter((path) => !studioSearchFields.includes(path))).toEqual([]);
  });

  it('defines every type the stored shapes use', () => {
    for (const name of ['newsletter', 'issue', 'link', 'tag', 'section', 'portableText', 'editorialNote', 'linkCard', 'externalLink', 'linkReference']) {
      expect(schema.get(name), name).toBeDefined();
    }
  });
});

describe('issue', () => {
  it('accepts a complete issue that uses every rich-text feature, without errors or warnings', async () => {
    expect(await validate(anIssueDoc({ _id: 'drafts.issue-12' }))).toEqual([]);
  });

  it('explains each missing or malformed field', async () => {
    const findings = await validate(anIssueDoc({ _id: 'drafts.issue-20', number: 0, title: ' ', slug: { _type: 'slug', current: 'Spring Cleaning' }, date: undefined, summary: '', sections: [] }));
    expect(errorsOf(findings)).toEqual(
      expect.arrayContaining([
        { path: 'number', level: 'error', message: 'The issue number must be 1 or more, not 0.' },
        { path: 'title', level: 'error', message: noTitleMessage },
        { path: 'slug', level: 'error', message: 'Use lower-case letters, digits and single hyphens only, e.g. "spring-cleaning".' },
        { path: 'date', level: 'error', message: 'Pick the publication date; it is printed in the email and orders the archive.' },
        { path: 'summary', level: 'error', message: 'Write a one-sentence summary: it is shown as the inbox preheader and the feed description.' },
        { path: 'sections', level: 'error', message: emptyIssueMessage },
      ]),
    );
  });

  it('rejects a number another published issue has, naming that issue', async () => {
    const findings = await validate(anIssueDoc({ _id: 'drafts.issue-new', number: 11, slug: { _type: 'slug', current: 'fresh' } }));
    expect(errorsOf(findings)).toEqual([
      { path: 'number', level: 'error', message: 'Number 11 is already used by issue #11 "Winter notes"; give this issue the next free number.' },
    ]);
  });

  it('rejects a number another issue holds only as a draft', async () => {
    const findings = await validate(anIssueDoc({ _id: 'issue-new', number: 13, slug: { _type: 'slug', current: 'fresh' } }));
    expect(errorsOf(findings).map((f) => f.message)).toEqual(['Number 13 is already used by issue #13 "Next time" (a draft); give this issue the next free number.']);
  });

  it('rejects a slug another issue uses', async () => {
    const findings = await validate(anIssueDoc({ _id: 'drafts.issue-new', number: 30, slug: { _type: 'slug', current: 'winter-notes' } }));
    expect(errorsOf(findings)).toEqual([
      { path: 'slug', level: 'error', message: 'The slug "winter-notes" is already used by issue #11 "Winter notes"; change it, e.g. "winter-notes-2".' },
    ]);
  });

  it('does not treat the published copy of the same issue as a clash', async () => {
    expect(await validate(anIssueDoc({ _id: 'drafts.issue-12' }))).toEqual([]);
    expect(await validate(anIssueDoc({ _id: 'issue-12' }))).toEqual([]);
  });

  it('only warns about a summary too long for a preheader', async () => {
    const findings = await validate(anIssueDoc({ _id: 'drafts.issue-12', summary: 'a'.repeat(150) }));
    expect(findings).toEqual([{ path: 'summary', level: 'warning', message: 'The summary is 150 characters; inboxes show about 140, so shorten it by 10.' }]);
  });

  it('rejects a repeated tag', async () => {
    const tags = [{ _type: 'reference', _ref: 'tag-packaging', _key: 'a' }, { _type: 'reference', _ref: 'tag-packaging', _key: 'b' }];
    const findings = await validate(anIssueDoc({ _id: 'drafts.issue-12', tags }));
    expect(findings.map((f) => f.message)).toContain('Each tag only once, please: remove the repeated tag.');
  });
});

describe('section and rich text', () => {
  const issueWithBody = (body: unknown[], heading = 'News') =>
    anIssueDoc({ _id: 'drafts.issue-12', sections: [{ _type: 'section', _key: 'sec1', heading, body }] });

  it('needs a section heading', async () => {
    const paragraph = { _type: 'block', _key: 'p1', style: 'normal', markDefs: [], children: [{ _type: 'span', _key: 's1', text: 'Hello', marks: [] }] };
    const findings = await validate(issueWithBody([paragraph], ''));
    expect(findings).toEqual([{ path: 'sections[_key=="sec1"].heading', level: 'error', message: 'Give the section a heading, e.g. "News" or "Package Updates".' }]);
  });

  it('warns, without refusing to publish, that an empty section will be left out', async () => {
    const fine = paragraph('p', [span('Hello')]);
    const findings = await validate(
      anIssueDoc({ _id: 'drafts.issue-12', sections: [{ _type: 'section', _key: 'sec1', heading: 'News', body: [fine] }, { _type: 'section', _key: 'sec2', heading: 'Deployment', body: [] }] }),
    );
    expect(findings).toEqual([{ path: 'sections', level: 'warning', message: 'section “Deployment” has no content yet and will be left out of the email and the page. Fill it or remove it.' }]);
  });

  it('refuses to publish an issue whose sections are all empty', async () => {
    const findings = await validate(issueWithBody([], 'Deployment'));
    expect(findings).toEqual([{ path: 'sections', level: 'error', message: emptyIssueMessage }]);
  });

  it('lets an issue without a slug through: its address follows the title', async () => {
    expect(await validate(anIssueDoc({ _id: 'drafts.issue-12', slug: undefined }))).toEqual([]);
  });

  it('needs alt text on an image', async () => {
    const findings = await validate(issueWithBody([{ _type: 'image', _key: 'img', asset: { _type: 'reference', _ref: 'image-abc-10x10-png' } }]));
    expect(findings).toEqual([
      {
        path: 'sections[_key=="sec1"].body[_key=="img"].alt',
        level: 'error',
        message: 'Describe the image in a few words for readers who cannot see it (screen readers, email with images off).',
      },
    ]);
  });

  it('rejects script URLs in text links and accepts mailto', async () => {
    const bad = paragraph('p', [span('click', ['x'])], [{ _type: 'externalLink', _key: 'x', href: 'javascript:alert(1)' }]);
    const findings = await validate(issueWithBody([bad]));
    expect(findings).toEqual([
      { path: 'sections[_key=="sec1"].body[_key=="p"].markDefs[_key=="x"].href', level: 'error', message: badLinkMessage('section “News”', 'click', 'javascript:alert(1)') },
    ]);
    // A space in the address: Sanity's own URL test took it, the rule book does not.
    const spaced = paragraph('p', [span('a b', ['x'])], [{ _type: 'externalLink', _key: 'x', href: 'https://exa mple.com/a b' }]);
    expect(await validate(issueWithBody([spaced]))).toEqual([
      { path: 'sections[_key=="sec1"].body[_key=="p"].markDefs[_key=="x"].href', level: 'error', message: badLinkMessage('section “News”', 'a b', 'https://exa mple.com/a b') },
    ]);
  });

  it('needs a chosen link in a link card and in a link-from-the-inbox annotation', async () => {
    const card = { _type: 'linkCard', _key: 'card' };
    const ref = paragraph('p', [span('this', ['r'])], [{ _type: 'linkReference', _key: 'r' }]);
    const findings = await validate(issueWithBody([card, ref]));
    expect(findings).toEqual(
      expect.arrayContaining([
        { path: 'sections[_key=="sec1"].body[_key=="card"].link', level: 'error', message: 'Choose the link this card shows.' },
        { path: 'sections[_key=="sec1"].body[_key=="p"].markDefs[_key=="r"].reference', level: 'error', message: 'Choose a link from the inbox, or use an external link instead.' },
      ]),
    );
  });

  it('needs text in an editorial note, inline or as a block', async () => {
    const emptyInline = paragraph('p', [span('Text '), { _type: 'editorialNote', _key: 'n', body: [], signature: 'Ed.' }]);
    const emptyBlock = { _type: 'editorialNote', _key: 'nb', signature: 'Ed.' };
    const findings = await validate(issueWithBody([emptyInline, emptyBlock]));
    expect(findings).toEqual(
      expect.arrayContaining([
        { path: 'sections[_key=="sec1"].body[_key=="p"].children[_key=="n"].body', level: 'error', message: 'Write the aside, or remove the editorial note.' },
        { path: 'sections[_key=="sec1"].body[_key=="nb"].body', level: 'error', message: 'Write the aside, or remove the editorial note.' },
      ]),
    );
  });
});

describe('link', () => {
  it('accepts a captured link', async () => {
    expect(await validate(aLinkDoc({ _id: 'drafts.link-release' }))).toEqual([]);
  });

  it('accepts only http and https page addresses', async () => {
    for (const url of ['ftp://example.org/file', 'mailto:ed@example.org', undefined]) {
      const findings = await validate(aLinkDoc({ _id: 'link-new', url, normalizedUrl: 'x' }));
      expect(findings, String(url)).toEqual([{ path: 'url', level: 'error', message: httpUrlMessage }]);
    }
  });

  it('needs a normalised URL, a status from the list and a capture time', async () => {
    const findings = await validate(aLinkDoc({ _id: 'link-new', url: 'https://example.org/other', normalizedUrl: undefined, status: 'archived', capturedAt: undefined }));
    const messages = errorsOf(findings).map((f) => `${f.path}: ${f.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'normalizedUrl: Filled in from the URL: enter a valid URL above.',
        'status: Set the status to one of inbox, shortlisted, discarded.',
        'capturedAt: Set when the link was captured; the inbox is ordered by it.',
      ]),
    );
  });

  it('warns when the same page is already in the inbox under another document', async () => {
    const findings = await validate(aLinkDoc({ _id: 'link-again', url: 'https://example.org/release-notes/?utm_source=feed' }));
    expect(findings).toEqual([{ path: 'normalizedUrl', level: 'warning', message: 'This page is already captured as "Release notes" (inbox); keep one and discard the other.' }]);
  });
});

describe('tag', () => {
  it('accepts a tag', async () => {
    expect(await validate(aTag({ _id: 'drafts.tag-packaging' }))).toEqual([]);
  });

  it('needs a title and a unique, well-formed slug', async () => {
    expect(await validate(aTag({ _id: 'tag-new', title: '', slug: { _type: 'slug', current: 'community' } }))).toEqual([
      { path: 'title', level: 'error', message: 'Name the tag, e.g. "Packaging".' },
      { path: 'slug', level: 'error', message: 'The slug "community" is already used by "Community"; change it, e.g. "community-2".' },
    ]);
    expect(await validate(aTag({ _id: 'tag-new', slug: undefined }))).toEqual([
      { path: 'slug', level: 'error', message: 'Add a slug (press "Generate" to derive it from the title); it becomes the page address.' },
    ]);
  });
});

describe('newsletter settings', () => {
  it('accepts complete settings', async () => {
    expect(await validate(someSettingsDoc())).toEqual([]);
  });

  it('explains every missing or malformed setting', async () => {
    const findings = await validate(
      someSettingsDoc({ title: '', siteUrl: 'news.example.org', senderName: undefined, senderEmail: 'tracker', replyTo: 'also wrong', postalAddress: '', accentColor: 'teal' }),
    );
    expect(findings).toEqual(
      expect.arrayContaining([
        { path: 'title', level: 'error', message: 'Name the newsletter; it heads every email and page.' },
        { path: 'siteUrl', level: 'error', message: siteUrlMessage },
        { path: 'senderName', level: 'error', message: 'Enter the name subscribers see in the From line.' },
        { path: 'senderEmail', level: 'error', message: '"tracker" is not an email address; use the form name@example.org.' },
        { path: 'replyTo', level: 'error', message: '"also wrong" is not an email address; use the form name@example.org.' },
        { path: 'postalAddress', level: 'error', message: 'Enter a postal address: bulk-mail rules require one in every email footer.' },
        { path: 'accentColor', level: 'error', message: 'Use a hex colour like #1d6b5f, not "teal".' },
      ]),
    );
    expect(findings).toHaveLength(7);
  });
});

describe('the sample dataset', () => {
  const samplePath = path.join(import.meta.dirname, '..', 'content', 'sample', 'dataset.ndjson');
  let sampleLake: LocalLake;
  let sampleWorkspace: Workspace;
  let sampleIds: Set<string>;
  let sampleDocuments: SanityDocument[];

  beforeAll(async () => {
    const text = await fs.readFile(samplePath, 'utf8');
    sampleDocuments = text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as SanityDocument);
    sampleIds = new Set(sampleDocuments.map((d) => d._id));
    const dir = await makeTempDir('newsdesk-schemas-sample-');
    sampleLake = await startLocalLake(new GroqJsStore({ datasetPath: path.join(dir, 'dataset.ndjson'), seedFrom: samplePath }), { dataset: 'test' });
    const sampleClient = createClient({ apiHost: sampleLake.url, useProjectHostname: false, projectId: 'test', dataset: 'test', apiVersion: '2025-02-19', useCdn: false, token: sampleLake.token });
    sampleWorkspace = { schema, getClient: () => sampleClient } as unknown as Workspace;
  });

  afterAll(async () => {
    await sampleLake?.close();
  });

  // The 'cli' environment adds Sanity's unknown-field check, so this also proves the
  // stored shapes (shapes.md) use only fields the schema declares.
  const validateSample = async (document: SanityDocument) =>
    (
      await validateDocument({
        document: document as Parameters<typeof validateDocument>[0]['document'],
        workspace: sampleWorkspace,
        environment: 'cli',
        getDocumentExists: async ({ id }) => sampleIds.has(id),
      })
    ).map((m) => `${document._id} ${pathToString(m.path)}: ${m.level}: ${m.message}`);

  it('passes the Studio’s validation and uses only fields the schema declares, document by document', async () => {
    expect(sampleDocuments.length).toBeGreaterThan(0);
    // Notices (a link already used in a published issue) are information, not findings.
    const findings = (await Promise.all(sampleDocuments.map(validateSample))).flat().filter((f) => !f.includes(': info: '));
    expect(findings).toEqual([]);
  });

  it('would report a field the schema does not declare', async () => {
    const tag = sampleDocuments.find((d) => d._type === 'tag');
    expect(tag).toBeDefined();
    expect(await validateSample({ ...tag!, colour: 'teal' })).toEqual([`${tag!._id} colour: warning: Field 'colour' does not exist on type 'tag'`]);
  });
});
