// Tag pages: each tag's issues, and the links published issues use that carry the tag
// (sources.ts taggedLinks). The links are most of the work: resolving them walks every
// reference of every issue, and a tag's links section is megabytes of markup. So each
// tag's links are known by a digest, a tag page is stored (PageStore) under a key made
// with that digest, and its links section under the digest alone.
//
// A build records (build-cache/tag-links.json), per published issue, a digest of all its
// use of links depends on: its number, its title and every document it references (the
// tag documents are in the record's context). When every issue's digest is what the
// record says, or its cache key is (the key covers all of that and more), every tag's
// links are what they were, and a new process (`newsdesk build` after an edit) takes
// their digests from the record without resolving a single link. A page it must render
// (the tags of an issue whose summary changed) takes its links section from the store.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { documentDigest } from '../content/document-digest.ts';
import type { SanityDocument } from '../content/store.ts';
import { NewsdeskError } from '../core/errors.ts';
import { linkSection } from '../web/archive-page.tsx';
import { isSafeSlug } from '../web/site.ts';
import { writeRecord, type PageStore } from './cache.ts';
import type { TaggedLookup } from './search-index.ts';
import { knownTaggedLinks, referencesOf, taggedLinkDetails, taggedLinks, type Listing, type RawContent, type TaggedLink } from './sources.ts';

const recordFormat = 1;

interface TagLinksRecord {
  format: number;
  /** The template version and the tag documents' digest (search-index.ts tagDigest). */
  context: string;
  /** Per published issue, by document id: its cache key and the digest of its use of links. */
  issues: Record<string, [key: string, usage: string]>;
  /** Per tag that has links: its slug, its title as the links name it, the digest of its links. */
  tags: Array<[slug: string, title: string, digest: string]>;
}

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

interface TagLinksEntry {
  title: string;
  digest: string;
  /** Sorted as shown; only when this build resolved the links. */
  links?: TaggedLink[];
}

export class TagLinks {
  readonly #file: string;
  readonly #raw: RawContent;
  readonly #listings: Map<string, Listing>;
  readonly #pages: PageStore;
  #bySlug: Map<string, TagLinksEntry>;
  #resolved: TaggedLink[] | undefined;
  readonly #next: TagLinksRecord;

  private constructor(file: string, raw: RawContent, listings: Map<string, Listing>, pages: PageStore, bySlug: Map<string, TagLinksEntry>, resolved: TaggedLink[] | undefined, next: TagLinksRecord) {
    this.#file = file;
    this.#raw = raw;
    this.#listings = listings;
    this.#pages = pages;
    this.#bySlug = bySlug;
    this.#resolved = resolved;
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
   * Each tag's links for this build: from `record` when it shows no issue's use of links
   * changed, else resolved from the documents. `context` is the template version and the
   * tag documents' digest.
   */
  static plan(input: { cacheDir: string; record: TagLinksRecord | undefined; context: string; issues: readonly PlannedIssue[]; raw: RawContent; listings: Map<string, Listing>; pages: PageStore }): TagLinks {
    const { record, context, issues, raw } = input;
    const known = record?.context === context ? record : undefined;
    let same = known !== undefined && Object.keys(known.issues).length === issues.length;
    const usages: TagLinksRecord['issues'] = {};
    for (const issue of issues) {
      const was = known?.issues[issue.id];
      const usage = was && was[0] === issue.key ? was[1] : usageDigest(raw.byId.get(issue.id), issue.listing, raw);
      if (usage !== was?.[1]) same = false;
      usages[issue.id] = [issue.key, usage];
    }
    const file = recordFile(input.cacheDir);
    let bySlug: Map<string, TagLinksEntry>;
    let resolved: TaggedLink[] | undefined;
    if (same) bySlug = new Map(known!.tags.map(([slug, title, digest]) => [slug, { title, digest }]));
    else ({ bySlug, resolved } = resolve(raw, input.listings));
    const next: TagLinksRecord = { format: recordFormat, context, issues: usages, tags: [...bySlug].map(([slug, e]) => [slug, e.title, e.digest]) };
    const plan = new TagLinks(file, raw, input.listings, input.pages, bySlug, resolved, next);
    // Every section this build's pages show stays in the store, rendered now or not.
    for (const entry of bySlug.values()) input.pages.keep(plan.#sectionKey(entry));
    return plan;
  }

  /**
   * The tagged links for the search index: all of them when this build or an earlier one in
   * this process resolved them (the same objects, which its shares are compared by), else a
   * lookup of the ones it asks for.
   */
  forSearch(): readonly TaggedLink[] | TaggedLookup {
    return this.#resolved ?? knownTaggedLinks(this.#raw, this.#listings) ?? taggedLinkDetails(this.#raw);
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
   * The tag's links section, as UTF-8 bytes: from the page store, else made (resolving the
   * links if this build has not) and stored. Megabytes for a tag of thousands of links, so
   * it is never decoded: the page is its bytes between the rest of the page's (tagPageAround).
   */
  async section(slug: string): Promise<Buffer> {
    const entry = this.#bySlug.get(slug);
    if (!entry) return Buffer.alloc(0);
    const key = this.#sectionKey(entry);
    const stored = await this.#pages.read(key);
    if (stored !== undefined) return stored;
    const bytes = Buffer.from(linkSection(this.#linksOf(slug, entry)));
    await this.#pages.write(key, bytes);
    return bytes;
  }

  /** Writes the record for the next build. */
  save(): Promise<void> {
    return writeRecord(this.#file, this.#next);
  }

  #sectionKey(entry: TagLinksEntry): string {
    return this.#pages.keyOf('#tag-links', JSON.stringify(entry.digest));
  }

  #linksOf(slug: string, entry: TagLinksEntry): TaggedLink[] {
    if (entry.links) return entry.links;
    // Taken from the record, and its section is not in the store: resolve them now. They
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

/** For tests and benchmarks: how many times this process resolved every tag's links. */
export const tagLinksStats = { resolved: 0 };

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
  const hash = createHash('sha256').update(JSON.stringify([listing.number, listing.title]));
  for (const id of doc ? referencesOf(doc) : []) {
    const ref = raw.byId.get(id);
    hash.update(`\n${id}:${ref ? documentDigest(ref) : '-'}`);
  }
  return hash.digest('base64url');
}

/**
 * The digest of a tag's links, remembered per sorted array: sources.ts hands out the same
 * link objects while nothing about them changed, so a server's rebuild after an unrelated
 * edit does not serialise tens of thousands of links again.
 */
const linksDigests = new WeakMap<readonly TaggedLink[], string>();

function linksDigest(links: readonly TaggedLink[]): string {
  let digest = linksDigests.get(links);
  if (digest === undefined) {
    // Link by link: a tag's links as one JSON string would be tens of MB at once.
    const hash = createHash('sha256');
    for (const link of links) hash.update(JSON.stringify(link)).update('\n');
    linksDigests.set(links, (digest = hash.digest('base64url')));
  }
  return digest;
}

/**
 * The last sort per tag: sources.ts hands out the same link objects in the same order
 * while nothing about them changed, so a rebuild after an unrelated edit skips sorting
 * tens of thousands of links again.
 */
const lastSorts = new Map<string, { input: TaggedLink[]; sorted: TaggedLink[] }>();

function sortedLinks(slug: string, links: TaggedLink[]): TaggedLink[] {
  const last = lastSorts.get(slug);
  if (last && last.input.length === links.length && last.input.every((link, i) => link === links[i])) return last.sorted;
  const sorted = [...links].sort((a, b) => compare(a.title ?? a.url, b.title ?? b.url) || compare(a.id, b.id));
  lastSorts.set(slug, { input: links, sorted });
  return sorted;
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
