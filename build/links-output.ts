// The link pages and feeds of a build (web/links-pages.tsx, web/topic-feeds.ts): prepared
// from content alone, so a build with worker threads prepares them while the workers
// render (pausing often, so the workers are handed their next issues in time), and written
// with the rest of the site-wide pages.
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
  /** Every file to write (pages and feeds), by output path. */
  files: Array<[rel: string, content: string]>;
}

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
      ...pages.map((p): [string, string] => [p.rel, p.html]),
      ...feedFiles(linksFeedPaths, buildLinksFeed(index, ctx)),
      ...buildTopicFeeds(index, tags, ctx).flatMap((t) => feedFiles(topicFeedPaths(t.slug), t.feeds)),
    ],
  };
}

/** Writes the files a few at a time: tens of megabytes at once would all be buffered together. */
export async function writeLinks(output: LinksOutput, write: (rel: string, content: string) => Promise<void>, lanes = 8): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < output.files.length) {
      const [rel, content] = output.files[next++]!;
      await write(rel, content);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
