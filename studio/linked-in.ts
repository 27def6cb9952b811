// The Studio's "already linked in #N": an informational rule on a link document and on a
// link inserted into an issue, naming the published issues that already linked the page
// (content/capture/linked-in.ts, the same answer capture gives). All rules share one read
// of the published issues (studio/lake-reads.ts) instead of each reading the archive.
import { describeLinkedIn, indexLinkedIn, linkedInQuery, type LinkedIn, type LinkedInLookup } from '../content/capture/linked-in.ts';
import type { QueryClient } from '../schemas/validation.ts';
import { makeDatasetCache, readLinkUrl, type DatasetCacheOptions } from './lake-reads.ts';

export interface LinkedInCheck {
  /** A link document's URL: true when no published issue linked it, else the notice. */
  forUrl(url: unknown, client: QueryClient): Promise<true | string>;
  /** A link referenced from an issue (by document id), leaving out the issue being edited. */
  forReference(linkId: unknown, issueNumber: unknown, client: QueryClient): Promise<true | string>;
  /** The lookup itself, for the link rows' "already linked" mark (studio/components/LinkedInMark.tsx). */
  lookup(client: QueryClient): Promise<LinkedInLookup>;
}

export function makeLinkedInCheck(options: DatasetCacheOptions = {}): LinkedInCheck {
  const lookup = makeDatasetCache((client) => client.fetch(linkedInQuery, {}).then(indexLinkedIn), options);
  const notice = (issues: ReturnType<LinkedInLookup>) => (issues.length ? `Already linked in ${describeLinkedIn(issues)}.` : true);
  return {
    lookup,
    async forUrl(url, client) {
      if (typeof url !== 'string' || url.trim() === '') return true;
      return notice((await lookup(client))([url]));
    },
    async forReference(linkId, issueNumber, client) {
      if (typeof linkId !== 'string' || linkId === '') return true;
      const url = await readLinkUrl(linkId, client);
      if (!url) return true;
      return notice((await lookup(client))([url]).filter((issue) => issue.number !== issueNumber));
    },
  };
}

/** A link row's mark when published issues linked its page: the latest number, and the whole notice as its label. */
export function linkedInMark(issues: LinkedIn[]): { text: string; label: string } | undefined {
  if (issues.length === 0) return undefined;
  return { text: `#${issues.at(-1)!.number}`, label: `Already linked in ${describeLinkedIn(issues)}` };
}

/** The one the schemas use: shared by every rule in the Studio. */
export const linkedInCheck = makeLinkedInCheck();
