// "Already linked in #N": the published issues a URL already appeared in, matched by the
// de-duplication key (normaliseUrl), whether an issue uses the captured link document or
// links the page by an external link annotation. One query reads the published issues and
// links, so a bulk capture asks the store once; what each issue names is found by one walk
// over it (content/used-in.ts), remembered while the document is the same.
import { z } from 'zod';
import { normaliseUrl, parseHttpUrl } from '../normalize-url.ts';
import type { ContentStore } from '../store.ts';
import { collectReferences } from '../used-in.ts';

export interface LinkedIn {
  number: number;
  title: string;
  date: string;
}

// Drafts (and release versions) never count: an editor is told what readers were already
// sent. The filter holds in any perspective, so the Studio's raw client can ask it too.
const published = '!(_id in path("drafts.**")) && !(_id in path("versions.**"))';
const usedIn = '"usedIn": { number, title, date }';

/** A Portable Text field's places for annotations: its blocks, the blocks of its inline asides and of its block asides. */
const annotated = (field: string) => [`${field}[]`, `${field}[].children[].body[]`, `${field}[].body[]`];
const textFields = ['intro', 'sections[].body', 'signOff'];
/** An issue's annotations (link references, external links, marks) and its link cards' targets, where the content model puts them. */
const marksOfIssue = textFields.flatMap((field) => annotated(field).map((at) => `...${at}.markDefs[]`));
const cardsOfIssue = textFields.map((field) => `...${field}[].link._ref`);

/**
 * For a client that reads over the network (the Studio, a Sanity project): each issue's
 * annotations and link cards' targets, as the content model places them, not the whole
 * issue (for 1,000 issues the answer was 54 MB; now 19 MB). Taken as they are, not picked
 * apart in the query: a filter per place cost the lake's query worker twice as long. A
 * reference the model has no place for (written through the API, say) is not seen here;
 * a store in this process walks whole documents (linkedInLocalQuery) and sees it.
 */
export const linkedInQuery = `{
  "links": *[_type == "link" && ${published}]{ _id, url, normalizedUrl },
  "referrers": *[_type == "issue" && ${published}] | order(number asc) { ${usedIn}, "marks": [${marksOfIssue.join(', ')}], "cards": [${cardsOfIssue.join(', ')}] }
}`;
/**
 * For a store that holds its documents in this process (ContentStore.local): the link
 * documents and issues as they are, which it hands out without copying (projecting 80,000
 * links cost groq-js a tenth of a second), each issue walked whole for what it names.
 */
const linkedInLocalQuery = `{
  "links": *[_type == "link" && ${published}],
  "referrers": *[_type == "issue" && ${published}] | order(number asc) { ${usedIn}, "document": @ }
}`;

const linkedInSchema = z.object({
  links: z.array(z.object({ _id: z.string(), url: z.string().nullish(), normalizedUrl: z.string().nullish() })),
  referrers: z.array(
    z.object({
      usedIn: z.object({ number: z.number(), title: z.string().nullish(), date: z.string().nullish() }),
      // The whole issue (linkedInLocalQuery), or what it names (linkedInQuery).
      document: z.unknown().optional(),
      marks: z.array(z.unknown()).nullish(),
      cards: z.array(z.unknown()).nullish(),
    }),
  ),
});

/** The de-duplication key of an address, or undefined for anything that is not http(s). */
function keyOf(url: string | null | undefined): string | undefined {
  return url && parseHttpUrl(url) ? normaliseUrl(url) : undefined;
}

/** Looks up the published issues that linked any of the given URLs, by number. */
export type LinkedInLookup = (urls: string[]) => LinkedIn[];

/** What the query answered: the published links, and the published issues with what each names. */
export type LinkedInAnswer = z.infer<typeof linkedInSchema>;

/** Reads the published links and issues from `store`, in the form that costs it least (linkedInQuery, or linkedInLocalQuery for a store in this process). */
export async function fetchLinkedIn(store: ContentStore): Promise<LinkedInAnswer> {
  return linkedInSchema.parse(await store.fetch(store.local ? linkedInLocalQuery : linkedInQuery, {}, { perspective: 'published' }));
}

/** Reads the published issues once and answers, for any URL, the issues that linked it. */
export async function loadLinkedIn(store: ContentStore): Promise<LinkedInLookup> {
  return indexLinkedIn(await fetchLinkedIn(store));
}

/**
 * The lookup over what linkedInQuery answered, whichever client asked it. A capture asks
 * once, for one address or two: that is answered by one pass over the links and one over
 * the issues for the keys asked. A caller that asks again (a bulk capture, the Studio's
 * link list) gets an index of every key, made once, from the same two passes.
 */
export function indexLinkedIn(answer: unknown): LinkedInLookup {
  const { links, referrers } = linkedInSchema.parse(answer);
  const keyOfUrl = rememberedKeys(links.length);
  // The stored key is what capture de-duplicates by; the URL's own key also counts, so a
  // link whose key was written by an older rule or by hand is still found.
  const keysOfLink = (link: (typeof links)[number]): string[] => {
    const own = keyOfUrl(link.url);
    const keys = link.normalizedUrl ? [link.normalizedUrl] : [];
    if (own !== undefined && own !== link.normalizedUrl) keys.push(own);
    return keys;
  };
  const uses = referrers.map((referrer) => {
    const { refs, hrefs } = namedBy(referrer);
    return { issue: { number: referrer.usedIn.number, title: referrer.usedIn.title ?? '', date: referrer.usedIn.date ?? '' }, named: { refs, hrefKeys: hrefs.flatMap((href) => keyOfUrl(href) ?? []) } };
  });
  const sorted = (found: Iterable<LinkedIn>) => [...new Map([...found].map((issue) => [issue.number, issue])).values()].sort((a, b) => a.number - b.number);
  let asked = 0;
  let index: Map<string, LinkedIn[]> | undefined;
  return (urls) => {
    const wanted = new Set(urls.flatMap((url) => keyOf(url) ?? []));
    if (wanted.size === 0) return [];
    if (++asked > 1) {
      index ??= indexAll(links, keysOfLink, uses);
      return sorted([...wanted].flatMap((key) => index!.get(key) ?? []));
    }
    const ids = new Set<unknown>();
    for (const link of links) if (keysOfLink(link).some((key) => wanted.has(key))) ids.add(link._id);
    return sorted(uses.filter(({ named }) => named.refs.some((ref) => ids.has(ref)) || named.hrefKeys.some((key) => wanted.has(key))).map((use) => use.issue));
  };
}

/** Every key with the issues that linked it, in the issues' order. */
function indexAll<L extends { _id: unknown }>(links: L[], keysOfLink: (link: L) => string[], uses: Array<{ issue: LinkedIn; named: { refs: unknown[]; hrefKeys: string[] } }>): Map<string, LinkedIn[]> {
  const keysById = new Map<unknown, string[]>();
  for (const link of links) {
    const keys = keysOfLink(link);
    if (keys.length > 0) keysById.set(link._id, keys);
  }
  const byKey = new Map<string, LinkedIn[]>();
  for (const { issue, named } of uses) {
    const keys = new Set(named.hrefKeys);
    for (const ref of named.refs) for (const key of keysById.get(ref) ?? []) keys.add(key);
    for (const key of keys) {
      const list = byKey.get(key);
      if (list) list.push(issue);
      else byKey.set(key, [issue]);
    }
  }
  return byKey;
}

// A server asks for the lookup on every capture, over the same archive but for the link
// the last capture added: walking every issue and parsing every link's URL again cost it
// about half a second for 1,000 issues. What an issue document names is remembered by the
// document (a store hands out a new object when a document changes; GroqJsStore's answer
// holds the stored object itself), and a URL's key by the URL.

/** What an issue names: the targets of its references, and the addresses of its external links. */
export interface Named {
  refs: unknown[];
  hrefs: string[];
}
const named = new WeakMap<object, Named>();

/** What a referrer of the answer names, from either form: picked out by the query, or found by walking the whole issue (remembered by the document). */
export function namedBy({ document, marks, cards }: LinkedInAnswer['referrers'][number]): Named {
  if (marks || cards) {
    const refs: unknown[] = (cards ?? []).filter((ref) => typeof ref === 'string');
    const hrefs: string[] = [];
    for (const mark of marks ?? []) {
      const { _type, reference, href } = (typeof mark === 'object' && mark !== null ? mark : {}) as { _type?: unknown; reference?: { _ref?: unknown }; href?: unknown };
      if (_type === 'linkReference' && typeof reference?._ref === 'string') refs.push(reference._ref);
      if (_type === 'externalLink' && typeof href === 'string') hrefs.push(href);
    }
    return { refs, hrefs };
  }
  const known = typeof document === 'object' && document !== null ? named.get(document) : undefined;
  if (known) return known;
  const found = new Set<string>();
  const walked = { refs: [...collectReferences(document, new Set(), { hrefs: found })], hrefs: [...found] };
  if (typeof document === 'object' && document !== null) named.set(document, walked);
  return walked;
}

const urlKeys = new Map<string, string | undefined>();

/** keyOf, remembered by URL; the memory is emptied when it holds over twice as many URLs as there are links (links deleted, addresses changed). */
function rememberedKeys(links: number): (url: string | null | undefined) => string | undefined {
  if (urlKeys.size > 2 * links + 1000) urlKeys.clear();
  return (url) => {
    if (!url) return undefined;
    let key = urlKeys.get(url);
    if (key === undefined && !urlKeys.has(url)) urlKeys.set(url, (key = keyOf(url)));
    return key;
  };
}

/** "#12 (2026-02-06), #20 (2026-03-01) and #31 (2026-05-01)". */
export function describeLinkedIn(issues: LinkedIn[]): string {
  const named = issues.map((i) => (i.date ? `#${i.number} (${i.date})` : `#${i.number}`));
  return named.length <= 1 ? (named[0] ?? '') : `${named.slice(0, -1).join(', ')} and ${named.at(-1)}`;
}
