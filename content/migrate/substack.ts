// Substack's export: posts.csv (post_id, post_date, is_published, type, title,
// subtitle, …), each post's body as posts/<post_id>.html, and the list as
// email_list.<publication>.csv (email, active_subscription, email_disabled, …).
// Bodies go through turndown into Markdown; a reader who turned email off stays off.
import { decodeUtf8 } from '../import-markdown/import-issue.ts';
import { htmlToMarkdown } from '../import-markdown/parse.ts';
import { findFile, readCsv, type ExportFiles } from './export-files.ts';
import { sortByPublication, parseIsoDay, formatMarkdownIssue, type Migration, type MigratedSubscriber } from './migration.ts';

export function readSubstackExport(files: ExportFiles, subscriberFiles: ExportFiles | undefined): Migration {
  const migration: Migration = { issues: [], subscribers: [], skipped: [] };
  const postsCsv = findFile(files, (n) => n === 'posts.csv', 'posts.csv');
  const posts: Array<{ id: string; date: string; record: Record<string, string>; line: number }> = [];
  for (const { record, line } of readCsv(files, postsCsv)) {
    const id = record.post_id ?? '';
    const date = parseIsoDay(record.post_date) ?? parseIsoDay(record.email_sent_at);
    if (!id || !date) {
      migration.skipped.push(`${postsCsv}:${line}: no post_id or post_date`);
      continue;
    }
    if (record.type === 'thread' || record.type === 'page') {
      migration.skipped.push(`${postsCsv}:${line}: post ${id} is a ${record.type}, not an issue`);
      continue;
    }
    posts.push({ id, date, record, line });
  }
  for (const post of sortByPublication(posts)) {
    const htmlName = files.names.find((n) => n === `posts/${post.id}.html` || n.endsWith(`/posts/${post.id}.html`));
    if (!htmlName) {
      migration.skipped.push(`${postsCsv}:${post.line}: post ${post.id} has no posts/${post.id}.html in the export`);
      continue;
    }
    const body = htmlToMarkdown(decodeUtf8(files.read(htmlName)!, htmlName));
    const slug = post.id.includes('.') ? post.id.slice(post.id.indexOf('.') + 1) : undefined;
    const source = formatMarkdownIssue(
      { title: post.record.title || slug || post.id, date: post.date, summary: post.record.subtitle, slug, draft: post.record.is_published === 'false' },
      body,
    );
    migration.issues.push({ file: htmlName, source });
  }

  const list = subscriberFiles ?? files;
  const listCsv = list.names.find((n) => /^email_list.*\.csv$/i.test(n.split('/').pop()!) || (subscriberFiles !== undefined && n.endsWith('.csv')));
  if (listCsv) for (const { record, line } of readCsv(list, listCsv)) migration.subscribers.push(substackSubscriber(record, `${listCsv}:${line}`));
  else migration.skipped.push('no email_list.*.csv in the export: no subscribers moved');
  return migration;
}

function substackSubscriber(record: Record<string, string>, origin: string): MigratedSubscriber {
  const disabled = record.email_disabled?.toLowerCase() === 'true';
  return {
    origin,
    email: record.email ?? '',
    name: record.name || undefined,
    // Substack keeps readers who turned email off on the list with email_disabled; they stay off.
    state: disabled ? 'unsubscribed' : 'active',
    platformState: disabled ? 'email_disabled=true' : `subscribed${record.active_subscription?.toLowerCase() === 'true' ? ' (paid)' : ''}`,
  };
}
