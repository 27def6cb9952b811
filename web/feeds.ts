// RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the latest issues, with each issue's full
// content, made with the `feed` package. Dates come from the content (the feed's
// updated time is the newest issue's date), so the same content gives the same bytes.
import { Feed, type Item } from 'feed';
import type { Issue } from '../content/model.ts';
import { absoluteUrl, escapeHtmlText, issuePath, type RenderContext } from '../core/render.ts';
import { feedFiles, feedLength, isSafeSlug, stripControlChars } from './site.ts';

export interface FeedEntry {
  issue: Pick<Issue, 'number' | 'slug' | 'title' | 'date' | 'tags'> & { summary?: string | undefined; byline?: string | undefined };
  /** The issue's body as HTML (renderIssueBody). */
  contentHtml: string;
}

export interface Feeds {
  rss: string;
  atom: string;
  json: string;
}

const issueDate = (date: string) => new Date(`${date}T00:00:00Z`);

/**
 * Atom's title and summary are type="html" and RSS's description is HTML, so CMS text
 * goes into those escaped. RSS titles are escaped too: many readers treat them as HTML,
 * and a literal "&lt;" in a pathological title beats markup running in a reader. JSON Feed
 * strings are plain text. (The feed package wraps XML text in CDATA and splits any "]]>".)
 */
function makeFeed(entries: FeedEntry[], ctx: RenderContext, format: 'rss' | 'atom' | 'json'): Feed {
  const { settings } = ctx;
  const clean = (s: string) => stripControlChars(s);
  const html = (s: string) => escapeHtmlText(clean(s));
  const home = absoluteUrl(ctx, '');
  const newest = entries.reduce<string | undefined>((max, e) => (max === undefined || e.issue.date > max ? e.issue.date : max), undefined);
  const feed = new Feed({
    id: home,
    title: clean(settings.title),
    description: settings.description ? clean(settings.description) : undefined,
    link: home,
    language: settings.language,
    // No wall-clock time: an empty feed is dated at the epoch rather than "now".
    updated: issueDate(newest ?? '1970-01-01'),
    generator: 'newsdesk',
    copyright: `© ${clean(settings.senderName)}`,
    feedLinks: {
      rss: absoluteUrl(ctx, feedFiles.rss),
      atom: absoluteUrl(ctx, feedFiles.atom),
      json: absoluteUrl(ctx, feedFiles.json),
    },
    author: { name: clean(settings.senderName), link: home },
  });
  for (const { issue, contentHtml } of entries) {
    const url = absoluteUrl(ctx, issuePath(issue));
    const title = `#${issue.number}: ${issue.title}`;
    const summary = issue.summary ?? '';
    const item: Item = {
      title: format === 'json' ? clean(title) : html(title),
      id: url,
      guid: url,
      link: url,
      date: issueDate(issue.date),
      published: issueDate(issue.date),
      // Cleaned by buildFeeds, once for the three formats.
      content: contentHtml,
      category: issue.tags.filter((t) => isSafeSlug(t.slug)).map((t) => ({ name: clean(t.title), term: clean(t.slug), domain: absoluteUrl(ctx, `tags/${t.slug}/`) })),
    };
    if (summary) item.description = format === 'json' ? clean(summary) : html(summary);
    if (issue.byline) item.author = [{ name: clean(issue.byline) }];
    feed.addItem(item);
  }
  return feed;
}

/** The latest `feedLength` issues (by number) in all three formats. */
export function buildFeeds(entries: FeedEntry[], ctx: RenderContext): Feeds {
  // Each body cleaned once for the three formats (makeFeed takes it as it is).
  const latest = [...entries]
    .sort((a, b) => b.issue.number - a.issue.number)
    .slice(0, feedLength)
    .map((entry) => ({ ...entry, contentHtml: stripControlChars(entry.contentHtml) }));
  return {
    rss: stripControlChars(makeFeed(latest, ctx, 'rss').rss2()),
    atom: stripControlChars(makeFeed(latest, ctx, 'atom').atom1()),
    json: toJsonFeed11(makeFeed(latest, ctx, 'json').json1(), latest.map((e) => ({ id: absoluteUrl(ctx, issuePath(e.issue)), date: e.issue.date })), ctx),
  };
}

const markupEscapes = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };

/**
 * The feed package writes JSON Feed 1.0; 1.1 adds language, authors and date_published.
 * `entries` give each item's id and date (YYYY-MM-DD), in the feed's order. Also used by the
 * topic feeds (web/topic-feeds.ts).
 */
export function toJsonFeed11(json: string, entries: Array<{ id: string; date: string }>, ctx: RenderContext): string {
  const doc = JSON.parse(json) as Record<string, unknown> & { items?: Array<Record<string, unknown>> };
  doc.version = 'https://jsonfeed.org/version/1.1';
  doc.language = ctx.settings.language;
  doc.authors = [{ name: stripControlChars(ctx.settings.senderName), url: absoluteUrl(ctx, '') }];
  delete doc.author;
  const items = doc.items ?? [];
  items.forEach((item, i) => {
    const entry = entries[i];
    if (!entry) return;
    item.id = entry.id;
    item.date_published = issueDate(entry.date).toISOString();
    if (item.author) {
      item.authors = [item.author];
      delete item.author;
    }
  });
  // Same text once parsed; "<" escaped so the file can never be mistaken for markup if a server sniffs it (in one pass).
  return `${JSON.stringify(doc, null, 2).replace(/[<>&]/g, (c) => markupEscapes[c as '<' | '>' | '&'])}\n`;
}
