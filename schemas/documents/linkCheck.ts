// What `newsdesk links check` last found about one published address: written by the
// CLI, read-only in the Studio, where broken and moved links are listed under "Link
// health" and flagged on the links that use them.
import { ActivityIcon } from '@sanity/icons/Activity';
import { defineField, defineType } from 'sanity';
import { describeLinkHealth, linkOutcomes, type LinkCheckRecord } from '../../content/link-check/link-health.ts';

const outcomeTitles = { ok: 'Fine', moved: 'Moved', broken: 'Broken', unknown: 'Could not be checked' } satisfies Record<(typeof linkOutcomes)[number], string>;

export const linkCheck = defineType({
  name: 'linkCheck',
  title: 'Link check',
  type: 'document',
  icon: ActivityIcon,
  readOnly: true,
  fields: [
    defineField({ name: 'url', title: 'URL', type: 'url' }),
    defineField({ name: 'normalizedUrl', title: 'Normalised URL', type: 'string' }),
    defineField({ name: 'outcome', title: 'Outcome', type: 'string', options: { list: linkOutcomes.map((value) => ({ value, title: outcomeTitles[value] })) } }),
    defineField({ name: 'status', title: 'HTTP status', type: 'number' }),
    defineField({ name: 'failure', title: 'Failure', type: 'string', description: 'Why no answer came: timeout, reset, dns, refused, blocked-by-policy…' }),
    defineField({ name: 'detail', title: 'Detail', type: 'string' }),
    defineField({ name: 'finalUrl', title: 'Final URL', type: 'url', description: 'Where the redirects ended.' }),
    defineField({ name: 'movedTo', title: 'Moved to', type: 'url', description: 'Where the permanent redirects point: link there instead.' }),
    defineField({ name: 'redirects', title: 'Redirects followed', type: 'number' }),
    defineField({ name: 'checkedAt', title: 'Checked at', type: 'datetime' }),
    defineField({ name: 'usedIn', title: 'Used in issues', type: 'array', of: [{ type: 'number' }] }),
  ],
  orderings: [{ title: 'Checked, newest first', name: 'checkedAtDesc', by: [{ field: 'checkedAt', direction: 'desc' }] }],
  preview: {
    select: { url: 'url', outcome: 'outcome', status: 'status', failure: 'failure', redirects: 'redirects', finalUrl: 'finalUrl', movedTo: 'movedTo', checkedAt: 'checkedAt', usedIn: 'usedIn' },
    prepare: (record: Partial<LinkCheckRecord>) => ({ title: record.url ?? 'Link check', subtitle: describeLinkCheckPreview(record) }),
  },
});

/** The list subtitle: the editor's sentence and the issues to fix. */
export function describeLinkCheckPreview(record: Partial<LinkCheckRecord>): string {
  if (!record.outcome || !record.checkedAt) return 'Not checked yet';
  const sentence = describeLinkHealth({ redirects: 0, finalUrl: record.url ?? '', ...record, outcome: record.outcome, checkedAt: record.checkedAt });
  const issues = record.usedIn?.length ? ` In ${record.usedIn.map((n) => `#${n}`).join(', ')}.` : '';
  return sentence + issues;
}
