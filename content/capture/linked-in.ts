// "Already linked in #N": the published issues a URL already appeared in, matched by the
// de-duplication key (normaliseUrl), whether an issue uses the captured link document or
// links the page by an external link annotation. Built as an index from one walk over the
// published issues (content/used-in.ts), so a bulk capture asks the store once.
import { z } from 'zod';
import { normaliseUrl, parseHttpUrl } from '../normalize-url.ts';
import type { ContentStore } from '../store.ts';
import { collectReferences, indexUsedIn } from '../used-in.ts';

export interface LinkedIn {
  number: number;
  title: string;
  date: string;
}

// Drafts (and release versions) never count: an editor is told what readers were already
// sent. The filter holds in any perspective, so the Studio's raw client can ask it too.
export const linkedInQuery = `{
  "links": *[_type == "link" && !(_id in path("drafts.**")) && !(_id in path("versions.**"))]{ _id, url, normalizedUrl },
  "referrers": *[_type == "issue" && !(_id in path("drafts.**")) && !(_id in path("versions.**"))] | order(number asc) { "usedIn": { number, title, date }, "document": @ }
}`;

export const linkedInSchema = z.object({
  links: z.array(z.object({ _id: z.string(), url: z.string().nullish(), normalizedUrl: z.string().nullish() })),
  referrers: z.array(
    z.object({
      usedIn: z.object({ number: z.number(), title: z.string().nullish(), date: z.string().nullish() }),
      document: z.unknown(),
    }),
  ),
});

/** The de-duplication key of an address, or undefined for anything that is not http(s). */
function keyOf(url: string | null | undefined): string | undefined {
  return url && parseHttpUrl(url) ? normaliseUrl(url) : undefined;
}

/** Looks up the published issues that linked any of the given URLs, by number. */
export type LinkedInLookup = (urls: string[]) => LinkedIn[];

/** Reads the published issues once and answers, for any URL, the issues that linked it. */
export async function loadLinkedIn(store: ContentStore): Promise<LinkedInLookup> {
  return indexLinkedIn(await store.fetch(linkedInQuery, {}, { perspective: 'published' }));
}

/** The lookup over what linkedInQuery answered, whichever client asked it. */
export function indexLinkedIn(answer: unknown): LinkedInLookup {
  const { links, referrers } = linkedInSchema.parse(answer);
  // The stored key is what capture de-duplicates by; the URL's own key also counts, so a
  // link whose key was written by an older rule or by hand is still found.
  const keysByLinkId = new Map<unknown, string[]>();
  for (const link of links) {
    const keys = [...new Set([link.normalizedUrl, keyOf(link.url)])].filter((k): k is string => Boolean(k));
    if (keys.length > 0) keysByLinkId.set(link._id, keys);
  }
  const index = indexUsedIn(
    referrers.map((r) => ({ usedIn: { number: r.usedIn.number, title: r.usedIn.title ?? '', date: r.usedIn.date ?? '' }, document: r.document })),
    (document) => {
      const hrefs = new Set<string>();
      const keys = new Set<string>();
      for (const ref of collectReferences(document, new Set(), { hrefs })) {
        for (const key of keysByLinkId.get(ref) ?? []) keys.add(key);
      }
      for (const href of hrefs) {
        const key = keyOf(href);
        if (key) keys.add(key);
      }
      return keys;
    },
  );
  return (urls) => {
    const byNumber = new Map<number, LinkedIn>();
    for (const url of urls) for (const issue of index.get(keyOf(url)) ?? []) byNumber.set(issue.number, issue);
    return [...byNumber.values()].sort((a, b) => a.number - b.number);
  };
}

/** "#12 (2026-02-06), #20 (2026-03-01) and #31 (2026-05-01)". */
export function describeLinkedIn(issues: LinkedIn[]): string {
  const named = issues.map((i) => (i.date ? `#${i.number} (${i.date})` : `#${i.number}`));
  return named.length <= 1 ? (named[0] ?? '') : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
}
