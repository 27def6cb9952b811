// A feed per tag (RSS 2.0, Atom 1.0, JSON Feed 1.1 at tags/<slug>/feed.xml, atom.xml and
// feed.json), so a reader can follow one topic: the sections on that topic and the links
// carrying the tag, newest first, made with the `feed` package like the site's own
// feeds (web/feeds.ts). Dates come from the content, so the same content gives the same
// bytes; every piece of CMS text is escaped where a format reads HTML.
import { Feed, type Item } from 'feed';
import { hash } from 'node:crypto';
import { sectionDigest, shortDigest, type LinksIndex, type PublishedLink, type TopicSection } from '../build/links-index.ts';
import { absoluteUrl, escapeHtmlText, issuePath, tagPath, type RenderContext } from '../core/render.ts';
import { toJsonFeed11, type Feeds } from './feeds.ts';
import { feedFiles, stripControlChars } from './site.ts';
import { topicFeedPaths } from './topic-links.tsx';

/** How many sections and links each topic feed carries. */
export const topicFeedLength = 50;

interface TopicItem {
  id: string;
  link: string;
  title: string;
  date: string;
  number: number;
  /** HTML, every CMS string in it escaped. */
  contentHtml: string;
}

const html = (text: string) => escapeHtmlText(stripControlChars(text));

function sectionItem(section: TopicSection, ctx: RenderContext): TopicItem {
  const url = absoluteUrl(ctx, `${issuePath(section)}#${section.anchor}`);
  return {
    id: url,
    link: url,
    title: `#${section.number} ${section.title}: ${section.heading}`,
    date: section.date,
    number: section.number,
    contentHtml: `${section.paragraphs.map((p) => `<p>${html(p)}</p>`).join('')}<p><a href="${html(url)}">Read it in issue #${section.number}</a></p>`,
  };
}

function linkItem(link: PublishedLink, ctx: RenderContext): TopicItem {
  const first = link.uses[0]!;
  const uses = link.uses
    .map((use) => {
      const url = absoluteUrl(ctx, `${issuePath(use)}${use.anchor ? `#${use.anchor}` : ''}`);
      return `<li><a href="${html(url)}">#${use.number}: ${html(use.title)}</a>${use.words && use.words !== link.description ? `: ${html(use.words)}` : ''}</li>`;
    })
    .join('');
  return {
    id: link.url,
    link: link.url,
    title: link.title,
    date: first.date,
    number: first.number,
    contentHtml: `${link.description ? `<p>${html(link.description)}</p>` : ''}<p>Appeared in:</p><ul>${uses}</ul>`,
  };
}

const day = (date: string) => new Date(`${date}T00:00:00Z`);

/** What a feed is about: the tag's, or (no tag) every link's. */
interface Channel {
  title: string;
  description: string;
  pagePath: string;
  paths: Feeds;
  tag: { title: string; slug: string } | undefined;
}

function makeFeed(channel: Channel, items: TopicItem[], ctx: RenderContext, format: 'rss' | 'atom' | 'json'): Feed {
  const clean = stripControlChars;
  const page = absoluteUrl(ctx, channel.pagePath);
  const { paths, tag } = channel;
  const feed = new Feed({
    id: page,
    title: clean(channel.title),
    description: clean(channel.description),
    link: page,
    language: ctx.settings.language,
    // No wall-clock time: an empty feed is dated at the epoch rather than "now".
    updated: day(items[0]?.date ?? '1970-01-01'),
    generator: 'newsdesk',
    copyright: `© ${clean(ctx.settings.senderName)}`,
    feedLinks: { rss: absoluteUrl(ctx, paths.rss), atom: absoluteUrl(ctx, paths.atom), json: absoluteUrl(ctx, paths.json) },
    author: { name: clean(ctx.settings.senderName), link: absoluteUrl(ctx, '') },
  });
  for (const item of items) {
    const entry: Item = {
      // Atom's and RSS's titles are read as HTML by many readers (see web/feeds.ts); JSON Feed's are plain text.
      title: format === 'json' ? clean(item.title) : html(item.title),
      id: item.id,
      guid: item.id,
      link: item.link,
      date: day(item.date),
      published: day(item.date),
      content: clean(item.contentHtml),
      ...(tag ? { category: [{ name: clean(tag.title), term: tag.slug, domain: absoluteUrl(ctx, tagPath(tag.slug)) }] } : {}),
    };
    feed.addItem(entry);
  }
  return feed;
}

export interface TopicFeed {
  slug: string;
  /** What its feeds are made from, by digest (without the template, which the caller adds): equal digests give equal feeds. */
  digest: string;
  /** Its feeds, made when first asked for (a new process need not make those it finds already written from the same digest). */
  feeds: () => Feeds;
}

/** What a feed is made from, by digest: its channel, and each source (a link by its entry's short digest, a section by its issue's cache key and place). */
function sourcesDigest(channel: unknown, sources: readonly Source[]): string {
  let text = `${JSON.stringify(channel)}\n`;
  for (const source of sources) text += `${source.link ? `l${shortDigest(source.link)}` : `s${sectionDigest(source.section!)}`}\n`;
  return hash('sha256', text, 'base64url');
}

/** Once made, the same feeds. */
function madeOnce(make: () => Feeds): () => Feeds {
  let feeds: Feeds | undefined;
  return () => (feeds ??= make());
}

type Source = { section: TopicSection; link?: undefined } | { link: PublishedLink; section?: undefined };
const sourceNumber = (s: Source) => (s.section ? s.section.number : s.link.uses[0]!.number);

/** Whether two sources show the same: links are handed out as the same object while unchanged (build/links-index.ts). */
function sameSource(a: Source, b: Source): boolean {
  if (a.link || b.link) return a.link === b.link;
  const x = a.section!;
  const y = b.section!;
  return x.number === y.number && x.slug === y.slug && x.title === y.title && x.date === y.date && x.heading === y.heading && x.anchor === y.anchor && x.tag.title === y.tag.title && x.paragraphs === y.paragraphs;
}

/** The feeds last built per tag, with what they were built from: a rebuild redoes only the topics that changed. */
const lastFeeds = new Map<string, { key: string; sources: Source[]; feeds: () => Feeds }>();

/** Lets go of the feeds kept for a next build (lastFeeds, lastLinksFeed). */
export function forgetTopicFeeds(): void {
  lastFeeds.clear();
  lastLinksFeed = undefined;
}

/**
 * Each given tag's feeds: its sections (by topic) and links (by tag), newest first (by
 * issue), at most topicFeedLength. Both lists are in issue order already, so each tag
 * takes its newest from their ends instead of sorting every link.
 */
export function buildTopicFeeds(index: LinksIndex, tags: Array<{ title: string; slug: string }>, ctx: RenderContext): TopicFeed[] {
  const newest = (): { sections: Source[]; links: Source[] } => ({ sections: [], links: [] });
  const bySlug = new Map(tags.map((t) => [t.slug, newest()]));
  for (let i = index.sections.length - 1; i >= 0; i--) {
    const section = index.sections[i]!;
    const list = bySlug.get(section.tag.slug)?.sections;
    if (list && list.length < topicFeedLength) list.push({ section });
  }
  for (let i = index.links.length - 1; i >= 0; i--) {
    const link = index.links[i]!;
    for (const tag of link.tags) {
      const list = bySlug.get(tag.slug)?.links;
      if (list && list.length < topicFeedLength) list.push({ link });
    }
  }
  const ctxKey = JSON.stringify(ctx);
  return tags.map((tag) => {
    const { sections: s, links: l } = bySlug.get(tag.slug)!;
    // Merge the two newest-first lists; within an issue its sections come before its links.
    const sources: Source[] = [];
    let a = 0;
    let b = 0;
    while (sources.length < topicFeedLength && (a < s.length || b < l.length)) {
      if (b >= l.length || (a < s.length && sourceNumber(s[a]!) >= sourceNumber(l[b]!))) sources.push(s[a++]!);
      else sources.push(l[b++]!);
    }
    const key = JSON.stringify([ctxKey, tag.title]);
    const digest = sourcesDigest([ctxKey, tag.title, tag.slug], sources);
    const last = lastFeeds.get(tag.slug);
    if (last && last.key === key && last.sources.length === sources.length && last.sources.every((x, i) => sameSource(x, sources[i]!))) {
      return { slug: tag.slug, digest, feeds: last.feeds };
    }
    const channel = {
      title: `${ctx.settings.title}: ${tag.title}`,
      description: `Sections and links on ${tag.title} from ${ctx.settings.title}.`,
      pagePath: tagPath(tag.slug),
      paths: topicFeedPaths(tag.slug),
      tag,
    };
    const feeds = madeOnce(() => {
      const made = renderFeeds(channel, sources, ctx);
      lastFeeds.set(tag.slug, { key, sources, feeds: () => made });
      return made;
    });
    return { slug: tag.slug, digest, feeds };
  });
}

/** For tests: how many feeds (each in three formats) this process made. */
export const topicFeedStats = { made: 0 };

function renderFeeds(channel: Channel, sources: Source[], ctx: RenderContext): Feeds {
  topicFeedStats.made++;
  const items = sources.map((x) => (x.section ? sectionItem(x.section, ctx) : linkItem(x.link, ctx)));
  return {
    rss: stripControlChars(makeFeed(channel, items, ctx, 'rss').rss2()),
    atom: stripControlChars(makeFeed(channel, items, ctx, 'atom').atom1()),
    json: toJsonFeed11(makeFeed(channel, items, ctx, 'json').json1(), items, ctx),
  };
}

/** Site paths of the feeds of every link (links/feed.xml, atom.xml, feed.json). */
export const linksFeedPaths: Feeds = { rss: `links/${feedFiles.rss}`, atom: `links/${feedFiles.atom}`, json: `links/${feedFiles.json}` };

let lastLinksFeed: { key: string; links: PublishedLink[]; feeds: () => Feeds } | undefined;

/** The newest links (by the issue they first appeared in), at most topicFeedLength, for readers who follow /links/: what they are made from by digest, and the feeds made when first asked for. */
export function buildLinksFeed(index: LinksIndex, ctx: RenderContext): { digest: string; feeds: () => Feeds } {
  // The order of /links/: newest issue first, each issue's links in the order it gives them.
  const groups: PublishedLink[][] = [];
  let count = 0;
  for (let i = index.links.length - 1; i >= 0 && count < topicFeedLength; ) {
    const number = index.links[i]!.uses[0]!.number;
    let j = i;
    while (j >= 0 && index.links[j]!.uses[0]!.number === number) j--;
    groups.push(index.links.slice(j + 1, i + 1));
    count += i - j;
    i = j;
  }
  const links = groups.flat().slice(0, topicFeedLength);
  const key = JSON.stringify(ctx);
  const digest = sourcesDigest([key], links.map((link) => ({ link })));
  if (lastLinksFeed && lastLinksFeed.key === key && lastLinksFeed.links.length === links.length && lastLinksFeed.links.every((l, i) => l === links[i])) {
    return { digest, feeds: lastLinksFeed.feeds };
  }
  const channel = {
    title: `${ctx.settings.title}: links`,
    description: `Every link published in ${ctx.settings.title}, newest first.`,
    pagePath: 'links/',
    paths: linksFeedPaths,
    tag: undefined,
  };
  const feeds = madeOnce(() => {
    const made = renderFeeds(channel, links.map((link) => ({ link })), ctx);
    lastLinksFeed = { key, links, feeds: () => made };
    return made;
  });
  return { digest, feeds };
}
