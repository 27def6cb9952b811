// The static reader-search index, made from every issue's search document (a cache
// artifact: web/search-doc.ts) at the end of each build. Plain JSON files any static host
// or CDN serves, read by the search box's script (web/search-box.tsx):
//   search/meta.json        {v: version, b: word files, i: [[first issue number, [records
//                           of each issue from there on]], …]}: read first
//   search/w/<bucket>.json  {word: records}: which records hold a word, as gaps between
//                           record numbers or a base64 bitmap (see encodePosting)
//   search/<n>.json         issue n's records: {n, t, d, u, s: [section…]}, section s (0 is
//                           the header and intro) as {h: heading, p: blocks}, block by
//                           block: the block's id on the page, its text, its links
// Records (sections) are numbered through the archive, oldest issue first. A first search
// reads the script, meta.json, one word file per word and the issues of the records it
// shows. One file per issue, not per section: a 1,000-issue archive's index is ~1,100
// files, not ~15,000 (what a build creates or links, and a host's file limit counts), and
// a reader fetches an issue once for all its matching sections.
// Each issue's share is remembered by its cache key (and its links' tags), and the merged
// word lists too, so a rebuild after one edit reads one search document and re-encodes
// only that issue's words (see Merged). A new process (`newsdesk build` after an edit)
// remembers nothing, so it patches the index the output holds instead, from a small state
// the last build left in the build cache (see patchIndex): reading every issue's share
// took it 0.55-1.2 s for 1,000 issues, the patch 0.05-0.07 s.
import { createHash, hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { NewsdeskError } from '../core/errors.ts';
import { sectionOwnText, type IssueSearchDoc, type SearchLink } from '../web/search-doc.ts';
import { searchTokenizer } from '../web/search-tokens.ts';
import { damagedCacheHint, readEntryPart, writeRecord, type PageStore } from './cache.ts';
import { inLanes } from './output.ts';
import type { TaggedLink } from './sources.ts';

/** What the index takes from a tagged link (linkDetails). */
export type SearchLinkDetails = Pick<TaggedLink, 'title' | 'siteName' | 'tags'>;
/** The tagged links by id: all of them (a list, indexed here), or a lookup that resolves the ones asked for. */
export type TaggedLookup = { get(id: string): SearchLinkDetails | undefined };

export const searchFolder = 'search';
/** About this many bytes per word file. */
const bytesPerBucket = 4096;

const tokenizer = searchTokenizer();

/**
 * An issue's records file kept in the page store (build/cache.ts) instead of in memory: a
 * full build of 1,000 issues held 29 MB of records text from the render to the end, and its
 * peak RSS was 40-50 MB lower without it. The output hard-links the stored file.
 */
export interface StoredRecords {
  /** Its key in the page store (kept by the build that places it). */
  key: string;
  /** The stored file. */
  path: string;
}

/** An issue's records file: [site path, JSON, or where the page store keeps it]. */
type RecordsFile = [rel: string, content: string | StoredRecords];
/** A file of the index: [site path, content]; content undefined: the current output's, unchanged (SearchIndex.files). */
type IndexFile = [rel: string, content: string | StoredRecords | undefined];

/** One issue's part of the index. */
interface IssueShare {
  /** The issue's cache key. */
  key: string;
  number: number;
  /** Its records' file. */
  file: RecordsFile;
  /** How many records (sections) it has. */
  records: number;
  /** A hash of the records, for the index version. */
  digest: string;
  /** Word → section indexes holding it, ascending. */
  words: Map<string, number[]>;
  /** The link documents its blocks name, with what the index took from each (compared on the next build). */
  tagged: Array<[id: string, seen: string]>;
}

const shares = new Map<string, IssueShare>();
const taggedById = new WeakMap<readonly TaggedLink[], Map<string, TaggedLink>>();
const seenOf = new WeakMap<SearchLinkDetails, string>();

/**
 * What the index takes from a link document (linkDetails), as one string: a build makes
 * its link objects afresh, so an issue's share is kept when these are equal, not when the
 * objects are the same.
 */
function seen(link: SearchLinkDetails | undefined): string {
  if (!link) return '';
  let key = seenOf.get(link);
  if (key === undefined) seenOf.set(link, (key = JSON.stringify([link.title, link.siteName, link.tags.map((t) => t.title)])));
  return key;
}
let lastOutput: { inputs: IssueShare[]; files: RecordsFile[]; v: string } | undefined;

export interface SearchIndexSource {
  /** The issue's cache key. */
  key: string;
  /** Its cache entry's entry.json (BuildCache.entryPath), which holds the search document. */
  file: string;
  /** The search document's text when the caller holds it already (a render worker's reply): then the file is not read. */
  text?: string;
}

/**
 * Reads one issue's share of the index ahead of buildSearchIndex, which then finds it
 * remembered: a full build calls it as each issue is rendered, so the reading is done
 * while the render workers are busy instead of after them.
 */
export async function readSearchShare(issue: SearchIndexSource, links: readonly TaggedLink[] | TaggedLookup, store?: PageStore): Promise<void> {
  await shareFor(issue, linksById(links), store);
}

/** What the index depends on besides the issues' shares. */
export interface SearchContext {
  /** The template version (build/template-version.ts): the tokenizer and the records' shape are part of it. */
  template: string;
  /** Digest of the tag documents (tagDigest): a link's tags are searched by title, and no issue's cache key covers a tag document. */
  tags: string;
}

/**
 * What a build leaves in the build cache for the next process (build-cache/search-state.json):
 * enough to patch the index in the output with the issues that changed, instead of reading
 * every issue's share again (about a second for 1,000 issues; see patchIndex).
 */
export interface SearchState {
  format: typeof searchStateFormat;
  template: string;
  tags: string;
  /** The version (meta.json's v) of the index this state describes. */
  v: string;
  /** Oldest first: each issue's number, cache key, records and its records file's digest. */
  issues: Array<[number: number, key: string, records: number, digest: string]>;
}

/** Bumped when the index's files change shape (or what the state says of them). */
const searchStateFormat = 1;

export interface SearchIndex {
  /**
   * Every file of the index, as [site path, content], in writing order; content undefined:
   * an issue's records file exactly as the current output has it (the issue did not change);
   * a StoredRecords: the records file as the page store keeps it (written when a store was given).
   */
  files: IndexFile[];
  /** For the next build (saveSearchState), once this one's output is in place. */
  state: SearchState;
}

/**
 * Every file of the search index; issues in any order. `previous`: the output folder and
 * the state the build that wrote it left, for a process that has not built the index
 * before (the CLI after an edit) to patch it rather than read every issue's share.
 * `store`: where the issues' records files are kept until placed (StoredRecords).
 */
export async function buildSearchIndex(
  issues: readonly SearchIndexSource[],
  links: readonly TaggedLink[] | TaggedLookup,
  context: SearchContext,
  previous?: { outDir: string; state: SearchState | undefined },
  store?: PageStore,
): Promise<SearchIndex> {
  const byId = linksById(links);
  if (!lastOutput && previous?.state) {
    const patched = await patchIndex(issues, byId, context, previous.outDir, previous.state, store);
    if (patched) return patched;
  }
  // A few at a time: each share read is an issue's whole search document (66 MB for 1,000 issues read at once).
  const current = await inLanes(issues, 8, (issue) => shareFor(issue, byId, store));
  const keep = new Set(issues.map((i) => i.key));
  for (const key of shares.keys()) if (!keep.has(key)) shares.delete(key);
  current.sort((a, b) => a.number - b.number);
  if (!lastOutput || lastOutput.inputs.length !== current.length || !lastOutput.inputs.every((s, i) => s === current[i])) {
    lastOutput = { inputs: current, ...mergeShares(current) };
  }
  return {
    files: lastOutput.files,
    state: { format: searchStateFormat, ...context, v: lastOutput.v, issues: current.map((share) => [share.number, share.key, share.records, share.digest]) },
  };
}

/**
 * Forgets every share and the last index made from them, so the next build reads the shares
 * again: after a stored records file was found missing (the build cache deleted under a
 * running server), which a remembered share would otherwise point to build after build.
 */
export function forgetSearchShares(): void {
  shares.clear();
  lastOutput = undefined;
  merged = undefined;
}

/** An issue's records file in the output (and its name in the records store's keys). */
function recordsPath(number: number): string {
  return `${searchFolder}/${number}.json`;
}

/** For tests: how many issues' shares this process holds for a next build. */
export function heldSearchShares(): number {
  return shares.size;
}

/** A digest of the tag documents' ids, titles and slugs (what a link's search details take from them). */
export function tagDigest(docs: Iterable<{ _id: string; _type: string; title?: unknown; slug?: unknown }>): string {
  const tags: string[] = [];
  for (const doc of docs) if (doc._type === 'tag') tags.push(JSON.stringify([doc._id, doc.title, doc.slug]));
  return createHash('sha256').update(tags.sort().join('\n')).digest('base64url');
}

/** The state a build left (undefined when there is none, or it is unreadable or of another format). */
export async function readSearchState(file: string): Promise<SearchState | undefined> {
  try {
    const state = JSON.parse(await fs.readFile(file, 'utf8')) as SearchState;
    return state.format === searchStateFormat && Array.isArray(state.issues) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state (temporary file, rename); undefined removes it (an in-place rebuild is about to change the index file by file). */
export async function saveSearchState(file: string, state: SearchState | undefined): Promise<void> {
  if (!state) return fs.rm(file, { force: true });
  await writeRecord(file, state);
}

/**
 * The index patched from the one in `outDir`: its word files hold every word's records
 * (lossless: see encodePosting), the state says which issue owns which records, so the
 * records of the issues that changed or left are taken out, the others renumbered, and
 * the changed and new issues' words put in, from their shares alone. Then everything is
 * encoded as mergeShares does, so the files are the same bytes a build from every share
 * writes (the tests compare them). Undefined when the state does not describe that output
 * (another index version, template or tag documents) or most issues changed.
 */
async function patchIndex(
  issues: readonly SearchIndexSource[],
  byId: TaggedLookup,
  context: SearchContext,
  outDir: string,
  state: SearchState,
  store: PageStore | undefined,
): Promise<SearchIndex | undefined> {
  if (state.template !== context.template || state.tags !== context.tags) return undefined;
  const before = new Map<string, { number: number; records: number; digest: string; offset: number }>();
  let oldRecords = 0;
  for (const [number, key, records, digest] of state.issues) {
    before.set(key, { number, records, digest, offset: oldRecords });
    oldRecords += records;
  }
  const changed = issues.filter((issue) => !before.has(issue.key));
  if (changed.length * 4 > issues.length) return undefined;
  let meta: { v?: unknown; b?: unknown };
  try {
    meta = JSON.parse(await fs.readFile(path.join(outDir, searchFolder, 'meta.json'), 'utf8')) as typeof meta;
  } catch {
    return undefined;
  }
  if (meta.v !== state.v || typeof meta.b !== 'number') return undefined;
  const oldBuckets = meta.b;
  // One after another, synchronously: a thousand small files read at once would queue in the
  // process's four I/O threads, for several times as long (nothing else runs meanwhile).
  const shards = Array.from({ length: oldBuckets }, (_, b) => {
    try {
      return readFileSync(path.join(outDir, searchFolder, 'w', `${b}.json`), 'utf8');
    } catch {
      return undefined;
    }
  });
  if (shards.some((text) => text === undefined)) return undefined;
  const fresh = await Promise.all(changed.map((issue) => shareFor(issue, byId, store)));
  // The old records of each issue number whose cache key is gone (its issue changed or left).
  const current = new Set(issues.map((issue) => issue.key));
  const gone = new Map<number, { records: number; digest: string; offset: number }>();
  for (const [key, b] of before) if (!current.has(key)) gone.set(b.number, b);

  type Entry = { number: number; key: string; records: number; digest: string; share?: IssueShare; oldOffset?: number };
  const entries: Entry[] = [
    ...issues.filter((issue) => before.has(issue.key)).map((issue) => {
      const b = before.get(issue.key)!;
      // Its records file stays in the store for a later build to link (one that merges every share).
      store?.keep(store.keyOf(recordsPath(b.number), b.digest));
      return { number: b.number, key: issue.key, records: b.records, digest: b.digest, oldOffset: b.offset };
    }),
    ...fresh.map((share) => {
      const old = gone.get(share.number);
      // An issue changed but not its records (the issue before a new one: its page now links
      // to the next): its records stay where they were, and its words with them.
      const same = old !== undefined && old.digest === share.digest && old.records === share.records;
      return { number: share.number, key: share.key, records: share.records, digest: share.digest, share, oldOffset: same ? old.offset : undefined };
    }),
  ].sort((a, b) => a.number - b.number);
  // Where each old record goes (-1: its issue changed or left).
  const moved = new Int32Array(oldRecords).fill(-1);
  const offsets: number[] = [];
  let records = 0;
  for (const entry of entries) {
    offsets.push(records);
    if (entry.oldOffset !== undefined) for (let s = 0; s < entry.records; s++) moved[entry.oldOffset + s] = records + s;
    records += entry.records;
  }
  // The new records of each word a new or changed issue's records hold: every other word keeps its records, renumbered.
  const added = new Map<string, number[]>();
  entries.forEach((entry, i) => {
    if (entry.share === undefined || entry.oldOffset !== undefined) return;
    for (const [word, sections] of entry.share.words) {
      const list = added.get(word);
      const fresh = sections.map((s) => offsets[i]! + s);
      if (list) list.push(...fresh);
      else added.set(word, fresh);
    }
  });
  // A publish's usual case first: every old record where it was and as many word files as
  // before, each file patched on its own (patchShards); else every word placed again.
  const { shardFiles, buckets } = (postingsKeepPlaces(moved, oldRecords) && patchShards(shards as string[], oldBuckets, added, oldRecords, records)) || everyWord();
  function everyWord(): { shardFiles: string[]; buckets: number } {
    // Each word's records, in the order the index lists its words; one no new record holds is
    // taken as it is encoded when renumbering leaves it as it was (postingUnchanged).
    const unchanged = postingUnchanged(moved, oldRecords, records);
    const postings = new Map<string, number[] | string>();
    for (const text of shards) {
      for (const [word, encoded] of Object.entries(JSON.parse(text!) as Record<string, number[] | string>)) {
        const same = added.has(word) ? undefined : unchanged(encoded);
        if (same !== undefined) {
          postings.set(word, same);
          continue;
        }
        const list: number[] = [];
        for (const r of decodePosting(encoded, oldRecords)) if (r < oldRecords && moved[r]! >= 0) list.push(moved[r]!);
        if (list.length > 0) postings.set(word, list);
      }
    }
    for (const [word, fresh] of added) postings.set(word, [...((postings.get(word) as number[] | undefined) ?? []), ...fresh].sort((a, b) => a - b));

    const encoded = new Map<string, string>();
    let bytes = 0;
    for (const [word, list] of postings) {
      const json = typeof list === 'string' ? list : encodePosting(list, records);
      encoded.set(word, json);
      bytes += word.length + json.length + 4;
    }
    return shardsOf(encoded, bytes);
  }
  const files: IndexFile[] = entries.map((entry) => [recordsPath(entry.number), entry.share?.file[1]]);
  const v = indexFiles(files, entries.map((e) => e.digest), shardFiles, buckets, runsOf(entries));
  return { files, state: { format: searchStateFormat, ...context, v, issues: entries.map((e) => [e.number, e.key, e.records, e.digest]) } };
}

function linksById(links: readonly TaggedLink[] | TaggedLookup): TaggedLookup {
  if (!Array.isArray(links)) return links as TaggedLookup;
  let byId = taggedById.get(links);
  if (!byId) taggedById.set(links, (byId = new Map(links.map((l) => [l.id, l]))));
  return byId;
}

/**
 * The issue's share: remembered while its cache entry and what it took from its links are
 * the same. With a store, its records file is written there and the text let go.
 */
async function shareFor({ key, file, text }: SearchIndexSource, byId: TaggedLookup, store: PageStore | undefined): Promise<IssueShare> {
  const known = shares.get(key);
  if (known && known.tagged.every(([id, seenKey]) => seen(byId.get(id)) === seenKey)) return known;
  const share = shareOf(key, await readDoc(file, text), byId);
  const [rel, records] = share.file;
  if (store && typeof records === 'string') {
    const stored = store.keyOf(rel, share.digest);
    // Read from a cache entry an earlier build made (not a worker's reply): its records file
    // is most likely stored already, and kept as it is the output's files stay links to it.
    if (text !== undefined || !(await store.has(stored))) await store.put(stored, records);
    share.file = [rel, { key: stored, path: store.file(stored) }];
  }
  shares.set(key, share);
  return share;
}

/** The search artifact (build/render-issue.ts SearchArtifact); `words` may be missing from an older cache entry. */
type SearchDocWithWords = IssueSearchDoc & { words?: string[][] };

async function readDoc(file: string, text?: string): Promise<SearchDocWithWords> {
  try {
    const doc = text !== undefined ? JSON.parse(text) : await readEntryPart(file, 'search');
    if (typeof doc !== 'object' || doc === null) throw new Error('it holds no search document');
    return doc as SearchDocWithWords;
  } catch (error) {
    throw new NewsdeskError('BUILD_FAILED', `Reading the search document ${file} failed: ${(error as Error).message}`, {
      hint: damagedCacheHint,
      cause: error,
    });
  }
}

function shareOf(key: string, doc: SearchDocWithWords, byId: TaggedLookup): IssueShare {
  const tagged: IssueShare['tagged'] = [];
  const words = new Map<string, number[]>();
  const records: Array<{ h: string | undefined; p: ReadonlyArray<readonly [string, string, string]> }> = [];
  doc.sections.forEach((section, s) => {
    const blocks = section.blocks.map((block) => {
      const details = block.links.map((link) => {
        const tags = link.id ? byId.get(link.id) : undefined;
        if (link.id) tagged.push([link.id, seen(tags)]);
        return linkDetails(link, tags);
      });
      return [block.id, block.text, details.filter(Boolean).join(' | ')] as const;
    });
    // The section's own words were found when the issue was rendered (in a worker thread); its links' details are joined in here.
    const own = doc.words?.[s] ?? tokenizer.terms(sectionOwnText(doc, s));
    for (const word of [...own, ...tokenizer.terms(blocks.map(([, , l]) => l).join(' '))]) {
      const list = words.get(word);
      if (!list) words.set(word, [s]);
      else if (list.at(-1) !== s) list.push(s);
    }
    records.push({ h: section.heading, p: blocks });
  });
  const file: [string, string] = [
    recordsPath(doc.number),
    // "<" as \u003c: the same data, and no markup even for a host that sniffs JSON as HTML.
    JSON.stringify({ n: doc.number, t: doc.title, d: doc.date, u: doc.path, s: records }).replaceAll('<', '\\u003c'),
  ];
  // One call on the two texts joined: the same bytes as an update each.
  return { key, number: doc.number, file, records: records.length, digest: hash('sha256', file[0] + file[1], 'base64'), words, tagged };
}

/** "Title · example.org · tag, tag": what a reader may search a link by besides the text that names it. */
function linkDetails(link: SearchLink, tagged: SearchLinkDetails | undefined): string {
  let domain = '';
  try {
    domain = new URL(link.url).hostname.replace(/^www\./, '');
  } catch {
    domain = '';
  }
  const title = tagged?.title ?? link.title;
  const site = link.site ?? tagged?.siteName;
  return [title, site, site?.toLowerCase() === domain ? '' : domain, tagged?.tags.map((t) => t.title).join(', ')].filter(Boolean).join(' · ');
}

/**
 * The merged word lists of the last build, kept so that the next one re-encodes only the
 * words of the issues that changed (a one-issue edit of a 1,000-issue archive touches a few
 * thousand of its hundreds of thousands of words). Starts over when the record layout
 * (which issues, how many records each) changed, since record numbers then move.
 */
interface Merged {
  layout: string;
  shares: IssueShare[];
  /** The first record number of each share. */
  offsets: number[];
  records: number;
  /** Word → indexes (ascending) of the shares holding it. */
  holders: Map<string, number[]>;
  /** Word → its records, encoded (gaps or bitmap: see encodePosting). */
  encoded: Map<string, string>;
  bytes: number;
  buckets: number;
  bucketWords: Array<Set<string>>;
  shardFiles: string[];
}
let merged: Merged | undefined;

function mergeShares(current: IssueShare[]): { files: RecordsFile[]; v: string } {
  const runs = runsOf(current);
  const layout = JSON.stringify(runs);
  const m = merged?.layout === layout ? merged : (merged = freshMerge(layout));
  const touched = new Set<string>();
  current.forEach((share, i) => {
    const before = m.shares[i];
    if (before === share) return;
    for (const word of before?.words.keys() ?? []) {
      if (share.words.has(word)) continue;
      touched.add(word);
      removeHolder(m.holders, word, i);
    }
    // A word in the same sections as before keeps its records (record numbers did not move).
    for (const [word, sections] of share.words) {
      const was = before?.words.get(word);
      if (!was) addHolder(m.holders, word, i);
      if (!was || was.length !== sections.length || was.some((s, k) => s !== sections[k])) touched.add(word);
    }
    m.shares[i] = share;
  });
  for (const word of touched) {
    const old = m.encoded.get(word);
    if (old !== undefined) m.bytes -= word.length + old.length + 4;
    const holders = m.holders.get(word);
    if (!holders) {
      m.encoded.delete(word);
      continue;
    }
    const list: number[] = [];
    for (const i of holders) for (const s of m.shares[i]!.words.get(word)!) list.push(m.offsets[i]! + s);
    const json = encodePosting(list, m.records);
    m.encoded.set(word, json);
    m.bytes += word.length + json.length + 4;
  }
  const buckets = bucketsFor(m.bytes);
  const stale = new Set<number>();
  if (buckets !== m.buckets) {
    m.buckets = buckets;
    m.bucketWords = Array.from({ length: buckets }, () => new Set<string>());
    for (const word of m.encoded.keys()) m.bucketWords[tokenizer.bucketOf(word, buckets)]!.add(word);
    m.shardFiles = [];
    for (let b = 0; b < buckets; b++) stale.add(b);
  } else {
    for (const word of touched) {
      const b = tokenizer.bucketOf(word, buckets);
      if (m.encoded.has(word)) m.bucketWords[b]!.add(word);
      else m.bucketWords[b]!.delete(word);
      stale.add(b);
    }
  }
  for (const b of stale) m.shardFiles[b] = shardContent(m.bucketWords[b]!, m.encoded);

  const files: RecordsFile[] = current.map((share) => share.file);
  const v = indexFiles(files, current.map((share) => share.digest), m.shardFiles, buckets, runs);
  return { files, v };

  function freshMerge(layout: string): Merged {
    const offsets: number[] = [];
    let records = 0;
    for (const share of current) {
      offsets.push(records);
      records += share.records;
    }
    return { layout, shares: [], offsets, records, holders: new Map(), encoded: new Map(), bytes: 0, buckets: 0, bucketWords: [], shardFiles: [] };
  }
}

/** Records are numbered through the archive, oldest issue first: runs of consecutive issue numbers with each one's record count (meta.json's i). */
function runsOf(issues: ReadonlyArray<{ number: number; records: number }>): Array<[first: number, counts: number[]]> {
  const runs: Array<[first: number, counts: number[]]> = [];
  for (const issue of issues) {
    const last = runs.at(-1);
    if (last && last[0] + last[1].length === issue.number) last[1].push(issue.records);
    else runs.push([issue.number, [issue.records]]);
  }
  return runs;
}

/** How many word files for this many bytes of words and records. */
function bucketsFor(bytes: number): number {
  let buckets = 1;
  while (buckets * bytesPerBucket < bytes && buckets < 16384) buckets *= 2;
  return buckets;
}

/** A word file: its words sorted, so the same words give the same bytes however the file was reached. */
function shardContent(words: Iterable<string>, encoded: Map<string, string>): string {
  return `{${[...words]
    .sort()
    .map((w) => `${JSON.stringify(w)}:${encoded.get(w)}`)
    .join(',')}}`;
}

/** Every word file at once, from every word's encoded records and their total size. */
function shardsOf(encoded: Map<string, string>, bytes: number): { shardFiles: string[]; buckets: number } {
  const buckets = bucketsFor(bytes);
  const words = Array.from({ length: buckets }, () => [] as string[]);
  for (const word of encoded.keys()) words[tokenizer.bucketOf(word, buckets)]!.push(word);
  return { shardFiles: words.map((list) => shardContent(list, encoded)), buckets };
}

/**
 * Appends the word files and meta.json to `files` (the issues' records files), and returns
 * the index's version. In writing order: a reader searching during an in-place rebuild
 * finds records in their issue's file (stable names), then word files, and meta.json,
 * which names them all, last. The version names this index's files in the script's
 * requests, so no cache mixes two builds.
 */
function indexFiles(files: IndexFile[], digests: string[], shardFiles: string[], buckets: number, runs: ReturnType<typeof runsOf>): string {
  const version = createHash('sha256');
  for (const digest of digests) version.update(digest);
  shardFiles.forEach((content, b) => {
    version.update(content);
    files.push([`${searchFolder}/w/${b}.json`, content]);
  });
  const v = version.digest('hex').slice(0, 12);
  files.push([`${searchFolder}/meta.json`, JSON.stringify({ v, b: buckets, i: runs })]);
  return v;
}

function addHolder(holders: Map<string, number[]>, word: string, i: number): void {
  const list = holders.get(word);
  if (!list) return void holders.set(word, [i]);
  // Shares are visited in order on a fresh merge, so this is nearly always an append.
  let at = list.length;
  while (at > 0 && list[at - 1]! > i) at--;
  list.splice(at, 0, i);
}

function removeHolder(holders: Map<string, number[]>, word: string, i: number): void {
  const list = holders.get(word);
  if (!list) return;
  const rest = list.filter((x) => x !== i);
  if (rest.length === 0) holders.delete(word);
  else holders.set(word, rest);
}

/**
 * A word's records, ascending: as gaps between record numbers, or as a base64 bitmap over
 * all records when that is shorter (a word in most sections then costs records/6 bytes,
 * however big the archive).
 */
function encodePosting(list: number[], records: number): string {
  const bitmapLength = Math.ceil(Math.ceil(records / 8) / 3) * 4 + 2;
  const gaps = JSON.stringify(list.map((r, i) => (i === 0 ? r : r - list[i - 1]!)));
  return gaps.length <= bitmapLength ? gaps : JSON.stringify(bitmap(list, records));
}

/** Whether every old record keeps its place (`moved` maps each to itself: a publish adds an issue after the rest). */
function postingsKeepPlaces(moved: Int32Array, oldRecords: number): boolean {
  for (let r = 0; r < oldRecords; r++) if (moved[r] !== r) return false;
  return true;
}

/**
 * The word files patched one by one, for an index whose old records all keep their places
 * (postingsKeepPlaces) and whose size keeps its number of files (`buckets`): each file's
 * words are read from its text in order (as shardContent wrote them: sorted, each key
 * JSON.stringify's, each encoding encodePosting's); a word no new record holds is copied as
 * it is (a bitmap of another length decoded and encoded again, as postingUnchanged says), a
 * word `added` gives records to is decoded, given them and encoded again, and a new word is
 * put in its place. The same text shardsOf makes of every word, without parsing, re-encoding
 * and placing again the tens of thousands no new record holds (a publish to a real archive
 * of 667 issues allocated 75 MB doing so). Undefined when the patched index's size calls for
 * another number of files.
 */
function patchShards(shards: string[], buckets: number, added: Map<string, number[]>, oldRecords: number, records: number): { shardFiles: string[]; buckets: number } | undefined {
  const sameBitmap = Math.ceil(records / 8) === Math.ceil(oldRecords / 8);
  // The words given records, by the file they belong in, sorted as shardContent sorts.
  const byFile = Array.from({ length: buckets }, () => [] as string[]);
  for (const word of added.keys()) byFile[tokenizer.bucketOf(word, buckets)]!.push(word);
  const encode = (word: string, old: number[] | string | undefined) => {
    const list = old === undefined ? [] : decodePosting(old, oldRecords);
    list.push(...added.get(word)!);
    return encodePosting(list.sort((a, b) => a - b), records);
  };
  let bytes = 0;
  const shardFiles = shards.map((text, b) => {
    const given = byFile[b]!.sort();
    const parts: string[] = [];
    const put = (key: string, word: string, json: string) => {
      parts.push(`${key}:${json}`);
      bytes += word.length + json.length + 4;
    };
    let next = 0;
    // Between the braces: "key":encoding, comma-separated; a key's escapes are skipped two characters at a time.
    for (let at = 1; at < text.length - 1; ) {
      let end = at + 1;
      let escaped = false;
      while (text.charCodeAt(end) !== 34) {
        if (text.charCodeAt(end) === 92) escaped = true;
        end += text.charCodeAt(end) === 92 ? 2 : 1;
      }
      const key = text.slice(at, end + 1);
      const word = escaped ? (JSON.parse(key) as string) : key.slice(1, -1);
      const from = end + 2;
      at = (text.charCodeAt(from) === 91 ? text.indexOf(']', from) : text.indexOf('"', from + 1)) + 1;
      const value = text.slice(from, at);
      at++;
      while (next < given.length && given[next]! < word) put(JSON.stringify(given[next]), given[next]!, encode(given[next++]!, undefined));
      if (given[next] === word) put(key, word, encode(given[next++]!, JSON.parse(value) as number[] | string));
      else put(key, word, value.charCodeAt(0) === 91 || sameBitmap ? value : encodePosting(decodePosting(JSON.parse(value) as string, oldRecords), records));
    }
    while (next < given.length) put(JSON.stringify(given[next]), given[next]!, encode(given[next++]!, undefined));
    return `{${parts.join(',')}}`;
  });
  return bucketsFor(bytes) === buckets ? { shardFiles, buckets } : undefined;
}

/**
 * When every old record keeps its place (`moved` maps each to itself: a publish adds an
 * issue after the rest), the encoding of a word no new record holds, taken from the old one
 * without decoding it, as encodePosting would make it for `records`: a list of gaps stays
 * one (a longer index only lengthens the bitmap it was shorter than), a bitmap of as many
 * bytes is the same. Undefined otherwise: the word is decoded, renumbered and encoded again.
 */
function postingUnchanged(moved: Int32Array, oldRecords: number, records: number): (encoded: number[] | string) => string | undefined {
  if (!postingsKeepPlaces(moved, oldRecords)) return () => undefined;
  const sameBitmap = Math.ceil(records / 8) === Math.ceil(oldRecords / 8);
  return (encoded) => (Array.isArray(encoded) || sameBitmap ? JSON.stringify(encoded) : undefined);
}

/** The records encodePosting encoded (`records`: how many the index had). */
function decodePosting(encoded: number[] | string, records: number): number[] {
  const list: number[] = [];
  if (Array.isArray(encoded)) {
    let r = 0;
    encoded.forEach((gap, i) => list.push((r = i === 0 ? gap : r + gap)));
    return list;
  }
  const bytes = Buffer.from(encoded, 'base64');
  for (let r = 0; r < records; r++) if (bytes[r >> 3]! & (1 << (r & 7))) list.push(r);
  return list;
}

/** Base64 of a bitmap with bit r (low bit first in each byte) set for every record in `list`. */
function bitmap(list: number[], records: number): string {
  const bytes = Buffer.alloc(Math.ceil(records / 8));
  for (const r of list) bytes[r >> 3]! |= 1 << (r & 7);
  return bytes.toString('base64');
}
