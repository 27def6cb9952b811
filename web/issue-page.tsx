// The web version of one issue. The article body (intro, sections, sign-off) is
// rendered once to HTML and reused: embedded in the page and carried whole by the feeds.
// Pure: (issue, neighbours, context) -> HTML; the preview endpoint renders drafts with it.
import { renderToStaticMarkup } from 'react-dom/server';
import type { Issue } from '../content/model.ts';
import { slugify } from '../content/rules.ts';
import { formatIssueDate, issuePath, tagPath, type RenderContext, type RenderWarning } from '../core/render.ts';
import { Layout, renderDocument } from './layout.tsx';
import { RichText } from './portable-text.tsx';
import { isSafeSlug, siteHref, stripControlChars } from './site.ts';
import { collectUrlWarnings } from './url-warnings.ts';

export type IssueRef = Pick<Issue, 'number' | 'slug' | 'title'>;

/** The issues either side of this one in the archive: previous is older, next is newer. */
export interface Neighbours {
  previous?: IssueRef | undefined;
  next?: IssueRef | undefined;
}

export interface RenderedPage {
  html: string;
  warnings: RenderWarning[];
}

/** Section anchors from headings, made unique within the issue. */
export function sectionAnchors(issue: Pick<Issue, 'sections'>): string[] {
  const seen = new Set<string>();
  return issue.sections.map((section, i) => {
    const base = slugify(section.heading) || `section-${i + 1}`;
    let id = base;
    for (let n = 2; seen.has(id); n++) id = `${base}-${n}`;
    seen.add(id);
    return id;
  });
}

export interface BlockAnchors {
  /** Section ids (sectionAnchors). */
  sections: string[];
  /** One id per block: intro, each section's body, sign-off. */
  intro: string[];
  bodies: string[][];
  signOff: string[];
}

/**
 * Ids for every top-level block, so a reader search result can link to its paragraph:
 * "<section id>_<n>" (n counts the blocks of that section from 1), "intro_<n>" and
 * "sign-off_<n>" (or "intro-2_<n>" when a section took that name). Section ids are slugs,
 * which have no underscores, so a block id never equals a section id.
 */
export function blockAnchors(issue: Pick<Issue, 'sections' | 'intro' | 'signOff'>): BlockAnchors {
  const sections = sectionAnchors(issue);
  const taken = new Set(sections);
  const free = (base: string) => {
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    return name;
  };
  const number = (prefix: string, blocks: readonly unknown[]) => blocks.map((_, i) => `${prefix}_${i + 1}`);
  return {
    sections,
    intro: number(free('intro'), issue.intro),
    bodies: issue.sections.map((section, i) => number(sections[i]!, section.body)),
    signOff: number(free('sign-off'), issue.signOff),
  };
}

function IssueBody({ issue }: { issue: Issue }) {
  const anchors = blockAnchors(issue);
  return (
    <>
      <RichText value={issue.intro} level="top" ids={anchors.intro} />
      {issue.sections.map((section, i) => (
        <section key={section.key} aria-labelledby={anchors.sections[i]}>
          <h2 id={anchors.sections[i]}>{section.heading}</h2>
          <RichText value={section.body} level="section" ids={anchors.bodies[i]} />
        </section>
      ))}
      <RichText value={issue.signOff} level="top" ids={anchors.signOff} />
    </>
  );
}

/**
 * Whether the page's text opens with the summary already: its first paragraph (the intro's,
 * or the first section's when there is no intro) says what the summary says, or begins with
 * it when the summary was cut short with an ellipsis. An import takes an issue's summary from
 * that paragraph, and an editor may paste it in: the page then shows it once, in the body.
 * The summary still describes the issue wherever the body is not beside it (the archive,
 * feeds, the page's description, the email's preview text).
 */
export function summaryOpensBody(issue: Pick<Issue, 'summary' | 'intro' | 'sections'>): boolean {
  const flat = (text: string) => text.replace(/\s+/g, ' ').trim();
  const summary = flat(issue.summary ?? '');
  const cut = summary.endsWith('…');
  const words = cut ? summary.slice(0, -1).trimEnd() : summary;
  if (words === '') return false;
  const first = (issue.intro.length > 0 ? issue.intro : (issue.sections[0]?.body ?? []))[0];
  if (first?._type !== 'block' || first.style !== 'normal' || first.listItem) return false;
  const text = flat(first.children.map((child) => (child._type === 'span' ? child.text : '')).join(''));
  return cut ? text.startsWith(words) && text.length > words.length : text === words;
}

/** The issue's content as an HTML fragment: what the page embeds and the feeds carry in full. */
export function renderIssueBody(issue: Issue): string {
  return stripControlChars(renderToStaticMarkup(<IssueBody issue={issue} />));
}

/** The whole web page of an issue. */
export function renderIssuePage(issue: Issue, neighbours: Neighbours, ctx: RenderContext): RenderedPage {
  return renderIssuePageWithBody(issue, neighbours, ctx, renderIssueBody(issue));
}

/** As renderIssuePage, with the body already rendered (the build renders it once for page and feeds). */
export function renderIssuePageWithBody(issue: Issue, neighbours: Neighbours, ctx: RenderContext, bodyHtml: string): RenderedPage {
  const { settings } = ctx;
  const date = formatIssueDate(issue.date, settings.language);
  const tags = issue.tags.filter((t) => isSafeSlug(t.slug));
  const html = renderDocument(
    <Layout
      title={`#${issue.number}: ${issue.title}`}
      ctx={ctx}
      description={issue.summary ?? settings.description}
      canonicalPath={issuePath(issue)}
      ogType="article"
      search
      head={<meta property="article:published_time" content={issue.date} />}
    >
      <article className="issue">
        <header>
          <p className="meta">
            Issue #{issue.number} · <time dateTime={issue.date}>{date}</time>
            {issue.byline ? <> · {issue.byline}</> : null}
          </p>
          <h1>{issue.title}</h1>
          {issue.summary && !summaryOpensBody(issue) ? <p className="summary">{issue.summary}</p> : null}
        </header>
        <div className="issue-body" dangerouslySetInnerHTML={{ __html: bodyHtml }} />
        {tags.length > 0 ? (
          <footer>
            <h2>Tags</h2>
            <ul className="tags">
              {tags.map((tag) => (
                <li key={tag.slug}>
                  <a href={siteHref(ctx, tagPath(tag.slug))}>{tag.title}</a>
                </li>
              ))}
            </ul>
          </footer>
        ) : null}
      </article>
      {neighbours.previous || neighbours.next ? (
        <nav className="pager" aria-label="Previous and next issue">
          <ul>
            {neighbours.previous ? (
              <li>
                <a rel="prev" href={siteHref(ctx, issuePath(neighbours.previous))}>
                  ← #{neighbours.previous.number}: {neighbours.previous.title}
                </a>
              </li>
            ) : null}
            {neighbours.next ? (
              <li>
                <a rel="next" href={siteHref(ctx, issuePath(neighbours.next))}>
                  #{neighbours.next.number}: {neighbours.next.title} →
                </a>
              </li>
            ) : null}
          </ul>
        </nav>
      ) : null}
    </Layout>,
  );
  return { html, warnings: collectUrlWarnings(issue) };
}
