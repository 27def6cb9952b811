// Everything one issue contributes to the output, rendered in one go (in the main
// thread or a worker): its web page, the body the feeds carry, and the email exactly as
// it will be sent (with the per-recipient placeholders), and what reader search knows of
// it. Pure apart from being async.
import type { Issue } from '../content/model.ts';
import { NewsdeskError, isNewsdeskError } from '../core/errors.ts';
import type { RenderContext, RenderWarning } from '../core/render.ts';
import { renderIssueEmail } from '../emails/issue-email.ts';
import type { LayoutStore } from '../emails/mjml-slots.ts';
import { renderIssueBody, renderIssuePageWithBody, type Neighbours } from '../web/issue-page.tsx';
import type { IssueSearchDoc } from '../web/search-doc.ts';
import { issueSearchDoc, sectionOwnText } from '../web/search-doc.ts';
import { searchTokenizer } from '../web/search-tokens.ts';
import { jsonMayHoldControlChars, stripControlChars } from '../web/site.ts';

export interface IssueJob {
  issue: Issue;
  neighbours: Neighbours;
  ctx: RenderContext;
  /** Cache key: the artifacts are stored under it. */
  key: string;
  /** Where compiled email layouts are kept between processes (emails/mjml-slots.ts). */
  layouts?: LayoutStore | undefined;
}

export interface IssueArtifacts {
  page: string;
  body: string;
  emailHtml: string;
  emailText: string;
  /** The issue's reader-search document (web/search-doc.ts) and each section's own words (SearchArtifact), as JSON. */
  search: string;
  subject: string;
  warnings: RenderWarning[];
}

export async function renderIssueArtifacts(job: IssueJob): Promise<IssueArtifacts> {
  const { issue, neighbours, ctx } = job;
  try {
    const body = renderIssueBody(issue);
    const page = renderIssuePageWithBody(issue, neighbours, ctx, body);
    const email = await renderIssueEmail(issue, ctx, job.layouts);
    return {
      page: page.html,
      body,
      emailHtml: email.html,
      emailText: email.text,
      search: searchArtifact(issue),
      subject: email.subject,
      warnings: dedupeWarnings([...page.warnings, ...email.warnings]),
    };
  } catch (error) {
    if (isNewsdeskError(error)) throw error;
    throw new NewsdeskError('RENDER_FAILED', `Rendering issue ${issue.number} ("${issue.title}") failed: ${(error as Error)?.message ?? String(error)}`, {
      hint: 'Run `newsdesk check` to find content problems; if it reports none, this is a bug in the templates.',
      cause: error,
    });
  }
}

/** The search cache artifact: the search document and, per section, the words of its own text (build/search-index.ts adds its links'). */
export type SearchArtifact = IssueSearchDoc & { words: string[][] };

const tokenizer = searchTokenizer();

function searchArtifact(issue: Issue): string {
  const doc = issueSearchDoc(issue);
  // Control characters are left out, as from every page (before finding words: one may sit between two letters).
  const words = doc.sections.map((_, s) => [...new Set(tokenizer.terms(stripControlChars(sectionOwnText(doc, s))))]);
  const artifact = { ...doc, words } satisfies SearchArtifact;
  // Without a replacer when no string holds one: JSON.stringify calling back for every value
  // was a fifth of the artifact's cost, for text that almost never holds any.
  const json = JSON.stringify(artifact);
  return jsonMayHoldControlChars(json) ? JSON.stringify(artifact, (_, value: unknown) => (typeof value === 'string' ? stripControlChars(value) : value)) : json;
}

/** The web and email renderers report the same dropped link; say it once. */
export function dedupeWarnings(warnings: RenderWarning[]): RenderWarning[] {
  const seen = new Set<string>();
  return warnings.filter((w) => {
    const id = `${w.where}\0${w.field}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
