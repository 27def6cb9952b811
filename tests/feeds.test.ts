// The feeds built from the sample dataset, parsed back (fast-xml-parser for RSS and
// Atom, JSON.parse for JSON Feed) and checked for structure: titles, links, dates and
// each issue's full content, newest first, dated from content only.
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIssues } from '../content/load.ts';
import type { Issue } from '../content/model.ts';
import { escapeHtmlText } from '../core/render.ts';
import { buildSample, type BuiltSite } from './web-build-fixture.ts';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['item', 'entry', 'link', 'category'].includes(name) });
let site: BuiltSite;
let issues: Issue[];

beforeAll(async () => {
  site = await buildSample();
  issues = (await loadIssues(site.store)).sort((a, b) => b.number - a.number);
});

const issueUrl = (i: Issue) => `https://news.example.org/issues/${i.number}-${i.slug}/`;

describe('the feeds', () => {
  it('RSS 2.0 lists every published issue newest first with link, date and full content', async () => {
    const rss = parser.parse(await site.read('feed.xml')).rss;
    expect(rss['@version']).toBe('2.0');
    const items = rss.channel.item as Array<Record<string, unknown>>;
    expect(items.map((i) => (i.link as string[])[0])).toEqual(issues.map(issueUrl));
    expect(items.map((i) => i.title)).toEqual(issues.map((i) => escapeHtmlText(`#${i.number}: ${i.title}`)));
    expect(items.map((i) => new Date(String(i.pubDate)).toISOString().slice(0, 10))).toEqual(issues.map((i) => i.date));
    for (const [n, item] of items.entries()) expect(String(item['content:encoded'])).toContain(`<h2 id=`), expect(String(item['content:encoded'])).toContain(issues[n]!.sections[0]!.heading.replace(/&/g, '&amp;'));
    expect(new Date(rss.channel.lastBuildDate).toISOString().slice(0, 10)).toBe(issues[0]!.date);
  });

  it('Atom 1.0 carries ids, alternate links, updated dates from content and HTML content', async () => {
    const feed = parser.parse(await site.read('atom.xml')).feed;
    expect(feed['@xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(feed.updated.slice(0, 10)).toBe(issues[0]!.date);
    const entries = feed.entry as Array<Record<string, any>>;
    expect(entries.map((e) => e.id)).toEqual(issues.map(issueUrl));
    expect(entries.map((e) => e.link[0]['@href'])).toEqual(issues.map(issueUrl));
    expect(entries.map((e) => e.updated.slice(0, 10))).toEqual(issues.map((i) => i.date));
    for (const e of entries) {
      expect(e.content['@type']).toBe('html');
      expect(e.content['#text']).toContain('<section aria-labelledby=');
    }
  });

  it('JSON Feed 1.1 has the version, items with ids, urls, dates and content_html', async () => {
    const feed = JSON.parse(await site.read('feed.json'));
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
    expect(feed.feed_url).toBe('https://news.example.org/feed.json');
    expect(feed.items.map((i: { id: string }) => i.id)).toEqual(issues.map(issueUrl));
    expect(feed.items.map((i: { title: string }) => i.title)).toEqual(issues.map((i) => `#${i.number}: ${i.title}`));
    expect(feed.items.map((i: { date_published: string }) => i.date_published.slice(0, 10))).toEqual(issues.map((i) => i.date));
    for (const item of feed.items) expect(item.content_html).toContain('<h2 id=');
  });

  it('the sitemap lists the archive, every issue page and every tag page', async () => {
    const urlset = new XMLParser({ isArray: (n) => n === 'url' }).parse(await site.read('sitemap.xml')).urlset;
    const locs = (urlset.url as Array<{ loc: string }>).map((u) => u.loc);
    expect(locs[0]).toBe('https://news.example.org/');
    for (const issue of issues) expect(locs).toContain(issueUrl(issue));
    const tagPages = (await site.files()).filter((f) => f.startsWith('tags/') && f.endsWith('/index.html'));
    expect(locs.filter((l) => l.includes('/tags/'))).toHaveLength(tagPages.length);
  });
});
