// What moving in from another platform produces, whichever platform it was: back-issues
// as Markdown documents (metadata in YAML front matter, so they go through exactly the
// same import, fidelity check and report as an archive), and subscribers with the state
// the platform gave them, plus a count of how each platform state was mapped.
import { stringify } from 'yaml';
import type { SubscriberState } from '../../delivery/subscribers/subscriber.ts';
import type { ImportInput } from '../import-markdown/import-issue.ts';

export interface MigratedSubscriber {
  /** Where the row came from, for messages: "email_list.kelp.csv:14". */
  origin: string;
  email: string;
  name?: string | undefined;
  state: SubscriberState;
  /** The platform's own words for the state, e.g. "email_disabled=true". */
  platformState: string;
}

export interface Migration {
  issues: ImportInput[];
  subscribers: MigratedSubscriber[];
  /** Rows or posts left out on purpose, with the reason (pages, drafts, bad rows). */
  skipped: string[];
}

export interface PostFields {
  title: string;
  date: string;
  summary?: string | undefined;
  slug?: string | undefined;
  author?: string | undefined;
  tags?: string[] | undefined;
  draft?: boolean | undefined;
}

/** A post as a Markdown back-issue: YAML front matter written by the `yaml` library, then the body. */
export function formatMarkdownIssue(fields: PostFields, body: string): string {
  const front = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)));
  return `---\n${stringify(front)}---\n\n${body.trim()}\n`;
}

/** "regular → active: 12" lines, for the report. */
export function describeStateMapping(subscribers: MigratedSubscriber[]): string[] {
  const counts = new Map<string, number>();
  for (const s of subscribers) counts.set(`${s.platformState} → ${s.state}`, (counts.get(`${s.platformState} → ${s.state}`) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
}

/** Posts in publication order (then by id), so issue numbers follow the archive. */
export function sortByPublication<T extends { date: string; id: string }>(posts: T[]): T[] {
  return [...posts].sort((a, b) => a.date.localeCompare(b.date) || a.id.localeCompare(b.id, 'en', { numeric: true }));
}

/** "2024-05-03T10:00:00.000Z" or a Unix time in milliseconds → "2024-05-03". */
export function parseIsoDay(value: string | number | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const date = typeof value === 'number' || /^\d+$/.test(value) ? new Date(Number(value)) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().slice(0, 10);
}
