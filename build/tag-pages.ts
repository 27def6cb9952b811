// Tag pages: each tag's issues, and the links published issues use that carry the tag
// (sources.ts taggedLinks). The links are most of the work: resolving them walks every
// reference of every issue, and a tag's links section is megabytes of markup. So each
// tag's links are known by a digest, and a tag page is stored (PageStore) under a key made
// with that digest; the record says which stored page holds the section of which digest,
// and how long it is (the section is not stored on its own: that was megabytes more to
// write for every tag a publish touches).
//
// A build records (build-cache/tag-links.json), per published issue, a digest of all its
// use of links depends on: its number, its title and every document it references (the
// tag documents are in the record's context). When every issue's digest is what the
// record says, or its cache key is (the key covers all of that and more), every tag's
// links are what they were, and a new process (`newsdesk build` after an edit) takes
// their digests from the record without resolving a single link. A page it must render
// (the tags of an issue whose summary changed) takes its links section from the page that holds it.
//
// When a few issues changed their use of links (a new issue published, a link retitled),
// a new process splices: the links index beside the record (build-cache/tag-links-index.bin)
// lists every shown link with its sort key, digest, list item's length and the issues it
// is used in, and each tag's links in order. Only the links the changed issues use (or
// used) are resolved; each tag's new section is its last section's unchanged byte runs
// with those links' items put in their places, and its digest comes from the links' digests.
import { createHash, hash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { documentDigest } from '../content/document-digest.ts';
import type { SanityDocument } from '../content/store.ts';
import { NewsdeskError } from '../core/errors.ts';
import { isString } from '../core/record-of.ts';
import { linkItem, linkSection, linkSectionFrame } from '../web/archive-page.tsx';
import { isSafeSlug } from '../web/site.ts';
import { writeRecord, writeWhole, type PageStore } from './cache.ts';
import { columnsFileParts, IntColumnBuilder, readColumnsFile, TextColumn, TextColumnBuilder, wellFormedOffsets, within, type ColumnsFile } from './columns.ts';
import type { TaggedLookup } from './search-index.ts';
import { knownTaggedLinks, referencesOf, tagDocumentsOf, tagResolver, taggedLinkDetails, taggedLinkOf, taggedLinks, type Listing, type RawContent, type TaggedLink } from './sources.ts';

const recordFormat = 4;

interface TagLinksRecord {
  format: number;
  /** The template version and the tag documents' digest (search-index.ts tagDigest). */
  context: string;
  /** Per published issue, by document id: its cache key and the digest of its use of links. */
  issues: Record<string, [key: string, usage: string]>;
  /** Per tag that has links: its slug, its title as the links name it, the digest of its links, and the stored page that holds their section (when known). */
  tags: Array<[slug: string, title: string, digest: string, held?: Held]>;
  /** The generation of the links index that describes these tags' links (absent: none does). */
  index?: string;
}

/**
 * Every link the tag pages list and each tag's links in order (build-cache/tag-links-index.bin):
 * what a new process splices the tags' stored sections with. Written before the record that
 * names its generation, so a record never names an index other than the one it was made with.
 * Columns, not a list per link nor a list of strings per field (columns.ts).
 */
interface TagLinksIndex {
  /** Of each link, by its position: its id, sort key (its title, else its URL), digest followed by a newline (so a run of them is what digestOfLinks hashes), and list item's length in UTF-8 bytes. */
  ids: TextColumn;
  sortKeys: TextColumn;
  digests: TextColumn;
  bytes: Int32Array;
  /**
   * The issues links are used in (document ids); link i's are those at used[usedAt[i]] up to
   * used[usedAt[i + 1]], as positions in `issues`. A splice keeps the positions (an issue
   * unpublished since stays listed, unused, until a build resolves every link).
   */
  issues: string[];
  usedAt: Int32Array;
  used: Int32Array;
  /** Per tag, its links as the section lists them: positions in the lists above. */
  tags: Array<[slug: string, order: Int32Array]>;
}

/** The index's file (build/columns.ts ColumnsFile): this header, the three texts and their offsets, the numbers, and the tags' orders one after another. */
interface StoredTagLinksIndex {
  format: number;
  generation: string;
  issues: string[];
  /** The tags' slugs: tag t's order is orders[ordersAt[t]] up to orders[ordersAt[t + 1]]. */
  tags: string[];
}

/** The ids of the issues the index's link `i` is used in. */
function usedIn(index: TagLinksIndex, i: number): string[] {
  const ids: string[] = [];
  for (let u = index.usedAt[i]!; u < index.usedAt[i + 1]!; u++) ids.push(index.issues[index.used[u]!]!);
  return ids;
}

/** Splicing is for a few changed issues: beyond this share of the archive (an import of back-issues, say), every link is resolved. */
const spliceShare = 0.1;
/** However small the archive, this many changed issues are spliced (tests change several at once). */
const spliceAlways = 16;

export interface TagPage {
  tag: { title: string; slug: string; description: string | undefined };
  issues: Listing[];
  /** The digest of the tag's links, as the page lists them. */
  linksDigest: string;
}

/** A published issue as the build planned it. */
interface PlannedIssue {
  id: string;
  key: string;
  listing: Listing;
}

/**
 * A links section inside a stored tag page: the page's key in the page store, the digest of
 * the links the section lists (it holds those, whatever else the record says) and, when
 * known, its length in bytes. It starts at linkSectionFrame's head and ends at the first
 * tail after it (a page reused as it was, its section not read, has no length noted: then
 * the page shows where the section ends).
 */
type Held = [page: string, digest: string, length?: number];

interface TagLinksEntry {
  title: string;
  digest: string;
  /** The stored page that holds the section of these links, when the last build says so. */
  held?: Held | undefined;
  /** Sorted as shown; only when this build resolved the links. */
  links?: TaggedLink[];
  /** When this build spliced the tag's links: where the last section is and its length, and the new section's items, as byte ranges of that section or links to render. */
  splice?: { held: Held | undefined; length: number; pieces: Array<[start: number, end: number] | TaggedLink> };
}

/** The record's page holding a tag's section of the links of `digest`, if well formed. */
function heldOf(value: unknown, digest: string): Held | undefined {
  if (!Array.isArray(value) || typeof value[0] !== 'string' || value[1] !== digest) return undefined;
  if (value.length === 2) return [value[0], digest];
  return Number.isSafeInteger(value[2]) && value[2] >= 0 ? [value[0], digest, value[2] as number] : undefined;
}

const sectionHead = Buffer.from(linkSectionFrame[0]);
const sectionTail = Buffer.from(linkSectionFrame[1]);

/** Splicing's result: the tags' entries, and the links index for the next build (made when saved). */
interface Spliced {
  bySlug: Map<string, TagLinksEntry>;
  index: () => TagLinksIndex;
}

export class TagLinks {
  readonly #file: string;
  readonly #raw: RawContent;
  readonly #listings: Map<string, Listing>;
  readonly #pages: PageStore;
  #bySlug: Map<string, TagLinksEntry>;
  #resolved: TaggedLink[] | undefined;
  readonly #spliced: Spliced | undefined;
  readonly #next: TagLinksRecord;
  /** The length of each section this build made or read, and the page each tag's section is now in. */
  readonly #lengths = new Map<string, number>();
  readonly #holders = new Map<string, Held>();
  /** The links index for the next build, when made before save() (settle). */
  #index: { made: TagLinksIndex | undefined } | undefined;

  private constructor(
    file: string,
    raw: RawContent,
    listings: Map<string, Listing>,
    pages: PageStore,
    bySlug: Map<string, TagLinksEntry>,
    resolved: TaggedLink[] | undefined,
    spliced: Spliced | undefined,
    next: TagLinksRecord,
  ) {
    this.#file = file;
    this.#raw = raw;
    this.#listings = listings;
    this.#pages = pages;
    this.#bySlug = bySlug;
    this.#resolved = resolved;
    this.#spliced = spliced;
    this.#next = next;
  }

  /** The record a build left in `cacheDir` (undefined when there is none, or it is unreadable or of another format). */
  static async read(cacheDir: string): Promise<TagLinksRecord | undefined> {
    try {
      const record = JSON.parse(await fs.readFile(recordFile(cacheDir), 'utf8')) as TagLinksRecord;
      const wellFormed = record.format === recordFormat && typeof record.context === 'string' && typeof record.issues === 'object' && record.issues !== null && Array.isArray(record.tags);
      return wellFormed ? record : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Each tag's links for this build: from the stored record when it shows no issue's use of
   * links changed, spliced when a few did, else resolved from the documents. `context` is
   * the template version and the tag documents' digest.
   */
  static plan(input: { cacheDir: string; record: TagLinksRecord | undefined; context: string; issues: readonly PlannedIssue[]; raw: RawContent; listings: Map<string, Listing>; pages: PageStore }): TagLinks {
    const { record, context, issues, raw } = input;
    const known = record?.context === context ? record : undefined;
    const usages: TagLinksRecord['issues'] = {};
    // The issues whose use of links changed, were published since or are no longer.
    const changed = new Set<string>();
    for (const issue of issues) {
      const was = known && Object.hasOwn(known.issues, issue.id) ? known.issues[issue.id] : undefined;
      const usage = was && was[0] === issue.key ? was[1] : usageDigest(raw.byId.get(issue.id), issue.listing, raw);
      if (usage !== was?.[1]) changed.add(issue.id);
      usages[issue.id] = [issue.key, usage];
    }
    if (known) for (const id of Object.keys(known.issues)) if (!Object.hasOwn(usages, id)) changed.add(id);
    const file = recordFile(input.cacheDir);
    let bySlug: Map<string, TagLinksEntry>;
    let resolved: TaggedLink[] | undefined;
    let spliced: Spliced | undefined;
    if (known && changed.size === 0) bySlug = new Map(known.tags.map(([slug, title, digest]) => [slug, { title, digest }]));
    else {
      if (known?.index !== undefined && changed.size <= Math.max(spliceAlways, issues.length * spliceShare)) {
        const index = readIndex(indexFile(input.cacheDir), known.index);
        spliced = index && splice({ index, known, changed, raw, listings: input.listings });
      }
      if (spliced) bySlug = spliced.bySlug;
      else ({ bySlug, resolved } = resolve(raw, input.listings));
    }
    // A tag whose links are as they were (resolved, spliced or taken from the record): its section is in the page the record names.
    const held = new Map(known?.tags.map(([slug, , , place]) => [slug, place]));
    for (const [slug, entry] of bySlug) entry.held = heldOf(held.get(slug), entry.digest);
    const next: TagLinksRecord = {
      format: recordFormat,
      context,
      issues: usages,
      tags: [...bySlug].map(([slug, e]) => [slug, e.title, e.digest]),
      ...(known && changed.size === 0 && known.index !== undefined ? { index: known.index } : {}),
    };
    return new TagLinks(file, raw, input.listings, input.pages, bySlug, resolved, spliced, next);
  }

  /**
   * The tagged links for the search index: all of them when this build or an earlier one in
   * this process resolved them (the same objects, which its shares are compared by), else a
   * lookup of the ones it asks for. After a splice an issue's use of links has changed since
   * the last build, so what an earlier build in this process resolved is almost surely out
   * of date: the lookup is used without walking every issue's references to find out.
   */
  forSearch(): readonly TaggedLink[] | TaggedLookup {
    return this.#resolved ?? (this.#spliced ? undefined : knownTaggedLinks(this.#raw, this.#listings)) ?? taggedLinkDetails(this.#raw);
  }

  /** Tags that have something to show: issues tagged (or with a section on that topic), and links. By slug. */
  pages(issues: readonly Listing[], tags: ReadonlyArray<{ title: string; slug: string; description?: string | undefined }>): TagPage[] {
    const pages = new Map<string, TagPage>();
    const described = new Map(tags.map((t) => [t.slug, t]));
    const pageFor = (ref: { title: string; slug: string }) => {
      let page = pages.get(ref.slug);
      if (!page) {
        const known = described.get(ref.slug);
        const tag = { title: known?.title ?? ref.title, slug: ref.slug, description: known?.description };
        page = { tag, issues: [], linksDigest: this.#bySlug.get(ref.slug)?.digest ?? noLinks };
        pages.set(ref.slug, page);
      }
      return page;
    };
    for (const issue of issues) {
      const seen = new Set<string>();
      for (const tag of [...issue.tags, ...issue.topics]) {
        if (!isSafeSlug(tag.slug) || seen.has(tag.slug)) continue;
        seen.add(tag.slug);
        pageFor(tag).issues.push(issue);
      }
    }
    for (const [slug, entry] of this.#bySlug) pageFor({ title: entry.title, slug });
    return [...pages.values()].sort((a, b) => compare(a.tag.slug, b.tag.slug));
  }

  /**
   * The tag's links section, as UTF-8 bytes in runs written one after another: from the
   * stored page that holds it, else made (resolving the links if this build has not).
   * Megabytes for a tag of thousands of links, so it is never decoded, nor copied into one
   * buffer: the page is its runs between the rest of the page's (tagPageAround).
   */
  async section(slug: string): Promise<readonly Buffer[]> {
    const entry = this.#bySlug.get(slug);
    if (!entry) return [];
    const held = entry.held && (await this.#sectionIn(entry.held));
    const runs =
      (held && [held]) ?? (entry.splice && (await this.#splicedSection(entry.splice))) ?? [Buffer.from(linkSection(this.#linksOf(slug, entry)))];
    this.#lengths.set(slug, runs.reduce((sum, run) => sum + run.length, 0));
    return runs;
  }

  /** Notes that the tag's page is stored under `page` (its links section in it), for the next build to find the section there. */
  placed(slug: string, page: string): void {
    const entry = this.#bySlug.get(slug);
    if (!entry) return;
    // Made or read now, its section's length is known; else the record's, when it named this page.
    const length = this.#lengths.get(slug) ?? (entry.held?.[0] === page ? entry.held[2] : undefined);
    this.#holders.set(slug, length === undefined ? [page, entry.digest] : [page, entry.digest, length]);
  }

  /** The section a stored page holds (Held), when the page is there (and holds one of the length noted). */
  async #sectionIn([page, , length]: Held): Promise<Buffer | undefined> {
    if (length === 0) return Buffer.alloc(0);
    const bytes = await this.#pages.read(page, { keep: false });
    if (!bytes) return undefined;
    const start = bytes.indexOf(sectionHead);
    // A page shows its section whole, or no section: none when it has no links to show.
    if (start < 0) return length === undefined ? Buffer.alloc(0) : undefined;
    // With its length noted, the section's end is known (and checked below) without searching megabytes for it.
    const tail = length === undefined ? bytes.indexOf(sectionTail, start) : -1;
    const end = length === undefined ? (tail < 0 ? -1 : tail + sectionTail.length) : start + length;
    if (end < 0 || end > bytes.length) return undefined;
    const section = bytes.subarray(start, end);
    return section.subarray(section.length - sectionTail.length).equals(sectionTail) ? section : undefined;
  }

  /**
   * A spliced section: the last section's byte runs and its new links' items, in order.
   * Undefined when that section is gone or not what the index says (then the links are
   * resolved, and must give the digests this build planned with).
   */
  async #splicedSection(splice: NonNullable<TagLinksEntry['splice']>): Promise<Buffer[] | undefined> {
    const from = splice.held && (await this.#sectionIn(splice.held));
    if (from === undefined || from.length !== splice.length) return undefined;
    const parts: Buffer[] = [];
    for (const piece of splice.pieces) {
      if (!Array.isArray(piece)) parts.push(Buffer.from(linkItem(piece)));
      else if (from.toString('latin1', piece[0], piece[0] + 4) !== '<li>' || from.toString('latin1', piece[1] - 5, piece[1]) !== '</li>') return undefined;
      else parts.push(from.subarray(piece[0], piece[1]));
    }
    // No copy: the section's frame and items are written as they are (a tag of thousands of
    // links is megabytes; copying each into one buffer cost a publish 30 ms or more).
    return parts.length === 0 ? [] : [sectionHead, ...parts, sectionTail];
  }

  /**
   * Makes now the links index save() writes, and lets go of the links this build resolved
   * or spliced and of each tag's sort kept for a next build: for a build alone in its
   * process, once every tag page is placed (the search index, which forSearch hands them
   * to, made before). section() must not be called after.
   */
  settle(): void {
    this.#index ??= { made: this.#makeIndex() };
    this.#resolved = undefined;
    // With the sorts goes what web/archive-page.tsx keeps per sorted list (a section's markup) and per link (its item's).
    lastSorts.clear();
    for (const entry of this.#bySlug.values()) {
      delete entry.links;
      delete entry.splice;
    }
  }

  #makeIndex(): TagLinksIndex | undefined {
    return this.#resolved ? makeIndex([...this.#bySlug].map(([slug, e]) => [slug, e.links ?? []]), undefined, this.#listings) : this.#spliced?.index();
  }

  /** Writes the record for the next build, after the links index it names when this build made a new one. */
  async save(): Promise<void> {
    const index = this.#index ? this.#index.made : this.#makeIndex();
    if (index) {
      const generation = randomBytes(9).toString('base64url');
      const cacheDir = path.dirname(this.#file);
      await writeWhole(indexFile(cacheDir), columnsFileParts(storedIndex(index, generation)));
      // The index as JSON, which builds before this format kept.
      await fs.rm(path.join(cacheDir, 'tag-links-index.json'), { force: true });
      this.#next.index = generation;
    }
    this.#next.tags = this.#next.tags.map(([slug, title, digest]) => {
      const held = this.#holders.get(slug);
      return held ? [slug, title, digest, held] : [slug, title, digest];
    });
    await writeRecord(this.#file, this.#next);
  }

  #linksOf(slug: string, entry: TagLinksEntry): TaggedLink[] {
    if (entry.links) return entry.links;
    // Resolved meanwhile for another tag's page (a few are made at once).
    const now = this.#bySlug.get(slug);
    if (now?.links) return now.links;
    // Taken from the record, and its section is not in the page the record names: resolve them now. They
    // must be what the record said, or the page keys this build made would be wrong.
    const { bySlug, resolved } = resolve(this.#raw, this.#listings);
    const same = bySlug.size === this.#bySlug.size && [...bySlug].every(([s, e]) => this.#bySlug.get(s)?.digest === e.digest);
    if (!same) {
      void fs.rm(this.#file, { force: true }).catch(() => undefined);
      throw new NewsdeskError('BUILD_FAILED', `The tag pages' record (${this.#file}) does not match the content`, {
        hint: 'Build again: the record is deleted, and the next build resolves every link.',
      });
    }
    this.#bySlug = bySlug;
    this.#resolved = resolved;
    return bySlug.get(slug)?.links ?? [];
  }
}

/** The digest of a tag without links. */
const noLinks = createHash('sha256').digest('base64url');

function recordFile(cacheDir: string): string {
  return path.join(cacheDir, 'tag-links.json');
}

function indexFile(cacheDir: string): string {
  return path.join(cacheDir, 'tag-links-index.bin');
}

const indexFormat = 5;

/** For tests and benchmarks: how many times this process resolved every tag's links, and spliced them. */
export const tagLinksStats = { resolved: 0, spliced: 0 };

/** The index as its file holds it (StoredTagLinksIndex). */
function storedIndex(index: TagLinksIndex, generation: string): ColumnsFile<StoredTagLinksIndex> {
  const orders = new IntColumnBuilder();
  const ordersAt = new IntColumnBuilder();
  ordersAt.add(0);
  for (const [, order] of index.tags) {
    orders.addAll(order);
    ordersAt.add(orders.length);
  }
  return {
    header: { format: indexFormat, generation, issues: index.issues, tags: index.tags.map(([slug]) => slug) },
    texts: { ids: index.ids.text, sortKeys: index.sortKeys.text, digests: index.digests.text },
    ints: {
      idsAt: index.ids.at,
      sortKeysAt: index.sortKeys.at,
      digestsAt: index.digests.at,
      bytes: index.bytes,
      usedAt: index.usedAt,
      used: index.used,
      orders: orders.done(),
      ordersAt: ordersAt.done(),
    },
  };
}

/** The index a stored one describes, when well formed (any generation). */
function indexOf({ header, texts, ints }: ColumnsFile): TagLinksIndex | undefined {
  const { issues, tags: slugs } = header;
  if (!Array.isArray(issues) || !issues.every(isString) || !Array.isArray(slugs) || !slugs.every(isString)) return undefined;
  const column = (name: string) => {
    const text = texts[name];
    const at = ints[`${name}At`];
    const made = text !== undefined && at ? new TextColumn(text, at) : undefined;
    return made?.wellFormed() ? made : undefined;
  };
  const [ids, sortKeys, digests] = ['ids', 'sortKeys', 'digests'].map(column);
  const { bytes, usedAt, used, orders, ordersAt } = ints;
  if (!ids || !sortKeys || !digests || !bytes || !usedAt || !used || !orders || !ordersAt) return undefined;
  const n = ids.length;
  if (sortKeys.length !== n || digests.length !== n || bytes.length !== n || !wellFormedOffsets(usedAt, n, used.length)) return undefined;
  if (!within(bytes, 2 ** 31) || !within(used, issues.length) || !wellFormedOffsets(ordersAt, slugs.length, orders.length) || !within(orders, n)) return undefined;
  // Each digest ends its line (digestOfLinks hashes runs of them as they are).
  for (let i = 0; i < n; i++) if (digests.at[i + 1]! === digests.at[i]! || digests.text.charCodeAt(digests.at[i + 1]! - 1) !== 10) return undefined;
  const tags = slugs.map((slug, t): [string, Int32Array] => [slug, orders.subarray(ordersAt[t]!, ordersAt[t + 1]!)]);
  return { ids, sortKeys, digests, bytes, issues, usedAt, used, tags };
}

/**
 * The links index in `file`, when it is the one of that generation (any, without one: for tests) and well formed. Read
 * only to splice, in one synchronous read (a few MB for a thousand issues: its parsing
 * costs more).
 */
function readIndex(file: string, generation?: string): TagLinksIndex | undefined {
  try {
    const stored = readColumnsFile(readFileSync(file), (header) => header.format === indexFormat && (generation === undefined || header.generation === generation));
    return stored && indexOf(stored);
  } catch {
    return undefined;
  }
}

/** For tests: the index in `cacheDir` as a list per field (each digest without its newline), whatever its generation; undefined when there is none fit to read. */
export function readTagLinksIndex(cacheDir: string): { ids: string[]; sortKeys: string[]; digests: string[]; bytes: number[]; issues: string[]; usedAt: number[]; used: number[]; tags: Array<[string, number[]]> } | undefined {
  const index = readIndex(indexFile(cacheDir));
  if (!index) return undefined;
  const strings = (column: TextColumn) => Array.from({ length: column.length }, (_, i) => column.get(i));
  return {
    ids: strings(index.ids),
    sortKeys: strings(index.sortKeys),
    digests: strings(index.digests).map((d) => d.slice(0, -1)),
    bytes: [...index.bytes],
    issues: index.issues,
    usedAt: [...index.usedAt],
    used: [...index.used],
    tags: index.tags.map(([slug, order]) => [slug, [...order]]),
  };
}

/**
 * The links index of each tag's links in order (`items`): a link as a TaggedLink, indexed
 * now, or as its position in the last index (`kept`), whose entry is taken as it is. Kept
 * links that follow each other there and here are copied as one run.
 */
function makeIndex(
  items: Iterable<[slug: string, items: ArrayLike<number | TaggedLink>]>,
  kept: TagLinksIndex | undefined,
  listings: Map<string, Listing>,
): TagLinksIndex {
  const idOf = new Map([...listings.values()].map((l) => [l.number, l.id] as const));
  // The last index's issues keep their positions (a kept link's are copied as they are), new ones go after them.
  const issues = [...(kept?.issues ?? [])];
  const issueAt = new Map(issues.map((id, k) => [id, k] as const));
  const issue = (id: string) => {
    let k = issueAt.get(id);
    if (k === undefined) issueAt.set(id, (k = issues.push(id) - 1));
    return k;
  };
  const ids = new TextColumnBuilder();
  const sortKeys = new TextColumnBuilder();
  const digests = new TextColumnBuilder();
  const bytes = new IntColumnBuilder();
  const usedAt = new IntColumnBuilder();
  const used = new IntColumnBuilder();
  usedAt.add(0);
  let count = 0;
  // Where each kept link is now (-1: not yet), and each new one.
  const keptAt = new Int32Array(kept?.ids.length ?? 0).fill(-1);
  const freshAt = new Map<TaggedLink, number>();
  // Kept links placed and not yet copied: positions runFrom up to runTo of the last index.
  let runFrom = 0;
  let runTo = 0;
  const copyRun = () => {
    if (runTo === runFrom) return;
    ids.addRun(kept!.ids, runFrom, runTo);
    sortKeys.addRun(kept!.sortKeys, runFrom, runTo);
    digests.addRun(kept!.digests, runFrom, runTo);
    const shift = used.length - kept!.usedAt[runFrom]!;
    for (let i = runFrom; i < runTo; i++) bytes.add(kept!.bytes[i]!);
    for (let u = kept!.usedAt[runFrom]!; u < kept!.usedAt[runTo]!; u++) used.add(kept!.used[u]!);
    for (let i = runFrom + 1; i <= runTo; i++) usedAt.add(kept!.usedAt[i]! + shift);
    runFrom = runTo;
  };
  const position = (item: number | TaggedLink): number => {
    if (typeof item === 'number') {
      let i = keptAt[item]!;
      if (i < 0) {
        if (item !== runTo) {
          copyRun();
          runFrom = runTo = item;
        }
        runTo++;
        keptAt[item] = i = count++;
      }
      return i;
    }
    let i = freshAt.get(item);
    if (i === undefined) {
      copyRun();
      freshAt.set(item, (i = count++));
      ids.add(item.id);
      sortKeys.add(sortKey(item));
      digests.add(`${linkDigest(item)}\n`);
      bytes.add(Buffer.byteLength(linkItem(item)));
      for (const use of item.usedIn) used.add(issue(idOf.get(use.number)!));
      usedAt.add(used.length);
    }
    return i;
  };
  const tags: TagLinksIndex['tags'] = [];
  for (const [slug, order] of items) {
    const positions = new Int32Array(order.length);
    for (let k = 0; k < order.length; k++) positions[k] = position(order[k]!);
    tags.push([slug, positions]);
  }
  copyRun();
  return { ids: ids.done(), sortKeys: sortKeys.done(), digests: digests.done(), bytes: bytes.done(), issues, usedAt: usedAt.done(), used: used.done(), tags };
}

/**
 * Each tag's links after `changed` issues changed their use of links, from the last build's
 * index: only the links those issues use or used are resolved. Undefined when the index
 * cannot say (an issue it names is gone unnoticed, or two tag documents share a slug under
 * different titles, which resolving settles by document order): then every link is resolved.
 */
function splice(input: { index: TagLinksIndex; known: TagLinksRecord; changed: Set<string>; raw: RawContent; listings: Map<string, Listing> }): Spliced | undefined {
  const { index, known, changed, raw, listings } = input;
  const titles = new Map<string, string>();
  for (const doc of tagDocumentsOf(raw)) {
    const { title, slug } = doc as { title?: unknown; slug?: { current?: unknown } };
    if (typeof title !== 'string' || typeof slug?.current !== 'string') continue;
    if ((titles.get(slug.current) ?? title) !== title) return undefined;
    titles.set(slug.current, title);
  }
  // The links the changed issues use now, with those issues; and the ones they used.
  const usedNow = new Map<string, string[]>();
  for (const id of changed) {
    const doc = raw.byId.get(id);
    if (!doc || !listings.has(id)) continue;
    for (const ref of referencesOf(doc)) {
      if (raw.byId.get(ref)?._type !== 'link') continue;
      const list = usedNow.get(ref);
      if (list) list.push(id);
      else usedNow.set(ref, [id]);
    }
  }
  // Where in the index the affected links are (only theirs: the index holds every tagged link of the archive).
  const position = new Map<string, number>();
  const affected = new Set(usedNow.keys());
  const changedAt = new Set<number>();
  index.issues.forEach((id, k) => changed.has(id) && changedAt.add(k));
  const usedByChanged = (i: number) => {
    for (let u = index.usedAt[i]!; u < index.usedAt[i + 1]!; u++) if (changedAt.has(index.used[u]!)) return true;
    return false;
  };
  const affectedAt = new Uint8Array(index.ids.length);
  for (let i = 0; i < index.ids.length; i++) {
    if (!usedByChanged(i) && !usedNow.has(index.ids.get(i))) continue;
    const id = index.ids.get(i);
    affected.add(id);
    position.set(id, i);
    affectedAt[i] = 1;
  }
  const tagRef = tagResolver(raw);
  const made: TaggedLink[] = [];
  for (const id of affected) {
    const at = position.get(id);
    const users = [...(at === undefined ? [] : usedIn(index, at).filter((issue) => !changed.has(issue))), ...(usedNow.get(id) ?? [])];
    const uses: Array<{ number: number; title: string }> = [];
    for (const issue of users) {
      const listing = listings.get(issue);
      if (!listing) return undefined;
      uses.push({ number: listing.number, title: listing.title });
    }
    const doc = raw.byId.get(id);
    const link = uses.length > 0 && doc?._type === 'link' ? taggedLinkOf(id, doc, uses, tagRef) : undefined;
    if (link) made.push(link);
  }

  // Each tag's new links, sorted as shown (a link names a tag as often as it carries it, as resolve() lists it).
  const added = new Map<string, TaggedLink[]>();
  for (const link of made) {
    for (const tag of link.tags) {
      if (!isSafeSlug(tag.slug)) continue;
      const list = added.get(tag.slug);
      if (list) list.push(link);
      else added.set(tag.slug, [link]);
    }
  }
  const recorded = new Map(known.tags.map(([slug, title, digest, held]) => [slug, { title, digest, held: heldOf(held, digest) }] as const));
  const bySlug = new Map<string, TagLinksEntry>();
  const order = new Map<string, ArrayLike<number | TaggedLink>>();
  const headBytes = Buffer.byteLength(linkSectionFrame[0]);
  const frameBytes = headBytes + Buffer.byteLength(linkSectionFrame[1]);
  const slugs = new Set([...index.tags.map(([slug]) => slug), ...added.keys()]);
  const oldOrder = new Map(index.tags);
  // Each link's offset in the tag's stored section, by its position in the index (set per tag for the links it lists).
  const offsets = new Float64Array(index.ids.length);
  for (const slug of slugs) {
    const was = oldOrder.get(slug) ?? new Int32Array(0);
    const kept = was.filter((i) => affectedAt[i] === 0);
    const fresh = (added.get(slug) ?? []).sort(byShownOrder);
    if (kept.length === was.length && fresh.length === 0) {
      // Untouched: as the record says.
      const entry = recorded.get(slug);
      if (!entry) return undefined;
      bySlug.set(slug, { title: entry.title, digest: entry.digest });
      order.set(slug, was);
      continue;
    }
    // Merged in shown order; the unchanged links' items are byte runs of the stored section.
    const merged: Array<number | TaggedLink> = [];
    let k = 0;
    for (const link of fresh) {
      // The first kept link shown after it (kept is in shown order).
      let after = kept.length;
      for (let lo = k; lo < after; ) {
        const mid = (lo + after) >>> 1;
        if (compareShown(index, kept[mid]!, link) <= 0) lo = mid + 1;
        else after = mid;
      }
      while (k < after) merged.push(kept[k++]!);
      merged.push(link);
    }
    while (k < kept.length) merged.push(kept[k++]!);
    if (merged.length === 0) continue;
    let length = 0;
    for (const i of was) {
      offsets[i] = length;
      length += index.bytes[i]!;
    }
    const from = recorded.get(slug);
    // A tag the index lists and the record does not: they do not describe the same build.
    if (!from && kept.length > 0) return undefined;
    const base = length > 0 ? headBytes : 0;
    const pieces: Array<[number, number] | TaggedLink> = [];
    for (const item of merged) {
      if (typeof item !== 'number') {
        pieces.push(item);
        continue;
      }
      const bytes = index.bytes[item]!;
      if (bytes === 0) continue;
      const start = base + offsets[item]!;
      const last = pieces.at(-1);
      if (Array.isArray(last) && last[1] === start) last[1] = start + bytes;
      else pieces.push([start, start + bytes]);
    }
    const title = from?.title ?? titles.get(slug) ?? fresh[0]!.tags.find((t) => t.slug === slug)!.title;
    const splice = from ? { held: from.held, length: length > 0 ? length + frameBytes : 0, pieces } : undefined;
    const digest = splicedDigest(index, merged);
    bySlug.set(slug, { title, digest, ...(splice && kept.length > 0 ? { splice } : { links: merged as TaggedLink[] }) });
    order.set(slug, merged);
  }

  tagLinksStats.spliced++;
  return {
    bySlug,
    // The unchanged links keep their entries; the changed ones are indexed anew.
    index: () => makeIndex([...order].filter(([slug]) => bySlug.has(slug)), index, listings),
  };
}

/** digestOfLinks of a spliced tag's links: the kept ones' digests a run of the index at a time. */
function splicedDigest(index: TagLinksIndex, merged: ReadonlyArray<number | TaggedLink>): string {
  let text = '';
  let runFrom = 0;
  let runTo = 0;
  for (const item of merged) {
    if (typeof item === 'number' && item === runTo && runTo > runFrom) {
      runTo++;
      continue;
    }
    if (runTo > runFrom) text += index.digests.run(runFrom, runTo);
    if (typeof item === 'number') {
      runFrom = item;
      runTo = item + 1;
    } else {
      runFrom = runTo = 0;
      text += `${linkDigest(item)}\n`;
    }
  }
  if (runTo > runFrom) text += index.digests.run(runFrom, runTo);
  return hash('sha256', text, 'base64url');
}

/** The order a tag page lists links in: by title (else URL), then id, in code points. */
function byShownOrder(a: TaggedLink, b: TaggedLink): number {
  return compare(sortKey(a), sortKey(b)) || compare(a.id, b.id);
}

/** byShownOrder between the index's link `a` (a position) and `b`. */
function compareShown(index: TagLinksIndex, a: number, b: TaggedLink): number {
  return compare(index.sortKeys.get(a), sortKey(b)) || compare(index.ids.get(a), b.id);
}

function sortKey(link: TaggedLink): string {
  return link.title ?? link.url;
}

/** Every tag's links, resolved from the documents: sorted as the page lists them, with their digest. */
function resolve(raw: RawContent, listings: Map<string, Listing>): { bySlug: Map<string, TagLinksEntry>; resolved: TaggedLink[] } {
  tagLinksStats.resolved++;
  const resolved = taggedLinks(raw, listings);
  const bySlug = new Map<string, TagLinksEntry & { links: TaggedLink[] }>();
  for (const link of resolved) {
    for (const tag of link.tags) {
      if (!isSafeSlug(tag.slug)) continue;
      const entry = bySlug.get(tag.slug);
      if (entry) entry.links.push(link);
      else bySlug.set(tag.slug, { title: tag.title, digest: '', links: [link] });
    }
  }
  for (const [slug, entry] of bySlug) {
    entry.links = sortedLinks(slug, entry.links);
    entry.digest = linksDigest(entry.links);
  }
  return { bySlug, resolved };
}

/** What an issue's use of links depends on: its number and title, and every document it references. */
function usageDigest(doc: SanityDocument | undefined, listing: Listing, raw: RawContent): string {
  const hasher = createHash('sha256').update(JSON.stringify([listing.number, listing.title]));
  for (const id of doc ? referencesOf(doc) : []) {
    const ref = raw.byId.get(id);
    hasher.update(`\n${id}:${ref ? documentDigest(ref) : '-'}`);
  }
  return hasher.digest('base64url');
}

/**
 * The digest of a tag's links (of their digests, in order), remembered per sorted array:
 * sources.ts hands out the same link objects while nothing about them changed, so a
 * server's rebuild after an unrelated edit does not serialise tens of thousands of links again.
 */
const linksDigests = new WeakMap<readonly TaggedLink[], string>();

function linksDigest(links: readonly TaggedLink[]): string {
  let digest = linksDigests.get(links);
  if (digest === undefined) linksDigests.set(links, (digest = digestOfLinks(links.map(linkDigest))));
  return digest;
}

/** A tag's digest from its links' digests in order: the same whether the links were resolved or spliced. */
function digestOfLinks(digests: readonly string[]): string {
  // The same bytes as an update per digest, in one call (a call costs more than hashing a digest).
  let text = '';
  for (const digest of digests) text += `${digest}\n`;
  return hash('sha256', text, 'base64url');
}

const linkDigests = new WeakMap<TaggedLink, string>();

/**
 * A link's digest: of everything about it a tag page shows or the index keeps. Its first 72
 * bits (base64url): the index keeps one per tagged link, and the full digest made it
 * megabytes more to read and write again at every publish.
 */
function linkDigest(link: TaggedLink): string {
  let digest = linkDigests.get(link);
  if (digest === undefined) linkDigests.set(link, (digest = hash('sha256', JSON.stringify(link), 'base64url').slice(0, 12)));
  return digest;
}

/**
 * The last sort per tag: sources.ts hands out the same link objects in the same order
 * while nothing about them changed, so a rebuild after an unrelated edit skips sorting
 * tens of thousands of links again.
 */
const lastSorts = new Map<string, { input: TaggedLink[]; sorted: TaggedLink[] }>();

/** Lets go of each tag's sort kept for a next build. */
export function forgetTagSorts(): void {
  lastSorts.clear();
}

function sortedLinks(slug: string, links: TaggedLink[]): TaggedLink[] {
  const last = lastSorts.get(slug);
  if (last && last.input.length === links.length && last.input.every((link, i) => link === links[i])) return last.sorted;
  const sorted = [...links].sort(byShownOrder);
  lastSorts.set(slug, { input: links, sorted });
  return sorted;
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
