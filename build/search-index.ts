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
// only that issue's words (see Merged).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { NewsdeskError } from '../core/errors.ts';
import { sectionOwnText, type IssueSearchDoc, type SearchLink } from '../web/search-doc.ts';
import { searchTokenizer } from '../web/search-tokens.ts';
import type { TaggedLink } from './sources.ts';

export const searchFolder = 'search';
/** About this many bytes per word file. */
const bytesPerBucket = 4096;

const tokenizer = searchTokenizer();

/** One issue's part of the index. */
interface IssueShare {
  number: number;
  /** Its records' file: [site path, JSON]. */
  file: [string, string];
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
const seenOf = new WeakMap<TaggedLink, string>();

/**
 * What the index takes from a link document (linkDetails), as one string: a build makes
 * its link objects afresh, so an issue's share is kept when these are equal, not when the
 * objects are the same.
 */
function seen(link: TaggedLink | undefined): string {
  if (!link) return '';
  let key = seenOf.get(link);
  if (key === undefined) seenOf.set(link, (key = JSON.stringify([link.title, link.siteName, link.tags.map((t) => t.title)])));
  return key;
}
let lastOutput: { inputs: IssueShare[]; files: Array<[string, string]> } | undefined;

export interface SearchIndexSource {
  /** The issue's cache key. */
  key: string;
  /** Its search document's file (BuildCache.artifactPath(key, 'search')). */
  file: string;
}

/**
 * Reads one issue's share of the index ahead of buildSearchIndex, which then finds it
 * remembered: a full build calls it as each issue is rendered, so the reading is done
 * while the render workers are busy instead of after them.
 */
export async function readSearchShare(issue: SearchIndexSource, links: readonly TaggedLink[]): Promise<void> {
  await shareFor(issue, linksById(links));
}

/** Every file of the search index, as [site path, content]; issues in any order. */
export async function buildSearchIndex(issues: readonly SearchIndexSource[], links: readonly TaggedLink[]): Promise<Array<[string, string]>> {
  const byId = linksById(links);
  const current = await Promise.all(issues.map((issue) => shareFor(issue, byId)));
  const keep = new Set(issues.map((i) => i.key));
  for (const key of shares.keys()) if (!keep.has(key)) shares.delete(key);
  current.sort((a, b) => a.number - b.number);
  if (lastOutput && lastOutput.inputs.length === current.length && lastOutput.inputs.every((s, i) => s === current[i])) return lastOutput.files;
  const files = mergeShares(current);
  lastOutput = { inputs: current, files };
  return files;
}

function linksById(links: readonly TaggedLink[]): Map<string, TaggedLink> {
  let byId = taggedById.get(links);
  if (!byId) taggedById.set(links, (byId = new Map(links.map((l) => [l.id, l]))));
  return byId;
}

/** The issue's share: remembered while its cache entry and what it took from its links are the same. */
async function shareFor({ key, file }: SearchIndexSource, byId: Map<string, TaggedLink>): Promise<IssueShare> {
  const known = shares.get(key);
  if (known && known.tagged.every(([id, seenKey]) => seen(byId.get(id)) === seenKey)) return known;
  const share = shareOf(await readDoc(file), byId);
  shares.set(key, share);
  return share;
}

/** The search artifact (build/render-issue.ts SearchArtifact); `words` may be missing from an older cache entry. */
type SearchDocWithWords = IssueSearchDoc & { words?: string[][] };

async function readDoc(file: string): Promise<SearchDocWithWords> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as SearchDocWithWords;
  } catch (error) {
    throw new NewsdeskError('BUILD_FAILED', `Reading the search document ${file} failed: ${(error as Error).message}`, {
      hint: 'Delete the build cache folder (build-cache in the data folder) and build again.',
      cause: error,
    });
  }
}

function shareOf(doc: SearchDocWithWords, byId: Map<string, TaggedLink>): IssueShare {
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
    `${searchFolder}/${doc.number}.json`,
    // "<" as \u003c: the same data, and no markup even for a host that sniffs JSON as HTML.
    JSON.stringify({ n: doc.number, t: doc.title, d: doc.date, u: doc.path, s: records }).replaceAll('<', '\\u003c'),
  ];
  const digest = createHash('sha256').update(file[0]).update(file[1]);
  return { number: doc.number, file, records: records.length, digest: digest.digest('base64'), words, tagged };
}

/** "Title · example.org · tag, tag": what a reader may search a link by besides the text that names it. */
function linkDetails(link: SearchLink, tagged: TaggedLink | undefined): string {
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

function mergeShares(current: IssueShare[]): Array<[string, string]> {
  // Records are numbered through the archive, oldest issue first.
  const runs: Array<[first: number, counts: number[]]> = [];
  for (const share of current) {
    const last = runs.at(-1);
    if (last && last[0] + last[1].length === share.number) last[1].push(share.records);
    else runs.push([share.number, [share.records]]);
  }
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
  let buckets = 1;
  while (buckets * bytesPerBucket < m.bytes && buckets < 16384) buckets *= 2;
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
  for (const b of stale) {
    // Sorted, so the same words give the same bytes however the file was reached.
    const words = [...m.bucketWords[b]!].sort();
    m.shardFiles[b] = `{${words.map((w) => `${JSON.stringify(w)}:${m.encoded.get(w)}`).join(',')}}`;
  }

  // In writing order: a reader searching during an in-place rebuild finds records in their
  // issue's file (stable names), then word files, and meta.json, which names them all, last.
  const files: Array<[string, string]> = current.map((share) => share.file);
  // The version names this index's files in the script's requests, so no cache mixes two builds.
  const version = createHash('sha256');
  for (const share of current) version.update(share.digest);
  m.shardFiles.forEach((content, b) => {
    version.update(content);
    files.push([`${searchFolder}/w/${b}.json`, content]);
  });
  files.push([`${searchFolder}/meta.json`, JSON.stringify({ v: version.digest('hex').slice(0, 12), b: buckets, i: runs })]);
  return files;

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

/** Base64 of a bitmap with bit r (low bit first in each byte) set for every record in `list`. */
function bitmap(list: number[], records: number): string {
  const bytes = Buffer.alloc(Math.ceil(records / 8));
  for (const r of list) bytes[r >> 3]! |= 1 << (r & 7);
  return bytes.toString('base64');
}
