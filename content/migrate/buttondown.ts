// Buttondown's export: emails.csv (id, subject, publish_date, slug, …) with each email's
// Markdown body in emails/<slug or id>.md (or a `body` column), subscribers.csv (email,
// subscriber_type, creation_date, …) and unsubscribers.csv. The bodies are already
// Markdown, so they go straight into the import.
import { splitMetadata } from '../import-markdown/front-matter.ts';
import { decodeUtf8 } from '../import-markdown/import-issue.ts';
import type { SubscriberState } from '../../delivery/subscribers/subscriber.ts';
import { findFile, readCsv, type ExportFiles } from './export-files.ts';
import { sortByPublication, parseIsoDay, formatMarkdownIssue, type Migration, type MigratedSubscriber } from './migration.ts';

/** Buttondown's subscriber types and what each means here. */
const typeStates: Record<string, SubscriberState> = {
  regular: 'active',
  premium: 'active',
  gifted: 'active',
  trialed: 'active',
  churning: 'active',
  past_due: 'active',
  paused: 'active',
  unactivated: 'pending',
  unpaid: 'active',
  unsubscribed: 'unsubscribed',
  removed: 'unsubscribed',
  undeliverable: 'bounced',
  spammy: 'complained',
  complained: 'complained',
};

export function readButtondownExport(files: ExportFiles, subscriberFiles: ExportFiles | undefined): Migration {
  const migration: Migration = { issues: [], subscribers: [], skipped: [] };
  const emailsCsv = findFile(files, (n) => n === 'emails.csv', 'emails.csv');
  const emails: Array<{ id: string; date: string; record: Record<string, string>; line: number }> = [];
  for (const { record, line } of readCsv(files, emailsCsv)) {
    const id = record.id || record.slug || '';
    const date = parseIsoDay(record.publish_date) ?? parseIsoDay(record.creation_date);
    if (!id || !date) {
      migration.skipped.push(`${emailsCsv}:${line}: no id or publish_date`);
      continue;
    }
    emails.push({ id, date, record, line });
  }
  for (const email of sortByPublication(emails)) {
    const { record } = email;
    const candidates = [record.slug, record.id].filter(Boolean).map((n) => `emails/${n}.md`);
    const bodyName = files.names.find((n) => candidates.some((c) => n === c || n.endsWith(`/${c}`)));
    const body = record.body ?? (bodyName ? decodeUtf8(files.read(bodyName)!, bodyName) : undefined);
    if (body === undefined) {
      migration.skipped.push(`${emailsCsv}:${email.line}: email ${email.id} has no body (no ${candidates.join(' or ')})`);
      continue;
    }
    const status = record.status?.toLowerCase();
    const source = formatMarkdownIssue({ title: record.subject || email.id, date: email.date, summary: record.description, slug: record.slug, draft: status === 'draft' }, stripOwnFrontMatter(body, bodyName ?? emailsCsv));
    migration.issues.push({ file: bodyName ?? `${emailsCsv}:${email.line}`, source });
  }

  const list = subscriberFiles ?? files;
  const subscribersCsv = list.names.find((n) => /^subscribers\.csv$/i.test(n.split('/').pop()!) || (subscriberFiles !== undefined && !/unsubscribers/i.test(n) && n.endsWith('.csv')));
  if (subscribersCsv) {
    for (const { record, line } of readCsv(list, subscribersCsv)) {
      const type = (record.subscriber_type || record.type || 'regular').toLowerCase();
      migration.subscribers.push({ origin: `${subscribersCsv}:${line}`, email: record.email || record.email_address || '', state: typeStates[type] ?? 'active', platformState: type });
    }
  } else migration.skipped.push('no subscribers.csv in the export: no subscribers moved');
  const unsubscribersCsv = list.names.find((n) => /^unsubscribers\.csv$/i.test(n.split('/').pop()!));
  if (unsubscribersCsv) {
    for (const { record, line } of readCsv(list, unsubscribersCsv)) {
      migration.subscribers.push({ origin: `${unsubscribersCsv}:${line}`, email: record.email || record.email_address || '', state: 'unsubscribed', platformState: 'unsubscribers.csv' } satisfies MigratedSubscriber);
    }
  }
  return migration;
}

/** An email file may carry its own front matter; the export's CSV is the source of its metadata. */
function stripOwnFrontMatter(body: string, file: string): string {
  const split = splitMetadata(body, file);
  return split.format === 'yaml' || split.format === 'toml' ? split.body : body;
}
