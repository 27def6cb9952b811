// `newsdesk issues`: the issues in the configured content store, drafts included.
import { issueSummariesQuery } from '../content/queries.ts';
import { openContentStore } from '../content/open-store.ts';
import { z } from 'zod';
import { parseOrThrow } from '../content/model.ts';
import { type Command, formatTable, parseOptions } from './cli.ts';

const summarySchema = z.object({
  id: z.string(),
  number: z.number().nullable(),
  title: z.string().nullable(),
  date: z.string().nullable(),
  sections: z.number().nullable(),
  content: z.unknown(),
});

/** Links in an issue: annotations (also inside editorial notes) and link cards. */
export function countLinks(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countLinks(v), 0);
  if (typeof value !== 'object' || value === null) return 0;
  const type = (value as { _type?: unknown })._type;
  const own = type === 'externalLink' || type === 'linkReference' || type === 'linkCard' ? 1 : 0;
  return own + Object.values(value).reduce((n: number, v) => n + countLinks(v), 0);
}

export const issuesCommand: Command = {
  name: 'issues',
  summary: 'list issues with number, title, date, status, section and link counts',
  usage: 'issues [--published] [--json]',
  options: [
    ['--published', 'only published issues (drafts are listed by default)'],
    ['--json', 'print JSON instead of a table'],
  ],
  examples: ['newsdesk issues', 'newsdesk issues --published --json'],
  async run(args, ctx) {
    const { values } = parseOptions(this, args, { published: { type: 'boolean' }, json: { type: 'boolean' } }, false);
    const store = openContentStore(ctx.config().content);
    const raw = parseOrThrow(summarySchema, await store.fetch(issueSummariesQuery, {}, { perspective: 'raw' }), 'issue');
    const ids = new Set(raw.map((r) => r.id));
    const rows = raw
      // A draft of a published issue shows as that issue's status, not as a second row.
      .filter((r) => !(r.id.startsWith('drafts.') && ids.has(r.id.slice('drafts.'.length))))
      .map(({ content, ...r }) => ({
        ...r,
        links: countLinks(content),
        status: r.id.startsWith('drafts.') ? 'draft' : ids.has(`drafts.${r.id}`) ? 'published, draft changes' : 'published',
      }))
      .filter((r) => !values.published || r.status !== 'draft')
      .sort((a, b) => (b.number ?? 0) - (a.number ?? 0));
    if (values.json) {
      ctx.out(JSON.stringify(rows, null, 2));
      return 0;
    }
    if (rows.length === 0) {
      ctx.out(`No issues in ${store.description}.`);
      return 0;
    }
    ctx.out(
      formatTable(
        ['#', 'date', 'status', 'sections', 'links', 'title'],
        rows.map((r) => [String(r.number ?? '?'), r.date ?? '—', r.status, String(r.sections ?? 0), String(r.links ?? 0), r.title ?? '(untitled)']),
      ),
    );
    ctx.out(`\n${rows.length} issue(s) in ${store.description}`);
    return 0;
  },
};
