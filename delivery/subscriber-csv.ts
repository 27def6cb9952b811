// Subscriber CSV in and out. Import: a header row naming at least `email`; every row
// is checked with zod and a bad one is reported by its line number and reason rather
// than stopping the import. Export writes the same columns back, suppressed states
// included, so an export re-imported elsewhere keeps every unsubscribe.
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { NewsdeskError, formatZodIssues } from '../core/errors.ts';
import type { ImportRow } from './sqlite-subscriber-store.ts';
import { subscriberInputSchema, type Subscriber } from './subscriber.ts';

export const exportColumns = ['email', 'name', 'state', 'source', 'created_at', 'updated_at'] as const;
const known = new Set(['email', 'name', 'state', 'source', 'created_at', 'updated_at']);

export interface BadRow {
  line: number;
  reason: string;
}

export function parseSubscriberCsv(text: string, file: string): { rows: ImportRow[]; bad: BadRow[] } {
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(text, {
      bom: true,
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase().replace(/[\s-]+/g, '_')),
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as typeof records;
  } catch (error) {
    throw new NewsdeskError('IMPORT_FAILED', `${file} is not readable CSV: ${(error as Error).message}`, {
      hint: 'Check the quoting on the line named above; fields with commas or quotes must be in double quotes.',
      cause: error,
    });
  }
  if (records.length > 0 && !('email' in records[0]!.record)) {
    throw new NewsdeskError('IMPORT_FAILED', `${file} has no "email" column (found: ${Object.keys(records[0]!.record).join(', ')})`, {
      hint: 'The first line must be a header naming the columns, e.g. "email,name".',
    });
  }
  const rows: ImportRow[] = [];
  const bad: BadRow[] = [];
  for (const { record, info } of records) {
    const parsed = subscriberInputSchema.safeParse({
      email: record.email ?? '',
      name: record.name || undefined,
      state: record.state || undefined,
      source: record.source || undefined,
    });
    if (!parsed.success) {
      bad.push({ line: info.lines, reason: formatZodIssues(parsed.error.issues).join('; ') });
      continue;
    }
    const attributes = Object.fromEntries(Object.entries(record).filter(([k, v]) => !known.has(k) && v !== undefined && v !== ''));
    rows.push({ ...parsed.data, line: info.lines, attributes });
  }
  return { rows, bad };
}

export function csvHeader(): string {
  return stringify([exportColumns as unknown as string[]]);
}

export function toCsvLine(s: Subscriber): string {
  return stringify([[s.email, s.name ?? '', s.state, s.source, s.createdAt, s.updatedAt]]);
}
