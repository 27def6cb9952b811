// The link pages and feeds of a build (web/links-pages.tsx, web/topic-feeds.ts): prepared
// from content alone, so a build with worker threads prepares them while the workers
// render (pausing often, so the workers are handed their next issues in time), and written
// with the rest of the site-wide pages: the link pages one at a time, each rendered as it
// is written (or not at all when the last build wrote the same page: see Place).
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

/** `tags`: the tags that have a tag page (their feeds and the "by topic" filter). */
export async function prepareLinks(raw: RawContent, listings: Map<string, Listing>, tags: Array<{ title: string; slug: string }>, ctx: RenderContext, pause?: Pause): Promise<LinksOutput> {
  const index = await indexLinks(raw, listings, pause);
  const pages = await renderLinksPages(index, ctx, tags, pause);
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
