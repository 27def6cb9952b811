// The dataset's journal: every committed transaction is appended as one line to a file
// beside the dataset (dataset.ndjson → dataset.ndjson.journal) and fsynced before the
// write is acknowledged, so a write costs the size of its change, not of the archive.
// Readers apply the journal's records over the dataset file; compaction (in the store)
// folds them into a fresh dataset file and removes the journal.
//
// The first line names the dataset file the journal belongs to (its fingerprint), so a
// journal left over from before the dataset was replaced by hand (a restored backup) is
// never applied to the wrong base. Records hold whole documents, so applying one again
// over a file that already holds it changes nothing. Compaction relies on that: it first
// appends a "rebase" line naming the new dataset file (the journal now belongs to both),
// then renames the new file into place, then replaces the journal with one holding only
// the records the new file lacks. A crash between any two steps loses nothing.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { NewsdeskError } from '../core/errors.ts';
import { isArrayOf, isString } from '../core/record-of.ts';
import type { SanityDocument } from './store.ts';

/** One committed transaction, as the journal keeps it. */
export interface JournalRecord {
  tx: string;
  at: string;
  by: string;
  /** Documents written, whole, in the order the transaction wrote them. */
  put: SanityDocument[];
  /** Ids deleted. */
  del: string[];
  /**
   * Ids the record put, without their documents: readJournal gives a record so when later
   * records write or delete every document it wrote, since all that is left of it then is
   * where each document goes (applyRecords: a new one at the end where it was first written).
   */
  placed?: string[];
}

interface JournalHeader {
  journal: 1;
  base: string;
}

/** Says the journal also belongs to this dataset file (written by compaction before it installs the file). */
interface RebaseLine {
  rebase: string;
}

/** What a read of the journal found. */
export interface JournalRead {
  ino: number;
  size: number;
  mtimeMs: number;
  /** Bytes up to the end of the last whole line: where the next read or append starts. */
  end: number;
  /** Fingerprints of the dataset files the journal belongs to (none: no whole header line yet). */
  bases: string[];
  records: JournalRecord[];
}

export function journalPathFor(datasetPath: string): string {
  return `${datasetPath}.journal`;
}

/** Whether a stat and a read describe the same state of the journal file. */
export function sameJournalState(a: { ino: number; size: number; mtimeMs: number } | undefined, b: { ino: number; size: number; mtimeMs: number } | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

const fingerprintSpan = 1 << 16;

/**
 * Identifies a dataset file by its size and the hash of its first and last 64 KiB: a copy
 * (cp -a, a move to another disk) keeps it, a restored backup or a rewrite changes it.
 */
export async function fingerprintOf(handle: fs.FileHandle, size: number): Promise<string> {
  const hash = createHash('sha1');
  const head = Buffer.allocUnsafe(Math.min(size, fingerprintSpan));
  await readFully(handle, head, 0);
  hash.update(head);
  if (size > fingerprintSpan) {
    const tail = Buffer.allocUnsafe(Math.min(size - fingerprintSpan, fingerprintSpan));
    await readFully(handle, tail, size - tail.length);
    hash.update(tail);
  }
  return `${size}:${hash.digest('base64url')}`;
}

/** Fills `buffer` from `position` on, or up to the end of the file. */
export async function readFully(handle: fs.FileHandle, buffer: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Reads the journal's whole lines, from the start or, given an earlier read of the same
 * file, only what was appended since. A last line without its newline is a write still
 * under way (another process) or cut short by a crash: it is left for later, never an error.
 * Undefined when there is no journal.
 */
export async function readJournal(file: string, since?: JournalRead): Promise<JournalRead | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat();
    const continuing = since !== undefined && since.end > 0 && since.ino === stat.ino && stat.size >= since.end;
    const start = continuing ? since.end : 0;
    const bytes = Buffer.allocUnsafe(stat.size - start);
    await readFully(handle, bytes, start);
    const whole = bytes.lastIndexOf(0x0a) + 1;
    const read: JournalRead = { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, end: start + whole, bases: continuing ? [...since.bases] : [], records: [] };
    const lines = bytes.subarray(0, whole).toString('utf8').split('\n');
    lines.pop();
    let from = 0;
    if (!continuing && lines.length > 0) {
      from = 1;
      const header = parseLine(lines[0]!) as Partial<JournalHeader> | undefined;
      // No header: nothing in this file was ever acknowledged (the header goes out with the first record).
      if (header?.journal !== 1 || typeof header.base !== 'string') {
        read.end = 0;
        return read;
      }
      read.bases.push(header.base);
    }
    // Last line first: a record whose every document a later one writes or deletes again is
    // not parsed (an editor's hundredth save of an issue leaves ninety-nine versions of it:
    // megabytes every new process parsed to throw away). Its ids, which its line starts
    // with, are all that is needed of it (JournalRecord.placed).
    const later = new Set<string>();
    const records: JournalRecord[] = [];
    const rebases: string[] = [];
    for (let i = lines.length - 1; i >= from; i--) {
      const line = lines[i]!;
      const ids = idsOf(line);
      if (ids && ids.put.length + ids.del.length > 0 && ids.put.every((id) => later.has(id)) && ids.del.every((id) => later.has(id))) {
        records.push({ tx: '', at: '', by: '', put: [], del: ids.del, placed: ids.put });
        continue;
      }
      journalStats.parsed++;
      const record = parseLine(line) as JournalRecord | Partial<RebaseLine> | undefined;
      if (record && 'rebase' in record && typeof record.rebase === 'string') {
        rebases.push(record.rebase);
        continue;
      }
      // A damaged line in the middle (not something a crash leaves) is passed over: the
      // records are whole documents, so the ones after it still give the latest state.
      if (!isRecord(record)) continue;
      records.push(record);
      for (const doc of record.put) later.add(doc._id);
      for (const id of record.del) later.add(id);
    }
    read.records = records.reverse();
    read.bases.push(...rebases.reverse());
    return read;
  } finally {
    await handle.close();
  }
}

/** For tests: journal lines parsed whole by readJournal (the others were read only by their ids). */
export const journalStats = { parsed: 0 };

/**
 * What a record's line deletes and puts, read from its start without parsing its documents
 * (recordLine writes them first); undefined for a line that does not start so (a record
 * written before they were, a rebase line, a damaged one), which is then parsed whole.
 */
function idsOf(line: string): { del: string[]; put: string[] } | undefined {
  if (!line.startsWith('{"del":[')) return undefined;
  const del = stringArrayAt(line, 7);
  if (!del || !line.startsWith(',"ids":[', del.end)) return undefined;
  const put = stringArrayAt(line, del.end + 7);
  return put && { del: del.values, put: put.values };
}

/** The JSON array of strings whose '[' is at `at`, and the index after its ']'. */
function stringArrayAt(line: string, at: number): { values: string[]; end: number } | undefined {
  let inString = false;
  for (let i = at + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5d) {
      const values = parseLine(line.slice(at, i + 1));
      return isArrayOf(values, isString) ? { values: values as string[], end: i + 1 } : undefined;
    }
  }
  return undefined;
}

/** A record as its journal line: what it deletes and the ids it puts first, for idsOf. */
function recordLine(record: JournalRecord): string {
  return JSON.stringify({ del: record.del, ids: record.put.map((doc) => doc._id), tx: record.tx, at: record.at, by: record.by, put: record.put });
}

export function isRecord(value: unknown): value is JournalRecord {
  const record = value as Partial<JournalRecord> | undefined;
  return typeof record?.tx === 'string' && Array.isArray(record.put) && Array.isArray(record.del);
}

/** The first line of a journal belonging to the dataset file with this fingerprint. */
export function journalHeader(fingerprint: string): string {
  return `${JSON.stringify({ journal: 1, base: fingerprint } satisfies JournalHeader)}\n`;
}

/** Bytes `start` to `end` of the journal, as written. */
export async function readJournalBytes(file: string, start: number, end: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const bytes = Buffer.alloc(Math.max(0, end - start));
    await readFully(handle, bytes, start);
    return bytes;
  } finally {
    await handle.close();
  }
}

/** A line's JSON, or undefined when it is not JSON. */
export function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * Appends records and waits until they are on disk. `at` is where the last whole line
 * ends: anything after it (a line cut short by a crash) is cut off first, so a torn line
 * never swallows the next record. With `createFor`, starts a new journal for that base.
 * On failure the journal is cut back to `at`: a batch is on disk whole or not at all.
 */
export function appendToJournal(file: string, records: JournalRecord[], at: { end: number } | { createFor: string }): Promise<JournalRead> {
  const text = records.map((r) => `${recordLine(r)}\n`).join('');
  return appendText(file, 'createFor' in at ? journalHeader(at.createFor) + text : text, at, records);
}

/** Records, durably, that the journal also belongs to the dataset file with this fingerprint. */
export function appendRebase(file: string, end: number, fingerprint: string): Promise<JournalRead> {
  return appendText(file, `${JSON.stringify({ rebase: fingerprint } satisfies RebaseLine)}\n`, { end }, []);
}

async function appendText(file: string, text: string, at: { end: number } | { createFor: string }, records: JournalRecord[]): Promise<JournalRead> {
  const creating = 'createFor' in at;
  const start = creating ? 0 : at.end;
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, creating ? 'w' : 'a');
    if (!creating && (await handle.stat()).size !== start) await handle.truncate(start);
    const buffer = Buffer.from(text);
    await handle.write(buffer, 0, buffer.length);
    await handle.datasync();
    const stat = await handle.stat();
    if (creating) await syncFolder(path.dirname(file));
    return { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, end: start + buffer.length, bases: creating ? [at.createFor] : [], records };
  } catch (error) {
    await handle?.truncate(start).catch(() => undefined);
    throw new NewsdeskError('DATASET_WRITE', `Could not write to the journal ${file}: ${(error as Error).message}`, {
      cause: error,
      hint: 'Nothing of this write was stored. Check free disk space and permissions, then try again.',
    });
  } finally {
    await handle?.close();
  }
}

/** Makes a rename, creation or removal in a folder survive a power cut. */
export async function syncFolder(folder: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch {
    // Some file systems refuse to sync a folder; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

/**
 * Applies journal records over documents. Only the array is copied (unchanged documents
 * stay shared) and `index` (id → document, for `documents`) is updated in place to serve
 * the result: a write costs a copy of references, not a pass that hashes every id. With
 * `types` (each document's _type by place), the result's types come too, without asking
 * the documents (lazy ones answer through a Proxy).
 */
export function applyRecords(documents: SanityDocument[], records: JournalRecord[], index: Map<string, SanityDocument>, types?: readonly string[]): { documents: SanityDocument[]; types?: readonly string[] } {
  if (records.length === 0) return { documents, types };
  const out: Array<SanityDocument | undefined> = documents.slice();
  // Each document's type by place, kept beside `out` (the records' documents are plain objects).
  const outTypes: Array<string | undefined> | undefined = types?.slice();
  // Where this call put or removed a document (-1: removed).
  const placed = new Map<string, number>();
  const positionOf = (id: string): number => {
    const known = placed.get(id);
    if (known !== undefined) return known;
    const doc = index.get(id);
    return doc ? out.indexOf(doc) : -1;
  };
  let removed = false;
  for (const record of records) {
    for (const id of record.del) {
      const at = positionOf(id);
      if (at >= 0) {
        out[at] = undefined;
        if (outTypes) outTypes[at] = undefined;
        removed = true;
      }
      placed.set(id, -1);
      index.delete(id);
    }
    // A version a later record replaces: only its place is kept (the later put fills it, a later delete empties it).
    for (const id of record.placed ?? []) {
      if (positionOf(id) >= 0) continue;
      placed.set(id, out.push(undefined) - 1);
      outTypes?.push(undefined);
      removed = true;
    }
    for (const doc of record.put) {
      const at = positionOf(doc._id);
      if (at >= 0) out[at] = doc;
      else placed.set(doc._id, out.push(doc) - 1);
      if (outTypes) outTypes[at >= 0 ? at : out.length - 1] = doc._type;
      index.set(doc._id, doc);
    }
  }
  if (!removed) return { documents: out as SanityDocument[], types: outTypes as string[] | undefined };
  return { documents: out.filter((d): d is SanityDocument => d !== undefined), types: outTypes?.filter((_, i) => out[i] !== undefined) as string[] | undefined };
}

/** Whether every record's last word on a document is what `documents` holds (the journal was folded into them). */
export function isFoldedInto(records: JournalRecord[], documents: SanityDocument[]): boolean {
  const last = new Map<string, SanityDocument | null>();
  for (const record of records) {
    for (const id of record.del) last.set(id, null);
    for (const doc of record.put) last.set(doc._id, doc);
  }
  if (last.size === 0) return true;
  const byId = new Map(documents.map((d) => [d._id, d] as const));
  for (const [id, doc] of last) {
    const stored = byId.get(id);
    if (doc === null ? stored !== undefined : stored?._rev !== doc._rev) return false;
  }
  return true;
}
