// `newsdesk check`: validate everything in the content store and report every
// problem at once, each naming the document, field and what to fix.
import { z } from 'zod';
import { describeProblem, issueSchema, linkSchema, parseDocuments, settingsSchema, tagSchema, type ContentProblem } from '../content/model.ts';
import { openContentStore } from '../content/open-store.ts';
import { everythingQuery } from '../content/queries.ts';
import { isSafeLinkUrl, summaryMaxLength } from '../content/rules.ts';
import type { ContentStore } from '../content/store.ts';
import { collectUrlWarnings, describeUrl } from '../web/url-warnings.ts';
import { type Command, parseOptions } from './cli.ts';

export const checkCommand: Command = {
  name: 'check',
  summary: 'validate the whole content store and report every problem at once',
  usage: 'check',
  examples: ['newsdesk check', 'NEWSDESK_DATASET=backup.ndjson newsdesk check'],
  async run(args, ctx) {
    parseOptions(this, args, {}, false);
    const store = openContentStore(ctx.config().content);
    const problems = await checkContent(store);
    if (problems.length === 0) {
      ctx.out(`✓ ${store.description}: no problems found`);
      return 0;
    }
    ctx.err(`${store.description}: ${problems.length} problem(s)`);
    for (const p of problems) ctx.err(`  - ${describeProblem(p)}`);
    return 1;
  },
};

const everythingSchema = z.object({
  settings: z.array(z.unknown()),
  issues: z.array(z.unknown()),
  links: z.array(z.unknown()),
  tags: z.array(z.unknown()),
});

/** Every problem in the store: model violations plus the cross-document rules. */
export async function checkContent(store: ContentStore): Promise<ContentProblem[]> {
  const problems: ContentProblem[] = [];
  // Published content, then drafts overlaid: a broken draft is worth knowing about too.
  for (const perspective of ['published', 'drafts'] as const) {
    const all = everythingSchema.parse(await store.fetch(everythingQuery, {}, { perspective }));
    const found: ContentProblem[] = [];
    if (perspective === 'published') {
      if (all.settings.length === 0) {
        found.push({ id: 'newsletter', label: 'settings', path: '(document)', message: 'no published newsletter settings document; create and publish Settings' });
      }
      found.push(...parseDocuments(settingsSchema, all.settings, 'settings').problems);
      const links = parseDocuments(linkSchema, all.links, 'link');
      found.push(...links.problems);
      for (const link of links.documents) {
        // The build leaves such a link out wherever an issue uses it; say so before it is used.
        if (!isSafeLinkUrl(link.url)) found.push({ id: link.id, label: 'link', path: 'url', message: `${describeUrl(link.url)} is not an http(s) or mailto URL; the build leaves this link out. Fix the URL or delete the link` });
      }
      found.push(...parseDocuments(tagSchema, all.tags, 'tag').problems);
    }
    const { documents: issues, problems: issueProblems } = parseDocuments(issueSchema, all.issues, 'issue');
    found.push(...issueProblems);
    found.push(...checkIssueRules(issues, perspective === 'published'));
    for (const p of found) {
      if (perspective === 'drafts' && problems.some((q) => q.id === p.id && q.path === p.path && q.message === p.message)) continue;
      problems.push(perspective === 'drafts' && !p.label.includes('draft') && isDraftProblem(p, all.issues) ? { ...p, label: `${p.label} (draft)` } : p);
    }
  }
  return problems;
}

function isDraftProblem(p: ContentProblem, issues: unknown[]): boolean {
  return issues.some((i) => typeof i === 'object' && i !== null && (i as { id?: string; isDraft?: boolean }).id === p.id && (i as { isDraft?: boolean }).isDraft === true);
}

function checkIssueRules(issues: z.infer<typeof issueSchema>[], published: boolean): ContentProblem[] {
  const problems: ContentProblem[] = [];
  const byNumber = new Map<number, string>();
  const bySlug = new Map<string, string>();
  for (const issue of issues) {
    const label = `issue ${issue.number}`;
    const at = (path: string, message: string) => problems.push({ id: issue.id, label, path, message });
    const otherNumber = byNumber.get(issue.number);
    if (otherNumber) at('number', `number ${issue.number} is also used by ${otherNumber}; give each issue its own number`);
    byNumber.set(issue.number, issue.id);
    const otherSlug = bySlug.get(issue.slug);
    if (otherSlug) at('slug', `slug "${issue.slug}" is also used by ${otherSlug}; slugs must be unique`);
    bySlug.set(issue.slug, issue.id);
    if (issue.summary && issue.summary.length > summaryMaxLength) {
      at('summary', `is ${issue.summary.length} characters; keep it to ${summaryMaxLength} so inboxes show it whole as the preheader`);
    }
    if (published && issue.sections.length === 0) at('sections', 'a published issue needs at least one section');
    // Exactly the links and images the build would leave out, with the same field paths.
    for (const w of collectUrlWarnings(issue)) at(w.field, w.message);
  }
  return problems;
}
