// Loading what the build needs without re-projecting unchanged issues. Following every
// reference of every issue (issueProjection) costs milliseconds per issue in groq-js, so
// the build fetches the raw published documents once (cheap), fingerprints each issue
// with the documents it references, fetches listings (what the archive, tag pages, feeds
// and sitemap need) only for fingerprints it has not seen, and projects through the
// contract query only the issues it must render. Listings are kept per fingerprint in
// the build cache.
import { hash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { isArrayOf, isString, recordOf } from '../core/record-of.ts';
import { issueSchema, parseOrThrow, sectionSchema, tagRefSchema, type Issue } from '../content/model.ts';
import { projectIssue, projectIssueListing } from '../content/issue-projection.ts';
import { poolOf } from '../content/groq-narrow.ts';
import { documentDigest, lineOf } from '../content/document-digest.ts';
import { lazyBase, unparsedLine } from '../content/lazy-document.ts';
import { sourcesFile } from './cache-folder.ts';
import { NewsdeskError } from '../core/errors.ts';
import { readAt } from '../core/open-file.ts';
import type { ContentStore, SanityDocument } from '../content/store.ts';

export const listingSchema = z.object({
  id: z.string(),
  number: z.number(),
  slug: z.string(),
  title: z.string(),
  date: z.string(),
  summary: z.string().optional(),
  byline: z.string().optional(),
  tags: z.array(tagRefSchema),
  topics: z.array(tagRefSchema),
});
/** An issue's metadata: enough for the archive, tag pages, feeds and sitemap. */
export type Listing = z.infer<typeof listingSchema>;

const indexSchema = z.object({
  templateVersion: z.string().optional(),
  // A listing per issue (zod's walk of 1,000 took 45-55 ms), and about a hundred ids per issue (45 ms).
  entries: recordOf<Listing>(isListing),
  refs: recordOf<string[]>((ids) => isArrayOf(ids, isString)).optional(),
  // SourceIndex.fingerprint: the fingerprints of the issues made from one dataset file's lines alone.
  unchanged: z.object({ base: z.string(), fingerprints: recordOf<string>(isString) }).optional(),
});

/** listingSchema's test, without the copy zod makes. */
function isListing(value: unknown): value is Listing {
  if (typeof value !== 'object' || value === null) return false;
  const l = value as Record<string, unknown>;
  return (
    typeof l.id === 'string' &&
    typeof l.number === 'number' &&
    typeof l.slug === 'string' &&
    typeof l.title === 'string' &&
    typeof l.date === 'string' &&
    (l.summary === undefined || typeof l.summary === 'string') &&
    (l.byline === undefined || typeof l.byline === 'string') &&
    isArrayOf(l.tags, isTagRef) &&
    isArrayOf(l.topics, isTagRef)
  );
}

/** tagRefSchema's test. */
function isTagRef(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { title, slug } = value as Record<string, unknown>;
  return typeof title === 'string' && title !== '' && typeof slug === 'string' && slug !== '';
}

export interface IssueSource {
  id: string;
  fingerprint: string;
  listing: Listing | undefined;
}

/** A link as the tag pages show it, resolved from raw documents. */
export interface TaggedLink {
  id: string;
  url: string;
  title: string | undefined;
  siteName: string | undefined;
  description: string | undefined;
  tags: Array<{ title: string; slug: string }>;
  usedIn: Array<{ number: number; title: string }>;
}

/** An issue's listing, from the full read model or from the light listing projection. */
export function listingOf(
  issue: Pick<Issue, 'id' | 'number' | 'slug' | 'title' | 'date' | 'summary' | 'byline' | 'tags'> & {
    sections: Array<{ topic?: Issue['tags'][number] | undefined }>;
  },
): Listing {
  return {
    id: issue.id,
    number: issue.number,
    slug: issue.slug,
    title: issue.title,
    date: issue.date,
    ...(issue.summary === undefined ? {} : { summary: issue.summary }),
    ...(issue.byline === undefined ? {} : { byline: issue.byline }),
    tags: issue.tags,
    topics: issue.sections.flatMap((s) => (s.topic ? [s.topic] : [])),
  };
}

export class SourceIndex {
  readonly #file: string;
  #entries: Record<string, Listing> = {};
  #templateVersion: string | undefined;
  /** The dataset file (lazyBase) the last build's saved fingerprints were made from, and those fingerprints by issue digest. */
  #base: string | undefined;
  #fingerprints = new Map<string, string>();
  /** This build's fingerprints of issues made from one file's lines alone (fingerprint), for the next. */
  #now: { base: string | undefined; fingerprints: Map<string, string> } = { base: undefined, fingerprints: new Map() };

  constructor(cacheDir: string) {
    this.#file = path.join(cacheDir, sourcesFile);
  }

  async load(): Promise<void> {
    try {
      const parsed = indexSchema.safeParse(JSON.parse(await fs.readFile(this.#file, 'utf8')));
      if (parsed.success) {
        this.#entries = parsed.data.entries;
        this.#templateVersion = parsed.data.templateVersion;
        savedRefs = new Map(Object.entries(parsed.data.refs ?? {}));
        this.#base = parsed.data.unchanged?.base;
        this.#fingerprints = new Map(Object.entries(parsed.data.unchanged?.fingerprints ?? {}));
      }
    } catch {
      this.#entries = {};
    }
  }

  /** The template version of the last build; undefined before the first. */
  get templateVersion(): string | undefined {
    return this.#templateVersion;
  }

  get(fingerprint: string): Listing | undefined {
    return this.#entries[fingerprint];
  }

  /**
   * fingerprintIssue's answer, taken from the last build when the issue and every document
   * it references are lines of the same unchanged dataset file as then (lazyBase): their
   * digests are then those the last build hashed. Hashing 1,000 issues' hundred references
   * each took a new process 80-120 ms of every build, an edit or a publish changing only a
   * few of them (those in the store's journal, read from no line).
   */
  fingerprint(issue: SanityDocument, byId: ReadonlyMap<string, SanityDocument>): string {
    const base = lazyBase(issue);
    const ofBase = base !== undefined && allOfBase(referencesOf(issue), byId, base);
    const known = ofBase && base === this.#base ? this.#fingerprints.get(documentDigest(issue)) : undefined;
    const fingerprint = known ?? fingerprintIssue(issue, byId);
    if (ofBase) {
      if (this.#now.base !== base) this.#now = { base, fingerprints: new Map() };
      this.#now.fingerprints.set(documentDigest(issue), fingerprint);
    }
    return fingerprint;
  }

  /**
   * Keeps exactly the given fingerprints and writes the index atomically, with the
   * reference lists of the given documents (the published issues) by digest, for the next
   * process's referencesOf().
   */
  async save(current: Map<string, Listing>, templateVersion: string, documents: Iterable<SanityDocument> = []): Promise<void> {
    this.#entries = Object.fromEntries(current);
    this.#templateVersion = templateVersion;
    const refs: Record<string, string[]> = {};
    const fingerprints: Record<string, string> = {};
    for (const doc of documents) {
      const digest = documentDigest(doc);
      refs[digest] = referencesOf(doc);
      const fingerprint = this.#now.fingerprints.get(digest);
      if (fingerprint !== undefined && current.has(fingerprint)) fingerprints[digest] = fingerprint;
    }
    const { base } = this.#now;
    await fs.mkdir(path.dirname(this.#file), { recursive: true });
    const temp = `${this.#file}.tmp-${randomBytes(4).toString('hex')}`;
    // The template version first: `newsdesk serve` reads it from the start of the file (build/cache-folder.ts lastTemplateVersion).
    await fs.writeFile(temp, JSON.stringify({ templateVersion, entries: this.#entries, refs, ...(base === undefined ? {} : { unchanged: { base, fingerprints } }) }));
    await fs.rename(temp, this.#file);
  }
}

export interface RawContent {
  issues: readonly SanityDocument[];
  byId: ReadonlyMap<string, SanityDocument>;
  /** The tag documents, in document order (tagDocumentsOf: every document otherwise). */
  tags?: readonly SanityDocument[];
}

/** The tag documents of `raw`: its list, or those among all its documents. */
export function tagDocumentsOf(raw: RawContent): Iterable<SanityDocument> {
  return raw.tags ?? [...raw.byId.values()].filter((doc) => doc._type === 'tag');
}

/**
 * Every published document, raw: one cheap query instead of one projection per issue; from a
 * local store, its own id index (ContentStore.published). The issues and tags are the
 * pools queries read too (content/groq-narrow.ts poolOf), which a local store makes without
 * asking each of its documents for its type.
 */
export async function fetchRawContent(store: ContentStore): Promise<RawContent> {
  if (store.published) {
    const { documents, byId } = await store.published();
    return { issues: poolOf(documents, 'issue'), byId, tags: poolOf(documents, 'tag') };
  }
  const docs = await store.fetch<SanityDocument[]>('*', {}, { perspective: 'published' });
  const list = Array.isArray(docs) ? docs : [];
  const byId = new Map<string, SanityDocument>();
  for (const d of list) byId.set(d._id, d);
  return { issues: poolOf(list, 'issue'), byId, tags: poolOf(list, 'tag') };
}

/**
 * Hash of an issue document and every document it references (links, tags, image assets).
 * Per-document digests (content/document-digest.ts: the local store's come with the
 * lines it parsed) and reference lists are remembered per document object: stores hand
 * out a new object whenever a document changes (GroqJsStore replaces patched documents,
 * the Sanity client parses every response afresh), so a long-running process (the
 * server rebuilding on webhooks) hashes only what changed.
 */
export function fingerprintIssue(issue: SanityDocument, byId: ReadonlyMap<string, SanityDocument>): string {
  const parts = [documentDigest(issue)];
  for (const id of referencesOf(issue)) {
    const doc = byId.get(id);
    parts.push(`${id}:${doc ? documentDigest(doc) : 'missing'}`);
  }
  return hash('sha256', parts.join('\n'));
}

/** Whether every one of `ids` is a document of `byId` read from the unchanged lines of `base` (lazyBase). */
function allOfBase(ids: readonly string[], byId: ReadonlyMap<string, SanityDocument>, base: string): boolean {
  for (const id of ids) {
    const doc = byId.get(id);
    if (doc === undefined || lazyBase(doc) !== base) return false;
  }
  return true;
}

const documentReferences = new WeakMap<object, string[]>();
/**
 * Reference lists the last build saved (SourceIndex), by document digest: a new process
 * takes an unchanged issue's from here instead of walking the whole document, which a lazy
 * one (content/lazy-document.ts) then never parses.
 */
let savedRefs = new Map<string, string[]>();

/** Ids a document references, sorted and without repeats. */
export function referencesOf(doc: SanityDocument): string[] {
  let refs = documentReferences.get(doc);
  if (refs === undefined) {
    refs = savedRefs.get(documentDigest(doc)) ?? [...(referencesInText(doc) ?? collectRefs(doc))].sort();
    documentReferences.set(doc, refs);
  }
  return refs;
}

/** referencesInLine of a lazy document not parsed yet (its line read from the file); undefined for any other. */
function referencesInText(doc: SanityDocument): Set<string> | undefined {
  const line = unparsedLine(doc);
  return line === undefined ? undefined : referencesInLine(line);
}

/**
 * A member `"_ref": "…"` (after `{` or `,`): outside a string, as a quote inside one is
 * escaped, so in a JSON object it is a reference's target and nothing else.
 */
const refMember = /[{,]\s*"_ref"\s*:\s*"((?:[^"\\]|\\.)*)"/g;

/**
 * The ids a document's JSON line references, as collectRefs finds them in the parsed
 * document, read from the text: a first build fingerprints every issue before anything else
 * reads it, and parsing 1,000 issues' lines for their references was 0.4 s of its main
 * thread. Undefined for a line with \u escapes (a key could be spelt with them), which is
 * parsed instead.
 */
export function referencesInLine(line: string): Set<string> | undefined {
  if (line.includes('\\u')) return undefined;
  const out = new Set<string>();
  // Parsed, not cut out: a cut would keep the whole line alive for as long as the id (the
  // reference lists are kept for the build: 44 MB of issue lines for 1,000 issues).
  for (const [, id] of line.matchAll(refMember)) out.add(JSON.parse(`"${id}"`) as string);
  return out;
}

function collectRefs(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && typeof v === 'object') collectRefs(v, out);
  } else if (value !== null && typeof value === 'object') {
    const ref = (value as { _ref?: unknown })._ref;
    if (typeof ref === 'string') out.add(ref);
    for (const key in value) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== null && typeof v === 'object') collectRefs(v, out);
    }
  }
  return out;
}

const listingSourceSchema = issueSchema
  .pick({ id: true, number: true, title: true, slug: true, date: true, summary: true, byline: true, tags: true })
  .extend({ sections: z.array(sectionSchema.pick({ topic: true })).nullish().transform((s) => s ?? []) });

/**
 * Listings of the given issues from the documents the build read (`raw`): issueListingsByIdQuery's
 * projection in code (projectIssueListing, held to groq-js by its test; no Portable Text),
 * parsed with the read model's field schemas, so they equal listingOf(issue). The listings
 * come from the same documents the fingerprints and the render do, where a query ran on the
 * store as it was a moment later. `each` is handed each issue's document right after,
 * while a lazy one is still parsed: the links index walks it then (links-index.ts
 * rememberWalk), where it had been parsed once for the query and again for the walk (half a
 * second of a full build's main thread for 1,000 issues).
 */
export function projectListings(raw: RawContent, ids: readonly string[], each?: (doc: SanityDocument) => void): Listing[] {
  const lookup = (id: string) => raw.byId.get(id);
  const docs: unknown[] = [];
  for (const id of ids) {
    const doc = raw.byId.get(id);
    if (doc?._type !== 'issue') continue;
    docs.push(projectIssueListing(doc, lookup));
    each?.(doc);
  }
  return parseOrThrow(listingSourceSchema, docs, 'issue').map(listingOf);
}

/**
 * The given issues through the contract projection (content/issue-projection.ts), unparsed
 * (whoever renders an issue parses it, in a worker thread when there are many), keyed by
 * id: from the documents the build read and fingerprinted, so what an issue is rendered
 * from is what its cache key was made from, and no query runs.
 */
export function projectIssues(raw: RawContent, issues: Array<Pick<Listing, 'id'>>): Map<string, Record<string, unknown>> {
  const lookup = (id: string) => raw.byId.get(id);
  const out = new Map<string, Record<string, unknown>>();
  for (const { id } of issues) {
    const doc = raw.byId.get(id);
    const projected = doc?._type === 'issue' ? projectIssue(doc, lookup) : null;
    if (projected) out.set(id, projected);
  }
  return out;
}

/**
 * Where the lines an issue is projected from are: the issue's and those of every published
 * document it references, all in one file the store read (content/document-digest.ts
 * lineOf), by offset and length in bytes, the issue's first. A render worker reads, parses
 * and projects them itself (projectIssueFromLines), so the main thread neither projects
 * nor serialises the issue, and what it would have left on its heap (a full build's
 * render step left tens of megabytes there) is never made. Undefined when any of them was
 * not read from that file (an edit in the journal, say): the issue is then projected here.
 */
export function issueLines(raw: RawContent, id: string): IssueLines | undefined {
  const doc = raw.byId.get(id);
  const at = doc?._type === 'issue' ? lineOf(doc) : undefined;
  if (!doc || !at) return undefined;
  const refs = referencesOf(doc);
  const positions: number[] = [at.offset, at.length];
  for (const ref of refs) {
    const target = raw.byId.get(ref);
    if (!target) continue;
    const line = lineOf(target);
    if (!line || line.file !== at.file) return undefined;
    positions.push(line.offset, line.length);
  }
  return { fd: at.file.fd, at: new Float64Array(positions) };
}

/** The lines of an issue's documents in the file open as `fd` (offset and length in bytes, in pairs, the issue's first): see issueLines. */
export interface IssueLines {
  fd: number;
  at: Float64Array;
}

/** Lines closer than this in the file are read together (an issue's links are mostly captured, and so written, together). */
const readAcross = 4096;

/** The issue of `lines` (issueLines) through the contract projection, read from its file: what projectIssues gives for it. */
export function projectIssueFromLines(lines: IssueLines, buffer: { bytes: Buffer } = { bytes: Buffer.alloc(0) }): Record<string, unknown> | null {
  const count = lines.at.length / 2;
  // By position, so that lines near one another are read in one call.
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => lines.at[2 * a]! - lines.at[2 * b]!);
  const docs = new Array<SanityDocument>(count);
  for (let first = 0; first < count; ) {
    const from = lines.at[2 * order[first]!]!;
    let to = from + lines.at[2 * order[first]! + 1]!;
    let last = first;
    while (last + 1 < count && lines.at[2 * order[last + 1]!]! <= to + readAcross) {
      last++;
      to = Math.max(to, lines.at[2 * order[last]!]! + lines.at[2 * order[last]! + 1]!);
    }
    if (buffer.bytes.length < to - from) buffer.bytes = Buffer.allocUnsafe(Math.max(to - from, 2 * buffer.bytes.length));
    if (readAt(lines.fd, from, to - from, buffer.bytes).length < to - from) {
      throw new NewsdeskError('BUILD_FAILED', 'The dataset file ended before a line the build had read from it', { hint: 'Build again.' });
    }
    for (let k = first; k <= last; k++) {
      const i = order[k]!;
      const offset = lines.at[2 * i]! - from;
      docs[i] = JSON.parse(buffer.bytes.toString('utf8', offset, offset + lines.at[2 * i + 1]!)) as SanityDocument;
    }
    first = last + 1;
  }
  const byId = new Map(docs.slice(1).map((doc) => [doc._id, doc] as const));
  return projectIssue(docs[0]!, (id) => byId.get(id));
}

/** Parses one projected issue with the read model and checks it still matches the listing the build planned with. */
export function parseProjectedIssue(raw: unknown, listing: Listing): Issue {
  const issue = parseOrThrow(issueSchema, [raw], 'issue')[0]!;
  if (JSON.stringify(listingOf(issue)) !== JSON.stringify(listing)) {
    throw new NewsdeskError('BUILD_FAILED', `Issue ${listing.number} changed while it was being built`, { hint: 'Build again.' });
  }
  return issue;
}

/** What the build reads of a link document: the tag pages and the search index's tags (linkMemoOf), and the links index. */
export interface LinkFields {
  _id: string;
  url?: unknown;
  title?: unknown;
  siteName?: unknown;
  description?: unknown;
  status?: unknown;
  tags?: unknown;
}

const linkFields = new WeakMap<object, LinkFields>();

/**
 * A link document's fields the build reads, taken once per document object: a lazily read
 * document's parse may be let go between the steps that read it (content/lazy-document.ts),
 * and each step's reading it again parsed it again (a first build parsed each of 52,000
 * links five times, then twice with the links index taking them once, now once).
 */
export function linkFieldsOf(doc: SanityDocument): LinkFields {
  let fields = linkFields.get(doc);
  if (!fields) {
    const { _id, url, title, siteName, description, status, tags } = doc;
    linkFields.set(doc, (fields = { _id, url, title, siteName, description, status, tags }));
  }
  return fields;
}

const rawLinkSchema = z.object({
  _id: z.string(),
  url: z.string(),
  title: z.string().nullish(),
  siteName: z.string().nullish(),
  description: z.string().nullish(),
  status: z.string().nullish(),
  tags: z.array(z.object({ _ref: z.string() }).passthrough()).nullish(),
});

/** What a link document contributes to tag pages, before its tags are resolved; null when it has none to give. */
interface LinkBase {
  url: string;
  title: string | undefined;
  siteName: string | undefined;
  description: string | undefined;
  tagIds: string[];
}

/**
 * Per link document object (see fingerprintIssue): its parsed base, and the TaggedLink last
 * built from it, handed out again while nothing about the link changed so the tag page
 * renderer's per-link memo (web/archive-page.tsx) can reuse its markup.
 */
let linkMemo = new WeakMap<object, { base: LinkBase | null; link?: TaggedLink; details?: Pick<TaggedLink, 'title' | 'siteName' | 'tags'> }>();

/**
 * Lets go of the tagged links this process resolved and of each link document's memo (a
 * build alone in its process, once its tag pages and search index are written: 25 MB for
 * 52,000 links, which the links index would otherwise be made beside). The next call
 * resolves them again.
 */
export function forgetTaggedLinks(): void {
  lastTagged = undefined;
  linkMemo = new WeakMap();
}

function linkMemoOf(doc: SanityDocument) {
  let memo = linkMemo.get(doc);
  if (!memo) {
    const parsed = rawLinkSchema.safeParse(linkFieldsOf(doc));
    const base: LinkBase | null =
      !parsed.success || parsed.data.status === 'discarded' || !parsed.data.tags?.length
        ? null
        : {
            url: parsed.data.url,
            title: parsed.data.title ?? undefined,
            siteName: parsed.data.siteName ?? undefined,
            description: parsed.data.description ?? undefined,
            tagIds: parsed.data.tags.map((t) => t._ref),
          };
    linkMemo.set(doc, (memo = { base }));
  }
  return memo;
}

/**
 * Links that carry a tag and are used in a published issue, resolved from raw documents.
 * Unused inbox links stay off the public site: they are the editor's working material.
 */
export function taggedLinks(raw: RawContent, listings: Map<string, Listing>): TaggedLink[] {
  return knownTaggedLinks(raw, listings) ?? resolveAndRemember(raw, listings);
}

/**
 * The tagged links this process resolved last, when nothing they depend on changed since
 * (the same objects, which the search index and tag pages compare by); undefined when it
 * has none or they would differ. Never resolves anything.
 */
export function knownTaggedLinks(raw: RawContent, listings: Map<string, Listing>): TaggedLink[] | undefined {
  if (!lastTagged) return undefined;
  const unchanged = sameUsage(lastTagged.uses, usesOf(raw, listings), raw);
  return unchanged && lastTagged.tagDocs.every(([id, doc]) => raw.byId.get(id) === doc) ? lastTagged.out : undefined;
}

function resolveAndRemember(raw: RawContent, listings: Map<string, Listing>): TaggedLink[] {
  const uses = usesOf(raw, listings);
  // sameUsage fills in each use's referenced documents, which the next build compares with.
  sameUsage([], uses, raw);
  const out = resolveTaggedLinks(raw, listings);
  const tagDocs = new Map<string, SanityDocument | undefined>();
  for (const link of out) for (const tagId of linkMemoOf(raw.byId.get(link.id)!).base?.tagIds ?? []) tagDocs.set(tagId, raw.byId.get(tagId));
  lastTagged = { uses, tagDocs: [...tagDocs], out };
  return out;
}

/**
 * What the tagged links were last resolved from: each issue's number, title and
 * referenced documents (by object: see fingerprintIssue), and the tag documents the links
 * name. Editing an issue's text changes none of these, so a rebuild after such an edit
 * hands out the last result instead of walking tens of thousands of references again.
 */
interface IssueUsage {
  number: number;
  title: string;
  refs: string[];
  refDocs: Array<SanityDocument | undefined>;
}
let lastTagged: { uses: IssueUsage[]; tagDocs: Array<[string, SanityDocument | undefined]>; out: TaggedLink[] } | undefined;

function usesOf(raw: RawContent, listings: Map<string, Listing>): IssueUsage[] {
  const out: IssueUsage[] = [];
  for (const doc of raw.issues) {
    const listing = listings.get(doc._id);
    if (!listing) continue;
    const refs = referencesOf(doc);
    out.push({ number: listing.number, title: listing.title, refs, refDocs: [] });
  }
  return out;
}

/** Whether `current` references the same documents as `last` did; fills in current's refDocs either way. */
function sameUsage(last: IssueUsage[], current: IssueUsage[], raw: RawContent): boolean {
  let same = last.length === current.length;
  for (let i = 0; i < current.length; i++) {
    const now = current[i]!;
    const before = same ? last[i]! : undefined;
    if (before && (before.number !== now.number || before.title !== now.title || !sameStrings(before.refs, now.refs))) same = false;
    for (let j = 0; j < now.refs.length; j++) {
      const doc = raw.byId.get(now.refs[j]!);
      now.refDocs.push(doc);
      if (same && before!.refDocs[j] !== doc) same = false;
    }
  }
  return same;
}

function sameStrings(a: string[], b: string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}

function resolveTaggedLinks(raw: RawContent, listings: Map<string, Listing>): TaggedLink[] {
  const usedIn = new Map<string, Array<{ number: number; title: string }>>();
  for (const doc of raw.issues) {
    const listing = listings.get(doc._id);
    if (!listing) continue;
    const use = { number: listing.number, title: listing.title };
    for (const id of referencesOf(doc)) {
      if (raw.byId.get(id)?._type !== 'link') continue;
      const list = usedIn.get(id);
      if (list) list.push(use);
      else usedIn.set(id, [use]);
    }
  }
  const tagRef = tagResolver(raw);
  const out: TaggedLink[] = [];
  for (const [id, uses] of usedIn) {
    const link = taggedLinkOf(id, raw.byId.get(id)!, uses, tagRef);
    if (link) out.push(link);
  }
  return out;
}

/**
 * The link document `doc` (by id `id`) as the tag pages show it, used in the published issues `uses`
 * (any order; sorted here); undefined when it has no tag to show. The same object as last
 * time while nothing about the link changed.
 */
export function taggedLinkOf(id: string, doc: SanityDocument, uses: Array<{ number: number; title: string }>, tagRef: TagResolver): TaggedLink | undefined {
  const memo = linkMemoOf(doc);
  const base = memo.base;
  if (!base) return undefined;
  const tags = base.tagIds.flatMap((tagId) => tagRef(tagId) ?? []);
  if (tags.length === 0) return undefined;
  if (uses.length > 1) uses.sort((a, b) => a.number - b.number);
  if (memo.link && sameRefs(memo.link.tags, tags) && sameUses(memo.link.usedIn, uses)) return memo.link;
  memo.link = { id, url: base.url, title: base.title, siteName: base.siteName, description: base.description, tags, usedIn: uses };
  return memo.link;
}

export type TagResolver = (id: string) => { title: string; slug: string } | undefined;

/** A tag document's title and slug by id (undefined for a missing or unfinished tag), each looked up once. */
export function tagResolver(raw: RawContent): TagResolver {
  const tagRefs = new Map<string, { title: string; slug: string } | undefined>();
  return (id) => {
    if (!tagRefs.has(id)) {
      const tag = raw.byId.get(id) as { title?: unknown; slug?: { current?: unknown } } | undefined;
      tagRefs.set(id, typeof tag?.title === 'string' && typeof tag.slug?.current === 'string' ? { title: tag.title, slug: tag.slug.current } : undefined);
    }
    return tagRefs.get(id);
  };
}

/**
 * What taggedLinks() would say of the links asked for, by id, without resolving the rest:
 * for a link a published issue uses (the search index asks only for those), its title,
 * site and tags when it has any to show.
 */
export function taggedLinkDetails(raw: RawContent): { get(id: string): Pick<TaggedLink, 'title' | 'siteName' | 'tags'> | undefined } {
  const tagRef = tagResolver(raw);
  const known = new Map<string, Pick<TaggedLink, 'title' | 'siteName' | 'tags'> | undefined>();
  return {
    get(id) {
      if (!known.has(id)) {
        const doc = raw.byId.get(id);
        const memo = doc?._type === 'link' ? linkMemoOf(doc) : undefined;
        const base = memo?.base;
        const tags = base ? base.tagIds.flatMap((tagId) => tagRef(tagId) ?? []) : [];
        if (!base || tags.length === 0) known.set(id, undefined);
        else {
          // The same object while nothing about the link changed: the search index compares its shares' links by it.
          if (!memo.details || !sameRefs(memo.details.tags, tags)) memo.details = { title: base.title, siteName: base.siteName, tags };
          known.set(id, memo.details);
        }
      }
      return known.get(id);
    },
  };
}

function sameRefs(a: Array<{ title: string; slug: string }>, b: Array<{ title: string; slug: string }>): boolean {
  return a.length === b.length && a.every((x, i) => x.title === b[i]!.title && x.slug === b[i]!.slug);
}

function sameUses(a: Array<{ number: number; title: string }>, b: Array<{ number: number; title: string }>): boolean {
  return a.length === b.length && a.every((x, i) => x.number === b[i]!.number && x.title === b[i]!.title);
}

