// Loading content through a store and the read models: the only way the rest of
// newsdesk gets issues, settings, links and tags.
import { z } from 'zod';
import { NewsdeskError } from '../core/errors.ts';
import {
  contentError,
  issueSchema,
  linkSchema,
  parseDocuments,
  parseOrThrow,
  type ContentProblem,
  settingsSchema,
  tagSchema,
  type Issue,
  type Link,
  type LinkStatus,
  type Settings,
  type Tag,
} from './model.ts';
import { issueByIdQuery, issueByNumberQuery, issuesQuery, linksLocalQuery, linksQuery, settingsQuery, tagsQuery } from './queries.ts';
import type { ContentStore, Perspective } from './store.ts';
import { indexUsedIn, type Referrer } from './used-in.ts';

/** Every issue the perspective shows (published by default), newest first. */
export async function loadIssues(store: ContentStore, perspective: Perspective = 'published'): Promise<Issue[]> {
  return parseOrThrow(issueSchema, await store.fetch(issuesQuery, {}, { perspective }), 'issue');
}

export async function loadIssueByNumber(store: ContentStore, number: number, perspective: Perspective = 'published'): Promise<Issue> {
  const raw = await store.fetch(issueByNumberQuery, { number }, { perspective });
  if (raw === null) {
    // Only a draft so far: say so, rather than that the number does not exist.
    const draft = perspective === 'published' ? ((await store.fetch(issueByNumberQuery, { number }, { perspective: 'drafts' })) as { title?: unknown } | null) : null;
    if (draft !== null) {
      throw new NewsdeskError('NOT_FOUND', `Issue #${number}${typeof draft.title === 'string' && draft.title ? ` ("${draft.title}")` : ''} is a draft, not published yet`, {
        hint: 'Publish it first (in the Studio, or `newsdesk import --publish`).',
      });
    }
    throw new NewsdeskError('NOT_FOUND', `There is no ${perspective === 'published' ? 'published ' : ''}issue number ${number}`, {
      hint: 'Run `newsdesk issues` to see the issues and their numbers.',
    });
  }
  return parseOrThrow(issueSchema, [raw], 'issue')[0]!;
}

/** An issue by id, draft overlaying published: what previews show. */
export async function loadIssueById(store: ContentStore, id: string): Promise<Issue | undefined> {
  const publishedId = id.replace(/^drafts\./, '');
  const raw = await store.fetch(issueByIdQuery, { id: publishedId }, { perspective: 'drafts' });
  return raw === null ? undefined : parseOrThrow(issueSchema, [raw], 'issue')[0];
}

export async function loadSettings(store: ContentStore): Promise<Settings> {
  const raw = await store.fetch(settingsQuery);
  if (raw === null) {
    throw new NewsdeskError('NOT_FOUND', 'The newsletter settings document (type "newsletter") is missing', {
      hint: 'Open Settings in the Studio and publish it, or add a newsletter document to the dataset.',
    });
  }
  const [settings] = parseOrThrow(settingsSchema, [{ _id: 'newsletter', ...(raw as object) }], 'settings');
  return settings!;
}

export async function loadLinks(
  store: ContentStore,
  filter: { status?: LinkStatus | undefined; tag?: string | undefined; unused?: boolean | undefined } = {},
): Promise<Link[]> {
  const params = { status: filter.status ?? null, tag: filter.tag ?? null };
  const links = store.local
    ? linksWithUsedIn(await store.fetch(linksLocalQuery, params, { perspective: 'published' }))
    : parseOrThrow(linkSchema, await store.fetch(linksQuery, params, { perspective: 'published' }), 'link');
  return filter.unused ? links.filter((l) => l.usedIn.length === 0) : links;
}

const linksLocalSchema = z.object({ links: z.array(z.unknown()), referrers: z.array(z.object({ usedIn: z.unknown(), document: z.unknown() })) });

/** The links of linksLocalQuery's answer, parsed as linksQuery's would be (eachLinkUsedIn). */
function linksWithUsedIn(answer: unknown): Link[] {
  const { links, referrers } = linksLocalSchema.parse(answer);
  const parsed: Link[] = [];
  const problems: ContentProblem[] = [];
  for (const one of eachLinkUsedIn(links, referrers)) {
    parsed.push(...one.documents);
    problems.push(...one.problems);
  }
  if (problems.length > 0) throw contentError(problems);
  return parsed;
}

/**
 * Each link of `raw` (projected by `project`, when `raw` holds the documents themselves),
 * given the published issues that reference it (indexUsedIn: one walk over each issue, not
 * one per link and issue) and parsed as linksQuery's links are, one at a time. Each entry of
 * `raw` is let go of as it is read: the projected, the completed and the parsed copies of
 * 80,000 links are never all held at once.
 */
export function* eachLinkUsedIn(
  raw: unknown[],
  referrers: ReadonlyArray<Referrer<unknown>>,
  project: (doc: unknown) => unknown = (doc) => doc,
): Generator<{ documents: Link[]; problems: ContentProblem[] }> {
  const usedIn = indexUsedIn(referrers);
  for (let i = 0; i < raw.length; i++) {
    const link = project(raw[i]);
    raw[i] = undefined;
    const withUse = typeof link === 'object' && link !== null ? { ...link, usedIn: usedIn.get((link as { id?: unknown }).id) ?? [] } : link;
    yield parseDocuments(linkSchema, [withUse], 'link');
  }
}

export async function loadTags(store: ContentStore): Promise<Tag[]> {
  return parseOrThrow(tagSchema, await store.fetch(tagsQuery), 'tag');
}

/** Where an issue stands in the store: its published document and revision (if published), and whether a draft waits. */
export interface IssueRevision {
  documentId: string;
  /** The published `_rev`; undefined while the issue is only a draft. */
  revision: string | undefined;
  draftPending: boolean;
}

const issueRevisionsSchema = z.array(z.object({ _id: z.string(), _rev: z.string().nullish(), number: z.number().nullish() }));

/** Every issue's revision by number (or one issue's), read raw so drafts and published documents are told apart. */
export async function loadIssueRevisions(store: ContentStore, number?: number): Promise<Map<number, IssueRevision>> {
  const raw = issueRevisionsSchema.parse(
    await store.fetch('*[_type == "issue" && ($number == null || number == $number)]{ _id, _rev, number }', { number: number ?? null }, { perspective: 'raw' }),
  );
  const revisions = new Map<number, IssueRevision>();
  // Published documents first, so a draft with the same number finds its published twin.
  for (const doc of [...raw].sort((a, b) => Number(a._id.startsWith('drafts.')) - Number(b._id.startsWith('drafts.')))) {
    if (typeof doc.number !== 'number' || doc._id.startsWith('versions.')) continue;
    const draft = doc._id.startsWith('drafts.');
    const entry = revisions.get(doc.number) ?? { documentId: doc._id.replace(/^drafts\./, ''), revision: undefined, draftPending: false };
    if (draft) entry.draftPending = true;
    else entry.revision = doc._rev ?? '';
    revisions.set(doc.number, entry);
  }
  return revisions;
}
