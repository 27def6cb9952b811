// Subscriber CSV in and out. Import: a header row naming at least `email` (or another
// service's name for it), its delimiter a comma, a semicolon or a tab, read as a
// stream (any size, flat memory); every row is checked with zod and a bad one (an
// invalid address, bytes that are not UTF-8) is reported by its line number and
// reason rather than stopping the import. Export writes the same columns back,
// suppressed states included, so an export re-imported elsewhere keeps every
// unsubscribe; a cell a spreadsheet would run as a formula is written with a leading
// apostrophe, which import takes off again.
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { NewsdeskError, formatZodIssues } from '../../core/errors.ts';
import type { BadRow, ImportRow } from './import-subscribers.ts';
import { mailboxParts, subscriberInputSchema, type Subscriber } from './subscriber.ts';

export const exportColumns = ['email', 'name', 'state', 'source', 'created_at', 'updated_at'] as const;
const known = new Set(['email', 'name', 'state', 'source', 'created_at', 'updated_at']);

// Spreadsheets run a cell starting with = + - @ (and tab or CR before them) as a formula
// (OWASP "CSV injection"). Escaping adds one apostrophe, also before cells that already
// start with apostrophes then such a character, so unescaping is exact.
const formulaStart = /^'*[=+\-@\t\r]/;

export function neutralizeCell(value: string): string {
  return formulaStart.test(value) ? `'${value}` : value;
}

export function restoreCell(value: string): string {
  return /^'+[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

export function csvHeader(): string {
  return stringify([exportColumns as unknown as string[]]);
}

export function toCsvLine(s: Subscriber): string {
  return stringify([[s.email, s.name ?? '', s.state, s.source, s.createdAt, s.updatedAt].map(neutralizeCell)]);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Fields are parsed as latin1, one character per byte, so that bytes which are not
 * UTF-8 survive parsing and are caught here, with the row's line number, instead of
 * turning silently into U+FFFD.
 */
function decodeField(raw: string): string | undefined {
  if (/^[\x00-\x7f]*$/.test(raw)) return raw;
  try {
    return utf8.decode(Buffer.from(raw, 'latin1'));
  } catch {
    return undefined;
  }
}

function unreadable(file: string, error: unknown): NewsdeskError {
  return new NewsdeskError('IMPORT_FAILED', `${file} is not readable CSV: ${(error as Error).message}`, {
    hint: 'Check the quoting on the line named above; fields with commas or quotes must be in double quotes. Nothing was imported.',
    cause: error,
  });
}

/**
 * Column names other services export for the address: Mailchimp's "Email Address",
 * ConvertKit's email_address, "E-mail". Read as `email` when the file has no column of that name.
 */
const emailAliases = ['email_address', 'e_mail', 'e_mail_address'];

/** The header's names, lower-case with spaces and dashes as underscores, and the address column found under another service's name. */
function columnNames(header: string[]): string[] {
  const names = header.map((h) => (decodeField(h) ?? h).trim().toLowerCase().replace(/[\s-]+/g, '_'));
  const alias = names.includes('email') ? -1 : names.findIndex((n) => emailAliases.includes(n));
  if (alias >= 0) names[alias] = 'email';
  return names;
}

/** Candidate field delimiters: a comma, or what spreadsheets in many locales export (a semicolon), or a tab. */
const delimiters = [',', ';', '\t'] as const;

/**
 * The delimiter of a file from its header line (the bytes read so far, up to its first line
 * end): the candidate found most often outside double quotes; a comma when none is.
 */
function delimiterOf(head: Buffer): (typeof delimiters)[number] {
  const end = head.indexOf(0x0a);
  const line = head.toString('latin1', 0, end < 0 ? head.length : end);
  const counts = new Map<string, number>(delimiters.map((d) => [d, 0]));
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  let best: (typeof delimiters)[number] = ',';
  for (const d of delimiters) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

function parser(delimiter: string) {
  return parse({
    encoding: 'latin1',
    bom: true,
    delimiter,
    columns: columnNames,
    skip_empty_lines: true,
    relax_column_count: true,
    // A quote inside a field that is not quoted (Cy "Quotes" Ng, as typed by hand) is kept as written.
    relax_quotes: true,
    info: true,
  });
}

/** Opens a CSV file as bytes; a missing or unreadable file is a clear error. */
export function openCsv(file: string, displayName = file): AsyncIterable<Buffer> {
  const stream = createReadStream(file);
  return (async function* () {
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (error) {
      throw new NewsdeskError('IMPORT_FAILED', `Could not read ${displayName}: ${(error as Error).message}`, { cause: error });
    }
  })();
}

/**
 * Reads subscriber rows from CSV bytes, one at a time: good rows as ImportRow, bad
 * ones as BadRow. Throws (IMPORT_FAILED) when the file is not CSV at all or has no
 * email column.
 */
export async function* readSubscriberCsv(input: AsyncIterable<Buffer>, file: string): AsyncGenerator<ImportRow | BadRow> {
  for await (const { record, line } of readRecords(input, file)) yield toRow(record, line);
}

/** Bytes read before the delimiter is chosen: the header line, however it is split into chunks (a header is never this long). */
const headLimit = 64 * 1024;

async function* readRecords(input: AsyncIterable<Buffer>, file: string): AsyncGenerator<{ record: Record<string, string>; line: number }> {
  // The header line first, to choose the delimiter (delimiterOf); those bytes then go to the parser with the rest.
  const chunks = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  try {
    while (headBytes < headLimit) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      head.push(next.value);
      headBytes += next.value.length;
      if (next.value.includes(0x0a)) break;
    }
  } catch (error) {
    if (error instanceof NewsdeskError) throw error;
    throw unreadable(file, error);
  }
  const records = parser(delimiterOf(Buffer.concat(head)));
  // Stops feeding once the parser has failed (it is destroyed, and drains no more): the error
  // reaches the reading loop below, which waits for this before it throws.
  const feeding = (async () => {
    try {
      const rest = ended ? [] : { [Symbol.asyncIterator]: () => chunks };
      for (const source of [head, rest] as Array<Iterable<Buffer> | AsyncIterable<Buffer>>) {
        for await (const chunk of source) {
          if (records.destroyed) return;
          if (!records.write(chunk)) await drainedOrClosed(records);
        }
      }
      records.end();
    } catch (error) {
      records.destroy(error as Error);
    }
  })();
  let first = true;
  try {
    for await (const { record, info } of records as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (first && !('email' in record)) {
        throw new NewsdeskError('IMPORT_FAILED', `${file} has no "email" column (found: ${Object.keys(record).join(', ')})`, {
          hint: 'The first line must be a header naming the columns, e.g. "email,name" ("Email Address" and "E-mail" are read as email too).',
        });
      }
      first = false;
      yield { record, line: info.lines };
    }
  } catch (error) {
    if (error instanceof NewsdeskError) throw error;
    throw unreadable(file, error);
  } finally {
    await feeding;
  }
}

/** Resolves when a stream that refused a write can take more, or is closed (destroyed by an error) and never will. */
function drainedOrClosed(stream: Writable): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

function toRow(record: Record<string, string>, line: number): ImportRow | BadRow {
  const fields: Record<string, string> = {};
  for (const [key, raw] of Object.entries(record)) {
    if (raw === undefined) continue;
    const text = decodeField(raw);
    if (text === undefined) return { line, reason: `${key}: is not valid UTF-8 (save the file as UTF-8 and import it again)` };
    fields[key] = restoreCell(text);
  }
  // No name column: a first and a last name, as Mailchimp and others export them, make the name.
  const fullName = fields.name === undefined ? [fields.first_name, fields.last_name].filter(Boolean).join(' ') : '';
  if (fullName) {
    delete fields.first_name;
    delete fields.last_name;
  }
  // An address cell as an email program copies it ("Ada <ada@example.org>") gives the name too.
  const given = mailboxParts(fields.email ?? '');
  const parsed = subscriberInputSchema.safeParse({
    email: given.email,
    name: fields.name || fullName || given.name,
    state: fields.state || undefined,
    source: fields.source || undefined,
  });
  if (!parsed.success) return { line, reason: formatZodIssues(parsed.error.issues).join('; ') };
  const attributes = Object.fromEntries(Object.entries(fields).filter(([k, v]) => !known.has(k) && v !== ''));
  return { ...parsed.data, line, attributes };
}

/** Reads the whole file once without importing, so a file that is not CSV is refused before anything is written. */
export async function checkSubscriberCsv(input: AsyncIterable<Buffer>, file: string): Promise<{ rows: number }> {
  let rows = 0;
  for await (const _ of readRecords(input, file)) rows++;
  return { rows };
}
