// The link pages and feeds of a build (web/links-pages.tsx, web/topic-feeds.ts): prepared
// from content alone, so a build with worker threads prepares them while the workers
// render (pausing often, so the workers are handed their next issues in time), and written
// with the rest of the site-wide pages: the link pages one at a time, each rendered as it
// is written (or not at all when the last build wrote the same page: see Place). What
// each page was made from is kept by digest in the build cache (StoredPageKeys), so a new
// process, too, places the pages an edit did not change without rendering them.
import { hash } from 'node:crypto';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RenderContext } from '../core/render.ts';
import type { Feeds } from '../web/feeds.ts';
import { renderLinksPages, type LinksPageFile, type PagePieces } from '../web/links-pages.tsx';
import { buildLinksFeed, buildTopicFeeds, linksFeedPaths } from '../web/topic-feeds.ts';
import { topicFeedPaths } from '../web/topic-links.tsx';
import { readOutputFile, type FileText } from './in-place-output.ts';
import { inLanes } from './output.ts';
import { holdsLinksIndex, indexFromOutline, indexLinks, issueLinksDigests, issueLinksDigestsPaced, outlineOf, shortDigest, type KeptShares, type Pause } from './links-index.ts';
import { readOutline, saveOutline, type LinksOutline } from './links-outline.ts';
import { writeRecord } from './cache.ts';
import { LinkItemsRecord } from './links-items.ts';
import { LinkSharesRecord } from './links-shares.ts';
import type { Listing, RawContent } from './sources.ts';

export interface LinksOutput {
  /** The pages, with their sitemap paths and dates. */
  pages: LinksPageFile[];
  /** The feeds: output path, content key when known without rendering, content, and what to tell of the key it was written under. */
  files: Array<{ rel: string; key: string | undefined; content: () => string; written?: (key: string) => void }>;
}

/** What the link pages and feeds are made from besides the issues (when it changes, nothing is reused). */
export interface LinksContext {
  /** A digest of the template version, the render context, the tags with a page and the tag documents. */
  digest: string;
  /** Each published issue's cache key, by document id. */
  keys: Map<string, string>;
  /** The output folder and its files' content keys (build/in-place-output.ts OutputManifest): what the last build wrote. */
  outDir: string;
  current: Map<string, string> | undefined;
}

/**
 * Puts a file in the output: `key` is its content key when known without rendering it;
 * `render` is called only when the file must be written. Resolves with the content key.
 */
export type Place = (rel: string, key: string | undefined, render: () => FileText) => Promise<string>;

/**
 * `tags`: the tags that have a tag page (their feeds and the "by topic" filter); `stored`:
 * the keys of the last build's pages; `context`: lets a build whose issues all give the
 * links index what they gave the last build reuse its pages and feeds without making the
 * index (StoredPageKeys.reuse).
 */
export async function prepareLinks(
  raw: RawContent,
  listings: Map<string, Listing>,
  tags: Array<{ title: string; slug: string }>,
  ctx: RenderContext,
  pause?: Pause,
  stored?: StoredPageKeys,
  context?: LinksContext,
): Promise<LinksOutput> {
  await stored?.load();
  const reused = stored && context ? stored.reuse(raw, listings, context) : undefined;
  if (reused) return reused;
  // Each issue's share of the index: the unchanged issues' from the last build's record, this build's for the next.
  const kept = stored && context ? stored.keptShares(context) : undefined;
  let shares = new Map<string, () => string | undefined>();
  // From the last build's outline when it can say (a new process, a few issues changed or published), else from every issue.
  const outline = kept && context && !holdsLinksIndex() ? stored!.outline(context) : undefined;
  const fromOutline = outline && (await indexFromOutline(raw, listings, outline, kept!, pause));
  if (fromOutline) shares = fromOutline.shares;
  const index = fromOutline ? fromOutline.index : await indexLinks(raw, listings, pause, kept, shares);
  if (stored && context) stored.keepOutline(() => outlineOf(index, context.digest, context.keys));
  const rendered = await renderLinksPages(index, ctx, tags, pause);
  if (stored && context) await stored.describe(raw, listings, context, shares, pause);
  const pages = stored ? rendered.map((page) => stored.wrap(page, context)) : rendered;
  // A feed the last build wrote from the same sources is placed by its key, not made again.
  const feedFiles = (paths: Feeds, { digest, feeds }: { digest: string; feeds: () => Feeds }) =>
    (['rss', 'atom', 'json'] as const).map((kind) => ({
      rel: paths[kind],
      key: stored?.feedKey(paths[kind], digest),
      content: () => feeds()[kind],
      ...(stored ? { written: (key: string) => stored.feedWritten(paths[kind], key, digest) } : {}),
    }));
  return {
    pages,
    files: [...feedFiles(linksFeedPaths, buildLinksFeed(index, ctx)), ...buildTopicFeeds(index, tags, ctx).flatMap((t) => feedFiles(topicFeedPaths(t.slug), t))],
  };
}

/** Writes the files a few at a time: tens of megabytes of pages are never held together. */
export async function writeLinks(output: LinksOutput, place: Place, lanes = 8): Promise<void> {
  const jobs: Array<() => Promise<unknown>> = [
    ...output.pages.map((page) => async () => {
      if (page.key === undefined) await page.prepare?.();
      page.written(await place(page.rel, page.key, () => page.html()));
    }),
    ...output.files.map((file) => async () => {
      // Placed whether or not anyone records the key (an optional call would skip its argument).
      const key = await place(file.rel, file.key, file.content);
      file.written?.(key);
    }),
  ];
  await inLanes(jobs, lanes, (job) => job());
}

/**
 * The link pages' content keys by a digest of their inputs (LinksPageFile.inputs) and the
 * template version, in one file of the build cache: a page that a new process finds with
 * the same digest has the same bytes, so the output places it by its key (a hard link
 * from the current output) without rendering it. Hashing a page's inputs costs a fraction
 * of rendering it. One instance per file and process, as the pages' own memo is.
 */
/**
 * What the last build's link pages and feeds were made from, for the next build to reuse
 * them whole: the context's digest, each issue's share of the links index by digest, and
 * every page and feed it wrote with its content key.
 */
interface LinksReuse {
  context: string;
  /** Oldest first: number, cache key, digest of the issue's share (links-index.ts issueLinksDigests). */
  issues: Array<[number: number, key: string, digest: string]>;
  /** rel, content key, sitemap path, sitemap date. */
  pages: Array<[rel: string, key: string, path: string, lastmod: string | null]>;
  /** rel, content key. */
  feeds: Array<[rel: string, key: string]>;
}

export class StoredPageKeys {
  static readonly #open = new Map<string, StoredPageKeys>();
  readonly #file: string;
  readonly #version: string;
  #entries = new Map<string, [digest: string, key: string]>();
  #loaded: Promise<void> | undefined;
  #changed = false;
  readonly #used = new Set<string>();
  /** The last build's, as stored; and this build's, filled in as it goes (saved with the keys). */
  #reuse: LinksReuse | undefined;
  #next: { context: string; issues: LinksReuse['issues']; pages: Map<string, LinksReuse['pages'][number]>; feeds: Map<string, string> } | undefined;
  /** Each issue's share of the links index by cache key, in a file of its own. */
  readonly #shares: LinkSharesRecord;
  /** The outline of the index this build made, made when saved. */
  #outline: (() => LinksOutline | undefined) | undefined;
  /** Where each item is in the pages written (links-items.ts): one per build, read when a page is spliced. */
  #items: LinkItemsRecord;

  private constructor(file: string, version: string) {
    this.#file = file;
    this.#version = version;
    this.#shares = new LinkSharesRecord(path.dirname(file));
    this.#items = new LinkItemsRecord(path.dirname(file), version);
  }

  /** Lets go of every file's keys read or made in this process: the next build reads the file again (another process wrote it). */
  static forgetAll(): void {
    StoredPageKeys.#open.clear();
  }

  /** The keys kept in `cacheDir` for this template version (another version starts empty). */
  static in(cacheDir: string, version: string): StoredPageKeys {
    const file = path.join(cacheDir, 'links-pages.json');
    let keys = StoredPageKeys.#open.get(file);
    if (!keys || keys.#version !== version) StoredPageKeys.#open.set(file, (keys = new StoredPageKeys(file, version)));
    keys.#used.clear();
    keys.#next = undefined;
    keys.#items = new LinkItemsRecord(cacheDir, version);
    return keys;
  }

  load(): Promise<void> {
    this.#loaded ??= fs.readFile(this.#file, 'utf8').then(
      (text) => {
        const stored = JSON.parse(text) as { version?: unknown; pages?: Record<string, [string, string]>; reuse?: LinksReuse };
        if (stored.version !== this.#version) return;
        if (stored.pages && typeof stored.pages === 'object') this.#entries = new Map(Object.entries(stored.pages));
        const reuse = stored.reuse;
        if (reuse && typeof reuse.context === 'string' && [reuse.issues, reuse.pages, reuse.feeds].every(Array.isArray)) this.#reuse = reuse;
      },
      () => undefined,
    );
    return this.#loaded.catch(() => undefined);
  }

  /**
   * The last build's pages and feeds as they are in the output, when every issue gives the
   * links index what it gave then: the same issues, each with the cache key it had or, for
   * the few that changed, the same digest of its share (an edit to an issue's summary, or
   * to text that holds no link); the same context; and an output whose manifest still
   * holds every one of those files. Then neither the index nor a page is made again (a new
   * process saves the second or so a 1,000-issue archive's index takes). Undefined otherwise.
   */
  reuse(raw: RawContent, listings: Map<string, Listing>, context: LinksContext): LinksOutput | undefined {
    const last = this.#reuse;
    if (!last || last.context !== context.digest || !context.current) return undefined;
    const issues = raw.issues.flatMap((doc) => {
      const listing = listings.get(doc._id);
      return listing ? [{ doc, number: listing.number, key: context.keys.get(doc._id) ?? '' }] : [];
    });
    issues.sort((a, b) => a.number - b.number);
    if (issues.length !== last.issues.length || issues.some((issue, i) => issue.number !== last.issues[i]![0])) return undefined;
    const changed = issues.filter((issue, i) => issue.key !== last.issues[i]![1]);
    if (changed.length * 4 > issues.length) return undefined;
    const digests = issueLinksDigests(raw, listings, changed.map((issue) => issue.doc));
    if (issues.some((issue, i) => issue.key !== last.issues[i]![1] && digests.get(issue.doc._id) !== last.issues[i]![2])) return undefined;
    const current = context.current;
    if (![...last.pages, ...last.feeds].every(([rel, key]) => current.get(rel) === key)) return undefined;

    this.#next = {
      context: last.context,
      issues: issues.map((issue, i) => [issue.number, issue.key, last.issues[i]![2]]),
      pages: new Map(last.pages.map((page) => [page[0], page])),
      feeds: new Map(last.feeds),
    };
    // The feeds too: their entries (feedKey) are kept for the next build.
    for (const [rel] of [...last.pages, ...last.feeds]) this.#used.add(rel);
    const live = (rel: string) => () =>
      readOutputFile(
        context.outDir,
        rel,
        () => {
          rmSync(this.#file, { force: true });
          this.#reuse = undefined;
        },
        'whose link pages this build was reusing',
        'Build again: the next build makes the link pages anew.',
      );
    return {
      pages: last.pages.map(([rel, key, sitePath, lastmod]) => ({
        rel,
        key,
        html: live(rel),
        written: () => undefined,
        inputs: { meta: '', links: [] },
        path: sitePath,
        lastmod: lastmod ?? undefined,
      })),
      files: last.feeds.map(([rel, key]) => ({ rel, key, content: live(rel) })),
    };
  }

  /** The outline of the index the last build made, when it was made in this context (links-outline.ts). */
  outline(context: LinksContext): LinksOutline | undefined {
    return readOutline(path.dirname(this.#file), context.digest);
  }

  /** What to save as the outline of this build's index (undefined: none). */
  keepOutline(outline: () => LinksOutline | undefined): void {
    this.#outline = outline;
  }

  /** The shares of the links index the last build kept for this context (links-shares.ts). */
  keptShares(context: LinksContext): KeptShares {
    return this.#shares.kept(context.digest, context.keys);
  }

  /** Starts recording what this build's pages and feeds are made from (after the index was made), for the next build's reuse(); `shares`: each issue's share of the index by cache key. */
  async describe(raw: RawContent, listings: Map<string, Listing>, context: LinksContext, shares?: Map<string, () => string | undefined>, pause: Pause = () => Promise.resolve()): Promise<void> {
    if (shares) this.#shares.record(context.digest, shares);
    // In the same context, an issue with the cache key it had gives what it gave: only the others are digested.
    const known = this.#reuse?.context === context.digest ? new Map(this.#reuse.issues.map(([, key, digest]) => [key, digest])) : new Map<string, string>();
    const digests = await issueLinksDigestsPaced(raw, listings, raw.issues.filter((doc) => !known.has(context.keys.get(doc._id) ?? '')), pause);
    const issues = raw.issues
      .flatMap((doc) => {
        const listing = listings.get(doc._id);
        const key = context.keys.get(doc._id) ?? '';
        return listing ? [[listing.number, key, known.get(key) ?? digests.get(doc._id)!] as LinksReuse['issues'][number]] : [];
      })
      .sort((a, b) => a[0] - b[0]);
    this.#next = { context: context.digest, issues, pages: new Map(), feeds: new Map() };
  }

  /** The content key of the feed at `rel` when the last build wrote it from sources of the same digest (TopicFeed.digest). */
  feedKey(rel: string, digest: string): string | undefined {
    this.#used.add(rel);
    const entry = this.#entries.get(rel);
    return entry?.[0] === this.#feedDigest(digest) ? entry[1] : undefined;
  }

  /** Records the content key a feed was written under (and, given, the digest of its sources, for the next build's feedKey). */
  feedWritten(rel: string, key: string, digest?: string): void {
    this.#next?.feeds.set(rel, key);
    if (digest === undefined) return;
    const made = this.#feedDigest(digest);
    const entry = this.#entries.get(rel);
    if (entry?.[0] === made && entry[1] === key) return;
    this.#entries.set(rel, [made, key]);
    this.#changed = true;
  }

  /** A feed's sources' digest with the template version (the feeds' code is part of it). */
  #feedDigest(digest: string): string {
    return hash('sha256', `${this.#version}\0${digest}`, 'base64url');
  }

  /**
   * The page, with its key when the stored digest matches, and recording the key it is written
   * under. A page of links that must be written takes its unchanged items from the file the
   * output holds (links-items.ts), given the output (`context`).
   */
  wrap(page: LinksPageFile, context?: LinksContext): LinksPageFile {
    this.#used.add(page.rel);
    const entry = this.#entries.get(page.rel);
    // In the pages' order (the sitemap lists them so), keyed once written.
    const record = (key: string) => this.#next?.pages.set(page.rel, [page.rel, key, page.path, page.lastmod ?? null]);
    record('');
    const spliced = this.#spliced(page, context);
    // Known from this process's memo: the stored entry is the one written with it.
    if (page.key !== undefined && entry?.[1] === page.key) {
      return {
        ...page,
        ...spliced,
        written: (written) => {
          page.written(written);
          record(written);
          spliced.written(written);
        },
      };
    }
    const digest = digestOf(page.inputs, this.#version);
    const key = page.key ?? (entry?.[0] === digest ? entry[1] : undefined);
    return {
      ...page,
      ...spliced,
      key,
      written: (written) => {
        page.written(written);
        record(written);
        spliced.written(written);
        if (entry?.[0] !== digest || entry[1] !== written) {
          this.#entries.set(page.rel, [digest, written]);
          this.#changed = true;
        }
      },
    };
  }

  /**
   * For a page of links: its html() with the items the output's file holds unchanged taken from
   * it (read by prepare(), when the page must be written), and what to record once written.
   */
  #spliced(page: LinksPageFile, context: LinksContext | undefined): Pick<LinksPageFile, 'html' | 'prepare' | 'written'> {
    const items = page.items;
    const record = this.#items;
    if (!items) return { html: page.html, written: () => undefined };
    // Each item's entry by its short digest, made once (and only for a page that is written).
    let digests: string[] | undefined;
    const layout = () => {
      const { links, fullAt } = items.list();
      return { digests: (digests ??= links.map(shortDigest)), fullAt };
    };
    let taken: ReadonlyMap<number, Uint8Array> | undefined;
    let made: PagePieces | undefined;
    return {
      prepare: async () => {
        const key = context?.current?.get(page.rel);
        if (context && key !== undefined) taken = await record.taken(page.rel, items.context, { outDir: context.outDir, key }, layout);
      },
      html: () => {
        made = items.render(taken);
        taken = undefined;
        return made.pieces;
      },
      written: (key) => {
        if (made) record.written(page.rel, key, items.context, { ...made, ...layout() });
        else record.placed(page.rel, key);
        made = undefined;
      },
    };
  }

  /** Writes the keys of this build's pages (temporary file, rename), dropping the others, with what the next build needs to reuse them. */
  async save(): Promise<void> {
    for (const rel of this.#entries.keys()) {
      if (this.#used.has(rel)) continue;
      this.#entries.delete(rel);
      this.#changed = true;
    }
    const next = this.#next;
    this.#next = undefined;
    if (next) {
      const pages = [...next.pages.values()];
      // Every page written, else nothing to reuse.
      this.#reuse = pages.every(([, key]) => key !== '') ? { context: next.context, issues: next.issues, pages, feeds: [...next.feeds].sort() } : undefined;
      this.#changed = true;
    }
    await Promise.all([this.#shares.save(), this.#items.save()]);
    const outline = this.#outline;
    this.#outline = undefined;
    if (outline) await saveOutline(path.dirname(this.#file), outline());
    if (!this.#changed) return;
    await writeRecord(this.#file, { version: this.#version, pages: Object.fromEntries(this.#entries), reuse: this.#reuse });
    this.#changed = false;
  }
}

function digestOf(inputs: LinksPageFile['inputs'], version: string): string {
  // The same bytes as an update per digest, in one call: a call costs more than hashing a digest (a publish hashes every page's).
  let text = `${version}\0${inputs.meta}\0`;
  // Each entry by its short digest, which an entry taken from the outline knows without being made (links-outline.ts).
  for (const link of inputs.links) text += `${shortDigest(link)}\n`;
  return hash('sha256', text, 'base64url');
}
