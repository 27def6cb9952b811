// Folding the journal into a fresh dataset file a line at a time, for a store that does not
// hold its documents (GroqJsStore's `lean` mode, which the archive import uses): memory
// stays that of the ids and of the longest journal line, whatever the size of the dataset
// and the journal. The result is, document for document and in the same order, what
// applying the records over the documents in memory gives (applyRecords in journal.ts):
// a document rewritten keeps its place, a new one goes at the end where it was first
// written, one deleted and written again goes at the end where it came back.
//
// The journal's documents are first copied to a spill file beside the dataset (named as
// the store's temporary files are, so a crash leaves nothing a later start-up keeps),
// each document's latest version found there by its byte span.
import fs from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { isRecord, parseLine, readFully } from './journal.ts';
import type { SanityDocument } from './store.ts';

export interface FoldSources {
  datasetPath: string;
  journalPath: string;
  /** Where the journal's last whole line ends: records after it are not folded. */
  journalEnd: number;
  /** A temporary file for the journal's documents; removed when the fold ends. */
  spillPath: string;
  /** Reads one dataset line as the store reads it (validated, revision derived); undefined for a blank line. */
  parseLine: (text: string, lineNumber: number) => SanityDocument | undefined;
  /** Characters per part yielded. */
  partSize?: number;
}

/** The folded dataset, in parts of about `partSize` characters, for writeDurably. */
export async function* foldJournalInParts(sources: FoldSources): AsyncGenerator<string> {
  const partSize = sources.partSize ?? 64 * 1024;
  const spill = await Spill.create(sources.spillPath);
  try {
    // The latest version of each document the journal writes (null: deleted), and where a
    // document the journal put at the end of the dataset stands (the order of those puts).
    const latest = new Map<string, Span | null>();
    const atEnd = new Map<string, number>();
    const deleted = new Set<string>();
    let order = 0;
    let first = true;
    for await (const line of linesOf(sources.journalPath, 0, sources.journalEnd)) {
      const value = parseLine(line);
      if (first) {
        first = false;
        // No header: nothing in the file was ever acknowledged (as readJournal reads it).
        if ((value as { journal?: unknown } | undefined)?.journal !== 1) break;
        continue;
      }
      if (!isRecord(value)) continue; // a rebase line, or a damaged one (passed over, as readJournal does)
      for (const id of value.del) {
        latest.set(id, null);
        atEnd.delete(id);
        deleted.add(id);
      }
      for (const doc of value.put) {
        latest.set(doc._id, await spill.write(doc));
        if (!atEnd.has(doc._id)) atEnd.set(doc._id, order++);
      }
    }
    await spill.finish();

    let part = '';
    let lineNumber = 0;
    for await (const line of linesOf(sources.datasetPath, 0, (await fs.stat(sources.datasetPath)).size)) {
      const doc = sources.parseLine(line, ++lineNumber);
      if (!doc) continue;
      const span = latest.get(doc._id);
      // A line no record changed is written again as it was (what the parse read), as the
      // store's own compaction does (groq-js-store.ts linesInParts).
      if (span === undefined) part += `${line.trim()}\n`;
      else if (!deleted.has(doc._id)) {
        // Rewritten, never deleted: the latest version in the document's own place.
        atEnd.delete(doc._id);
        if (span !== null) part += `${await spill.read(span)}\n`;
      }
      if (part.length >= partSize) {
        yield part;
        part = '';
      }
    }
    const rest = [...atEnd].filter(([id]) => latest.get(id) != null).sort((a, b) => a[1] - b[1]);
    for (const [id] of rest) {
      part += `${await spill.read(latest.get(id)!)}\n`;
      if (part.length >= partSize) {
        yield part;
        part = '';
      }
    }
    if (part) yield part;
  } finally {
    await spill.close();
  }
}

type Span = { offset: number; length: number };

/** Documents written once as JSON lines, then read back by their spans through a 1 MiB window. */
class Spill {
  readonly #handle: fs.FileHandle;
  readonly #path: string;
  #queued: string[] = [];
  #queuedBytes = 0;
  #offset = 0;
  #window = Buffer.alloc(0);
  #windowStart = 0;

  private constructor(handle: fs.FileHandle, file: string) {
    this.#handle = handle;
    this.#path = file;
  }

  static async create(file: string): Promise<Spill> {
    return new Spill(await fs.open(file, 'w+'), file);
  }

  async write(doc: SanityDocument): Promise<Span> {
    const text = JSON.stringify(doc);
    const length = Buffer.byteLength(text);
    const span = { offset: this.#offset, length };
    this.#offset += length + 1;
    this.#queued.push(text, '\n');
    this.#queuedBytes += length + 1;
    if (this.#queuedBytes >= 1 << 20) await this.finish();
    return span;
  }

  /** Writes what is queued. */
  async finish(): Promise<void> {
    if (this.#queued.length === 0) return;
    const text = this.#queued.join('');
    this.#queued = [];
    this.#queuedBytes = 0;
    await this.#handle.writeFile(text);
  }

  async read({ offset, length }: Span): Promise<string> {
    if (offset < this.#windowStart || offset + length > this.#windowStart + this.#window.length) {
      const window = Buffer.allocUnsafe(Math.max(1 << 20, length));
      this.#window = window.subarray(0, await readFully(this.#handle, window, offset));
      this.#windowStart = offset;
    }
    return this.#window.toString('utf8', offset - this.#windowStart, offset - this.#windowStart + length);
  }

  async close(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
    await fs.rm(this.#path, { force: true });
  }
}

/** The lines between two byte offsets of a file (the last one without its newline), a block at a time. */
async function* linesOf(file: string, start: number, end: number): AsyncGenerator<string> {
  const handle = await fs.open(file, 'r');
  try {
    const decoder = new StringDecoder('utf8');
    const buffer = Buffer.allocUnsafe(1 << 20);
    let rest = '';
    for (let position = start; position < end; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const text = rest + decoder.write(buffer.subarray(0, bytesRead));
      let from = 0;
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', from)) {
        yield text.slice(from, newline);
        from = newline + 1;
      }
      rest = text.slice(from);
    }
    rest += decoder.end();
    if (rest !== '') yield rest;
  } finally {
    await handle.close();
  }
}
