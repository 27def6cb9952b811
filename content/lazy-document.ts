// Documents read from a dataset line but parsed only when something looks inside them.
// `newsdesk build` after an edit needs of most documents only their id, type and digest
// (content/document-digest.ts): the rest of its work comes from the build cache. Parsing
// 80 MB of JSON it would not read was over half its time. A lazy document knows its _id
// and _type from the start of its line (found without parsing the rest) and parses the
// line the first time anything else is asked of it; it then behaves as the parsed
// document (keys, spread, JSON.stringify, `in`). It cannot be structured-cloned (it is a
// Proxy): only a store opened for a build or for a server without the Studio
// (content/open-store.ts) hands them out, never into a message to another thread, and it
// copies documents out (materialise) before anything clones them. A lazy read leaves a line index beside the
// dataset (GroqJsStore): the next lazy read of the same file makes its documents from it,
// each reading its line from the file only when more than its id, type and digest is asked.
// A document that knows where its line is keeps no text of it, and only the latest parses
// (parsedBudget): one let go is parsed again from its line when read again. Documents of
// a lazy store are read, not changed in place: one changed through its Proxy is kept whole.
import type { OpenFile } from '../core/open-file.ts';
import type { LineAt } from './document-digest.ts';

/** How many lazy documents were parsed, lines read back from the file (documents of a line index), the reads of the file that took them (see LineReader.read), and parses let go (parsedBudget), for tests and benchmarks. */
export const lazyStats = { parsed: 0, linesRead: 0, fileReads: 0, letGo: 0 };

/** Parses the lines of one file: shared by all its lazy documents. */
export interface LineReader {
  /** The line's document, checked (it must have the `_id` and `_type` its start gave: `named`); throws an error naming the file and line. */
  parse(line: string, lineNumber: number, digest: string, named: { id: string; type: string }): Record<string, unknown>;
  /** The text of the line at `offset` (bytes) in the file, for documents whose table knows where their line is (LineTable.offset). */
  read?(offset: number, length: number): string;
  /** The file read() reads, kept open as long as the reader is. */
  source?: OpenFile;
}

/**
 * What the line index of a file (or a read of it that makes one) says of its lazy
 * documents, a row each: shared by all of them, so a document's own state is a few fields
 * (a load of 81,000 documents made, and its collections copied, half the bytes it did with
 * every field in each document).
 */
export interface LineTable {
  /** Parses the rows' lines (and reads them from the file, when it can). */
  readonly reader: LineReader;
  id(row: number): string;
  type(row: number): string;
  /** The line's digest (content/document-digest.ts). */
  digest(row: number): string;
  /** Where the line is in the file (bytes), for the reader to read again; -1: not known (the document holds its line). */
  offset(row: number): number;
  length(row: number): number;
  /** Which of the keys every document is asked for (probes) the line may hold; -1: not known (read from its line). */
  probes(row: number): number;
  lineNumber(row: number): number;
  /**
   * Which file the rows are the lines of, when known: a line index's base (its inode, size,
   * modification time and fingerprint: content/groq-js-store.ts). Two tables with the same
   * base give a row of the same id the same digest.
   */
  readonly base?: string;
}

/** LazyState.flags: read since it was last kept among the parsed documents (see held). */
const usedFlag = 1;
/** LazyState.flags: changed through the Proxy (set, define, delete): its parse is then all there is of it, never let go. */
const writtenFlag = 2;
/** LazyState.flags: among the parsed documents that may be let go (held). */
const heldFlag = 4;

/** A lazy document's own state: the Proxy's target, so one handler serves them all. */
interface LazyState {
  table: LineTable;
  row: number;
  parsed: Record<string, unknown> | undefined;
  /**
   * The line's text, for a document whose line cannot be read again from its file (no
   * offset); one that can holds it only from a question its line answered until the parse
   * that follows. Dropped once parsed: the line's text is then garbage.
   */
  line: string | undefined;
  /** Keys the line surely lacks (or may have), as asked so far. */
  lacks: Map<string, boolean> | undefined;
  /** usedFlag, writtenFlag, heldFlag. */
  flags: number;
}

/** Reads a lazy document's state (undefined from any other object). */
const state = Symbol('lazy document');

/**
 * How many bytes of lines the parsed documents that can be read again from their file may
 * come from, in all: past it, the parse read longest ago is let go (and made again if the
 * document is read again). A build reads each issue and link a few times, step by step
 * (fingerprints, listings, the search index, the links index); every parse kept made
 * 80 MB of lines some 270 MB of objects, most of the build's peak.
 */
export const parsedBudget = { bytes: 1024 * 1024 };

/**
 * The parsed documents that can be let go, oldest parse first (a queue: a Set's oldest
 * entry is found past every entry deleted before it), and the bytes of their lines. The
 * oldest is let go unless it was read since it was kept: then it is kept again, as the
 * newest (a second chance), so a document in use stays parsed.
 */
const held = {
  queue: [] as Array<LazyState | undefined>,
  head: 0,
  bytes: 0,
  add(s: LazyState): void {
    // Being read now: the newest parse goes last of all.
    s.flags |= usedFlag | heldFlag;
    this.queue.push(s);
    this.bytes += s.table.length(s.row);
    while (this.bytes > parsedBudget.bytes && this.head < this.queue.length - 1) {
      const oldest = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      if (!(oldest.flags & heldFlag)) continue;
      if (oldest.flags & usedFlag) {
        oldest.flags &= ~usedFlag;
        this.queue.push(oldest);
        continue;
      }
      oldest.flags &= ~heldFlag;
      this.bytes -= oldest.table.length(oldest.row);
      oldest.parsed = undefined;
      lazyStats.letGo++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  },
  /** A document changed through its Proxy: what it holds now is not its line's. */
  keep(s: LazyState): void {
    s.flags |= writtenFlag;
    if (s.flags & heldFlag) {
      s.flags &= ~heldFlag;
      this.bytes -= s.table.length(s.row);
    }
  },
};

function whole(s: LazyState): Record<string, unknown> {
  if (s.parsed !== undefined) {
    s.flags |= usedFlag;
    return s.parsed;
  }
  const { table, row } = s;
  const parsed = table.reader.parse(textOf(s), table.lineNumber(row), table.digest(row), { id: table.id(row), type: table.type(row) });
  s.parsed = parsed;
  s.line = undefined;
  s.lacks = undefined;
  lazyStats.parsed++;
  if (table.offset(row) >= 0 && table.reader.read && !(s.flags & writtenFlag)) held.add(s);
  return parsed;
}

/** The parsed document, about to be changed: kept parsed from now on. */
function written(s: LazyState): Record<string, unknown> {
  const parsed = whole(s);
  held.keep(s);
  return parsed;
}

/** Where the line of a lazy document of a line index is in its file (content/document-digest.ts lineOf); undefined for any other object. */
export function lazyLineOf(doc: object): LineAt | undefined {
  const s = (doc as { [state]?: LazyState })[state];
  if (!s) return undefined;
  const { table, row } = s;
  const offset = table.offset(row);
  return offset >= 0 && table.reader.source ? { file: table.reader.source, offset, length: table.length(row) } : undefined;
}

/**
 * Whether `key` can be answered without parsing: _id, _type, a key the line's text does not
 * hold (nor could: no \u escapes), and symbols (a parsed line has none of its own); the
 * (empty) target then answers as the parsed object would. groq-js asks every document for
 * `next` (is it an iterator?) and reads attributes as `data.hasOwnProperty(name)`.
 */
function known(s: LazyState, key: string | symbol): boolean {
  if (s.parsed !== undefined) return false;
  if (typeof key === 'symbol' || key === '_id' || key === '_type') return true;
  // A line without a revision gets one when it is parsed (GroqJsStore derives it).
  if (key === '_rev') return false;
  const cached = s.lacks?.get(key);
  if (cached !== undefined) return cached;
  const probes = s.table.probes(s.row);
  if (probes >= 0) {
    // The keys every document is asked for are answered from what its read found (or the line index).
    const probe = probeKeys.indexOf(key);
    if (probe >= 0) return (probes & (1 << probe)) === 0;
  }
  const line = textOf(s);
  const lacks = !line.includes(`"${key}"`) && !line.includes('\\u');
  // An answer is kept only when it spares a parse; a key the line holds is read right
  // after, parsing it: the line read for this is kept for that.
  if (lacks) (s.lacks ??= new Map()).set(key, lacks);
  else s.line = line;
  return lacks;
}

const empty: Record<string, unknown> = {};

const handler: ProxyHandler<LazyState> = {
  get: (s, key) => (key === state ? s : !known(s, key) ? Reflect.get(whole(s), key) : key === '_id' ? s.table.id(s.row) : key === '_type' ? s.table.type(s.row) : Reflect.get(empty, key)),
  has: (s, key) => (!known(s, key) ? Reflect.has(whole(s), key) : key === '_id' || key === '_type' || Reflect.has(empty, key)),
  ownKeys: (s) => Reflect.ownKeys(whole(s)),
  getOwnPropertyDescriptor: (s, key) => {
    if (known(s, key)) {
      if (key !== '_id' && key !== '_type') return undefined;
      return { value: key === '_id' ? s.table.id(s.row) : s.table.type(s.row), writable: true, enumerable: true, configurable: true };
    }
    const descriptor = Reflect.getOwnPropertyDescriptor(whole(s), key);
    // Reported as configurable: the target (the state) does not hold it, which a Proxy must not contradict.
    return descriptor && { ...descriptor, configurable: true };
  },
  set: (s, key, value) => Reflect.set(written(s), key, value),
  defineProperty: (s, key, descriptor) => Reflect.defineProperty(written(s), key, descriptor),
  deleteProperty: (s, key) => Reflect.deleteProperty(written(s), key),
  getPrototypeOf: () => Object.prototype,
};

/**
 * The document of row `row` of `table`, whose `_id` and `_type` the table knows; parsed when
 * more is read. `line`: the line's text, for a table that cannot read it again from the
 * file (offset -1). One that can lets its parse go and reads the line again; the row's
 * probes then answer the keys every document is asked for.
 */
export function lazyDocument<T>(table: LineTable, row: number, line?: string): T {
  const s: LazyState = { table, row, parsed: undefined, line, lacks: undefined, flags: 0 };
  return new Proxy(s, handler) as unknown as T;
}

/** Keys groq-js asks every document for (is it an iterator, a promise; attributes as hasOwnProperty), which a line seldom holds. */
const probeKeys = ['next', 'then', 'hasOwnProperty'];

/** A probe key in quotes or a \u escape: most lines hold none, which one search finds (three times as fast as a search per key). */
const anyProbe = new RegExp(`\\\\u|"(?:${probeKeys.join('|')})"`);

/** Which probe keys `line` may hold, as bits (a \u escape could spell any of them). */
export function probesOf(line: string): number {
  if (!anyProbe.test(line)) return 0;
  const escaped = line.includes('\\u');
  let bits = 0;
  probeKeys.forEach((key, i) => {
    if (escaped || line.includes(`"${key}"`)) bits |= 1 << i;
  });
  return bits;
}

/** The document's line: the text it holds, else read from the file (and not kept: a document keeps no line it is not about to parse). */
function textOf(s: LazyState): string {
  if (s.line !== undefined) return s.line;
  lazyStats.linesRead++;
  return s.table.reader.read!(s.table.offset(s.row), s.table.length(s.row));
}

/** The digest a lazy document was read with (content/document-digest.ts asks); undefined for any other object. */
export function lazyDigest(doc: object): string | undefined {
  const s = (doc as { [state]?: LazyState })[state];
  return s?.table.digest(s.row);
}

/** The base (LineTable.base) of a lazy document never changed through its Proxy; undefined for any other object. */
export function lazyBase(doc: object): string | undefined {
  const s = (doc as { [state]?: LazyState })[state];
  return s && (s.flags & writtenFlag) === 0 ? s.table.base : undefined;
}

/** The text a lazy document not parsed yet holds of its line (undefined once parsed, before its line is read, and for any other object). */
export function lazyText(doc: object): string | undefined {
  return (doc as { [state]?: LazyState })[state]?.line;
}

/**
 * The text of a lazy document's line while it is not parsed (read from its file when it
 * holds none, and not kept), for a reader that finds what it needs in the text without
 * parsing it; undefined once parsed, and for any other object.
 */
export function unparsedLine(doc: object): string | undefined {
  const s = (doc as { [state]?: LazyState })[state];
  return s && s.parsed === undefined ? textOf(s) : undefined;
}

/** Whether `doc` is a lazy document not parsed yet. */
export function isUnparsed(doc: object): boolean {
  const s = (doc as { [state]?: LazyState })[state];
  return s !== undefined && s.parsed === undefined;
}

/** The document as a plain object: a lazy one parsed and copied out of its Proxy (one level; its fields are plain), any other as it is. */
export function materialise<T extends object>(doc: T): T {
  const s = (doc as { [state]?: LazyState })[state];
  return s ? ({ ...whole(s) } as T) : doc;
}

/**
 * The `_id` and `_type` of the JSON object `line`, read from its start without parsing the
 * rest: both must come before any member whose value is not a string (as in Sanity's
 * exports and the store's own writes). Undefined when they do not, or the start is not
 * plainly a JSON object; the line is then parsed whole.
 */
export function idAndTypeOf(line: string): { id: string; type: string } | undefined {
  let at = skipSpace(line, 0);
  if (line[at] !== '{') return undefined;
  at++;
  let id: string | undefined;
  let type: string | undefined;
  for (;;) {
    at = skipSpace(line, at);
    const key = stringAt(line, at);
    if (!key) return undefined;
    at = skipSpace(line, key.end);
    if (line[at] !== ':') return undefined;
    at = skipSpace(line, at + 1);
    const value = stringAt(line, at);
    if (!value) return undefined;
    if (key.value === '_id') id = value.value;
    else if (key.value === '_type') type = value.value;
    if (id !== undefined && type !== undefined) return { id, type };
    at = skipSpace(line, value.end);
    if (line[at] !== ',') return undefined;
    at++;
  }
}

function skipSpace(line: string, at: number): number {
  while (at < line.length && (line[at] === ' ' || line[at] === '\t' || line[at] === '\r' || line[at] === '\n')) at++;
  return at;
}

/** The JSON string starting at `at` (decoded) and the index after it; undefined when there is none. */
function stringAt(line: string, at: number): { value: string; end: number } | undefined {
  if (line[at] !== '"') return undefined;
  let escaped = false;
  for (let i = at + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x5c) {
      escaped = true;
      i++;
    } else if (c === 0x22) {
      const raw = line.slice(at, i + 1);
      try {
        return { value: escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1), end: i + 1 };
      } catch {
        return undefined;
      }
    } else if (c < 0x20) return undefined;
  }
  return undefined;
}
