// `newsdesk links check`: every address published issues link — captured link documents
// they cite and their inline external links — checked politely (polite-queue.ts) through
// the outbound fetch policy (check-link.ts), and one `linkCheck` document per address
// (by de-duplication key) written through the content store, where `links --broken` and
// the Studio read them.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NewsdeskError } from '../../core/errors.ts';
import { fetchLinkedIn, namedBy } from '../capture/linked-in.ts';
import type { ContentStore, Mutation } from '../store.ts';
import type { LinkCheckResult } from './check-link.ts';
import { linkCheckRecordSchema, linkCheckType, linkKeyOf, type LinkCheckRecord } from './link-health.ts';
import { runPolitely, type Politeness, type QueueClock } from './polite-queue.ts';

/** Polite unless told otherwise: two requests per site at a time, a second apart. */
export const defaultPoliteness = { concurrency: 8, perHost: 2, delayMs: 1000 } satisfies Politeness;

/** One address as published: the first spelling seen, and the issues that link it. */
export interface PublishedLink {
  url: string;
  key: string;
  usedIn: number[];
}

export function linkCheckIdFor(key: string): string {
  return `linkCheck-${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
}

/** Every http(s) address in the published issues (or in one of them), in issue order. */
export async function loadPublishedLinks(store: ContentStore, options: { issue?: number } = {}): Promise<PublishedLink[]> {
  const { links, referrers } = await fetchLinkedIn(store);
  const chosen = options.issue === undefined ? referrers : referrers.filter((r) => r.usedIn.number === options.issue);
  if (options.issue !== undefined && chosen.length === 0) {
    throw new NewsdeskError('NOT_FOUND', `No published issue #${options.issue} in ${store.description}`, { hint: 'See `newsdesk issues` for the published numbers.' });
  }
  const urlOfLink = new Map<unknown, string | null | undefined>(links.map((l) => [l._id, l.url]));
  const byKey = new Map<string, PublishedLink>();
  for (const referrer of chosen) {
    const { refs, hrefs } = namedBy(referrer);
    const urls: string[] = [];
    for (const ref of refs) {
      const url = urlOfLink.get(ref);
      if (url) urls.push(url);
    }
    for (const url of [...urls, ...hrefs]) {
      const key = linkKeyOf(url);
      if (!key) continue;
      let entry = byKey.get(key);
      if (!entry) byKey.set(key, (entry = { url: url.trim(), key, usedIn: [] }));
      if (!entry.usedIn.includes(referrer.usedIn.number)) entry.usedIn.push(referrer.usedIn.number);
    }
  }
  return [...byKey.values()];
}

const storedCheckSchema = linkCheckRecordSchema.extend({ _id: z.string() });
export type StoredLinkCheck = z.infer<typeof storedCheckSchema>;

/** Every recorded check, newest first. */
export async function loadLinkChecks(store: ContentStore): Promise<StoredLinkCheck[]> {
  const answer = await store.fetch(`*[_type == $type] | order(checkedAt desc)`, { type: linkCheckType }, { perspective: 'published' });
  const parsed = z.array(storedCheckSchema).safeParse(answer);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new NewsdeskError('CONTENT_INVALID', `A ${linkCheckType} document does not match the content model: [${issue.path.join('.')}] ${issue.message}`, {
      hint: 'Run `newsdesk links check` again to rewrite the checks.',
    });
  }
  return parsed.data;
}

export interface CheckPublishedLinksOptions {
  /** Checks one address (check-link.ts with its limits and policy bound). */
  check: (url: string) => Promise<LinkCheckResult>;
  politeness?: Politeness;
  issue?: number;
  /** Leaves out addresses checked within this many days. */
  olderThanDays?: number;
  now?: () => Date;
  clock?: QueueClock;
  signal?: AbortSignal;
  /** Told of each result as it comes (progress). */
  onResult?: (record: LinkCheckRecord) => void;
}

export interface LinkCheckRun {
  /** What this run checked, in the order of the published issues. */
  checked: LinkCheckRecord[];
  /** Addresses left alone: checked recently (--older-than), or not reached before a stop. */
  skipped: number;
  /**
   * False when not one name resolved (the machine is offline, or its resolver is down):
   * those results say nothing about the links, so they are not written over good ones.
   */
  recorded: boolean;
}

/** Checks the published addresses and records each result as a linkCheck document. */
export async function checkPublishedLinks(store: ContentStore, options: CheckPublishedLinksOptions): Promise<LinkCheckRun> {
  const published = await loadPublishedLinks(store, { issue: options.issue });
  let due = published;
  if (options.olderThanDays !== undefined) {
    const cutoff = (options.now?.() ?? new Date()).getTime() - options.olderThanDays * 86_400_000;
    const recent = new Set((await loadLinkChecks(store)).filter((c) => Date.parse(c.checkedAt) > cutoff).map((c) => c.normalizedUrl));
    due = published.filter((link) => !recent.has(link.key));
  }
  const results = await runPolitely(
    due,
    (link) => new URL(link.url).host,
    async (link) => {
      const result = await options.check(link.url);
      // A check cut short by a stop says nothing about the link: it is not recorded.
      if (options.signal?.aborted) return undefined;
      const record: LinkCheckRecord = { ...result, normalizedUrl: link.key, usedIn: link.usedIn };
      options.onResult?.(record);
      return record;
    },
    options.politeness ?? defaultPoliteness,
    { clock: options.clock, signal: options.signal },
  );
  const checked = results.filter((r): r is LinkCheckRecord => r !== undefined);
  const offline = checked.length > 1 && checked.every((r) => r.failure === 'dns');
  if (!offline) await recordLinkChecks(store, checked);
  return { checked, skipped: published.length - checked.length, recorded: !offline };
}

/** Writes the checks, a few hundred per transaction so one write never grows huge. */
export async function recordLinkChecks(store: ContentStore, records: LinkCheckRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 250) {
    const mutations: Mutation[] = records.slice(i, i + 250).map((record) => ({
      createOrReplace: { _id: linkCheckIdFor(record.normalizedUrl), _type: linkCheckType, ...withoutUndefined(record) },
    }));
    await store.mutate(mutations, { author: 'newsdesk links check' });
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
