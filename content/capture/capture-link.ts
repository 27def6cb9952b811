// Capturing links into the inbox, de-duplicated by normalised URL, and the follow-up
// chores on them (enrich the ones captured offline, triage status). Works through
// ContentStore.fetch/mutate only, so the local dataset and Sanity behave the same.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NewsdeskError } from '../../core/errors.ts';
import { linkStatusSchema, type LinkStatus } from '../model.ts';
import { normaliseUrl, parseHttpUrl, stripTrackingParameters } from '../normalize-url.ts';
import { slugify } from '../rules.ts';
import type { ContentStore, Mutation } from '../store.ts';
import type { FetchPage, PageMetadata } from './fetch-page.ts';

export interface CaptureInput {
  url: string;
  /** Tag titles or slugs; missing tags are created. */
  tags?: string[] | undefined;
  note?: string | undefined;
  foundAt?: string | undefined;
  /** A title already known (a bookmark's name): used when the page offers none. */
  title?: string | undefined;
}

export interface CaptureDeps {
  fetchPage: FetchPage;
  now: () => Date;
}

export type CaptureOutcome =
  | { kind: 'created'; id: string; url: string; title: string | undefined; message: string }
  | { kind: 'merged'; id: string; url: string; title: string | undefined; message: string }
  | { kind: 'offline'; id: string; url: string; title: string | undefined; message: string }
  | { kind: 'invalid'; url: string; message: string };

/** Stored link fields capture reads back: just what merging needs. */
const storedLinkSchema = z.object({
  _id: z.string(),
  url: z.string(),
  title: z.string().nullish(),
  note: z.string().nullish(),
  foundAt: z.string().nullish(),
  capturedAt: z.string().nullish(),
  tagIds: z.array(z.string()).nullish(),
});
type StoredLink = z.infer<typeof storedLinkSchema>;

const storedTagSchema = z.object({ _id: z.string(), title: z.string().nullish(), slug: z.string().nullish() });

const linkByNormalizedUrl = `*[_type == "link" && normalizedUrl in $urls] | order(_createdAt asc)[0]{
  _id, url, title, note, foundAt, capturedAt, "tagIds": tags[]._ref
}`;

/** A link's document id is derived from its normalised URL, so two racing captures collide instead of duplicating. */
export function linkIdFor(normalizedUrl: string): string {
  return `link-${createHash('sha256').update(normalizedUrl).digest('hex').slice(0, 20)}`;
}

export function tagIdFor(slug: string): string {
  return `tag-${slug}`;
}

/** Captures one URL. Invalid URLs come back as an `invalid` outcome, never as a write. */
export async function captureLink(store: ContentStore, input: CaptureInput, deps: CaptureDeps): Promise<CaptureOutcome> {
  const given = input.url.trim();
  if (!parseHttpUrl(given)) {
    return { kind: 'invalid', url: given, message: `not an http:// or https:// URL: "${given}"` };
  }
  const normalizedUrl = normaliseUrl(given);
  const tagWrites = await resolveTags(store, input.tags ?? []);

  const existing = await findLink(store, [normalizedUrl]);
  if (existing) return mergeInto(store, existing, input, tagWrites, 'already captured');

  const page = await deps.fetchPage(given);
  // The page may call itself by another address (redirect, rel=canonical): that one may be known.
  const aliases = new Set<string>();
  if (page.status !== 'unreachable') aliases.add(page.finalUrl);
  if (page.status === 'fetched' && page.metadata.canonicalUrl) aliases.add(page.metadata.canonicalUrl);
  const aliasNormalized = [...aliases].flatMap((u) => (parseHttpUrl(u) ? [normaliseUrl(u)] : [])).filter((u) => u !== normalizedUrl);
  if (aliasNormalized.length > 0) {
    const known = await findLink(store, aliasNormalized);
    if (known) return mergeInto(store, known, input, tagWrites, 'already captured under its canonical address');
  }

  const fetched: Partial<PageMetadata> = page.status === 'fetched' ? page.metadata : {};
  const metadata = { ...fetched, title: fetched.title ?? (input.title?.trim() || undefined) };
  const id = linkIdFor(normalizedUrl);
  const doc = {
    _id: id,
    _type: 'link',
    url: stripTrackingParameters(given),
    normalizedUrl,
    ...(metadata.title ? { title: metadata.title } : {}),
    ...(metadata.description ? { description: metadata.description } : {}),
    ...(metadata.siteName ? { siteName: metadata.siteName } : {}),
    capturedAt: deps.now().toISOString(),
    ...(input.foundAt?.trim() ? { foundAt: input.foundAt.trim() } : {}),
    tags: tagWrites.ids.map((ref) => ({ _type: 'reference', _ref: ref, _key: keyFor(ref) })),
    status: 'inbox' satisfies LinkStatus,
    ...(input.note?.trim() ? { note: input.note.trim() } : {}),
    // An address the fetch policy refuses is refused again later: nothing to retry.
    ...(page.status === 'unreachable' && !page.refused ? { needsEnrichment: true } : {}),
  };
  try {
    await store.mutate([...tagWrites.mutations, { create: doc }]);
  } catch (error) {
    // Lost a race with another capture of the same URL: merge into the winner instead.
    const winner = await findLink(store, [normalizedUrl]);
    if (winner) return mergeInto(store, winner, input, tagWrites, 'captured concurrently');
    throw error;
  }
  if (page.status === 'unreachable') {
    return {
      kind: 'offline',
      id,
      url: doc.url,
      title: metadata.title,
      message: page.refused ? `captured without metadata (${page.reason})` : `captured without metadata (${page.reason}); flagged for \`newsdesk links enrich\``,
    };
  }
  const extra = page.status === 'not-html' ? ` (${page.contentType}, no metadata to read)` : page.truncated ? ' (page cut at the size limit)' : '';
  return { kind: 'created', id, url: doc.url, title: metadata.title, message: `captured${metadata.title ? ` "${metadata.title}"` : ''}${extra}` };
}

async function findLink(store: ContentStore, urls: string[]): Promise<StoredLink | undefined> {
  const raw = await store.fetch(linkByNormalizedUrl, { urls }, { perspective: 'published' });
  return raw === null ? undefined : storedLinkSchema.parse(raw);
}

async function mergeInto(
  store: ContentStore,
  existing: StoredLink,
  input: CaptureInput,
  tagWrites: { ids: string[]; mutations: Mutation[] },
  why: string,
): Promise<CaptureOutcome> {
  const have = new Set(existing.tagIds ?? []);
  const newTags = tagWrites.ids.filter((id) => !have.has(id));
  const note = input.note?.trim();
  const noteIsNew = note !== undefined && note !== '' && !(existing.note ?? '').includes(note);
  const set: Record<string, unknown> = {};
  if (noteIsNew) set.note = existing.note ? `${existing.note}\n\n${note}` : note;
  const setIfMissing: Record<string, unknown> = {};
  if (input.foundAt?.trim()) setIfMissing.foundAt = input.foundAt.trim();
  const mutations: Mutation[] = [...tagWrites.mutations];
  if (newTags.length > 0 || noteIsNew || Object.keys(setIfMissing).length > 0) {
    mutations.push({
      patch: {
        id: existing._id,
        ...(Object.keys(set).length ? { set } : {}),
        setIfMissing: { ...setIfMissing, tags: [] },
        ...(newTags.length
          ? { insert: { after: 'tags[-1]', items: newTags.map((ref) => ({ _type: 'reference', _ref: ref, _key: keyFor(ref) })) } }
          : {}),
      },
    });
  }
  if (mutations.length > 0) await store.mutate(mutations);
  const changes = [
    newTags.length ? `added tag(s) ${newTags.map((t) => t.replace(/^tag-/, '')).join(', ')}` : '',
    noteIsNew ? 'appended the note' : '',
  ].filter(Boolean);
  return {
    kind: 'merged',
    id: existing._id,
    url: existing.url,
    title: existing.title ?? undefined,
    message: `${why} as ${existing._id}${existing.capturedAt ? ` on ${existing.capturedAt.slice(0, 10)}` : ''}; ${changes.length ? changes.join(' and ') : 'nothing new to merge'}`,
  };
}

/** Finds tags by slug or title (case-insensitive) and prepares createIfNotExists for the rest. */
export async function resolveTags(store: ContentStore, given: string[]): Promise<{ ids: string[]; mutations: Mutation[] }> {
  const wanted = given.map((t) => t.trim()).filter(Boolean);
  if (wanted.length === 0) return { ids: [], mutations: [] };
  const tags = z.array(storedTagSchema).parse(await store.fetch(`*[_type == "tag"]{ _id, title, "slug": slug.current }`, {}, { perspective: 'published' }));
  const ids: string[] = [];
  const mutations: Mutation[] = [];
  for (const name of wanted) {
    const slug = slugify(name);
    if (slug === '') throw new NewsdeskError('CAPTURE_FAILED', `The tag "${name}" has no letters or digits`, { hint: 'Give tags a word, e.g. --tag notebooks.' });
    const match = tags.find((t) => t.slug === slug || t.slug === name || t.title?.toLowerCase() === name.toLowerCase());
    const id = match?._id ?? tagIdFor(slug);
    if (!match && !mutations.some((m) => 'createIfNotExists' in m && m.createIfNotExists._id === id)) {
      mutations.push({ createIfNotExists: { _id: id, _type: 'tag', title: name, slug: { _type: 'slug', current: slug } } });
    }
    if (!ids.includes(id)) ids.push(id);
  }
  return { ids, mutations };
}

function keyFor(ref: string): string {
  return createHash('sha256').update(ref).digest('hex').slice(0, 12);
}

// ── Enrichment ────────────────────────────────────────────────────────────────

export interface EnrichOutcome {
  id: string;
  url: string;
  kind: 'enriched' | 'still-offline' | 'not-html';
  message: string;
}

const toEnrichSchema = z.array(
  z.object({ _id: z.string(), url: z.string(), title: z.string().nullish(), description: z.string().nullish(), siteName: z.string().nullish() }),
);

/** Retries the metadata fetch for every link flagged needsEnrichment. Fields an editor already filled are kept. */
export async function enrichLinks(store: ContentStore, deps: Pick<CaptureDeps, 'fetchPage'>, options: { signal?: AbortSignal } = {}): Promise<EnrichOutcome[]> {
  const links = toEnrichSchema.parse(
    await store.fetch(`*[_type == "link" && needsEnrichment == true] | order(capturedAt asc){ _id, url, title, description, siteName }`, {}, { perspective: 'published' }),
  );
  const outcomes: EnrichOutcome[] = [];
  for (const link of links) {
    if (options.signal?.aborted) break;
    const page = await deps.fetchPage(link.url);
    if (page.status === 'unreachable') {
      outcomes.push({ id: link._id, url: link.url, kind: 'still-offline', message: page.reason });
      continue;
    }
    const set: Record<string, unknown> = {};
    if (page.status === 'fetched') {
      const m = page.metadata;
      if (m.title && !link.title) set.title = m.title;
      if (m.description && !link.description) set.description = m.description;
      if (m.siteName && !link.siteName) set.siteName = m.siteName;
    }
    await store.mutate([{ patch: { id: link._id, ...(Object.keys(set).length ? { set } : {}), unset: ['needsEnrichment'] } }]);
    outcomes.push({
      id: link._id,
      url: link.url,
      kind: page.status === 'fetched' ? 'enriched' : 'not-html',
      message: page.status === 'fetched' ? `filled ${Object.keys(set).join(', ') || 'nothing new'}` : `${page.contentType}: no metadata to read`,
    });
  }
  return outcomes;
}

// ── Triage ────────────────────────────────────────────────────────────────────

/** Sets a link's triage status; the link is named by document id or by any spelling of its URL. */
export async function setLinkStatus(store: ContentStore, idOrUrl: string, status: string): Promise<{ id: string; url: string; previous: string | undefined }> {
  const parsed = linkStatusSchema.safeParse(status);
  if (!parsed.success) {
    throw new NewsdeskError('USAGE', `status "${status}" is not valid`, { hint: `Use one of: ${linkStatusSchema.options.join(', ')}.` });
  }
  const byUrl = parseHttpUrl(idOrUrl) ? normaliseUrl(idOrUrl) : null;
  const found = z
    .object({ _id: z.string(), url: z.string(), status: z.string().nullish() })
    .nullable()
    .parse(
      await store.fetch(`*[_type == "link" && (_id == $id || normalizedUrl == $url)][0]{ _id, url, status }`, { id: idOrUrl, url: byUrl }, { perspective: 'published' }),
    );
  if (!found) {
    throw new NewsdeskError('NOT_FOUND', `No link with id or URL "${idOrUrl}"`, { hint: 'Run `newsdesk links` to see the links and their ids.' });
  }
  await store.mutate([{ patch: { id: found._id, set: { status: parsed.data } } }]);
  return { id: found._id, url: found.url, previous: found.status ?? undefined };
}

// ── Bulk ──────────────────────────────────────────────────────────────────────

export interface BulkEntry extends CaptureInput {
  /** "line 4", "bookmark 12": named in the report. */
  where: string;
}

export type BulkOutcome = CaptureOutcome & { where: string };

/**
 * Captures many links, a few pages fetched at a time. Entries naming the same page are
 * folded into the first one up-front, so a file never races itself into a copy.
 */
export async function captureMany(
  store: ContentStore,
  entries: BulkEntry[],
  deps: CaptureDeps,
  options: { concurrency?: number; signal?: AbortSignal; onOutcome?: (outcome: BulkOutcome) => void } = {},
): Promise<BulkOutcome[]> {
  const outcomes: Array<BulkOutcome | undefined> = new Array(entries.length);
  const firstByUrl = new Map<string, number>();
  const work: Array<{ index: number; input: CaptureInput }> = [];
  entries.forEach((entry, index) => {
    const url = entry.url.trim();
    if (!parseHttpUrl(url)) {
      outcomes[index] = { kind: 'invalid', url, where: entry.where, message: `not an http:// or https:// URL: "${url}"` };
      return;
    }
    const normalized = normaliseUrl(url);
    const first = firstByUrl.get(normalized);
    if (first === undefined) {
      firstByUrl.set(normalized, index);
      work.push({ index, input: { ...entry, tags: [...(entry.tags ?? [])] } });
      return;
    }
    const target = work.find((w) => w.index === first)!;
    target.input.tags = [...new Set([...(target.input.tags ?? []), ...(entry.tags ?? [])])];
    if (entry.note && !(target.input.note ?? '').includes(entry.note)) target.input.note = target.input.note ? `${target.input.note}\n\n${entry.note}` : entry.note;
    outcomes[index] = { kind: 'merged', id: linkIdFor(normalized), url, title: undefined, where: entry.where, message: `same page as ${entries[first]!.where}; merged into it` };
  });

  let next = 0;
  const worker = async () => {
    while (next < work.length && !options.signal?.aborted) {
      const item = work[next++]!;
      let outcome: BulkOutcome;
      try {
        outcome = { ...(await captureLink(store, item.input, deps)), where: entries[item.index]!.where };
      } catch (error) {
        outcome = { kind: 'invalid', url: item.input.url, where: entries[item.index]!.where, message: (error as Error).message };
      }
      outcomes[item.index] = outcome;
      options.onOutcome?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, work.length)) }, worker));
  return outcomes.filter((o): o is BulkOutcome => o !== undefined);
}
