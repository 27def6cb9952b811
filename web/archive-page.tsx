// The archive (the site's index page), tag pages and the 404 page: lists built from
// issue metadata, cheap enough to re-render on every build (their long lists are
// written as strings: see escapeHtml).
import type { ReactNode } from 'react';
import type { Issue, Link, Tag } from '../content/model.ts';
import { isSafeLinkUrl } from '../content/rules.ts';
import { formatIssueDate, issuePath, tagPath, type RenderContext } from '../core/render.ts';
import { Layout, renderDocument } from './layout.tsx';
import { controlCharRange, siteHref, stripControlChars } from './site.ts';
import { TopicFeedHead, topicFeedLinksHtml } from './topic-links.tsx';

export type IssueListing = Pick<Issue, 'number' | 'slug' | 'title' | 'date'> & { summary?: string | undefined };

/**
 * The archive and tag pages list thousands of issues and tens of thousands of links, so
 * their lists are written as strings rather than React elements (rendering 80,000 links
 * through React took seconds). The markup and escaping are exactly what React's
 * renderToStaticMarkup produces for the same elements, so the output is unchanged.
 */
export function escapeHtml(text: string): string {
  return text.replace(/["&'<>]/g, (c) => htmlEscapes[c]!);
}

/**
 * escapeHtml with the control characters left out (web/site.ts stripControlChars), in the
 * same pass: a page whose every text goes through it is made without any, instead of
 * looked through for one once made (web/links-pages.tsx: 61 MB of a first build's link
 * pages, 0.3 s).
 */
export function escapeText(text: string): string {
  return text.replace(textToEscape, (c) => htmlEscapes[c] ?? '');
}

const htmlEscapes: Record<string, string> = { '"': '&quot;', '&': '&amp;', "'": '&#x27;', '<': '&lt;', '>': '&gt;' };
const textToEscape = new RegExp(`["&'<>${controlCharRange}]`, 'g');

function issueListHtml(issues: IssueListing[], ctx: RenderContext, headingLevel: 'h2' | 'h3'): string {
  const h = headingLevel;
  let html = '<ol class="issue-list" reversed="">';
  for (const issue of issues) {
    html +=
      `<li><${h}><a href="${escapeHtml(siteHref(ctx, issuePath(issue)))}">#${issue.number}: ${escapeHtml(issue.title)}</a></${h}>` +
      `<p class="meta"><time dateTime="${escapeHtml(issue.date)}">${escapeHtml(formatIssueDate(issue.date, ctx.settings.language))}</time></p>` +
      (issue.summary ? `<p>${escapeHtml(issue.summary)}</p>` : '') +
      '</li>';
  }
  return `${html}</ol>`;
}

function linkHtml(link: TagPageLink): string {
  return (
    `<li><h3><a href="${escapeHtml(link.url)}"><bdi>${escapeHtml(link.title ?? link.url)}</bdi></a></h3>` +
    (link.siteName ? `<p class="meta"><bdi>${escapeHtml(link.siteName)}</bdi></p>` : '') +
    (link.description ? `<p>${escapeHtml(link.description)}</p>` : '') +
    (link.usedIn.length > 0 ? `<p class="meta">In ${link.usedIn.map((u, i) => `<span>${i > 0 ? ', ' : ''}issue #${u.number}</span>`).join('')}</p>` : '') +
    '</li>'
  );
}

/**
 * A link's list item, control characters stripped ("" for a link whose URL is not safe to
 * show), remembered per link object. Links are read-only values: the build hands the same
 * object again when nothing about the link changed, so a rebuild renders only the links
 * that did. Stripping works character by character, so items stripped one by one make the
 * section stripped whole; build/tag-pages.ts splices a stored section by its items' lengths.
 */
const linkItems = new WeakMap<TagPageLink, string>();

export function linkItem(link: TagPageLink): string {
  let item = linkItems.get(link);
  if (item === undefined) linkItems.set(link, (item = isSafeLinkUrl(link.url) ? stripControlChars(linkHtml(link)) : ''));
  return item;
}

/** Stands in for the page content while React renders the frame; plain letters, so React leaves it as is. */
const contentMarker = 'NEWSDESKPAGECONTENTMARKER';

/** A links section's markup before and after its items (no control characters in either). */
export const linkSectionFrame = ['<section aria-labelledby="tag-links"><h2 id="tag-links">Links</h2><ul class="link-list">', '</ul></section>'] as const;

const linkSections = new WeakMap<readonly TagPageLink[], string>();

/**
 * A tag page's links section ("" when no link is safe to show), control characters already
 * stripped, remembered per links array: the build hands the same (read-only) sorted array
 * while none of a tag's links changed, and this section is most of a tag page's megabytes
 * (a new process finds it in the page store: build/tag-pages.ts).
 */
export function linkSection(links: readonly TagPageLink[]): string {
  let section = linkSections.get(links);
  if (section === undefined) {
    const items = links.map(linkItem).filter((item) => item !== '');
    section = items.length > 0 ? `${linkSectionFrame[0]}${items.join('')}${linkSectionFrame[1]}` : '';
    linkSections.set(links, section);
  }
  return section;
}

/** A <Layout> page whose <main> content is ready-made HTML (see escapeHtml). */
function renderDocumentAround(layout: (children: ReactNode) => ReactNode, mainHtml: string): string {
  return documentAround(layout, mainHtml).join('');
}

/**
 * The page renderDocumentAround makes, as the HTML up to the end of its <main> content and
 * the HTML after it: what goes between must have its control characters stripped already
 * (stripping works character by character, so stripping parts equals stripping the whole).
 */
function documentAround(layout: (children: ReactNode) => ReactNode, mainHtml: string): [string, string] {
  const frame = renderDocument(layout(contentMarker));
  const slot = `<main id="main" class="wrap">${contentMarker}</main>`;
  const at = frame.indexOf(slot);
  if (at < 0) throw new Error('The page layout has no <main id="main" class="wrap"> element to fill');
  return [`${frame.slice(0, at)}<main id="main" class="wrap">${stripControlChars(mainHtml)}`, `</main>${frame.slice(at + slot.length)}`];
}

/** index.html: every published issue, newest first. */
export function renderArchivePage(issues: IssueListing[], ctx: RenderContext): string {
  const newestFirst = [...issues].sort((a, b) => b.number - a.number);
  const main =
    `<h1>${escapeHtml(ctx.settings.title)}</h1>` +
    (ctx.settings.description ? `<p class="summary">${escapeHtml(ctx.settings.description)}</p>` : '') +
    (newestFirst.length === 0 ? '<p>No issues have been published yet.</p>' : issueListHtml(newestFirst, ctx, 'h2'));
  return renderDocumentAround(
    (children) => (
      <Layout title={ctx.settings.title} ctx={ctx} canonicalPath="" search>
        {children}
      </Layout>
    ),
    main,
  );
}

/** tags/<slug>/index.html: the issues and the links carrying a tag. */
export type TagPageLink = Pick<Link, 'id' | 'url' | 'title' | 'siteName' | 'description' | 'usedIn'>;

export function renderTagPage(tag: Pick<Tag, 'title' | 'slug' | 'description'>, issues: IssueListing[], links: TagPageLink[], ctx: RenderContext): string {
  const [before, after] = tagPageAround(tag, issues, ctx);
  return `${before}${linkSection(links)}${after}`;
}

/**
 * A tag page as the HTML before its links section and the HTML after it: the build puts
 * the section's stored bytes between them (build/tag-pages.ts section), without decoding
 * megabytes of links to splice them into a string.
 */
export function tagPageAround(tag: Pick<Tag, 'title' | 'slug' | 'description'>, issues: IssueListing[], ctx: RenderContext): [string, string] {
  const newestFirst = [...issues].sort((a, b) => b.number - a.number);
  const main =
    `<h1>Tag: ${escapeHtml(tag.title)}</h1>` +
    (tag.description ? `<p class="summary">${escapeHtml(tag.description)}</p>` : '') +
    topicFeedLinksHtml(ctx, tag.slug) +
    (newestFirst.length > 0
      ? `<section aria-labelledby="tag-issues"><h2 id="tag-issues">Issues</h2>${issueListHtml(newestFirst, ctx, 'h3')}</section>`
      : '');
  return documentAround(
    (children) => (
      <Layout title={`Tag: ${tag.title}`} ctx={ctx} canonicalPath={tagPath(tag.slug)} description={tag.description} head={<TopicFeedHead ctx={ctx} tag={tag} />}>
        {children}
      </Layout>
    ),
    main,
  );
}

/** 404.html: served by static hosts for any missing path, so every link in it is root-relative. */
export function renderNotFoundPage(ctx: RenderContext): string {
  return renderDocument(
    <Layout title="Page not found" ctx={ctx}>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. The <a href={siteHref(ctx, '')}>archive</a> lists every issue.
      </p>
    </Layout>,
  );
}
