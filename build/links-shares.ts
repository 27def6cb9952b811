// Each published issue's share of the links index (links-index.ts shareJson), kept in the
// build cache between processes: a new process that must make the index again (after an
// edit to the words around a link, say) reads the unchanged issues' shares instead of
// walking, and so parsing, every issue and link document of the archive.
//
// One line per share, `context<TAB>issue cache key<TAB>share`, the share being a JSON text
// parsed as it is read and, after a tab, a second one read only when needed: the cache key
// covers the issue and every document it references, the context (links-output.ts
// LinksContext.digest) the template and index code and the tag documents, so a line is
// read only in the context it was made in. A build appends the shares it made; the file is
// written anew when most of it is shares no issue has any more. The text is ASCII (JSON
// escapes anything else), so it is read as Latin-1, without decoding UTF-8: tens of
// megabytes for a 1,000-issue archive, scanned a block at a time for where the wanted lines
// are, and each read back from the file and decoded when its share is asked for.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { appendFile, mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';
import { NewsdeskError } from '../core/errors.ts';
import { OpenFile } from '../core/open-file.ts';
import type { KeptShares } from './links-index.ts';

/** Lines of the record written at once when it is written anew. */
const linesInFlight = 8;

/** Where a wanted line's share is in the file: its first text, and the bytes after its tab. */
interface ShareAt {
  position: number;
  length: number;
  rest: { position: number; length: number } | undefined;
  /** Whether its words are as long as its first text says (a line cut short is not). */
  whole: boolean;
}

export class LinkSharesRecord {
  readonly #file: string;
  /** What the file holds, as far as this process knows: `context\tkey` of every line (stale ones too). */
  #inFile: Set<string> | undefined;
  #next: { context: string; shares: Map<string, () => string | undefined> } | undefined;

  constructor(cacheDir: string) {
    this.#file = path.join(cacheDir, 'links-shares.ndjson');
  }

  /** For a share whose bytes turn out damaged once needed: removes the file, so the next build walks every issue, and fails this one saying so. */
  readonly #damaged = (): never => {
    rmSync(this.#file, { force: true });
    this.#inFile = undefined;
    throw new NewsdeskError('BUILD_FAILED', `${this.#file} was damaged (a share in it is not the JSON it was written as), so it was removed`, {
      hint: 'Build again: the next build makes the links index from the issues themselves.',
    });
  };

  /**
   * The shares kept for `context` of the issues with the cache keys `keys` has now, found
   * in the file when one is first asked for (a process that resolved every issue before
   * never reads it). The file is scanned a block at a time through one buffer for where
   * those lines are; each share is read back from the file (through a descriptor kept open)
   * and parsed when the index asks for it, and of the words after its tab only the piece an
   * entry shows, when it shows it. Nothing of the file is held meanwhile: copying the wanted lines out, 44 MB
   * for a 1,000-issue archive, cost a rebuild more than reading them again.
   */
  kept(context: string, keys: Map<string, string>): KeptShares {
    let shares: Map<string, ShareAt> | undefined;
    let file: OpenFile | undefined;
    // One buffer for the shares' first texts, each decoded as soon as read.
    let scratch = Buffer.allocUnsafe(1 << 16);
    let pieces = Buffer.allocUnsafe(1 << 12);
    const read = () => {
      shares = new Map();
      this.#inFile = new Set();
      try {
        file = new OpenFile(this.#file);
      } catch {
        return shares;
      }
      const wanted = new Set(keys.values());
      let buffer = Buffer.allocUnsafe(1 << 20);
      // The file position of buffer[0], and how many bytes from there the buffer holds.
      let base = 0;
      let held = 0;
      for (;;) {
        if (held === buffer.length) buffer = Buffer.concat([buffer], buffer.length * 2);
        const got = file.read(base + held, buffer.length - held, buffer.subarray(held)).length;
        const end = held + got;
        let start = 0;
        for (let newline = buffer.indexOf(10, held); newline >= 0 && newline < end; newline = buffer.indexOf(10, start)) {
          this.#line(buffer, base, start, newline, context, wanted, shares);
          start = newline + 1;
        }
        if (got === 0) {
          this.#line(buffer, base, start, end, context, wanted, shares);
          break;
        }
        held = buffer.copy(buffer, 0, start, end);
        base += start;
      }
      return shares;
    };
    return {
      keys,
      has: (key) => (shares ?? read()).get(key)?.whole === true && file !== undefined,
      text: (key) => {
        const at = (shares ?? read()).get(key);
        if (!at || !file) return undefined;
        const end = at.rest ? at.rest.position + at.rest.length : at.position + at.length;
        const text = file.read(at.position, end - at.position).toString('latin1');
        return text.length === end - at.position ? text : undefined;
      },
      get: (key) => {
        const at = (shares ?? read()).get(key);
        if (!at || !file) return undefined;
        if (scratch.length < at.length) scratch = Buffer.allocUnsafe(at.length);
        const from = file;
        // The share's first JSON text is parsed now, as the index takes it (what it does not
        // keep dies young); what follows its tab is read when it is needed.
        try {
          return {
            parsed: JSON.parse(from.read(at.position, at.length, scratch).toString('latin1')),
            rest: at.rest && {
              length: at.rest.length,
              // A piece of the words (read into one buffer kept for them, and decoded): less than the length asked for if the file is cut short.
              slice: (start: number, length: number) => {
                if (pieces.length < length) pieces = Buffer.allocUnsafe(Math.max(length, pieces.length * 2));
                return from.read(at.rest!.position + start, length, pieces).toString('latin1');
              },
            },
            damaged: this.#damaged,
          };
        } catch {
          // A broken line (a build stopped while appending): that issue is walked.
          return undefined;
        }
      },
    };
  }

  /** One line of the file (bytes start..end of `buffer`, which starts at file position `base`): noted as held, and where its share is put in `shares` when it is one of `context` and a `wanted` key. */
  #line(buffer: Buffer, base: number, start: number, end: number, context: string, wanted: Set<string>, shares: Map<string, ShareAt>): void {
    const first = buffer.indexOf(9, start);
    const second = first < 0 || first >= end ? -1 : buffer.indexOf(9, first + 1);
    if (second < 0 || second >= end) return;
    const held = buffer.toString('latin1', start, second);
    this.#inFile!.add(held);
    const key = held.slice(first - start + 1);
    if (held.slice(0, first - start) !== context || !wanted.has(key)) return;
    const tab = buffer.indexOf(9, second + 1);
    const cut = tab < 0 || tab >= end ? end : tab;
    // The first text ends with the length of the words (links-index.ts StoredShare, whose last field it is).
    const words = /"words":(\d+)\}$/.exec(buffer.toString('latin1', Math.max(second + 1, cut - 32), cut))?.[1];
    const rest = cut === end ? undefined : { position: base + cut + 1, length: end - cut - 1 };
    shares.set(key, { position: base + second + 1, length: cut - second - 1, rest, whole: rest !== undefined && Number(words) === rest.length });
  }

  /** This build's shares by issue cache key (made when saved, as ASCII text with no newline; undefined: none to keep), for the next build. */
  record(context: string, shares: Map<string, () => string | undefined>): void {
    this.#next = { context, shares };
  }

  /** Appends the shares the file lacks, or writes it anew when more than a third of it would be shares no issue has now. */
  async save(): Promise<void> {
    const next = this.#next;
    this.#next = undefined;
    if (!next) return;
    const line = (key: string) => {
      const share = next.shares.get(key)!();
      return share === undefined ? undefined : `${next.context}\t${key}\t${share}`;
    };
    const inFile = this.#inFile;
    const missing = [...next.shares.keys()].filter((key) => !inFile?.has(`${next.context}\t${key}`));
    if (inFile && inFile.size > 0 && (inFile.size + missing.length) * 2 <= next.shares.size * 3) {
      if (missing.length === 0) return;
      const lines = missing.flatMap((key) => {
        const text = line(key);
        return text === undefined ? [] : [[key, `\n${text}`] as const];
      });
      await appendFile(this.#file, lines.map(([, text]) => text).join(''), 'latin1');
      for (const [key] of lines) inFile.add(`${next.context}\t${key}`);
      return;
    }
    // Written a share at a time: the file is never one string in memory, and each line is
    // short-lived garbage of the young generation (a batch of lines would be a large object,
    // left for a full collection: 60 MB more at the end of a full build). A few lines are
    // written at once, each at its place (Latin-1: a byte a character), so the next line is
    // made while the last ones are written instead of after (a full build waited 0.3 s more).
    const temp = `${this.#file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(path.dirname(temp), { recursive: true });
    const file = await open(temp, 'w');
    const writing: Array<Promise<unknown>> = [];
    const written: string[] = [];
    try {
      let position = 0;
      for (const key of next.shares.keys()) {
        const share = line(key);
        if (share === undefined) continue;
        written.push(key);
        const text = `${share}\n`;
        writing.push(file.write(text, position, 'latin1'));
        position += text.length;
        if (writing.length >= linesInFlight) await writing.shift();
      }
      await Promise.all(writing.splice(0));
    } catch (error) {
      // Every write settled before the file closes.
      await Promise.allSettled(writing);
      throw error;
    } finally {
      await file.close();
    }
    await rename(temp, this.#file);
    this.#inFile = new Set(written.map((key) => `${next.context}\t${key}`));
  }
}
