// Lists kept in the build cache as columns: each list of strings one text with where each
// string starts, each list of numbers an Int32Array (in a file: base64, in this machine's
// byte order). A publish reads such an index, changes a few entries and writes it again
// (tag-pages.ts, links-outline.ts); as lists of tens of thousands of strings each that cost
// it more than the change itself, and a column of strings is read, written and copied a run
// at a time.

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

/** The integers as the file keeps them. */
export function intsToText(values: Int32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/** The integers intsToText wrote, or undefined when `text` is not such a text. */
export function intsFromText(text: unknown): Int32Array | undefined {
  if (typeof text !== 'string') return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  // Copied into a buffer of its own: the decoded bytes may start at any offset of a shared pool.
  const values = new Int32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}

/** A column as the file keeps it: the text, then its offsets. */
export function columnToJson(column: TextColumn): [string, string] {
  return [column.text, intsToText(column.at)];
}

/** The column columnToJson wrote, when well formed. */
export function columnFromJson(value: unknown): TextColumn | undefined {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string') return undefined;
  const at = intsFromText(value[1]);
  const column = at && new TextColumn(value[0], at);
  return column?.wellFormed() ? column : undefined;
}
