// Lists kept in the build cache as columns: each list of strings one text with where each
// string starts, each list of numbers an Int32Array (in a file: ColumnsFile). A publish reads
// such an index, changes a few entries and writes it again (tag-pages.ts, links-outline.ts);
// as lists of tens of thousands of strings each that cost it more than the change itself,
// and a column of strings is read, written and copied a run at a time.
import { asciiJson } from '../core/ascii-json.ts';

/** A list of strings as one text and where each starts (`at` has one more offset: the text's end). */
export class TextColumn {
  readonly text: string;
  readonly at: Int32Array;

  constructor(text: string, at: Int32Array) {
    this.text = text;
    this.at = at;
  }

  get length(): number {
    return this.at.length - 1;
  }

  get(i: number): string {
    return this.text.slice(this.at[i]!, this.at[i + 1]!);
  }

  /** Strings `from` up to `to` (not included), as one text. */
  run(from: number, to: number): string {
    return this.text.slice(this.at[from]!, this.at[to]!);
  }

  /** Whether the offsets describe the text: from 0, never backwards, to its end. */
  wellFormed(): boolean {
    return this.at.length > 0 && wellFormedOffsets(this.at, this.length, this.text.length);
  }
}

/** Whether `at` holds `count` + 1 offsets that start at 0, never go back and end at `end` (where each of `count` items starts, then the end). */
export function wellFormedOffsets(at: Int32Array, count: number, end: number): boolean {
  if (at.length !== count + 1 || at[0] !== 0 || at[count] !== end) return false;
  for (let i = 1; i < at.length; i++) if (at[i]! < at[i - 1]!) return false;
  return true;
}

/** Whether each of `values` is at least `from` (0 by default) and below `end`. */
export function within(values: Int32Array, end: number, from = 0): boolean {
  for (let i = 0; i < values.length; i++) if (values[i]! < from || values[i]! >= end) return false;
  return true;
}

/** Makes a TextColumn a string or a run of another column at a time. */
export class TextColumnBuilder {
  readonly #parts: string[] = [];
  #at: Int32Array = new Int32Array(1024);
  #count = 0;
  #length = 0;

  add(value: string): void {
    this.#parts.push(value);
    this.#length += value.length;
    this.#push(this.#length);
  }

  /** Strings `from` up to `to` (not included) of `column`, in one piece. */
  addRun(column: TextColumn, from: number, to: number): void {
    if (to <= from) return;
    const shift = this.#length - column.at[from]!;
    this.#parts.push(column.run(from, to));
    for (let i = from + 1; i <= to; i++) this.#push(column.at[i]! + shift);
    this.#length = column.at[to]! + shift;
  }

  #push(offset: number): void {
    if (this.#count + 1 >= this.#at.length) {
      const grown = new Int32Array(this.#at.length * 2);
      grown.set(this.#at);
      this.#at = grown;
    }
    this.#at[++this.#count] = offset;
  }

  done(): TextColumn {
    return new TextColumn(this.#parts.join(''), this.#at.slice(0, this.#count + 1));
  }
}

/** A growing list of 32-bit integers. */
export class IntColumnBuilder {
  #values: Int32Array = new Int32Array(1024);
  #count = 0;

  get length(): number {
    return this.#count;
  }

  add(value: number): void {
    if (this.#count >= this.#values.length) {
      const grown = new Int32Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = value;
  }

  addAll(values: Int32Array): void {
    for (let i = 0; i < values.length; i++) this.add(values[i]!);
  }

  done(): Int32Array {
    return this.#values.slice(0, this.#count);
  }
}

/**
 * A file of named columns: one line of JSON (the caller's header, with each column's name and
 * size under `columns`, padded to a multiple of four bytes), then each list of integers as
 * 32-bit integers in this machine's byte order and each text in UTF-8, one after another.
 * Read without parsing or decoding the columns as JSON and base64, and the integers in place
 * (aligned, they need no copy): a publish to 1,000 issues read and wrote the tag pages' links
 * index (4.6 MB) in 85 ms as JSON.
 */
export interface ColumnsFile<H extends object = Record<string, unknown>> {
  header: H;
  texts: Record<string, string>;
  ints: Record<string, Int32Array>;
}

interface ColumnsLayout {
  /** Each integer list's name and length, then each text's name and length in UTF-8 bytes. */
  ints: Array<[name: string, count: number]>;
  texts: Array<[name: string, bytes: number]>;
}

/** The file's bytes, in parts to write one after another (cache.ts writeWhole). */
export function columnsFileParts(file: ColumnsFile<object>): Buffer[] {
  const ints = Object.entries(file.ints);
  const texts = Object.entries(file.texts).map(([name, text]) => [name, Buffer.from(text, 'utf8')] as const);
  const columns: ColumnsLayout = { ints: ints.map(([name, values]) => [name, values.length]), texts: texts.map(([name, bytes]) => [name, bytes.length]) };
  // ASCII: JSON escapes what is not, so the line is read as Latin-1.
  const json = asciiJson(JSON.stringify({ ...file.header, columns }));
  const line = `${json.padEnd(json.length + ((4 - ((json.length + 1) % 4)) % 4))}\n`;
  return [Buffer.from(line, 'latin1'), ...ints.map(([, values]) => Buffer.from(values.buffer, values.byteOffset, values.byteLength)), ...texts.map(([, bytes]) => bytes)];
}

/**
 * The columns file in `bytes`, when its sizes add up; undefined when not, or when `accept`
 * turns its header down (read before any column is). Throws when the first line is not JSON.
 * The integer lists are views of `bytes` when they are aligned in memory.
 */
export function readColumnsFile(bytes: Buffer, accept: (header: Record<string, unknown>) => boolean = () => true): ColumnsFile | undefined {
  const newline = bytes.indexOf(10);
  if (newline < 0) return undefined;
  const { columns, ...header } = JSON.parse(bytes.toString('latin1', 0, newline)) as Record<string, unknown> & { columns?: ColumnsLayout };
  if (!accept(header) || !wellFormedLayout(columns)) return undefined;
  let at = newline + 1;
  const end = columns.texts.reduce((sum, [, n]) => sum + n, at) + columns.ints.reduce((sum, [, n]) => sum + n * 4, 0);
  if (end !== bytes.length) return undefined;
  const ints: Record<string, Int32Array> = {};
  for (const [name, count] of columns.ints) {
    const from = bytes.byteOffset + at;
    at += count * 4;
    if (from % 4 === 0) ints[name] = new Int32Array(bytes.buffer, from, count);
    else {
      const values = new Int32Array(count);
      new Uint8Array(values.buffer).set(bytes.subarray(at - count * 4, at));
      ints[name] = values;
    }
  }
  const texts: Record<string, string> = {};
  for (const [name, length] of columns.texts) texts[name] = bytes.toString('utf8', at, (at += length));
  return { header, texts, ints };
}

function wellFormedLayout(columns: unknown): columns is ColumnsLayout {
  const sizes = (list: unknown) => Array.isArray(list) && list.every((c) => Array.isArray(c) && c.length === 2 && typeof c[0] === 'string' && Number.isSafeInteger(c[1]) && c[1] >= 0);
  const layout = columns as ColumnsLayout | undefined;
  return typeof layout === 'object' && layout !== null && sizes(layout.texts) && sizes(layout.ints);
}
