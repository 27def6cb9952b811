// The archive (the site's index page), tag pages and the 404 page: lists built from
// issue metadata, cheap enough to re-render on every build.
import type { Issue, Link, Tag } from '../content/model.ts';
import { isSafeLinkUrl } from '../content/rules.ts';
import { formatIssueDate, issuePath, tagPath, type RenderContext } from '../core/render.ts';
import { Layout, renderDocument } from './layout.tsx';
import { siteHref } from './site.ts';

export type IssueListing = Pick<Issue, 'number' | 'slug' | 'title' | 'date'> & { summary?: string | undefined };

function IssueList({ issues, ctx, headingLevel }: { issues: IssueListing[]; ctx: RenderContext; headingLevel: 'h2' | 'h3' }) {
  const H = headingLevel;
  return (
    <ol className="issue-list" reversed>
      {issues.map((issue) => (
        <li key={issue.number}>
          <H>
            <a href={siteHref(ctx, issuePath(issue))}>
              #{issue.number}: {issue.title}
            </a>
          </H>
          <p className="meta">
            <time dateTime={issue.date}>{formatIssueDate(issue.date, ctx.settings.language)}</time>
          </p>
          {issue.summary ? <p>{issue.summary}</p> : null}
        </li>
      ))}
    </ol>
  );
}

/** index.html: every published issue, newest first. */
export function renderArchivePage(issues: IssueListing[], ctx: RenderContext): string {
  const newestFirst = [...issues].sort((a, b) => b.number - a.number);
  return renderDocument(
    <Layout title={ctx.settings.title} ctx={ctx} canonicalPath="">
      <h1>{ctx.settings.title}</h1>
      {ctx.settings.description ? <p className="summary">{ctx.settings.description}</p> : null}
      {newestFirst.length === 0 ? <p>No issues have been published yet.</p> : <IssueList issues={newestFirst} ctx={ctx} headingLevel="h2" />}
    </Layout>,
  );
}

/** tags/<slug>/index.html: the issues and the links carrying a tag. */
export type TagPageLink = Pick<Link, 'id' | 'url' | 'title' | 'siteName' | 'description' | 'usedIn'>;

export function renderTagPage(tag: Pick<Tag, 'title' | 'slug' | 'description'>, issues: IssueListing[], links: TagPageLink[], ctx: RenderContext): string {
  const newestFirst = [...issues].sort((a, b) => b.number - a.number);
  const safeLinks = links.filter((l) => isSafeLinkUrl(l.url));
  return renderDocument(
    <Layout title={`Tag: ${tag.title}`} ctx={ctx} canonicalPath={tagPath(tag.slug)} description={tag.description}>
      <h1>Tag: {tag.title}</h1>
      {tag.description ? <p className="summary">{tag.description}</p> : null}
      {newestFirst.length > 0 ? (
        <section aria-labelledby="tag-issues">
          <h2 id="tag-issues">Issues</h2>
          <IssueList issues={newestFirst} ctx={ctx} headingLevel="h3" />
        </section>
      ) : null}
      {safeLinks.length > 0 ? (
        <section aria-labelledby="tag-links">
          <h2 id="tag-links">Links</h2>
          <ul className="link-list">
            {safeLinks.map((link) => (
              <li key={link.id}>
                <h3>
                  <a href={link.url}>{link.title ?? link.url}</a>
                </h3>
                {link.siteName ? <p className="meta">{link.siteName}</p> : null}
                {link.description ? <p>{link.description}</p> : null}
                {link.usedIn.length > 0 ? (
                  <p className="meta">
                    In{' '}
                    {link.usedIn.map((u, i) => (
                      <span key={u.number}>
                        {i > 0 ? ', ' : null}issue #{u.number}
                      </span>
                    ))}
                  </p>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </Layout>,
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
