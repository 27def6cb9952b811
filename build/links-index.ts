// Every link the published issues carry, for the /links/ pages and the topic feeds: one
// entry per page (the de-duplication key of content/normalize-url.ts), whether issues
// use a captured link document (link annotation or link card) or type the address inline
// (externalLink), with each issue it appeared in and the editor's words around it. Built
// from the raw published documents the build already holds, with the shared walk of
// content/used-in.ts; what each issue contributes is remembered per document object, and
// an entry whose contributions did not change is handed out again as the same object, so
// a rebuild after a publish re-renders only the pages whose links changed.
import { hash } from 'node:crypto';
import { asciiJson } from '../core/ascii-json.ts';
import { normaliseUrl } from '../content/normalize-url.ts';
import { slugify } from '../content/rules.ts';
import type { SanityDocument } from '../content/store.ts';
import { collectReferences } from '../content/used-in.ts';
import { isSafeSlug } from '../web/site.ts';
import { IntColumnBuilder, TextColumnBuilder } from './columns.ts';
import { shortDigestLength, type LinksOutline } from './links-outline.ts';
import { linkFieldsOf, tagDocumentsOf, type Listing, type RawContent } from './sources.ts';
import { NewsdeskError } from '../core/errors.ts';

export interface TagName {
  title: string;
  slug: string;
}

/** One issue a link appeared in (the first place in that issue). */
export interface LinkUse {
  number: number;
  slug: string;
  title: string;
  date: string;
  /** The anchor of the section the link sits in on the issue page, if any. */
  anchor: string | undefined;
  /** Plain text: the sentence (or paragraph) around the link, a card's comment, or the link's description. */
  words: string;
}

export interface PublishedLink {
  /** The de-duplication key (normaliseUrl). */
  key: string;
  /** A short stable id for the link's anchor on list pages. */
  id: string;
  url: string;
  /** The link document's title, else the text the editor linked. */
  title: string;
  siteName: string | undefined;
  description: string | undefined;
  /** Host name without "www.", for the domain pages; undefined when unfit for a folder name. */
  domain: string | undefined;
  /** The link document's tags and the topics of the sections it sat in, safe slugs only. */
  tags: TagName[];
  /** Oldest first, one per issue. */
  uses: LinkUse[];
}

/** A section with a topic, for the topic feeds. */
export interface TopicSection {
  tag: TagName;
  number: number;
  slug: string;
  title: string;
  date: string;
  heading: string;
  anchor: string;
  /** Plain-text paragraphs. */
  paragraphs: string[];
}

export interface LinksIndex {
  /** Oldest first: by the issue a link first appeared in, then by its place in that issue. */
  links: PublishedLink[];
  sections: TopicSection[];
}

/** Lets other work run (a build's worker threads wait for the main thread to hand out issues). */
export type Pause = () => Promise<void>;
const noPause: Pause = () => Promise.resolve();

/** Longest run of editor's words kept for one use; longer paragraphs are cut around the link. */
const maxWords = 320;

/**
 * What one issue links to, block by block: each block with a target (a document id or an
 * href) has its section (-1: none) and where its targets end in the three lists, which hold
 * each target of a block once, in the order first met, with the words around it (a card's
 * may be "": the link's description stands in) and the text the editor linked (for links
 * that have no document title). Lists for the whole issue, not objects and maps per block:
 * a build keeps the walks of its new issues from their listing to the links step
 * (rememberWalk), and a map or an object a block or target made 1,000 issues' walks take
 * tens of megabytes more.
 */
interface IssueWalk {
  blockSections: number[];
  blockEnds: number[];
  targets: string[];
  words: string[];
  texts: Array<string | undefined>;
  sections: Array<{ heading: string; anchor: string; topicRef: string | undefined; paragraphs: string[] }>;
}

/** Walks made while an issue document was parsed for another reason (rememberWalk), until its contributions are worked out. */
const walks = new WeakMap<SanityDocument, IssueWalk>();

/**
 * Walks an issue document now, for the links index: a build lists a new or changed issue
 * from its document (build/sources.ts projectListings), and a lazy document read now is
 * parsed already, where the links step would parse it again.
 */
export function rememberWalk(doc: SanityDocument): void {
  walks.set(doc, walkIssue(doc));
}

/** What one issue document links to, block by block (kept only until its contributions are resolved). */
function walkIssue(doc: SanityDocument): IssueWalk {
  const walk: IssueWalk = { blockSections: [], blockEnds: [], targets: [], words: [], texts: [], sections: [] };
  const record = (blocks: unknown, section: number | undefined, paragraphs?: string[]) => {
    for (const block of Array.isArray(blocks) ? blocks : []) {
      const from = walk.targets.length;
      blockTargets(block, walk);
      if (walk.targets.length > from) {
        walk.blockSections.push(section ?? -1);
        walk.blockEnds.push(walk.targets.length);
      }
      if (paragraphs) {
        const text = blockText(block);
        if (text) paragraphs.push(text);
      }
    }
  };
  const raw = doc as { intro?: unknown; sections?: unknown; signOff?: unknown };
  record(raw.intro, undefined);
  const sections = Array.isArray(raw.sections) ? (raw.sections as Array<Record<string, unknown>>) : [];
  // The same anchors the issue page gives its sections (web/issue-page.tsx sectionAnchors).
  const seen = new Set<string>();
  sections.forEach((section, i) => {
    const heading = typeof section?.heading === 'string' ? section.heading.trim() : '';
    const base = slugify(heading) || `section-${i + 1}`;
    let anchor = base;
    for (let n = 2; seen.has(anchor); n++) anchor = `${base}-${n}`;
    seen.add(anchor);
    const topic = section?.topic as { _ref?: unknown } | undefined;
    const entry = { heading, anchor, topicRef: typeof topic?._ref === 'string' ? topic._ref : undefined, paragraphs: [] as string[] };
    walk.sections.push(entry);
    record(section?.body, i, entry.topicRef ? entry.paragraphs : undefined);
  });
  record(raw.signOff, undefined);
  return walk;
}

type RawBlock = { _type?: unknown; children?: unknown; markDefs?: unknown; body?: unknown; link?: { _ref?: unknown }; comment?: unknown; caption?: unknown };

/**
 * The plain text of a block as the issue page reads: its spans, an editorial note as
 * "[… —Ed.]" (inline or as a block), a card's comment, an image's caption.
 */
function blockText(block: unknown): string {
  const b = (block ?? {}) as RawBlock & { signature?: unknown };
  let text = '';
  if (b._type === 'block' && Array.isArray(b.children)) {
    for (const child of b.children as Array<{ _type?: unknown; text?: unknown; body?: unknown }>) {
      if (typeof child?.text === 'string') text += child.text;
      else if (child?._type === 'editorialNote') text += blockText(child);
    }
  } else if (b._type === 'editorialNote' && Array.isArray(b.body)) {
    text = `[${(b.body as unknown[]).map(blockText).join(' ')} \u2014${typeof b.signature === 'string' && b.signature ? b.signature : 'Ed.'}]`;
  } else if (b._type === 'linkCard' && typeof b.comment === 'string') {
    text = b.comment;
  } else if (b._type === 'image' && typeof b.caption === 'string') {
    text = b.caption;
  }
  return collapseSpaces(text);
}

/** Runs of white space as one space, none at either end: `text.replace(/\s+/g, ' ').trim()`, without copying a text that is so already (most are). */
export function collapseSpaces(text: string): string {
  return needsCollapsing.test(text) ? text.replace(/\s+/g, ' ').trim() : text;
}
/** White space other than a lone inner space (\s as replace and trim see it). */
const needsCollapsing = /[^\S ]|^ | $| {2}/;

/** Adds a block's targets to the walk's lists (IssueWalk), after those of the blocks before it. */
function blockTargets(block: unknown, walk: IssueWalk): void {
  const from = walk.targets.length;
  // A target met again in the block takes the words and text of its last use, where it was first met (as a map's set).
  const setTarget = (target: string, words: string, text: string | undefined) => {
    const at = walk.targets.indexOf(target, from);
    if (at < 0) {
      walk.targets.push(target);
      walk.words.push(words);
      walk.texts.push(text);
    } else {
      walk.words[at] = words;
      if (text !== undefined) walk.texts[at] = text;
    }
  };
  const b = (block ?? {}) as RawBlock;
  if (b._type === 'image') return;
  if (b._type === 'linkCard') {
    const ref = b.link?._ref;
    if (typeof ref === 'string') setTarget(ref, typeof b.comment === 'string' ? collapseSpaces(b.comment) : '', undefined);
    return;
  }
  // The shared walk finds every reference and external link, in inline notes too.
  const hrefs = new Set<string>();
  const refs = collectReferences(block, new Set(), { hrefs });
  if (refs.size === 0 && hrefs.size === 0) return;
  const text = blockText(block);
  // Where each annotation sits, for the sentence around it: the text of the spans it marks.
  const linked = new Map<string, string>();
  for (const part of [b, ...(Array.isArray(b.children) ? (b.children as RawBlock[]) : []), ...(Array.isArray(b.body) ? (b.body as RawBlock[]) : [])]) {
    const markDefs = Array.isArray(part?.markDefs) ? (part.markDefs as Array<{ _key?: unknown; _type?: unknown; href?: unknown; reference?: { _ref?: unknown } }>) : [];
    const spans = Array.isArray(part?.children) ? (part.children as Array<{ text?: unknown; marks?: unknown }>) : [];
    for (const def of markDefs) {
      const target = def._type === 'externalLink' ? def.href : def.reference?._ref;
      if (typeof target !== 'string' || linked.has(target)) continue;
      const marked = spans
        .filter((s) => Array.isArray(s.marks) && s.marks.includes(def._key))
        .map((s) => (typeof s.text === 'string' ? s.text : ''))
        .join('');
      linked.set(target, collapseSpaces(marked));
    }
  }
  const around = wordsIn(text);
  for (const target of [...refs, ...hrefs]) {
    if (typeof target !== 'string') continue;
    const marked = linked.get(target) ?? '';
    setTarget(target, around(marked), marked || undefined);
  }
}

/** The sentence holding `marked` (with its neighbours while short), else the start of the paragraph, at most maxWords characters. */
export function wordsAround(text: string, marked: string): string {
  return wordsIn(text)(marked);
}

/** wordsAround for each link of one paragraph: its sentences are found once, when the first link needs them. */
function wordsIn(text: string): (marked: string) => string {
  if (text.length <= maxWords) return () => text;
  let sentences: string[] | undefined;
  return (marked) => wordsAmong((sentences ??= text.split(/(?<=[.!?…])\s+/)), marked);
}

function wordsAmong(sentences: readonly string[], marked: string): string {
  let at = marked ? sentences.findIndex((s) => s.includes(marked)) : -1;
  if (at < 0) at = 0;
  const [from, to] = sentenceRun(sentences, at);
  let words = sentences.slice(from, to).join(' ');
  if (words.length > maxWords) {
    const centre = marked ? Math.max(0, words.indexOf(marked)) : 0;
    const start = Math.max(0, Math.min(centre - maxWords / 3, words.length - maxWords));
    const cut = words.slice(start, start + maxWords);
    words = `${start > 0 ? '…' : ''}${cut.trim()}${start + maxWords < words.length ? '…' : ''}`;
  } else {
    words = `${from > 0 ? '… ' : ''}${words}${to < sentences.length ? ' …' : ''}`;
  }
  return words;
}

/**
 * The sentences wordsAround keeps around sentences[at], as [from, to): the run grows by a
 * sentence after, else one before, while it is shorter than half of maxWords and the next
 * one fits (its length joined with spaces is counted, not made).
 */
export function sentenceRun(sentences: readonly string[], at: number): [from: number, to: number] {
  let from = at;
  let to = at + 1;
  let length = sentences[at]!.length;
  while (length < maxWords / 2 && (from > 0 || to < sentences.length)) {
    if (to < sentences.length && length + 1 + sentences[to]!.length <= maxWords) length += 1 + sentences[to++]!.length;
    else if (from > 0 && length + 1 + sentences[from - 1]!.length <= maxWords) length += 1 + sentences[--from]!.length;
    else break;
  }
  return [from, to];
}

/** "example.com" from a host such as "www.example.com:8080"; undefined when it is no plain name (IPv6, underscores). */
export function domainOf(hostAndPort: string): string | undefined {
  const host = hostAndPort.replace(/:\d*$/, '').replace(/\.+$/, '').replace(/^www\./, '');
  return host.length <= 253 && /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/.test(host) ? host : undefined;
}

/** A short, stable anchor id from the key (FNV-1a, base 36): the same link keeps its anchor from build to build. */
function anchorId(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return `l-${(h >>> 0).toString(36)}`;
}

/** Where a URL leads, worked out once per address: its de-duplication key, anchor id and domain. */
interface Address {
  url: string;
  key: string;
  id: string;
  domain: string | undefined;
}

const addresses = new Map<string, Address | null>();

function addressOf(url: string): Address | undefined {
  let address = addresses.get(url);
  if (address === undefined) {
    let key: string | undefined;
    try {
      key = normaliseUrl(url);
    } catch {
      key = undefined;
    }
    // The key's host is the URL's, lower-cased: read it there instead of parsing the URL again.
    address = key ? { url, key, id: anchorId(key), domain: domainOf(/^https?:\/\/([^/?#]*)/.exec(key)?.[1] ?? '') } : null;
    // The memo only needs the addresses of the current archive; start again when it grows far past any.
    if (addresses.size > 1_000_000) addresses.clear();
    addresses.set(url, address);
  }
  return address ?? undefined;
}

/** One place an issue links a page: what the entry for its key is built from. */
interface Contribution {
  /** The address's de-duplication key (address.key), which a kept contribution holds without reading the rest. */
  key: string;
  address: Address;
  doc: LinkDoc | undefined;
  /** The text the editor linked. */
  text: string | undefined;
  words: string;
  topic: TagName | undefined;
  listing: Listing;
  anchor: string | undefined;
  /** From a kept share: the digest of the entry for this contribution's key (see entryDigest), and the cache keys of the issues it was made from when other contributions made it too. */
  digest?: string | undefined;
  issues?: string[] | undefined;
}

interface LinkDoc {
  url?: unknown;
  title?: unknown;
  siteName?: unknown;
  description?: unknown;
  tags?: unknown;
}

/**
 * An issue's contributions, remembered per issue document object with what they were
 * resolved from (the listing, the link and tag documents they name): a rebuild resolves
 * again only the issues that changed, and hands the same contribution objects out for the
 * others, so an entry whose contributions are all the same objects is reused as is.
 */
interface IssueContributions {
  listing: Listing;
  /**
   * The ids of the documents they were resolved from, and those documents then (undefined:
   * none had the id), which only a later build in the same process asks for: a kept share
   * looks them up then, in the documents of the build that read it (a new process reads a
   * thousand shares and looks up none), or when the next build starts (settleEarlierBuilds).
   */
  depIds: readonly string[];
  depDocs: () => ReadonlyArray<SanityDocument | undefined>;
  contributions: Contribution[];
  /** The sections that name a topic (for the topic feeds). */
  topics: IssueWalk['sections'];
}
const resolved = new WeakMap<object, IssueContributions>();

/**
 * An issue's share as the build cache keeps it, by the issue's cache key (which covers the
 * issue and every document it references; the tag documents are the links context's):
 * what contributionsOf resolves, without the documents, so a new process rebuilds the
 * links index from the unchanged issues' shares without walking (or even parsing) them.
 * It is what places an entry (its key, site, tags and digest: StoredShare), one JSON text,
 * then what only a rendered entry or a topic feed shows (its words, title, address; a topic
 * section's paragraphs: StoredDocWords, StoredContributionWords), a JSON text for each, which
 * a new process keeps as text and parses only for the entries and sections it shows.
 */
interface StoredShare {
  deps: string[];
  /** Of each link document the contributions use, its tags' targets as one text (tagIdsKey). */
  docs: string[];
  /** The topics the contributions name. */
  topicNames: TagName[];
  /** The sites the contributions link to. */
  domains: string[];
  /**
   * The contributions, a list per field (a new process reads a thousand shares, and a few
   * lists each cost its collections far less than a list per contribution). Of each: its
   * key; its indexes into domains, docs and topicNames (-1: none); and on the first
   * contribution an entry is made from, the entry's digest and, when other contributions
   * made it too, the cache keys of the issues they are in, in order, each once (an entry
   * is the same from the same contributions in the same context, and an issue with the
   * same key gives the same contributions: the digest holds while those issues have those
   * keys).
   */
  contributions: { keys: string[]; domains: number[]; docs: number[]; topics: number[]; digests: Array<string | null>; issues: Array<string[] | null> };
  /** The sections that name a topic, without their paragraphs (in the words: only the newest few are in a feed). */
  topics: Array<Omit<IssueWalk['sections'][number], 'paragraphs'>>;
  /** The length of the words' text, so a line cut short is known before its words are needed. */
  words: number;
  /**
   * The length of each of the words' pieces (their JSON texts, without the tabs between):
   * an entry shown reads its own piece from the file, not the whole words of each issue it
   * is in (a publish to a real archive of 667 issues read 36 MB of words for the pieces of
   * 12,800 uses).
   */
  pieces: number[];
}

/**
 * The rest of a share, in the order of StoredShare's docs, contributions and topics (each
 * topic section's paragraphs): a JSON text for each, tab-separated (JSON escapes tabs), so an
 * entry shown reads its own words, not those of every link of the issue (a page of a site's
 * links shows one link each of many issues), and a topic feed the paragraphs of the sections it shows.
 */
type StoredDocWords = [url: unknown, title: unknown, siteName: unknown, description: unknown];
type StoredContributionWords = [url: string, id: string, text: string | null, words: string, anchor: string | null];

/**
 * The share as the record keeps it, its JSON texts (StoredShare, then each piece of its
 * words) in ASCII with a tab between each; not kept: made when the record lacks it, once. `entryOf`: the entry
 * made for a contribution's key and what it was made from; `issuesOf`: the cache keys of
 * the issues contributions are in (see StoredShare's digests).
 */
function shareJson(share: IssueContributions, entryOf: (c: Contribution) => { link: PublishedLink; from: Contribution[] } | undefined, issuesOf: (from: Contribution[]) => Array<string | undefined>): string {
  const digested = (c: Contribution): [string | null, string[] | null] => {
    const entry = entryOf(c);
    if (entry?.from[0] !== c) return [null, null];
    if (entry.from.length === 1) return [entryDigest(entry.link), null];
    const issues = issuesOf(entry.from);
    return issues.every((key) => key !== undefined) ? [entryDigest(entry.link), issues as string[]] : [null, null];
  };
  const docs = new Map<LinkDoc, number>();
  const topicNames = new Map<TagName, number>();
  const indexIn = <T>(map: Map<T, number>, value: T | undefined) => {
    if (value === undefined) return -1;
    let at = map.get(value);
    if (at === undefined) map.set(value, (at = map.size));
    return at;
  };
  const domains = new Map<string, number>();
  const contributions: StoredShare['contributions'] = { keys: [], domains: [], docs: [], topics: [], digests: [], issues: [] };
  for (const c of share.contributions) {
    const [digest, issues] = digested(c);
    contributions.keys.push(c.key);
    contributions.domains.push(indexIn(domains, c.address.domain));
    contributions.docs.push(indexIn(docs, c.doc));
    contributions.topics.push(indexIn(topicNames, c.topic));
    contributions.digests.push(digest);
    contributions.issues.push(issues);
  }
  // Only the fields the index reads.
  const words: Array<StoredDocWords | StoredContributionWords | string[]> = [
    ...[...docs.keys()].map((doc): StoredDocWords => [doc.url, doc.title, doc.siteName, doc.description]),
    ...share.contributions.map((c): StoredContributionWords => [c.address.url, c.address.id, c.text ?? null, c.words, c.anchor ?? null]),
    ...share.topics.map((section) => section.paragraphs),
  ];
  const pieces = words.map((piece) => asciiJson(JSON.stringify(piece)));
  const wordsJson = pieces.join('\t');
  const stored: StoredShare = {
    deps: [...share.depIds],
    // Of the tags, only their targets, as the entries' tag lists are known by them.
    docs: [...docs.keys()].map((doc) => tagIdsKey(tagIdsOf(doc.tags))),
    topicNames: [...topicNames.keys()].map(({ title, slug }) => ({ title, slug })),
    domains: [...domains.keys()],
    contributions,
    topics: share.topics.map(({ heading, anchor, topicRef }) => ({ heading, anchor, topicRef })),
    pieces: pieces.map((piece) => piece.length),
    // Last: the record finds it at the end of the text (links-shares.ts).
    words: wordsJson.length,
  };
  return `${asciiJson(JSON.stringify(stored))}\t${wordsJson}`;
}

/**
 * A kept share's words (StoredDocWords, StoredContributionWords, a topic section's
 * paragraphs): each piece read from the file on its own when an entry or a topic feed needs
 * it, and parsed (linksIndexStats.wordsRead counts the shares any piece was read of).
 */
class KeptWords {
  readonly #rest: NonNullable<KeptShare['rest']>;
  /** Where each piece starts (a piece's end is the next one's start, less its tab), from the share's lengths of its pieces. */
  readonly #starts: Int32Array;
  #read = false;
  readonly #docCount: number;
  readonly #contributionCount: number;
  readonly #damaged: () => never;
  readonly docs = new Map<number, LinkDoc>();
  /** Each topic section's paragraphs once parsed: the same list each time asked (a feed is reused while its sections are the same). */
  readonly #paragraphs = new Map<number, string[]>();

  constructor(rest: NonNullable<KeptShare['rest']>, counts: { docs: number; contributions: number }, starts: Int32Array, damaged: () => never) {
    this.#rest = rest;
    this.#docCount = counts.docs;
    this.#contributionCount = counts.contributions;
    this.#starts = starts;
    this.#damaged = damaged;
  }

  /** The paragraphs of the share's topic section `at`. */
  paragraphs(at: number): string[] {
    let paragraphs = this.#paragraphs.get(at);
    if (!paragraphs) {
      const piece = this.#piece(this.#docCount + this.#contributionCount + at);
      this.#paragraphs.set(at, (paragraphs = piece.every((p) => typeof p === 'string') ? (piece as string[]) : this.#damaged()));
    }
    return paragraphs;
  }

  doc(at: number): StoredDocWords {
    return this.#piece(at) as StoredDocWords;
  }

  contribution(at: number): StoredContributionWords {
    return this.#piece(this.#docCount + at) as StoredContributionWords;
  }

  /** Piece `at`, read from the file on its own and parsed. */
  #piece(at: number): unknown[] {
    if (!this.#read) {
      linksIndexStats.wordsRead++;
      this.#read = true;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.#rest.slice(this.#starts[at]!, this.#starts[at + 1]! - 1 - this.#starts[at]!));
    } catch {
      // Whole (its length is checked when read) yet not JSON: the file was damaged on disk.
    }
    return Array.isArray(parsed) ? parsed : this.#damaged();
  }
}

/** Where each of `count` pieces starts, from their lengths (and, last, the words' length and one), when the lengths add up to the words' length with a tab between each two (none: the words are empty). */
function startsOf(pieces: unknown, count: number, length: number): Int32Array | undefined {
  if (!Array.isArray(pieces) || pieces.length !== count) return undefined;
  const starts = new Int32Array(count + 1);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const piece = pieces[i] as unknown;
    if (!Number.isSafeInteger(piece) || (piece as number) < 0) return undefined;
    starts[i] = at;
    at += (piece as number) + 1;
  }
  starts[count] = at;
  // No piece (an issue that links nowhere): no words either.
  return at === length + 1 || (count === 0 && length === 0) ? starts : undefined;
}

/** What the contributions of one kept share have in common: its columns, the issue's listing now, its words. */
interface KeptColumns {
  stored: StoredShare;
  listing: Listing;
  words: KeptWords;
}

/**
 * A contribution read from a kept share: its key at once; its site, topic, tags and digest
 * from the share's columns; its address, link document fields, text and words when first
 * asked for (KeptWords). A new process makes one for every link of every issue, so it
 * holds little of its own.
 */
class KeptContribution implements Contribution {
  readonly key: string;
  readonly #share: KeptColumns;
  readonly #at: number;
  #own: { address: Address | undefined; words: StoredContributionWords } | undefined;

  constructor(share: KeptColumns, at: number) {
    this.key = share.stored.contributions.keys[at]!;
    this.#share = share;
    this.#at = at;
  }

  get listing(): Listing {
    return this.#share.listing;
  }

  get domain(): string | undefined {
    const { stored } = this.#share;
    return stored.domains[stored.contributions.domains[this.#at]!];
  }

  get topic(): TagName | undefined {
    const { stored } = this.#share;
    return stored.topicNames[stored.contributions.topics[this.#at]!];
  }

  /** The digest of the entry this contribution's key makes, kept on the first contribution it was made from (see StoredShare). */
  get digest(): string | undefined {
    return this.#share.stored.contributions.digests[this.#at] ?? undefined;
  }

  get issues(): string[] | undefined {
    const issues = this.#share.stored.contributions.issues[this.#at];
    return Array.isArray(issues) ? issues : undefined;
  }

  /** The link document's tags' targets as stored (tagIdsKey; undefined: no link document). */
  get docTagsKey(): string | undefined {
    const { stored } = this.#share;
    const doc = stored.contributions.docs[this.#at]!;
    return doc < 0 ? undefined : stored.docs[doc];
  }

  /** The link document's tags' targets (undefined: no link document). */
  get docTags(): TagIds | null | undefined {
    const key = this.docTagsKey;
    return key === undefined ? undefined : tagIdsFromKey(key);
  }

  #words(): { address: Address | undefined; words: StoredContributionWords } {
    return (this.#own ??= { address: undefined, words: this.#share.words.contribution(this.#at) });
  }

  get address(): Address {
    const own = this.#words();
    if (!own.address) {
      const [url, id] = own.words;
      own.address = { url, key: this.key, id, domain: this.domain };
    }
    return own.address;
  }

  get doc(): LinkDoc | undefined {
    const docTags = this.docTags;
    if (docTags === undefined) return undefined;
    const { stored, words } = this.#share;
    const at = stored.contributions.docs[this.#at]!;
    let doc = words.docs.get(at);
    if (!doc) {
      const [url, title, siteName, description] = words.doc(at);
      const tags = docTags && docTags.map((_ref) => ({ _ref }));
      words.docs.set(at, (doc = { url, title, siteName, description, tags }));
    }
    return doc;
  }

  get text(): string | undefined {
    return this.#words().words[2] ?? undefined;
  }

  get words(): string {
    return this.#words().words[3];
  }

  get anchor(): string | undefined {
    return this.#words().words[4] ?? undefined;
  }
}

/** A share from its kept texts (shareJson), with the issue's listing now and the documents it depends on as the store holds them; throws when it is not a share. */
function shareFrom(kept: KeptShare, listing: Listing, raw: RawContent): IssueContributions {
  const stored = kept.parsed as StoredShare;
  const columns = stored?.contributions;
  const count = columns?.keys?.length;
  const fits = (list: unknown) => Array.isArray(list) && list.length === count;
  if (!fits(columns?.keys) || !fits(columns.domains) || !fits(columns.docs) || !fits(columns.topics) || !fits(columns.digests) || !fits(columns.issues)) throw new Error('not a share');
  if (!Array.isArray(stored.deps) || !Array.isArray(stored.docs) || !stored.docs.every((key) => typeof key === 'string') || !Array.isArray(stored.topicNames) || !Array.isArray(stored.domains) || !Array.isArray(stored.topics)) throw new Error('not a share');
  // A line cut short (a build stopped while appending) has fewer words than it says.
  if (kept.rest === undefined || kept.rest.length !== stored.words) throw new Error('not a whole share');
  const starts = startsOf(stored.pieces, stored.docs.length + count + stored.topics.length, stored.words);
  if (!starts) throw new Error('not a share');
  const words = new KeptWords(kept.rest, { docs: stored.docs.length, contributions: count }, starts, kept.damaged);
  const share: KeptColumns = { stored, listing, words };
  const contributions = new Array<Contribution>(count);
  for (let at = 0; at < count; at++) contributions[at] = new KeptContribution(share, at);
  // A section's paragraphs are parsed only when read (a topic feed shows the newest few).
  const topics = stored.topics.map(({ heading, anchor, topicRef }, at) => ({
    heading,
    anchor,
    topicRef,
    get paragraphs() {
      return words.paragraphs(at);
    },
  }));
  return { listing, depIds: stored.deps, depDocs: docsThen(stored.deps, raw.byId), contributions, topics };
}

/** A function that gives `list`, made outside any scope that holds a build's documents. */
function listed<T>(list: T): () => T {
  return () => list;
}

/** The lookups kept shares left for a later build (docsThen), each holding the documents of the build that read it until it is done. */
let pendingLookups: Array<() => void> = [];

/**
 * Does the lookups earlier builds' kept shares left, so that a build's documents are let go
 * when the next one starts: called by each build (build-site.ts). Left until an entry was
 * asked for, each build's documents stayed alive in a long-running server until the links
 * index was made again: 4 MB more with every rebuild of a 1,000-issue archive.
 */
export function settleEarlierBuilds(): void {
  for (const settle of pendingLookups) settle();
  pendingLookups = [];
}

/** Whether this process holds the entries of an index it made (lastLinks), which the next index reuses. */
export function holdsLinksIndex(): boolean {
  return lastLinks.links.length > 0;
}

/** Lets go of the entries the last index handed out (lastLinks), as a new process has none. */
export function forgetLinksIndex(): void {
  settleEarlierBuilds();
  lastLinks = { at: new Map(), froms: [], links: [] };
}

/** The documents `byId` holds for `ids`, looked up when first asked for or when the next build starts (and `byId` let go then). */
function docsThen(ids: readonly string[], byId: ReadonlyMap<string, SanityDocument>): () => ReadonlyArray<SanityDocument | undefined> {
  let from: ReadonlyMap<string, SanityDocument> | undefined = byId;
  let docs: ReadonlyArray<SanityDocument | undefined> | undefined;
  const settle = () => {
    if (docs) return;
    const map = from!;
    docs = ids.map((id) => map.get(id));
    from = undefined;
  };
  pendingLookups.push(settle);
  return () => {
    settle();
    return docs!;
  };
}

/**
 * A link entry's digest, remembered per entry: the index hands out the same (read-only)
 * entry while its contributions are the same, and an entry is on two pages (the links page
 * and its site's), so each is serialised once. An entry made from kept contributions starts
 * with the digest their share kept (a KeptLink holds it itself).
 */
const entryDigests = new WeakMap<object, string>();

export function entryDigest(link: PublishedLink): string {
  if (link instanceof KeptLink) return link.digest;
  // Not asked for: the outline keeps a short digest (shortDigest), which is what the pages' keys name.
  if (link instanceof OutlineLink) return entryDigest(link.entry());
  let digest = entryDigests.get(link);
  if (digest === undefined) {
    linksIndexStats.digested++;
    entryDigests.set(link, (digest = hash('sha256', JSON.stringify(link), 'base64url')));
  }
  return digest;
}

/**
 * The shares the last build kept (by issue cache key), and each published issue's
 * cache key now (by document id): an issue whose key is there is read from its share.
 */
export interface KeptShares {
  keys: Map<string, string>;
  /** The share kept for an issue cache key (undefined when none). */
  get(key: string): KeptShare | undefined;
  /** Whether there is one, without reading it. */
  has?(key: string): boolean;
  /** The share's text as the record holds it (links-shares.ts), undefined when it cannot be read. */
  text?(key: string): string | undefined;
}

/** A kept share: its first JSON text parsed, and the ASCII text after it (its words), a piece read when asked for; `damaged` removes the record and throws, for a text found damaged then. */
export interface KeptShare {
  parsed: unknown;
  rest: { length: number; slice: (from: number, length: number) => string } | undefined;
  damaged: () => never;
}

function sameListing(a: Listing, b: Listing): boolean {
  return a.number === b.number && a.slug === b.slug && a.title === b.title && a.date === b.date;
}

function contributionsOf(doc: SanityDocument, listing: Listing, raw: RawContent, tagName: (id: string) => TagName | undefined, kept?: KeptShares): IssueContributions {
  const last = resolved.get(doc);
  if (last && sameListing(last.listing, listing)) {
    const then = last.depDocs();
    if (last.depIds.every((id, i) => raw.byId.get(id) === then[i])) return last;
  }
  const key = kept?.keys.get(doc._id);
  const stored = key === undefined ? undefined : kept!.get(key);
  if (stored !== undefined) {
    try {
      const share = shareFrom(stored, listing, raw);
      resolved.set(doc, share);
      return share;
    } catch {
      // Not a share this code wrote: walk the issue instead.
    }
  }
  linksIndexStats.walked++;
  const walk = walks.get(doc) ?? walkIssue(doc);
  walks.delete(doc);
  const deps = new Map<string, SanityDocument | undefined>();
  const depend = (id: string) => {
    const dep = raw.byId.get(id);
    deps.set(id, dep);
    return dep;
  };
  const contributions: Contribution[] = [];
  for (let k = 0, from = 0; k < walk.blockEnds.length; from = walk.blockEnds[k++]!) {
    const section = walk.blockSections[k]! < 0 ? undefined : walk.sections[walk.blockSections[k]!];
    const topic = section?.topicRef ? (depend(section.topicRef), tagName(section.topicRef)) : undefined;
    const seen = new Set<string>();
    for (let t = from; t < walk.blockEnds[k]!; t++) {
      const target = walk.targets[t]!;
      const words = walk.words[t]!;
      const text = walk.texts[t];
      // A target is a document id (a link annotation or card) or the href of an externalLink.
      const linked = depend(target);
      let address: Address | undefined;
      let linkDoc: LinkDoc | undefined;
      if (linked) {
        if (linked._type !== 'link') continue;
        // Taken once per document (the entry, its digest and the share kept for the next build read it).
        const fields = linkFieldsOf(linked);
        if (typeof fields.url !== 'string') continue;
        linkDoc = fields;
        for (const ref of Array.isArray(linkDoc.tags) ? (linkDoc.tags as Array<{ _ref?: unknown }>) : []) if (typeof ref?._ref === 'string') depend(ref._ref);
        address = addressOf(fields.url);
      } else {
        address = addressOf(target);
      }
      if (!address || seen.has(address.key)) continue;
      seen.add(address.key);
      contributions.push({ key: address.key, address, doc: linkDoc, text, words, topic, listing, anchor: section?.anchor });
    }
  }
  for (const section of walk.sections) if (section.topicRef) depend(section.topicRef);
  // Not made here as `() => list`: a function made in this scope would keep `raw`, which
  // `depend` names, and with it every document of this build, for as long as the result lives.
  const result = { listing, depIds: [...deps.keys()], depDocs: listed([...deps.values()]), contributions, topics: walk.sections.filter((section) => section.topicRef) };
  resolved.set(doc, result);
  return result;
}

/** A tag document's name by id, from one look over the build's documents (undefined: no tag, or one unfit for a page). */
function tagNamer(raw: RawContent): (id: string) => TagName | undefined {
  let namer = tagNamers.get(raw);
  if (!namer) tagNamers.set(raw, (namer = namerOf(tagNamesIn(tagDocumentsOf(raw)))));
  return namer;
}

/** Each build's tag namer (one look over its documents). */
const tagNamers = new WeakMap<RawContent, (id: string) => TagName | undefined>();

/** The name of each tag fit for a page (a title and a safe slug), by id. */
function tagNamesIn(tags: Iterable<SanityDocument>): Map<string, TagName> {
  const names = new Map<string, TagName>();
  for (const doc of tags) {
    const tag = doc as { title?: unknown; slug?: { current?: unknown } };
    if (typeof tag.title === 'string' && typeof tag.slug?.current === 'string' && isSafeSlug(tag.slug.current)) names.set(doc._id, { title: tag.title, slug: tag.slug.current });
  }
  return names;
}

/**
 * A tag's name by id, from the tags alone: the entries the index keeps between builds hold
 * it, and one that looked tags up in the build's documents kept every document of that
 * build alive in a running server.
 */
function namerOf(names: Map<string, TagName>): (id: string) => TagName | undefined {
  return (id) => names.get(id);
}

const shareDigests = new WeakMap<IssueContributions, string>();

/**
 * Per issue document id, a digest of everything the issue gives the links index: each place it links (the
 * address, the link document's fields and tags, the text linked and the words around it,
 * the section's topic and anchor), its listing, and its topic sections. While every issue's
 * digest is what it was, the index, and so every link page and feed, is what it was
 * (links-output.ts StoredPageKeys.reuse).
 */
export function issueLinksDigests(raw: RawContent, listings: Map<string, Listing>, docs: readonly SanityDocument[]): Map<string, string> {
  const tagName = tagNamer(raw);
  const out = new Map<string, string>();
  for (const doc of docs) {
    const listing = listings.get(doc._id);
    if (listing) out.set(doc._id, issueLinksDigest(doc, listing, raw, tagName));
  }
  return out;
}

/** issueLinksDigests, pausing every few issues: a full build digests every issue while its render workers wait for the main thread's next issues. */
export async function issueLinksDigestsPaced(raw: RawContent, listings: Map<string, Listing>, docs: readonly SanityDocument[], pause: Pause): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let at = 0; at < docs.length; at += 20) {
    if (at > 0) await pause();
    for (const [id, digest] of issueLinksDigests(raw, listings, docs.slice(at, at + 20))) out.set(id, digest);
  }
  return out;
}

function issueLinksDigest(doc: SanityDocument, listing: Listing, raw: RawContent, tagName: (id: string) => TagName | undefined): string {
  const issue = contributionsOf(doc, listing, raw, tagName);
  let digest = shareDigests.get(issue);
  if (digest === undefined) {
    // One text hashed in one call (two calls a contribution cost more than the hashing).
    let text = JSON.stringify([listing.number, listing.slug, listing.title, listing.date]);
    for (const c of issue.contributions) {
      const tags = Array.isArray(c.doc?.tags) ? (c.doc.tags as Array<{ _ref?: unknown }>).map((ref) => (typeof ref?._ref === 'string' ? (tagName(ref._ref) ?? null) : null)) : null;
      const link = c.doc ? [c.doc.url, c.doc.title, c.doc.siteName, c.doc.description, tags] : null;
      text += `${JSON.stringify([c.address.url, c.address.key, link, c.text, c.words, c.topic ?? null, c.anchor ?? null])}\n`;
    }
    for (const section of issue.topics) {
      text += `${JSON.stringify([section.heading, section.anchor, section.topicRef ? (tagName(section.topicRef) ?? null) : null, section.paragraphs])}\n`;
    }
    shareDigests.set(issue, (digest = hash('sha256', text, 'base64url')));
  }
  return digest;
}

/**
 * What an index is made from, entry by entry: each key's place (the order issues make them
 * in), and the contributions its entry is made from; a key used once (most are) holds its
 * one contribution, not a list of it.
 */
interface Entries {
  at: Map<string, number>;
  froms: Array<Contribution | Contribution[]>;
}

/** The entries handed out last time, with what each was made from. */
let lastLinks: Entries & { links: PublishedLink[] } = { at: new Map(), froms: [], links: [] };

/** A key's contributions as a list. */
function listOf<C extends Contribution>(from: C | C[]): C[] {
  return Array.isArray(from) ? from : [from];
}

function firstOf<C extends Contribution>(from: C | C[]): C {
  return Array.isArray(from) ? from[0]! : from;
}

/** Whether two entries are made from the same contribution objects. */
function sameFrom(a: Contribution | Contribution[], b: Contribution | Contribution[]): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return a === b;
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

function isKept(c: Contribution): c is KeptContribution {
  return c instanceof KeptContribution;
}

/** For tests and benchmarks: how many times this process made the links index (and how many of those from an outline), walked an issue's text for it, digested an entry, and read a kept share's words. */
export const linksIndexStats = { made: 0, walked: 0, digested: 0, wordsRead: 0, outlined: 0 };

/**
 * Every link of the given published issues (`listings` by document id), oldest first, and
 * the sections with a topic. With `kept`, an issue whose cache key the last build kept a
 * share for is read from it; `shares` then receives each issue's share as JSON, by key.
 */
export async function indexLinks(raw: RawContent, listings: Map<string, Listing>, pause: Pause = noPause, kept?: KeptShares, shares?: Map<string, () => string | undefined>): Promise<LinksIndex> {
  linksIndexStats.made++;
  const issues = raw.issues.flatMap((doc) => {
    const listing = listings.get(doc._id);
    return listing ? [{ doc, listing }] : [];
  });
  issues.sort((a, b) => a.listing.number - b.listing.number);

  const tagName = tagNamer(raw);

  // Each key with its contributions, in the order issues make them.
  const at: Entries['at'] = new Map();
  const froms: Entries['froms'] = [];
  const topics: Array<{ listing: Listing; sections: IssueContributions['topics'] }> = [];
  const made: IssueContributions[] = [];
  for (const [n, { doc, listing }] of issues.entries()) {
    const issue = contributionsOf(doc, listing, raw, tagName, kept);
    made.push(issue);
    const key = kept?.keys.get(doc._id);
    if (shares && key !== undefined) shares.set(key, () => shareJson(issue, (c) => entryOf(c.key), (from) => issuesOf(from, kept)));
    for (const c of issue.contributions) {
      const i = at.get(c.key);
      if (i === undefined) {
        at.set(c.key, froms.length);
        froms.push(c);
      } else {
        const held = froms[i]!;
        if (Array.isArray(held)) held.push(c);
        else froms[i] = [held, c];
      }
    }
    topics.push({ listing, sections: issue.topics });
    if (n % 20 === 19) await pause();
  }

  const sections: TopicSection[] = [];
  const sectionPlaces: IndexOrigin['sectionPlaces'] = [];
  for (const [k, { listing, sections: named }] of topics.entries()) {
    for (const [t, section] of named.entries()) {
      const tag = section.topicRef ? tagName(section.topicRef) : undefined;
      if (tag) {
        sectionPlaces.push([k, t]);
        sections.push(topicSection(tag, listing, section.heading, section.anchor, section));
      }
    }
  }

  const links = new Array<PublishedLink>(froms.length);
  const entryOf = (key: string) => {
    const i = at.get(key);
    return i === undefined ? undefined : { link: links[i]!, from: listOf(froms[i]!) };
  };
  const last = lastLinks;
  for (let i = 0; i < froms.length; i++) {
    const from = froms[i]!;
    const lastAt = last.at.size === 0 ? undefined : last.at.get(firstOf(from).key);
    let link: PublishedLink;
    if (lastAt !== undefined && sameFrom(last.froms[lastAt]!, from)) link = last.links[lastAt]!;
    else {
      // The digest a share kept, if it is of these contributions; an entry from kept
      // contributions with it reads their words only if a page or feed shows it.
      const digest = keptDigest(from, kept);
      if (digest !== undefined && (Array.isArray(from) ? from.every(isKept) : isKept(from))) link = new KeptLink(from as KeptContribution | KeptContribution[], tagName, digest);
      else {
        link = linkFrom(listOf(from), tagName);
        if (digest !== undefined) entryDigests.set(link, digest);
      }
    }
    links[i] = link;
  }
  lastLinks = { at, froms, links };
  const index = { links, sections };
  // A loop, not a callback: a function made here would keep `issues`, and so every document of
  // this build, in the scope the sections' getters keep alive in a running server.
  for (let i = 0; i < sections.length; i++) {
    const [k, t] = sectionPlaces[i]!;
    const key = kept?.keys.get(issues[k]!.listing.id);
    if (key !== undefined) sectionKeys.set(sections[i]!, `${key}:${t}`);
  }
  origins.set(index, { listings: issues.map((issue) => issue.listing), issueKeys: () => made.map((issue) => distinctKeys(issue).map((key) => at.get(key)!)), sectionPlaces });
  return index;
}

/** The cache keys of the issues contributions are in, in order, each once (undefined: an issue with none). */
function issuesOf(from: Contribution[], kept: KeptShares | undefined): Array<string | undefined> {
  const issues: Array<string | undefined> = [];
  let last: string | undefined;
  for (const c of from) {
    if (c.listing.id === last) continue;
    last = c.listing.id;
    issues.push(kept?.keys.get(last));
  }
  return issues;
}

/** The digest a kept share holds for the entry `from` makes: one contribution's own, or one that names the issues of all of them as they are now. */
function keptDigest(from: Contribution | Contribution[], kept: KeptShares | undefined): string | undefined {
  const { digest, issues } = firstOf(from);
  if (digest === undefined) return undefined;
  if (!Array.isArray(from)) return issues === undefined ? digest : undefined;
  const now = issuesOf(from, kept);
  return issues?.length === now.length && now.every((key, i) => key === issues[i]) ? digest : undefined;
}

/** The entry for one key from its contributions (oldest first). */
function linkFrom(from: Contribution[], tagName: (id: string) => TagName | undefined): PublishedLink {
  // The link document the issues use (the first one, if two documents share a key), and its address.
  const withDoc = from.find((c) => c.doc);
  const doc = withDoc?.doc;
  const first = from[0]!;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
  const description = str(doc?.description);
  const uses: LinkUse[] = [];
  for (const c of from) {
    if (uses.at(-1)?.number === c.listing.number) continue;
    const { number, slug, title, date } = c.listing;
    uses.push({ number, slug, title, date, anchor: c.anchor, words: c.words || (description ?? '') });
  }
  // A contribution's address is its link document's (contributionsOf).
  const address = withDoc?.address ?? first.address;
  return {
    key: address.key,
    id: address.id,
    url: address.url,
    title: str(doc?.title) ?? from.find((c) => c.text)?.text ?? address.url,
    siteName: str(doc?.siteName),
    description,
    domain: address.domain,
    tags: tagsOf(doc ? tagIdsKey(tagIdsOf(doc.tags)) : '', from, tagName),
    uses,
  };
}

/** A link document's tags field as the targets it names (null: a target that is not an id; the list null: a field that is not a list). */
type TagIds = Array<string | null>;

function tagIdsOf(docTags: unknown): TagIds | null {
  return Array.isArray(docTags) ? (docTags as Array<{ _ref?: unknown }>).map((ref) => (typeof ref?._ref === 'string' ? ref._ref : null)) : null;
}

/**
 * The tag lists made with a tag namer (one per index), by what they were made from: tens of
 * thousands of entries carry a few dozen different lists, shared (read-only) among them.
 */
const tagLists = new WeakMap<(id: string) => TagName | undefined, Map<string, TagName[]>>();

/**
 * A link document's tags' targets as one text, which a kept share stores and the entries'
 * tag lists are known by: each target after its length, `-` for one that is not an id, `!`
 * for a field that is not a list ('' for none).
 */
function tagIdsKey(tagIds: TagIds | null): string {
  if (tagIds === null) return '!';
  let key = '';
  for (const id of tagIds) key += id === null ? '-' : `${id.length}:${id}`;
  return key;
}

/** The targets tagIdsKey made `key` of. */
function tagIdsFromKey(key: string): TagIds | null {
  if (key === '!') return null;
  const ids: TagIds = [];
  let at = 0;
  while (at < key.length) {
    if (key[at] === '-') {
      ids.push(null);
      at++;
      continue;
    }
    const colon = key.indexOf(':', at);
    const length = colon > at ? Number(key.slice(at, colon)) : Number.NaN;
    // Not a key tagIdsKey made (a damaged file): no more targets.
    if (!Number.isSafeInteger(length) || colon + 1 + length > key.length) break;
    ids.push(key.slice(colon + 1, colon + 1 + length));
    at = colon + 1 + length;
  }
  return ids;
}

/** A section's topic in an entry's tags key: its slug and title, each after its length. */
function topicKey(c: Contribution): string {
  const topic = c.topic;
  return topic ? `/${topic.slug.length}:${topic.slug}${topic.title.length}:${topic.title}` : '';
}

/** An entry's tags: its link document's (`idsKey`, see tagIdsKey; '' for none) and the topics of the sections it sat in, by slug. */
function tagsOf(idsKey: string, from: Contribution | Contribution[], tagName: (id: string) => TagName | undefined): TagName[] {
  // The targets, then each topic's (both length-prefixed: one text can never stand for another).
  let made = idsKey;
  if (Array.isArray(from)) for (const c of from) made += topicKey(c);
  else made += topicKey(from);
  let lists = tagLists.get(tagName);
  if (!lists) tagLists.set(tagName, (lists = new Map()));
  let list = lists.get(made);
  if (!list) lists.set(made, (list = tagsMadeOf(tagIdsFromKey(idsKey), listOf(from), tagName)));
  return list;
}

function tagsMadeOf(tagIds: TagIds | null | undefined, from: Contribution[], tagName: (id: string) => TagName | undefined): TagName[] {
  const tags = new Map<string, TagName>();
  for (const id of tagIds ?? []) {
    const tag = id === null ? undefined : tagName(id);
    if (tag) tags.set(tag.slug, tag);
  }
  for (const c of from) if (c.topic) tags.set(c.topic.slug, c.topic);
  return [...tags.values()].sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
}

/**
 * The entry kept contributions make, with what places it (key, site, tags, the issues it
 * appeared in and their dates) at hand, and the rest (its address, title and words) made
 * by linkFrom when first read: a rebuild renders a few pages and feeds of tens of
 * thousands of entries, so most entries never read their shares' words. Serialises as
 * linkFrom's entry.
 */
/**
 * An entry whose address, titles and words are made when first read (entry()): what the
 * index hands out for the entries a rebuild takes from kept shares or the outline, most of
 * which no page or feed made again shows. Serialises as the entry.
 */
abstract class LazyEntry implements PublishedLink {
  abstract readonly key: string;
  abstract readonly domain: string | undefined;
  abstract readonly tags: TagName[];
  abstract readonly uses: LinkUse[];

  /** The entry as linkFrom makes it (made once, on first read). */
  abstract entry(): PublishedLink;

  get id(): string {
    return this.entry().id;
  }

  get url(): string {
    return this.entry().url;
  }

  get title(): string {
    return this.entry().title;
  }

  get siteName(): string | undefined {
    return this.entry().siteName;
  }

  get description(): string | undefined {
    return this.entry().description;
  }

  toJSON(): PublishedLink {
    return this.entry();
  }
}

class KeptLink extends LazyEntry {
  readonly key: string;
  readonly domain: string | undefined;
  readonly tags: TagName[];
  readonly uses: LinkUse[];
  /** The digest the share kept (entryDigest): kept here, as tens of thousands of weak-map entries cost every collection. */
  readonly digest: string;
  readonly #from: KeptContribution | KeptContribution[];
  readonly #tagName: (id: string) => TagName | undefined;
  #entry: PublishedLink | undefined;

  constructor(from: KeptContribution | KeptContribution[], tagName: (id: string) => TagName | undefined, digest: string) {
    super();
    this.digest = digest;
    this.#from = from;
    this.#tagName = tagName;
    if (!Array.isArray(from)) {
      // Most entries: one issue's one contribution.
      this.key = from.key;
      this.domain = from.domain;
      this.tags = tagsOf(from.docTagsKey ?? '', from, tagName);
      this.uses = [new LazyUse(from.listing, this, 0)];
      return;
    }
    // As linkFrom: the first contribution with a link document gives the address and tags.
    const withDoc = from.find((c) => c.docTagsKey !== undefined);
    this.key = from[0]!.key;
    this.domain = (withDoc ?? from[0]!).domain;
    this.tags = tagsOf(withDoc?.docTagsKey ?? '', from, tagName);
    // One use per issue, in a list of that length (a list grown by push holds room for seventeen).
    const firstOfIssue = (i: number) => i === 0 || from[i]!.listing.number !== from[i - 1]!.listing.number;
    let count = 0;
    for (let i = 0; i < from.length; i++) if (firstOfIssue(i)) count++;
    this.uses = new Array<LinkUse>(count);
    for (let i = 0, at = 0; i < from.length; i++) if (firstOfIssue(i)) this.uses[at] = new LazyUse(from[i]!.listing, this, at++);
  }

  entry(): PublishedLink {
    return (this.#entry ??= linkFrom(listOf(this.#from), this.#tagName));
  }
}

/** A lazy entry's use: the issue from its listing, the anchor and words when read. */
class LazyUse implements LinkUse {
  readonly #listing: Listing;
  readonly #link: LazyEntry;
  readonly #at: number;

  constructor(listing: Listing, link: LazyEntry, at: number) {
    this.#listing = listing;
    this.#link = link;
    this.#at = at;
  }

  get number(): number {
    return this.#listing.number;
  }

  get slug(): string {
    return this.#listing.slug;
  }

  get title(): string {
    return this.#listing.title;
  }

  get date(): string {
    return this.#listing.date;
  }

  #full(): LinkUse {
    return this.#link.entry().uses[this.#at]!;
  }

  get anchor(): string | undefined {
    return this.#full().anchor;
  }

  get words(): string {
    return this.#full().words;
  }

  toJSON(): LinkUse {
    return this.#full();
  }
}

/** Each section of an index by its issue's cache key and its place among the issue's sections with a topic (the key covers what the section shows). */
const sectionKeys = new WeakMap<TopicSection, string>();

/** A section as a topic feed's digest names it: by its issue's cache key and place, else by what it shows. */
export function sectionDigest(section: TopicSection): string {
  return sectionKeys.get(section) ?? hash('sha256', JSON.stringify([section.number, section.slug, section.title, section.date, section.heading, section.anchor, section.tag, section.paragraphs]), 'base64url');
}

/** What an index was made from, for the outline a next process makes its index from (links-outline.ts). */
interface IndexOrigin {
  /** The issues, oldest first. */
  listings: Listing[];
  /** Per issue, the positions of the entries it links to, in the order it first links to each. */
  issueKeys: () => ArrayLike<number>[];
  /** Per section of the index: its issue (a position in listings) and its place among that issue's sections with a topic. */
  sectionPlaces: Array<[issue: number, topic: number]>;
  /** When made from an outline: it (its issues are this index's first ones, in the same places). */
  outline?: LinksOutline;
}

const origins = new WeakMap<LinksIndex, IndexOrigin>();

/** The keys an issue links to, each once, in the order it first links to each. */
function distinctKeys(issue: IssueContributions): string[] {
  const seen = new Set<string>();
  const keys: string[] = [];
  for (const c of issue.contributions) {
    if (seen.has(c.key)) continue;
    seen.add(c.key);
    keys.push(c.key);
  }
  return keys;
}

/**
 * A key's 64-bit hash, in two halves (FNV-1a and a multiplicative hash of its UTF-16 code
 * units): what the outline knows keys by. Two keys among a hundred thousand share one with
 * a chance of one in a billion billion.
 */
export function keyHash(key: string): [low: number, high: number] {
  let low = 0x811c9dc5;
  let high = 0x9e3779b9 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    low = Math.imul(low ^ c, 0x01000193);
    high = Math.imul(high ^ c, 0x5bd1e995);
    high ^= high >>> 15;
  }
  return [low | 0, high | 0];
}

/**
 * An issue's contributions by their key's low hash (keyHash), each list in the issue's
 * order, made once per issue: an entry's contributions are then found in each issue it
 * appeared in without going through all of that issue's. A link used in most issues (a real
 * archive links its project's home page in every one) otherwise had every contribution of
 * hundreds of issues hashed to find its own, for each such link on a page made again.
 */
const byLowHash = new WeakMap<IssueContributions, Map<number, Contribution[]>>();

function contributionsWithLowHash(issue: IssueContributions, low: number): readonly Contribution[] {
  let index = byLowHash.get(issue);
  if (!index) {
    index = new Map();
    for (const c of issue.contributions) {
      const [l] = keyHash(c.key);
      const list = index.get(l);
      if (list) list.push(c);
      else index.set(l, [c]);
    }
    byLowHash.set(issue, index);
  }
  return index.get(low) ?? noContributions;
}
const noContributions: readonly Contribution[] = [];

function sameHash(key: string, low: number, high: number): boolean {
  const [l, h] = keyHash(key);
  return l === low && h === high;
}

/** An entry's digest as the link pages' keys name it (links-output.ts): its first 72 bits, which the outline keeps. */
export function shortDigest(link: PublishedLink): string {
  return link instanceof OutlineLink ? link.shortDigest : entryDigest(link).slice(0, shortDigestLength);
}

/**
 * The outline of an index this process made (links-outline.ts), in `context`, with each
 * issue's cache key from `cacheKeys` (by document id); undefined when an issue has none, or
 * two issues share a number. An index made from an outline copies the columns of the
 * entries it took from it.
 */
export function outlineOf(index: LinksIndex, context: string, cacheKeys: ReadonlyMap<string, string>): LinksOutline | undefined {
  const origin = origins.get(index);
  if (!origin) return undefined;
  const issues: LinksOutline['issues'] = [];
  const issueAt = new Map<number, number>();
  for (const listing of origin.listings) {
    const key = cacheKeys.get(listing.id);
    if (key === undefined || issueAt.has(listing.number)) return undefined;
    issueAt.set(listing.number, issues.push([listing.number, key]) - 1);
  }
  const count = index.links.length;
  const from = origin.outline;
  let digests = '';
  const hashLow = new Int32Array(count);
  const hashHigh = new Int32Array(count);
  const domainOf = new Int32Array(count);
  const tagsOf = new Int32Array(count);
  // An outline's sites and tag lists are kept as they are, in their places; new ones go after them.
  const domains = new Map<string, number>((from?.domains ?? []).map((domain, i) => [domain, i]));
  const storedTagLists: LinksOutline['tagLists'] = [...(from?.tagLists ?? [])];
  const tagListsByText = new Map(storedTagLists.map((pairs, i) => [JSON.stringify(pairs), i]));
  const tagLists = new Map<TagName[], number>();
  const usesAt = new IntColumnBuilder();
  const uses = new IntColumnBuilder();
  usesAt.add(0);
  // A run of entries taken from the outline, copied at once: [runFrom, runTo) here.
  let runFrom = 0;
  let runTo = 0;
  const copy = () => {
    if (runTo === runFrom || !from) return;
    const outline = from;
    const start = (index.links[runFrom] as OutlineLink).at;
    const end = start + (runTo - runFrom);
    digests += outline.digests.slice(start * shortDigestLength, end * shortDigestLength);
    hashLow.set(outline.hashLow.subarray(start, end), runFrom);
    hashHigh.set(outline.hashHigh.subarray(start, end), runFrom);
    domainOf.set(outline.domainOf.subarray(start, end), runFrom);
    tagsOf.set(outline.tagsOf.subarray(start, end), runFrom);
    const shift = uses.length - outline.usesAt[start]!;
    uses.addAll(outline.uses.subarray(outline.usesAt[start]!, outline.usesAt[end]!));
    for (let i = start + 1; i <= end; i++) usesAt.add(outline.usesAt[i]! + shift);
    runFrom = runTo;
  };
  for (let i = 0; i < count; i++) {
    const link = index.links[i]!;
    if (from && link instanceof OutlineLink && link.source.outline === from) {
      // Taken from the outline: part of the run when it follows the last one there too.
      if (runTo === runFrom || (index.links[runTo - 1] as OutlineLink).at + 1 !== link.at) {
        copy();
        runFrom = i;
      }
      runTo = i + 1;
      continue;
    }
    copy();
    runFrom = runTo = i + 1;
    digests += shortDigest(link);
    [hashLow[i], hashHigh[i]] = keyHash(link.key);
    if (link.domain === undefined) domainOf[i] = -1;
    else {
      let at = domains.get(link.domain);
      if (at === undefined) domains.set(link.domain, (at = domains.size));
      domainOf[i] = at;
    }
    let tags = tagLists.get(link.tags);
    if (tags === undefined) {
      const pairs = link.tags.map(({ slug, title }): [string, string] => [slug, title]);
      const text = JSON.stringify(pairs);
      tags = tagListsByText.get(text);
      if (tags === undefined) tagListsByText.set(text, (tags = storedTagLists.push(pairs) - 1));
      tagLists.set(link.tags, tags);
    }
    tagsOf[i] = tags;
    for (const use of link.uses) {
      const at = issueAt.get(use.number);
      if (at === undefined) return undefined;
      uses.add(at);
    }
    usesAt.add(uses.length);
  }
  copy();
  const issueKeysAt = new IntColumnBuilder();
  const issueKeys = new IntColumnBuilder();
  issueKeysAt.add(0);
  for (const positions of origin.issueKeys()) {
    for (let j = 0; j < positions.length; j++) issueKeys.add(positions[j]!);
    issueKeysAt.add(issueKeys.length);
  }
  const sections = index.sections.map((section, i): LinksOutline['sections'][number] => {
    const [issue, topic] = origin.sectionPlaces[i]!;
    return [issue, section.tag.slug, section.tag.title, section.heading, section.anchor, topic];
  });
  return {
    context,
    issues,
    count,
    digests,
    hashLow,
    hashHigh,
    domains: [...domains.keys()],
    domainOf,
    tagLists: storedTagLists,
    tagsOf,
    usesAt: usesAt.done(),
    uses: uses.done(),
    issueKeysAt: issueKeysAt.done(),
    issueKeys: issueKeys.done(),
    sections,
  };
}

/**
 * The index made from the last build's outline (links-outline.ts) when this build's issues
 * are its issues, a few changed and new ones published after them: the changed and new
 * issues are walked (or read from their kept shares); every entry they link to is made
 * again from every contribution to it (the unchanged issues' from their kept shares); the
 * other entries are the outline's (OutlineLink), their words read from the kept shares if a
 * page or feed shows them. Undefined, and nothing read but the changed and new issues, when
 * the outline cannot say: an issue gone or renumbered, one published between two others, a
 * changed issue linking to other entries or in another order than it did (which moves
 * entries), a share missing, or too many changes for it to pay. With the index, each
 * issue's share for the shares record (links-shares.ts): the unchanged ones' as kept.
 */
export async function indexFromOutline(
  raw: RawContent,
  listings: Map<string, Listing>,
  outline: LinksOutline,
  kept: KeptShares,
  pause: Pause = noPause,
): Promise<{ index: LinksIndex; shares: Map<string, () => string | undefined> } | undefined> {
  const { has, text } = kept;
  if (!has || !text) return undefined;
  const issues = raw.issues.flatMap((doc) => {
    const listing = listings.get(doc._id);
    return listing ? [{ doc, listing }] : [];
  });
  issues.sort((a, b) => a.listing.number - b.listing.number);
  const old = outline.issues;
  if (issues.length < old.length) return undefined;
  const cacheKeys: string[] = [];
  for (const [k, { doc, listing }] of issues.entries()) {
    const key = kept.keys.get(doc._id);
    if (key === undefined || (k > 0 && listing.number === issues[k - 1]!.listing.number)) return undefined;
    if (k < old.length && listing.number !== old[k]![0]) return undefined;
    cacheKeys.push(key);
  }
  // Changed (another cache key) or new: walked; the others' shares must be there.
  const walkedAt = new Uint8Array(issues.length);
  let walking = issues.length - old.length;
  for (let k = 0; k < old.length; k++) {
    if (cacheKeys[k] !== old[k]![1]) {
      walkedAt[k] = 1;
      walking++;
    } else if (!has(cacheKeys[k]!)) return undefined;
  }
  if (walking * 4 > issues.length) return undefined;

  const tagName = tagNamer(raw);
  const walked = new Map<number, IssueContributions>();
  const count = outline.count;
  const sameKey = (at: number, key: string) => sameHash(key, outline.hashLow[at]!, outline.hashHigh[at]!);
  // The entry of each key a walked issue links to.
  const positions = new Map<string, number>();
  for (let k = 0; k < old.length; k++) {
    if (!walkedAt[k]) continue;
    const issue = contributionsOf(issues[k]!.doc, issues[k]!.listing, raw, tagName, kept);
    walked.set(k, issue);
    const keys = distinctKeys(issue);
    const from = outline.issueKeysAt[k]!;
    if (keys.length !== outline.issueKeysAt[k + 1]! - from) return undefined;
    for (const [j, key] of keys.entries()) {
      const at = outline.issueKeys[from + j]!;
      if (!sameKey(at, key)) return undefined;
      positions.set(key, at);
    }
    if (walked.size % 20 === 0) await pause();
  }
  // A new issue's keys: an entry of the outline's, else a new one after them, in the order they first appear.
  const newKeys: string[][] = [];
  const wanted = new Map<number, string[]>();
  for (let k = old.length; k < issues.length; k++) {
    const issue = contributionsOf(issues[k]!.doc, issues[k]!.listing, raw, tagName, kept);
    walked.set(k, issue);
    const keys = distinctKeys(issue);
    newKeys.push(keys);
    for (const key of keys) {
      if (positions.has(key)) continue;
      const [low] = keyHash(key);
      const list = wanted.get(low);
      if (list) list.push(key);
      else wanted.set(low, [key]);
    }
  }
  if (wanted.size > 0) {
    for (let at = 0; at < count; at++) {
      for (const key of wanted.get(outline.hashLow[at]!) ?? []) if (!positions.has(key) && sameKey(at, key)) positions.set(key, at);
    }
  }
  let next = count;
  const newPositions = newKeys.map((keys) =>
    keys.map((key) => {
      let at = positions.get(key);
      if (at === undefined) positions.set(key, (at = next++));
      return at;
    }),
  );

  const source = new OutlineSource(outline, issues.map((issue) => issue.listing), cacheKeys, kept, tagName);
  // Every contribution to each entry a walked issue links to, oldest first.
  const fromOf = new Map<string, Contribution[]>();
  try {
    for (const [key, at] of positions) {
      const from: Contribution[] = [];
      const [low] = keyHash(key);
      if (at < count) {
        for (let u = outline.usesAt[at]!; u < outline.usesAt[at + 1]!; u++) {
          const k = outline.uses[u]!;
          const issue = walked.get(k) ?? source.share(k);
          for (const c of contributionsWithLowHash(issue, low)) if (c.key === key) from.push(c);
        }
      }
      for (let k = old.length; k < issues.length; k++) for (const c of contributionsWithLowHash(walked.get(k)!, low)) if (c.key === key) from.push(c);
      if (from.length === 0) return undefined;
      fromOf.set(key, from);
    }
  } catch {
    // A kept share this code did not write: the index is made the usual way, walking that issue.
    return undefined;
  }
  linksIndexStats.made++;
  linksIndexStats.outlined++;

  const links = new Array<PublishedLink>(next);
  for (const [key, at] of positions) links[at] = linkFrom(fromOf.get(key)!, tagName);
  for (let at = 0; at < count; at++) links[at] ??= new OutlineLink(source, at);

  const sections: TopicSection[] = [];
  const sectionPlaces: IndexOrigin['sectionPlaces'] = [];
  const stored = outline.sections;
  let s = 0;
  for (let k = 0; k < issues.length; k++) {
    const listing = issues[k]!.listing;
    const issue = walked.get(k);
    if (!issue) {
      while (s < stored.length && stored[s]![0] < k) s++;
      for (; s < stored.length && stored[s]![0] === k; s++) {
        const [, slug, title, heading, anchor, topic] = stored[s]!;
        sectionPlaces.push([k, topic]);
        sections.push(topicSection(source.tag(slug, title), listing, heading, anchor, new OutlineParagraphs(source, k, topic)));
      }
      continue;
    }
    for (const [t, section] of issue.topics.entries()) {
      const tag = section.topicRef ? tagName(section.topicRef) : undefined;
      if (!tag) continue;
      sectionPlaces.push([k, t]);
      sections.push(topicSection(tag, listing, section.heading, section.anchor, section));
    }
  }

  const index: LinksIndex = { links, sections };
  for (let i = 0; i < sections.length; i++) sectionKeys.set(sections[i]!, `${cacheKeys[sectionPlaces[i]![0]]}:${sectionPlaces[i]![1]}`);
  // The outline's issues are the first ones now, in the same places. Made here, not in the
  // function asked for them: the sections' getters keep this function's scope, which would
  // keep every document of this build alive in a running server (`issues`).
  const issueKeys = [...Array.from({ length: old.length }, (_, k) => outline.issueKeys.subarray(outline.issueKeysAt[k]!, outline.issueKeysAt[k + 1]!)), ...newPositions];
  origins.set(index, { listings: source.listings as Listing[], issueKeys: listed(issueKeys), sectionPlaces, outline });
  const entryOf = (c: Contribution) => {
    const at = positions.get(c.key);
    return at === undefined ? undefined : { link: links[at]!, from: fromOf.get(c.key)! };
  };
  const shares = new Map<string, () => string | undefined>();
  for (const [k, key] of cacheKeys.entries()) {
    const issue = walked.get(k);
    shares.set(key, issue ? () => shareJson(issue, entryOf, (from) => issuesOf(from, kept)) : () => text(key));
  }
  return { index, shares };
}

/** No documents: what a share read for an outline looks its documents up in (never, see OutlineSource.share). */
const noContent: RawContent = { issues: [], byId: new Map() };

/**
 * A section with a topic as the index lists it, its paragraphs read from `words` when asked
 * (a kept share's are parsed then). Made here, not where the index is made: a getter made
 * there would keep that function's scope, and with it a build's documents, as long as a
 * topic feed kept for the next build holds the section.
 */
function topicSection(tag: TagName, listing: Listing, heading: string, anchor: string, words: { readonly paragraphs: string[] }): TopicSection {
  return {
    tag,
    number: listing.number,
    slug: listing.slug,
    title: listing.title,
    date: listing.date,
    heading,
    anchor,
    get paragraphs() {
      return words.paragraphs;
    },
  };
}

/** An outline's section's paragraphs, from its issue's kept share. */
class OutlineParagraphs {
  readonly #source: OutlineSource;
  readonly #issue: number;
  readonly #topic: number;

  constructor(source: OutlineSource, issue: number, topic: number) {
    this.#source = source;
    this.#issue = issue;
    this.#topic = topic;
  }

  get paragraphs(): string[] {
    return this.#source.paragraphs(this.#issue, this.#topic);
  }
}

/** The kept shares an outline's entries and sections read their words from, each parsed once. */
class OutlineSource {
  readonly outline: LinksOutline;
  readonly listings: readonly Listing[];
  readonly #cacheKeys: readonly string[];
  readonly #kept: KeptShares;
  readonly tagName: (id: string) => TagName | undefined;
  readonly #shares = new Map<number, IssueContributions>();
  readonly #tags = new Map<string, TagName>();
  readonly #tagLists = new Map<number, TagName[]>();

  constructor(outline: LinksOutline, listings: readonly Listing[], cacheKeys: readonly string[], kept: KeptShares, tagName: (id: string) => TagName | undefined) {
    this.outline = outline;
    this.listings = listings;
    this.#cacheKeys = cacheKeys;
    this.#kept = kept;
    this.tagName = tagName;
  }

  #damaged(why: string): never {
    if (this.outline.damaged) return this.outline.damaged(why);
    throw new NewsdeskError('BUILD_FAILED', `The outline of the links index does not match its kept shares (${why})`, { hint: 'Build again.' });
  }

  /** The share of unchanged issue `k` (a position in the outline's issues); throws when it cannot be read. */
  share(k: number): IssueContributions {
    let share = this.#shares.get(k);
    if (!share) {
      const kept = this.#kept.get(this.#cacheKeys[k]!);
      if (!kept) return this.#damaged(`the share of issue #${this.listings[k]!.number} cannot be read`);
      try {
        // A share's documents are looked up only by a later build in this process; an outline's are never needed.
        share = shareFrom(kept, this.listings[k]!, noContent);
      } catch {
        // Whole when the build began (has()), so damaged since.
        return kept.damaged();
      }
      this.#shares.set(k, share);
    }
    return share;
  }

  paragraphs(k: number, topic: number): string[] {
    return this.share(k).topics[topic]!.paragraphs;
  }

  tag(slug: string, title: string): TagName {
    const key = `${slug.length}:${slug}${title}`;
    let tag = this.#tags.get(key);
    if (!tag) this.#tags.set(key, (tag = { title, slug }));
    return tag;
  }

  tags(at: number): TagName[] {
    let list = this.#tagLists.get(at);
    if (!list) this.#tagLists.set(at, (list = this.outline.tagLists[at]!.map(([slug, title]) => this.tag(slug, title))));
    return list;
  }

  domain(at: number): string | undefined {
    return this.outline.domains[at];
  }

  /** Entry `at` as linkFrom makes it from every contribution to its key (known by its hash). */
  entry(at: number): PublishedLink {
    const { outline } = this;
    const low = outline.hashLow[at]!;
    const high = outline.hashHigh[at]!;
    const from: Contribution[] = [];
    for (let u = outline.usesAt[at]!; u < outline.usesAt[at + 1]!; u++) {
      for (const c of contributionsWithLowHash(this.share(outline.uses[u]!), low)) {
        if (from.length > 0 ? c.key !== from[0]!.key : !sameHash(c.key, low, high)) continue;
        from.push(c);
      }
    }
    if (from.length === 0) return this.#damaged(`its entry ${at} is in none of the issues it names`);
    return linkFrom(from, this.tagName);
  }
}

/**
 * An entry of the outline no changed or new issue links to: what places it (site, tags, the
 * issues it appeared in and their dates) and its digest from the outline, the rest made
 * from the kept shares of its issues when first read. Serialises as linkFrom's entry.
 */
class OutlineLink extends LazyEntry {
  /** Where it is in the outline, which holds the rest (a new process makes tens of thousands of these: each holds only this). */
  readonly source: OutlineSource;
  readonly at: number;
  #entry: PublishedLink | undefined;

  constructor(source: OutlineSource, at: number) {
    super();
    this.source = source;
    this.at = at;
  }

  get shortDigest(): string {
    return this.source.outline.digests.slice(this.at * shortDigestLength, (this.at + 1) * shortDigestLength);
  }

  get domain(): string | undefined {
    return this.source.domain(this.source.outline.domainOf[this.at]!);
  }

  get tags(): TagName[] {
    return this.source.tags(this.source.outline.tagsOf[this.at]!);
  }

  /** The date of the newest issue it appeared in, from the outline (newestUseDate), without making its uses. */
  newestDate(): string | undefined {
    const { outline, listings } = this.source;
    let newest: string | undefined;
    for (let u = outline.usesAt[this.at]!; u < outline.usesAt[this.at + 1]!; u++) {
      const date = listings[outline.uses[u]!]!.date;
      if (newest === undefined || date > newest) newest = date;
    }
    return newest;
  }

  /** Made when asked for (each time: the pages read a few of each, and nothing keeps them). */
  get uses(): LinkUse[] {
    const { outline, listings } = this.source;
    const from = outline.usesAt[this.at]!;
    const uses = new Array<LinkUse>(outline.usesAt[this.at + 1]! - from);
    for (let u = 0; u < uses.length; u++) uses[u] = new LazyUse(listings[outline.uses[from + u]!]!, this, u);
    return uses;
  }

  get key(): string {
    return this.entry().key;
  }

  entry(): PublishedLink {
    return (this.#entry ??= this.source.entry(this.at));
  }
}

/**
 * The date of the newest issue `link` appeared in (a links page's date in the sitemap): read
 * for every link of every page, so an outline's entry answers from the outline rather than
 * making its uses (80,000 links made 18 MB of them for a publish).
 */
export function newestUseDate(link: PublishedLink): string | undefined {
  if (link instanceof OutlineLink) return link.newestDate();
  let newest: string | undefined;
  for (const use of link.uses) if (newest === undefined || use.date > newest) newest = use.date;
  return newest;
}
