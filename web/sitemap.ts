// sitemap.xml: the archive, every issue page, every tag page and any further pages (the
// link pages), dated from content.
import type { Issue } from '../content/model.ts';
import { absoluteUrl, escapeHtmlText, issuePath, tagPath, type RenderContext } from '../core/render.ts';

export function renderSitemap(
  issues: Array<Pick<Issue, 'number' | 'slug' | 'date'>>,
  tags: Array<{ slug: string; lastmod: string | undefined }>,
  ctx: RenderContext,
  more: Array<{ path: string; lastmod: string | undefined }> = [],
): string {
  const newest = issues.reduce<string | undefined>((max, i) => (max === undefined || i.date > max ? i.date : max), undefined);
  const url = (loc: string, lastmod: string | undefined) =>
    `  <url><loc>${escapeHtmlText(loc)}</loc>${lastmod ? `<lastmod>${lastmod}</lastmod>` : ''}</url>`;
  const lines = [
    url(absoluteUrl(ctx, ''), newest),
    ...[...issues].sort((a, b) => b.number - a.number).map((i) => url(absoluteUrl(ctx, issuePath(i)), i.date)),
    ...[...tags].sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0)).map((t) => url(absoluteUrl(ctx, tagPath(t.slug)), t.lastmod)),
    ...more.map((p) => url(absoluteUrl(ctx, p.path), p.lastmod)),
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${lines.join('\n')}\n</urlset>\n`;
}
