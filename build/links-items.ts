// Where each link's item is in the link pages the last build wrote (build-cache/links-items.bin),
// so a page that must be written again takes its unchanged items from the page the output
// holds, byte for byte, and renders only the others. A publish to a real archive (667 issues,
// a link in most of them used again) rewrote 172 link pages, and 12,400 of their 12,500 items
// were the same as before: rendering them made every entry they show, reading the words of
// hundreds of issues back from the kept shares.
//
// An item's bytes follow from its entry (known by its short digest, links-index.ts shortDigest,
// which an entry of the outline knows without being made), the context every item is made in
// (template version, site settings, the tags with a page), and, on a site's page, the /links/
// page that shows it in full. The record holds, per page: the content key it was written under,
// the bytes before its first item and its length, and per item its entry's short digest, that
// page's number (-1 for a full item) and its length in bytes. A page is spliced only when the
// output holds the very file recorded (its content key in the output's manifest, and its
// length), and each item taken starts as an item does; anything else renders the whole page.
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeWhole } from './cache.ts';
import { columnsFileParts, IntColumnBuilder, readColumnsFile, TextColumn, TextColumnBuilder, wellFormedOffsets, type ColumnsFile } from './columns.ts';
import { shortDigestLength } from './links-outline.ts';

/** Bumped when the record's shape changes. */
const itemsFormat = 1;

/** What a page's list holds, for the record: each item's entry, the page it points to for more (-1: none), and the pieces it was written in. */
export interface PageLayout {
  /** The page's pieces as written (strings in UTF-8, or bytes taken from the page before). */
  pieces: ReadonlyArray<string | Uint8Array>;
  /** Where the items are among the pieces: `first` up to `first + digests.length`. */
  first: number;
  /** Each item's entry's short digest and, on a site's page, the number of the /links/ page that shows it in full (-1 for a full item). */
  digests: readonly string[];
  fullAt: readonly number[];
}

/** Each item's bytes once the page is written. */
interface PageRecord {
  key: string;
  prefix: number;
  total: number;
  digests: string;
  fullAt: Int32Array;
  lengths: Int32Array;
}

/** How every item of a page starts (web/links-pages.tsx): a taken item that does not was not an item. */
const itemStart = Buffer.from('<li id="', 'latin1');

const byteSize = (piece: string | Uint8Array) => (typeof piece === 'string' ? Buffer.byteLength(piece, 'utf8') : piece.length);

export class LinkItemsRecord {
  readonly #file: string;
  readonly #version: string;
  /** The last build's pages and the context they were made in, read when first asked (undefined: none of this version). */
  #last: { context: string; pages: Map<string, PageRecord> } | undefined | null = null;
  /** This build's context and pages, in the order they were placed ('kept': placed as the last build recorded it). */
  #context: string | undefined;
  readonly #next = new Map<string, PageRecord | 'kept'>();
  #changed = false;

  constructor(cacheDir: string, version: string) {
    this.#file = path.join(cacheDir, 'links-items.bin');
    this.#version = version;
  }

  #read(): { context: string; pages: Map<string, PageRecord> } | undefined {
    if (this.#last !== null) return this.#last;
    this.#last = undefined;
    let file: ColumnsFile | undefined;
    try {
      file = readColumnsFile(readFileSync(this.#file), (header) => header.format === itemsFormat && header.version === this.#version && typeof header.context === 'string');
    } catch {
      return undefined;
    }
    if (!file) return undefined;
    const { texts, ints } = file;
    const pages = ints.relAt ? ints.relAt.length - 1 : -1;
    const items = ints.lengths?.length ?? -1;
    const counts = (list: Int32Array | undefined, count: number) => list !== undefined && list.length === count;
    if (
      pages < 0 ||
      typeof texts.rels !== 'string' ||
      typeof texts.keys !== 'string' ||
      typeof texts.digests !== 'string' ||
      !wellFormedOffsets(ints.relAt!, pages, texts.rels.length) ||
      !counts(ints.keyAt, pages + 1) ||
      !wellFormedOffsets(ints.keyAt!, pages, texts.keys.length) ||
      !counts(ints.itemsAt, pages + 1) ||
      !wellFormedOffsets(ints.itemsAt!, pages, items) ||
      !counts(ints.prefix, pages) ||
      !counts(ints.total, pages) ||
      !counts(ints.fullAt, items) ||
      texts.digests.length !== items * shortDigestLength
    ) {
      return undefined;
    }
    const rels = new TextColumn(texts.rels, ints.relAt!);
    const keys = new TextColumn(texts.keys, ints.keyAt!);
    const records = new Map<string, PageRecord>();
    for (let p = 0; p < pages; p++) {
      const from = ints.itemsAt![p]!;
      const to = ints.itemsAt![p + 1]!;
      records.set(rels.get(p), {
        key: keys.get(p),
        prefix: ints.prefix![p]!,
        total: ints.total![p]!,
        digests: texts.digests.slice(from * shortDigestLength, to * shortDigestLength),
        fullAt: ints.fullAt!.subarray(from, to),
        lengths: ints.lengths!.subarray(from, to),
      });
    }
    return (this.#last = { context: file.header.context as string, pages: records });
  }

  /**
   * The bytes of each item of the page at `rel` that the output holds unchanged, by its place in
   * the page as it is now (`listed`, asked only when there is a record to look in); undefined
   * when there is nothing to take: no record in this context, the output's file is not the one
   * recorded, or it cannot be read.
   */
  async taken(rel: string, context: string, current: { outDir: string; key: string }, listed: () => Pick<PageLayout, 'digests' | 'fullAt'>): Promise<Map<number, Uint8Array> | undefined> {
    const last = this.#read();
    const page = last?.context === context ? last.pages.get(rel) : undefined;
    if (!page || current.key !== page.key) return undefined;
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(path.join(current.outDir, rel));
    } catch {
      return undefined;
    }
    if (bytes.length !== page.total) return undefined;
    // Where each item of the page as written is: by its entry and the page it points to.
    const items = new Map<string, [start: number, length: number]>();
    let at = page.prefix;
    for (let i = 0; i < page.lengths.length; i++) {
      items.set(itemId(page.digests.slice(i * shortDigestLength, (i + 1) * shortDigestLength), page.fullAt[i]!), [at, page.lengths[i]!]);
      at += page.lengths[i]!;
    }
    const taken = new Map<number, Uint8Array>();
    const layout = listed();
    for (let i = 0; i < layout.digests.length; i++) {
      const place = items.get(itemId(layout.digests[i]!, layout.fullAt[i]!));
      if (!place) continue;
      const item = bytes.subarray(place[0], place[0] + place[1]);
      // Not an item where the record says one is: the page is rendered whole.
      if (!item.subarray(0, itemStart.length).equals(itemStart)) return undefined;
      taken.set(i, item);
    }
    return taken;
  }

  /** Records the page written at `rel` under `key` in `context`, from the pieces it was written in. */
  written(rel: string, key: string, context: string, layout: PageLayout): void {
    this.#context ??= context;
    this.#changed = true;
    const count = layout.digests.length;
    if (this.#context !== context || !layout.digests.every((digest) => digest.length === shortDigestLength)) return void this.#next.delete(rel);
    let prefix = 0;
    let total = 0;
    const lengths = new Int32Array(count);
    for (let i = 0; i < layout.pieces.length; i++) {
      const size = byteSize(layout.pieces[i]!);
      if (i < layout.first) prefix += size;
      else if (i < layout.first + count) lengths[i - layout.first] = size;
      total += size;
    }
    this.#next.set(rel, { key, prefix, total, digests: layout.digests.join(''), fullAt: Int32Array.from(layout.fullAt), lengths });
  }

  /** The page at `rel` was placed under `key` without being rendered: the last build's record of it stays, if it is of that file. */
  placed(rel: string, key: string): void {
    const page = this.#read()?.pages.get(rel);
    if (page && page.key === key) this.#next.set(rel, 'kept');
    else if (this.#next.delete(rel) || page) this.#changed = true;
  }

  /**
   * Writes this build's record (temporary file, rename) when a page was written: the pages
   * written, and those placed unchanged as the last record had them (in the same context).
   * Pages no longer in the output are dropped. With no page written the record stays as it is.
   */
  async save(): Promise<void> {
    const context = this.#context;
    if (!this.#changed || context === undefined) return;
    const last = this.#last?.context === context ? this.#last.pages : undefined;
    const rels = new TextColumnBuilder();
    const keys = new TextColumnBuilder();
    const itemsAt = new IntColumnBuilder();
    const prefix = new IntColumnBuilder();
    const total = new IntColumnBuilder();
    const fullAt = new IntColumnBuilder();
    const lengths = new IntColumnBuilder();
    const digests: string[] = [];
    itemsAt.add(0);
    for (const [rel, entry] of this.#next) {
      const page = entry === 'kept' ? last?.get(rel) : entry;
      if (!page) continue;
      rels.add(rel);
      keys.add(page.key);
      prefix.add(page.prefix);
      total.add(page.total);
      digests.push(page.digests);
      fullAt.addAll(page.fullAt);
      lengths.addAll(page.lengths);
      itemsAt.add(lengths.length);
    }
    const relColumn = rels.done();
    const keyColumn = keys.done();
    await writeWhole(
      this.#file,
      columnsFileParts({
        header: { format: itemsFormat, version: this.#version, context },
        texts: { rels: relColumn.text, keys: keyColumn.text, digests: digests.join('') },
        ints: { relAt: relColumn.at, keyAt: keyColumn.at, itemsAt: itemsAt.done(), prefix: prefix.done(), total: total.done(), fullAt: fullAt.done(), lengths: lengths.done() },
      }),
    );
    this.#changed = false;
  }
}

/** An item's identity in a page: its entry's short digest and the /links/ page it points to. */
const itemId = (digest: string, fullAt: number) => `${fullAt}:${digest}`;
