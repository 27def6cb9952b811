// Reading a file of links for bulk capture: either plain text with one URL a line, or a
// browser's bookmarks export (the Netscape bookmark HTML every browser writes), whose
// folder names become tags. Pure: text in, entries out.
import * as cheerio from 'cheerio';

export interface ListEntry {
  /** Where the entry came from, for the per-URL report: "line 12" or "bookmark 7". */
  where: string;
  url: string;
  tags: string[];
  /** The bookmark's own title, when there is one (kept as a note if the page is offline). */
  title?: string | undefined;
}

/** Browser folders that hold everything and say nothing about a link. */
const containerFolders = new Set(['bookmarks bar', 'bookmarks toolbar', 'bookmarks menu', 'other bookmarks', 'mobile bookmarks', 'favorites bar', 'favourites bar', 'bookmarks']);

export function isBookmarksExport(text: string): boolean {
  return /<!DOCTYPE\s+NETSCAPE-Bookmark-file/i.test(text) || (/<dl\b/i.test(text) && /<a\s[^>]*href=/i.test(text));
}

export function parseCaptureList(text: string): ListEntry[] {
  return isBookmarksExport(text) ? parseBookmarks(text) : parseUrlLines(text);
}

/** One URL a line; blank lines and lines starting with # are skipped. Everything else is an entry, valid or not. */
export function parseUrlLines(text: string): ListEntry[] {
  const entries: ListEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    entries.push({ where: `line ${i + 1}`, url: line, tags: [] });
  });
  return entries;
}

export function parseBookmarks(html: string): ListEntry[] {
  const $ = cheerio.load(html);
  const entries: ListEntry[] = [];
  $('a[href]').each((i, element) => {
    const a = $(element);
    const folders: string[] = [];
    // Each enclosing <dl> is a folder's contents; its heading is the <h3> just before it.
    a.parents('dl').each((_, dl) => {
      const heading = $(dl).prevAll('h3').first();
      if (heading.length === 0 || heading.attr('personal_toolbar_folder') === 'true') return;
      const name = heading.text().replace(/\s+/g, ' ').trim();
      if (name && !containerFolders.has(name.toLowerCase())) folders.unshift(name);
    });
    const title = a.text().replace(/\s+/g, ' ').trim();
    entries.push({ where: `bookmark ${i + 1}`, url: (a.attr('href') ?? '').trim(), tags: folders, title: title || undefined });
  });
  return entries;
}
