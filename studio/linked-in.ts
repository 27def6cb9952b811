// The Studio's "already linked in #N": an informational rule on a link document and on a
// link inserted into an issue, naming the published issues that already linked the page
// (content/capture/linked-in.ts, the same answer capture gives). Validation runs for every
// link of an issue on each edit, so all of them share one read of the published issues,
// kept for a short while, instead of each reading the archive.
import { describeLinkedIn, indexLinkedIn, linkedInQuery, type LinkedInLookup } from '../content/capture/linked-in.ts';
import type { QueryClient } from '../schemas/validation.ts';

export interface LinkedInCheck {
  /** A link document's URL: true when no published issue linked it, else the notice. */
  forUrl(url: unknown, client: QueryClient): Promise<true | string>;
  /** A link referenced from an issue (by document id), leaving out the issue being edited. */
  forReference(linkId: unknown, issueNumber: unknown, client: QueryClient): Promise<true | string>;
}

export function makeLinkedInCheck(options: { ttlMs?: number; now?: () => number } = {}): LinkedInCheck {
  const ttlMs = options.ttlMs ?? 30_000;
  const now = options.now ?? Date.now;
  // One entry per dataset: clients are made afresh for each rule run, their settings stay.
  const cache = new Map<string, { at: number; lookup: Promise<LinkedInLookup> }>();
  const lookup = (client: QueryClient): Promise<LinkedInLookup> => {
    const { apiHost, projectId, dataset } = (client as { config?: () => Record<string, unknown> }).config?.() ?? {};
    const key = JSON.stringify([apiHost, projectId, dataset]);
    let entry = cache.get(key);
    if (!entry || now() - entry.at > ttlMs) {
      const fresh = { at: now(), lookup: client.fetch(linkedInQuery, {}).then(indexLinkedIn) };
      // A failed read is not kept: the next rule run asks again.
      fresh.lookup.catch(() => {
        if (cache.get(key) === fresh) cache.delete(key);
      });
      cache.set(key, (entry = fresh));
    }
    return entry.lookup;
  };
  const notice = (issues: ReturnType<LinkedInLookup>) => (issues.length ? `Already linked in ${describeLinkedIn(issues)}.` : true);
  return {
    async forUrl(url, client) {
      if (typeof url !== 'string' || url.trim() === '') return true;
      return notice((await lookup(client))([url]));
    },
    async forReference(linkId, issueNumber, client) {
      if (typeof linkId !== 'string' || linkId === '') return true;
      const id = linkId.replace(/^drafts\./, '');
      const url = await client.fetch<string | null>(`coalesce(*[_id == $id][0].url, *[_id == $draft][0].url)`, { id, draft: `drafts.${id}` });
      if (!url) return true;
      return notice((await lookup(client))([url]).filter((issue) => issue.number !== issueNumber));
    },
  };
}

/** The one the schemas use: shared by every rule in the Studio. */
export const linkedInCheck = makeLinkedInCheck();
