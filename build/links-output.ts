// The link pages and feeds of a build (web/links-pages.tsx, web/topic-feeds.ts): prepared
// from content alone, so a build with worker threads prepares them while the workers
// render (pausing often, so the workers are handed their next issues in time), and written
// with the rest of the site-wide pages: the link pages one at a time, each rendered as it
// is written (or not at all when the last build wrote the same page: see Place). What
// each page was made from is kept by digest in the build cache (StoredPageKeys), so a new
// process, too, places the pages an edit did not change without rendering them.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RenderContext } from '../core/render.ts';
import type { Feeds } from '../web/feeds.ts';
import { renderLinksPages, type LinksPageFile } from '../web/links-pages.tsx';
import { buildLinksFeed, buildTopicFeeds, linksFeedPaths } from '../web/topic-feeds.ts';
import { topicFeedPaths } from '../web/topic-links.tsx';
import { indexLinks, type Pause } from './links-index.ts';
import type { Listing, RawContent } from './sources.ts';

export interface LinksOutput {
  /** The pages, with their sitemap paths and dates. */
  pages: LinksPageFile[];
  /** The feeds, by output path. */
  files: Array<[rel: string, content: string]>;
}

/**
 * Puts a file in the output: `key` is its content key when known without rendering it;
 * `render` is called only when the file must be written. Resolves with the content key.
 */
export type Place = (rel: string, key: string | undefined, render: () => string) => Promise<string>;

/** `tags`: the tags that have a tag page (their feeds and the "by topic" filter); `stored`: the keys of the last build's pages. */
export async function prepareLinks(
  raw: RawContent,
  listings: Map<string, Listing>,
  tags: Array<{ title: string; slug: string }>,
  ctx: RenderContext,
  pause?: Pause,
  stored?: StoredPageKeys,
): Promise<LinksOutput> {
  const index = await indexLinks(raw, listings, pause);
  const rendered = await renderLinksPages(index, ctx, tags, pause);
  await stored?.load();
  const pages = stored ? rendered.map((page) => stored.wrap(page)) : rendered;
  const feedFiles = (paths: Feeds, feeds: Feeds): Array<[string, string]> => [
    [paths.rss, feeds.rss],
    [paths.atom, feeds.atom],
    [paths.json, feeds.json],
  ];
  return {
    pages,
    files: [
      ...feedFiles(linksFeedPaths, buildLinksFeed(index, ctx)),
      ...buildTopicFeeds(index, tags, ctx).flatMap((t) => feedFiles(topicFeedPaths(t.slug), t.feeds)),
    ],
  };
}

/** Writes the files a few at a time: tens of megabytes of pages are never held together. */
export async function writeLinks(output: LinksOutput, place: Place, lanes = 8): Promise<void> {
  let next = 0;
  const jobs: Array<() => Promise<unknown>> = [
    ...output.pages.map((page) => async () => page.written(await place(page.rel, page.key, () => page.html()))),
    ...output.files.map(([rel, content]) => () => place(rel, undefined, () => content)),
  ];
  const lane = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}

/**
 * The link pages' content keys by a digest of their inputs (LinksPageFile.inputs) and the
 * template version, in one file of the build cache: a page that a new process finds with
 * the same digest has the same bytes, so the output places it by its key (a hard link
 * from the current output) without rendering it. Hashing a page's inputs costs a fraction
 * of rendering it. One instance per file and process, as the pages' own memo is.
 */
export class StoredPageKeys {
  static readonly #open = new Map<string, StoredPageKeys>();
  readonly #file: string;
  readonly #version: string;
  #entries = new Map<string, [digest: string, key: string]>();
  #loaded: Promise<void> | undefined;
  #changed = false;
  readonly #used = new Set<string>();

  private constructor(file: string, version: string) {
    this.#file = file;
    this.#version = version;
  }

  /** The keys kept in `cacheDir` for this template version (another version starts empty). */
  static in(cacheDir: string, version: string): StoredPageKeys {
    const file = path.join(cacheDir, 'links-pages.json');
    let keys = StoredPageKeys.#open.get(file);
    if (!keys || keys.#version !== version) StoredPageKeys.#open.set(file, (keys = new StoredPageKeys(file, version)));
    keys.#used.clear();
    return keys;
  }

  load(): Promise<void> {
    this.#loaded ??= fs.readFile(this.#file, 'utf8').then(
      (text) => {
        const stored = JSON.parse(text) as { version?: unknown; pages?: Record<string, [string, string]> };
        if (stored.version === this.#version && stored.pages && typeof stored.pages === 'object') this.#entries = new Map(Object.entries(stored.pages));
      },
      () => undefined,
    );
    return this.#loaded.catch(() => undefined);
  }

  /** The page, with its key when the stored digest matches, and recording the key it is written under. */
  wrap(page: LinksPageFile): LinksPageFile {
    this.#used.add(page.rel);
    const entry = this.#entries.get(page.rel);
    // Known from this process's memo: the stored entry is the one written with it.
    if (page.key !== undefined && entry?.[1] === page.key) return page;
    const digest = digestOf(page.inputs, this.#version);
    const key = page.key ?? (entry?.[0] === digest ? entry[1] : undefined);
    return {
      ...page,
      key,
      written: (written) => {
        page.written(written);
        if (entry?.[0] !== digest || entry[1] !== written) {
          this.#entries.set(page.rel, [digest, written]);
          this.#changed = true;
        }
      },
    };
  }

  /** Writes the keys of this build's pages (temporary file, rename), dropping the others. */
  async save(): Promise<void> {
    for (const rel of this.#entries.keys()) {
      if (this.#used.has(rel)) continue;
      this.#entries.delete(rel);
      this.#changed = true;
    }
    if (!this.#changed) return;
    const temp = `${this.#file}.tmp-${randomBytes(4).toString('hex')}`;
    await fs.mkdir(path.dirname(this.#file), { recursive: true });
    await fs.writeFile(temp, JSON.stringify({ version: this.#version, pages: Object.fromEntries(this.#entries) }));
    await fs.rename(temp, this.#file);
    this.#changed = false;
  }
}

function digestOf(inputs: LinksPageFile['inputs'], version: string): string {
  const hash = createHash('sha256').update(version).update('\0').update(inputs.meta).update('\0');
  for (const link of inputs.links) hash.update(JSON.stringify(link)).update('\n');
  return hash.digest('base64url');
}
