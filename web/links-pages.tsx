// The link pages: /links/ lists every link ever published, newest first, each with the
// issues it appeared in and the editor's words around it; /links/domain/<host>/ lists
// everything from one site, /links/domains/ every site. Filtering works without
// scripts: each link names its site and tags, which lead to the domain pages and the tag
// pages. Lists are paged 100 links a page, counted from the oldest link, so a publish
// changes the first page (and the pages of links it used again), never every page: old
// page addresses and anchors stay put. Pages are written as strings (see
// web/archive-page.tsx) and rendered only when written (tens of megabytes of them are
// never held at once); per path, what a page was made from and its content key are
// remembered, so a rebuild need not render a page whose links are the same objects.
import { hash } from 'node:crypto';
import type { FileText } from '../build/in-place-output.ts';
import { newestUseDate, type LinksIndex, type Pause, type PublishedLink } from '../build/links-index.ts';
import { formatIssueDate, issuePath, tagPath, type RenderContext } from '../core/render.ts';
import { escapeText } from './archive-page.tsx';
import { Layout, renderDocument } from './layout.tsx';
import { siteHref } from './site.ts';
import { linksFeedPaths } from './topic-feeds.ts';

export const linksPath = 'links/';
export const domainsPath = 'links/domains/';
export const linksPerPage = 100;
/** Beyond this many sites, the list of sites is split by first character. */
export const domainsPerPage = 500;

export function domainPath(domain: string): string {
  return `links/domain/${domain}/`;
}

/** One page of a paged list: its site path and its links, oldest first. */
export interface LinkListPage {
  path: string;
  links: PublishedLink[];
}

/**
 * Pages of `links` (oldest first) under `base`: pages of 100 counted from the oldest, the
 * newest at `base` itself together with the page before it while the newest is not full
 * (so the first page never shows only a handful). The first element is the page at
 * `base`, then the older ones, newest first, at `<base>page/<n>/` (n = 1 is the oldest).
 */
export function paginateLinks(links: PublishedLink[], base: string): LinkListPage[] {
  return pageRanges(links.length).map(([from, to, n]) => ({ path: n === 0 ? base : `${base}page/${n}/`, links: links.slice(from, to) }));
}

/** Where paginateLinks cuts a list of `count` links, page by page in its order: the range of the list, and the number in the page's path (0: the page at the base). */
function pageRanges(count: number): Array<[from: number, to: number, n: number]> {
  const front = frontOf(count);
  const ranges: Array<[number, number, number]> = [[front, count, 0]];
  for (let b = front / linksPerPage - 1; b >= 0; b--) ranges.push([b * linksPerPage, (b + 1) * linksPerPage, b + 1]);
  return ranges;
}

/** Where the page at the base begins in a list of `count` links (see paginateLinks). */
function frontOf(count: number): number {
  const buckets = Math.max(1, Math.ceil(count / linksPerPage));
  const lastSize = count - (buckets - 1) * linksPerPage;
  return (buckets > 1 && lastSize < linksPerPage ? buckets - 2 : buckets - 1) * linksPerPage;
}

/** Newest first: by the issue a link first appeared in; within an issue, in the issue's order. */
function newestFirst(links: PublishedLink[]): PublishedLink[] {
  return [...links].sort((a, b) => b.uses[0]!.number - a.uses[0]!.number);
}

/** "Issues #12–#19": what a page of links covers. */
function pageLabel(page: LinkListPage): string {
  const first = page.links[0]?.uses[0]?.number;
  const last = page.links.at(-1)?.uses[0]?.number;
  if (first === undefined || last === undefined) return 'No links';
  return first === last ? `Issue #${first}` : `Issues #${first}–#${last}`;
}

/** The date of the newest issue a page's links appeared in, for the sitemap. */
function pageLastmod(links: PublishedLink[]): string | undefined {
  let newest: string | undefined;
  for (const link of links) {
    const date = newestUseDate(link);
    if (date !== undefined && (newest === undefined || date > newest)) newest = date;
  }
  return newest;
}

function useHref(ctx: RenderContext, use: PublishedLink['uses'][number]): string {
  return siteHref(ctx, `${issuePath(use)}${use.anchor ? `#${use.anchor}` : ''}`);
}

function linkItemHtml(link: PublishedLink, ctx: RenderContext, tagPages: ReadonlySet<string>): string {
  const meta: string[] = [];
  if (link.domain) meta.push(`<a href="${escapeText(siteHref(ctx, domainPath(link.domain)))}">${escapeText(link.domain)}</a>`);
  if (link.siteName && link.siteName !== link.domain) meta.push(`<bdi>${escapeText(link.siteName)}</bdi>`);
  const tags = link.tags.map((t) => (tagPages.has(t.slug) ? `<a href="${escapeText(siteHref(ctx, tagPath(t.slug)))}" rel="tag">${escapeText(t.title)}</a>` : escapeText(t.title)));
  if (tags.length > 0) meta.push(`Tags: ${tags.join(', ')}`);
  let uses = '';
  // Words the issue before said already are not said again: a link in every issue (a
  // project's home page, a recurring section's) comes with the same sentence each time, which
  // a real archive repeated under hundreds of issues.
  let said: string | undefined;
  for (const use of link.uses) {
    const words = use.words && use.words !== link.description && use.words !== said ? `<p class="words">${escapeText(use.words)}</p>` : '';
    said = use.words;
    uses +=
      `<li><a href="${escapeText(useHref(ctx, use))}">#${use.number}: ${escapeText(use.title)}</a>` +
      ` <time class="meta" dateTime="${escapeText(use.date)}">${escapeText(formatIssueDate(use.date, ctx.settings.language))}</time>${words}</li>`;
  }
  return (
    `<li id="${link.id}"><h3><a href="${escapeText(link.url)}"><bdi>${escapeText(link.title)}</bdi></a></h3>` +
    (meta.length > 0 ? `<p class="meta">${meta.join(' · ')}</p>` : '') +
    (link.description ? `<p>${escapeText(link.description)}</p>` : '') +
    `<ul class="link-uses">${uses}</ul></li>`
  );
}

/** A domain page's shorter item: the link, the issues, and where /links/ shows it in full. */
function compactItemHtml(link: PublishedLink, ctx: RenderContext, fullAt: string | undefined): string {
  const issues = link.uses.map((use) => `<a href="${escapeText(useHref(ctx, use))}">#${use.number}</a>`).join(', ');
  return (
    `<li id="${link.id}"><h3><a href="${escapeText(link.url)}"><bdi>${escapeText(link.title)}</bdi></a></h3>` +
    `<p class="meta">In ${issues}${fullAt ? ` · <a href="${escapeText(siteHref(ctx, fullAt))}#${link.id}">what the editor wrote</a>` : ''}</p></li>`
  );
}

/** The links feeds, for feed readers, on every links page. */
function LinksFeedHead({ ctx }: { ctx: RenderContext }) {
  const name = `${ctx.settings.title}: links`;
  return (
    <>
      <link rel="alternate" type="application/rss+xml" title={`${name} (RSS)`} href={siteHref(ctx, linksFeedPaths.rss)} />
      <link rel="alternate" type="application/atom+xml" title={`${name} (Atom)`} href={siteHref(ctx, linksFeedPaths.atom)} />
      <link rel="alternate" type="application/feed+json" title={`${name} (JSON Feed)`} href={siteHref(ctx, linksFeedPaths.json)} />
    </>
  );
}

/** Stand-ins while React renders the frame once per build; plain letters, so React leaves them as they are. */
const marks = { title: 'NEWSDESKLINKSTITLE', path: 'NEWSDESKLINKSPATH', description: 'NEWSDESKLINKSDESCRIPTION', main: 'NEWSDESKLINKSMAIN' };
let frameCache: { key: string; parts: string[] } | undefined;
const markPattern = new RegExp(`(${Object.values(marks).join('|')})`);

/**
 * A whole page in the site's layout around ready-made main content, as the pieces it is
 * written in: the layout is rendered once per settings and cut at the stand-ins, and the
 * pieces are encoded and written one after another, so the tens of megabytes of a first
 * build's link pages are neither copied once per stand-in nor joined into one more string.
 */
function pageHtml(ctx: RenderContext, ctxKey: string, title: string, path: string, description: string, main: string | ReadonlyArray<string | Uint8Array>): Array<string | Uint8Array> {
  if (frameCache?.key !== ctxKey) {
    const frame = renderDocument(
      <Layout title={marks.title} ctx={ctx} canonicalPath={marks.path} description={marks.description} head={<LinksFeedHead ctx={ctx} />}>
        {marks.main}
      </Layout>,
    );
    frameCache = { key: ctxKey, parts: frame.split(markPattern) };
  }
  const values: Record<string, string | ReadonlyArray<string | Uint8Array>> = {
    [marks.title]: escapeText(title),
    [marks.path]: escapeText(path),
    [marks.description]: escapeText(description),
    // Made with escapeText only: no control character is left in it.
    [marks.main]: main,
  };
  return frameCache.parts.flatMap((part, i) => (i % 2 === 1 ? values[part]! : part));
}

/**
 * A page whose main content is a list of items between a head and a tail (pageHtml), with
 * where its first item is among the pieces: each item taken as `taken` holds it (its bytes in
 * the page the last build wrote, build/links-items.ts), else rendered.
 */
function pageWithItems(
  ctx: RenderContext,
  ctxKey: string,
  page: { title: string; path: string; description: string },
  head: string,
  items: { count: number; render: (i: number) => string },
  tail: string,
  taken: ReadonlyMap<number, Uint8Array> | undefined,
): PagePieces {
  const main: Array<string | Uint8Array> = [head];
  for (let i = 0; i < items.count; i++) main.push(taken?.get(i) ?? items.render(i));
  main.push(tail);
  const pieces = pageHtml(ctx, ctxKey, page.title, page.path, page.description, main);
  // The pieces before the main content are the frame's, one for each stand-in before it.
  return { pieces, first: frameCache!.parts.indexOf(marks.main) + 1 };
}

function pagerHtml(pages: LinkListPage[], at: number, ctx: RenderContext): string {
  const newer = at > 0 ? pages[at - 1] : undefined;
  const older = pages[at + 1];
  if (!newer && !older) return '';
  return (
    '<nav class="pager" aria-label="More links"><ul>' +
    (newer ? `<li><a href="${escapeText(siteHref(ctx, newer.path))}" rel="prev">← ${at === 1 ? 'Newest links' : `Newer: ${escapeText(pageLabel(newer))}`}</a></li>` : '<li></li>') +
    (older ? `<li><a href="${escapeText(siteHref(ctx, older.path))}" rel="next">Older: ${escapeText(pageLabel(older))} →</a></li>` : '<li></li>') +
    '</ul></nav>'
  );
}

/** Every page of a paged list, by label: how a reader who remembers roughly when jumps there. */
function pageIndexHtml(pages: LinkListPage[], ctx: RenderContext): string {
  if (pages.length < 2) return '';
  return (
    '<section aria-labelledby="link-pages"><h2 id="link-pages">All pages</h2><ol class="page-index">' +
    pages.map((p, i) => (i === 0 ? `<li>Newest: ${escapeText(pageLabel(p))} (this page)</li>` : `<li><a href="${escapeText(siteHref(ctx, p.path))}">${escapeText(pageLabel(p))}</a></li>`)).join('') +
    '</ol></section>'
  );
}

export interface LinksPageFile {
  /** Output file, e.g. "links/page/3/index.html". */
  rel: string;
  /** The page's content key (build/in-place-output.ts) when this process wrote the very same page before; else undefined. */
  key: string | undefined;
  /** Renders the page, as the pieces it is written in (nothing keeps it: render when writing). */
  html(): FileText;
  /** Tells the page the content key it was written under, for the next build. */
  written(key: string): void;
  /** What the page is made from besides the templates: equal inputs give an equal page. */
  inputs: { meta: string; links: PublishedLink[] };
  /** Site path for the sitemap, and its date. */
  path: string;
  lastmod: string | undefined;
  /** A page that lists links: what a build needs to write it with its unchanged items taken from the page the last build wrote (build/links-items.ts). */
  items?: PageItems;
  /** Called before the page is written when it must be (its key unknown): reads what html() takes from the page before. */
  prepare?: () => Promise<void>;
}

/** A page's pieces, and where its items start among them. */
export interface PagePieces {
  pieces: Array<string | Uint8Array>;
  first: number;
}

/** The links a page lists, each an item of its own. */
export interface PageItems {
  /** A digest of all an item depends on besides its link and where it points (the site's settings and address, the tags with a page). */
  context: string;
  /**
   * The links in the order the page lists them, and per link, on a site's page, the number of
   * the /links/ page that shows it in full (0: /links/ itself), or -1 for an item that shows it
   * in full. Made when asked.
   */
  list(): ListedLinks;
  /** The page, with the items `taken` holds (by their place in list()) taken as they are. */
  render(taken?: ReadonlyMap<number, Uint8Array>): PagePieces;
}

/** The links a page lists, in its order, and where each points for more (PageItems.list). */
type ListedLinks = { links: readonly PublishedLink[]; fullAt: readonly number[] };

/** A page's items, each rendered only when not taken, in the order `order` lists the links. */
function pageItems(context: string, order: () => ListedLinks, render: (list: ListedLinks, taken: ReadonlyMap<number, Uint8Array> | undefined) => PagePieces): PageItems {
  let list: ListedLinks | undefined;
  const listed = () => (list ??= order());
  return { context, list: listed, render: (taken) => render(listed(), taken) };
}

interface TagListing {
  slug: string;
  title: string;
}

const lastPages = new Map<string, { meta: string; links: PublishedLink[]; key: string }>();

/** The page at `rel`, with its content key when it was last written from the same inputs. */
function remembered(rel: string, meta: string, links: PublishedLink[], render: () => FileText): Pick<LinksPageFile, 'key' | 'html' | 'written' | 'inputs'> {
  const last = lastPages.get(rel);
  const same = last && last.meta === meta && last.links.length === links.length && last.links.every((l, i) => l === links[i]);
  return { key: same ? last.key : undefined, html: render, written: (key) => void lastPages.set(rel, { meta, links, key }), inputs: { meta, links } };
}

/**
 * Every links page of the site: /links/ and its older pages, a page per site, and the
 * list of sites. `tags` are the tags that have a tag page (the "by topic" filter).
 */
export async function renderLinksPages(index: LinksIndex, ctx: RenderContext, tags: TagListing[], pause: Pause = () => Promise.resolve()): Promise<LinksPageFile[]> {
  const ctxKey = JSON.stringify(ctx);
  const tagPages = new Set(tags.map((t) => t.slug));
  // What every page's inputs (remembered) name, by digest: a thousand pages' inputs held the
  // context and the tags whole (4 MB of text made, kept and hashed for 1,000 issues).
  const ctxDigest = hash('sha256', ctxKey, 'base64url');
  const tagsDigest = hash('sha256', JSON.stringify(tags), 'base64url');
  // What every item is made with besides its link (and where it points): the settings and the tags with a page.
  const itemContext = hash('sha256', `${ctxDigest}\0${tagsDigest}`, 'base64url');
  const files: LinksPageFile[] = [];
  const seen = new Set<string>();
  const file = (path: string, page: ReturnType<typeof remembered>, links: PublishedLink[], items?: PageItems) => {
    seen.add(`${path}index.html`);
    files.push({ rel: `${path}index.html`, ...page, path, lastmod: pageLastmod(links), ...(items ? { items } : {}) });
  };

  const pages = paginateLinks(index.links, linksPath);
  // Which of `pages` the link at each place of the index is on, by the number in its path (0
  // for the first page, n for links/page/n/: paginateLinks): a domain page's inputs name each
  // link's so, which stays as it is when a publish adds pages, rather than by its path (3.6 MB
  // of text for 1,000 issues). Worked out from the place, not looked up per link (a map of
  // 80,000 links was most of this function's time in a new process).
  const front = frontOf(index.links.length);
  const pageNumberAt = (at: number) => (at >= front ? 0 : Math.floor(at / linksPerPage) + 1);
  const fullPath = (n: number) => (n === 0 ? linksPath : `${linksPath}page/${n}/`);
  // Each site's links, and their places in the index.
  const byDomain = new Map<string, PublishedLink[]>();
  const placesByDomain = new Map<string, number[]>();
  index.links.forEach((link, at) => {
    const domain = link.domain;
    if (!domain) return;
    const list = byDomain.get(domain);
    if (list) {
      list.push(link);
      placesByDomain.get(domain)!.push(at);
    } else {
      byDomain.set(domain, [link]);
      placesByDomain.set(domain, [at]);
    }
  });

  // The front page says how many; older pages leave counts out, so a publish does not change them.
  const filters = (counted: boolean) =>
    '<nav class="link-filters" aria-label="Filter links">' +
    (tags.length > 0
      ? `<p>By topic: ${tags.map((t) => `<a href="${escapeText(siteHref(ctx, tagPath(t.slug)))}">${escapeText(t.title)}</a>`).join(' · ')}</p>`
      : '') +
    `<p>By site: <a href="${escapeText(siteHref(ctx, domainsPath))}">${counted ? `all ${byDomain.size} ${byDomain.size === 1 ? 'site' : 'sites'}` : 'all sites'}</a></p></nav>`;
  // What a page's pager shows (the first page is "Newest links", whatever it holds).
  const neighbours = (list: LinkListPage[], at: number) => [at > 1 ? pageLabel(list[at - 1]!) : at, list[at + 1] ? [list[at + 1]!.path, pageLabel(list[at + 1]!)] : null];

  for (const [at, page] of pages.entries()) {
    if (at % 10 === 9) await pause();
    const meta = JSON.stringify([ctxDigest, tagsDigest, neighbours(pages, at), at === 0 ? [pages.map(pageLabel), byDomain.size, index.links.length] : null]);
    const title = at === 0 ? 'Links' : `Links: ${pageLabel(page)}`;
    const description = `Every link published in ${ctx.settings.title}, newest first.`;
    const head = () =>
      `<h1>${escapeText(title)}</h1>` +
      (at === 0
        ? `<p class="summary">Every link published in an issue, newest first: ${index.links.length} ${index.links.length === 1 ? 'link' : 'links'}, each with the issues it appeared in and the words around it.</p>` +
          `<p class="topic-feeds">Follow new links: ${(['rss', 'atom', 'json'] as const).map((f) => `<a href="${escapeText(siteHref(ctx, linksFeedPaths[f]))}">${{ rss: 'RSS', atom: 'Atom', json: 'JSON Feed' }[f]}</a>`).join(' · ')}</p>`
        : `<p class="summary">Links first published in ${escapeText(pageLabel(page).replace(/^I/, 'i'))}, newest first, each with the issues it appeared in and the words around it. <a href="${escapeText(siteHref(ctx, linksPath))}">Newest links</a></p>`) +
      filters(at === 0);
    const tail = () => pagerHtml(pages, at, ctx) + (at === 0 ? pageIndexHtml(pages, ctx) : '');
    // Each link's item a piece of its own, written after the one before (build/in-place-output.ts
    // fileBytes): joined, a first build's 60 MB of link pages were copied twice more (at two
    // bytes a character once one item held a character beyond Latin-1) before being encoded.
    const items =
      page.links.length === 0
        ? undefined
        : pageItems(
            itemContext,
            () => {
              const links = newestFirst(page.links);
              return { links, fullAt: links.map(() => -1) };
            },
            ({ links }, taken) =>
              pageWithItems(ctx, ctxKey, { title, path: page.path, description }, `${head()}<ul class="link-list">`, { count: links.length, render: (i) => linkItemHtml(links[i]!, ctx, tagPages) }, `</ul>${tail()}`, taken),
          );
    const made = remembered(`${page.path}index.html`, meta, page.links, () =>
      items ? items.render().pieces : pageHtml(ctx, ctxKey, title, page.path, description, [`${head()}<p>No links have been published yet.</p>${tail()}`]),
    );
    file(page.path, made, page.links, items);
  }

  const domains = [...byDomain.keys()].sort();
  for (const [n, domain] of domains.entries()) {
    if (n % 10 === 9) await pause();
    const links = byDomain.get(domain)!;
    const domainPages = paginateLinks(links, domainPath(domain));
    const ranges = pageRanges(links.length);
    for (const [at, page] of domainPages.entries()) {
      if (at % 10 === 9) await pause();
      const places = placesByDomain.get(domain)!.slice(ranges[at]![0], ranges[at]![1]);
      const meta = JSON.stringify([ctxDigest, neighbours(domainPages, at), at === 0 ? links.length : null, places.map(pageNumberAt)]);
      const title = `Links from ${domain}${at === 0 ? '' : `: ${pageLabel(page)}`}`;
      const count = at === 0 ? `${links.length} ${links.length === 1 ? 'link' : 'links'} from ${escapeText(domain)}` : `Links from ${escapeText(domain)}`;
      const items = pageItems(
        itemContext,
        () => {
          // Where /links/ shows each in full, by its place in this page's list.
          const placeOf = new Map(page.links.map((l, i) => [l, places[i]!] as const));
          const listed = newestFirst(page.links);
          return { links: listed, fullAt: listed.map((l) => pageNumberAt(placeOf.get(l)!)) };
        },
        ({ links: listed, fullAt }, taken) =>
          pageWithItems(
            ctx,
            ctxKey,
            { title, path: page.path, description: `Every link from ${domain} published in ${ctx.settings.title}.` },
            `<h1>${escapeText(title)}</h1>` +
              `<p class="summary">${count}, newest first. <a href="${escapeText(siteHref(ctx, linksPath))}">All links</a> · <a href="${escapeText(siteHref(ctx, domainsPath))}">All sites</a></p>` +
              `<ul class="link-list">`,
            { count: listed.length, render: (i) => compactItemHtml(listed[i]!, ctx, fullPath(fullAt[i]!)) },
            `</ul>${pagerHtml(domainPages, at, ctx)}`,
            taken,
          ),
      );
      const made = remembered(`${page.path}index.html`, meta, page.links, () => items.render().pieces);
      file(page.path, made, page.links, items);
    }
  }

  // The list of sites: one page while it is short, else a page per first character.
  const count = (d: string) => byDomain.get(d)!.length;
  const domainList = (list: string[]) =>
    `<ul class="domain-list">${list.map((d) => `<li><a href="${escapeText(siteHref(ctx, domainPath(d)))}">${escapeText(d)}</a> <span class="meta">(${count(d)})</span></li>`).join('')}</ul>`;
  const allLinks = `<a href="${escapeText(siteHref(ctx, linksPath))}">All links</a>`;
  const groups = new Map<string, string[]>();
  if (domains.length > domainsPerPage) {
    for (const d of domains) {
      const list = groups.get(d[0]!);
      if (list) list.push(d);
      else groups.set(d[0]!, [d]);
    }
  }
  const lastmod = pageLastmod(index.links.slice(-1));
  const domainsHtml = remembered(`${domainsPath}index.html`, JSON.stringify([ctxDigest, domains, domains.map(count)]), [], () => {
    const main =
      '<h1>Sites</h1>' +
      `<p class="summary">Every site a published link points to, A to Z, with how many links. ${allLinks}</p>` +
      (domains.length === 0
        ? '<p>No links have been published yet.</p>'
        : groups.size === 0
          ? domainList(domains)
          : `<ul class="domain-groups">${[...groups].map(([c, list]) => `<li><a href="${escapeText(siteHref(ctx, `${domainsPath}${c}/`))}">${escapeText(c)}</a> <span class="meta">(${list.length} ${list.length === 1 ? 'site' : 'sites'})</span></li>`).join('')}</ul>`);
    return pageHtml(ctx, ctxKey, 'Sites', domainsPath, `Every site linked from ${ctx.settings.title}.`, main);
  });
  files.push({ rel: `${domainsPath}index.html`, ...domainsHtml, path: domainsPath, lastmod });
  seen.add(`${domainsPath}index.html`);
  for (const [c, list] of groups) {
    const path = `${domainsPath}${c}/`;
    const html = remembered(`${path}index.html`, JSON.stringify([ctxDigest, list, list.map(count)]), [], () => {
      const main =
        `<h1>Sites: ${escapeText(c)}</h1>` +
        `<p class="summary">Sites starting with “${escapeText(c)}”, A to Z, with how many links. <a href="${escapeText(siteHref(ctx, domainsPath))}">All sites</a> · ${allLinks}</p>` +
        domainList(list);
      return pageHtml(ctx, ctxKey, `Sites: ${c}`, path, `Sites linked from ${ctx.settings.title}, starting with ${c}.`, main);
    });
    files.push({ rel: `${path}index.html`, ...html, path, lastmod });
    seen.add(`${path}index.html`);
  }

  for (const rel of lastPages.keys()) if (!seen.has(rel)) lastPages.delete(rel);
  return files;
}
