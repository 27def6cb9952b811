// Where a tag's own feeds live (web/topic-feeds.ts writes them) and how the tag page
// points to them: alternate links in the head for feed readers, and visible links.
import { escapeHtmlText, tagPath, type RenderContext } from '../core/render.ts';
import type { Feeds } from './feeds.ts';
import { feedFiles, siteHref } from './site.ts';

/** Site paths of a tag's feeds. */
export function topicFeedPaths(slug: string): Feeds {
  return { rss: `${tagPath(slug)}${feedFiles.rss}`, atom: `${tagPath(slug)}${feedFiles.atom}`, json: `${tagPath(slug)}${feedFiles.json}` };
}

/** <link rel="alternate"> elements for a tag page's head. */
export function TopicFeedHead({ ctx, tag }: { ctx: RenderContext; tag: { title: string; slug: string } }) {
  const paths = topicFeedPaths(tag.slug);
  const name = `${ctx.settings.title}: ${tag.title}`;
  return (
    <>
      <link rel="alternate" type="application/rss+xml" title={`${name} (RSS)`} href={siteHref(ctx, paths.rss)} />
      <link rel="alternate" type="application/atom+xml" title={`${name} (Atom)`} href={siteHref(ctx, paths.atom)} />
      <link rel="alternate" type="application/feed+json" title={`${name} (JSON Feed)`} href={siteHref(ctx, paths.json)} />
    </>
  );
}

/** "Follow this topic: RSS · Atom · JSON Feed", as HTML for the tag page. */
export function topicFeedLinksHtml(ctx: RenderContext, slug: string): string {
  const paths = topicFeedPaths(slug);
  const a = (path: string, label: string) => `<a href="${escapeHtmlText(siteHref(ctx, path))}">${label}</a>`;
  return `<p class="topic-feeds">Follow this topic: ${a(paths.rss, 'RSS')} · ${a(paths.atom, 'Atom')} · ${a(paths.json, 'JSON Feed')} · ${a('links/', 'all links')}</p>`;
}
