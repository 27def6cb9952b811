// Converts a back-issue written in Markdown into the stored shape of an `issue`: title
// from the first heading, date and byline from front matter or the lines under it,
// sections from the next heading level, Portable Text for everything else, and the
// bracketed "[… —Ed.]" asides as editorialNote objects. Pure: text in, documents out;
// links are returned as a list so the caller can turn them into `link` documents.
//
// Why markdown-it and not @portabletext/markdown's markdownToPortableText: version 2.2.0
// loses the emphasis around a link and leaks the link mark into everything after it
// (`*see [this](u) too*` → "too" linked and not italic), which is exactly the shape of an
// aside wrapped in emphasis with a link inside. import-markdown.test.ts pins that bug so
// the day it is fixed we hear about it. markdown-it is the parser that library uses, and
// its tokens also give source lines for error messages and keep backslash escapes apart.
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';
import { NewsdeskError } from '../core/errors.ts';
import { slugify, summaryMaxLength } from './rules.ts';

// ── Stored shapes produced here (see notes/shapes.md) ────────────────────────

export interface StoredSpan {
  _type: 'span';
  _key: string;
  text: string;
  marks: string[];
}
/** Links stay external until the writer decides which become link documents. */
export interface ImportedLinkDef {
  _type: 'externalLink';
  _key: string;
  href: string;
}
export interface StoredNoteBlock {
  _type: 'block';
  _key: string;
  style: 'normal';
  markDefs: ImportedLinkDef[];
  children: StoredSpan[];
}
export interface StoredNote {
  _type: 'editorialNote';
  _key: string;
  body: StoredNoteBlock[];
  signature: string;
}
export interface StoredTextBlock {
  _type: 'block';
  _key: string;
  style: 'normal' | 'h3' | 'blockquote';
  listItem?: 'bullet' | 'number';
  level?: number;
  markDefs: ImportedLinkDef[];
  children: Array<StoredSpan | StoredNote>;
}
export type StoredBlock = StoredTextBlock | StoredNote;

export interface ImportedSection {
  _type: 'section';
  _key: string;
  heading: string;
  body: StoredBlock[];
  /** Source line of the heading, for messages. */
  line: number;
}

export interface ImportedLink {
  href: string;
  /** The linked text, for summaries. */
  text: string;
  line: number;
}

export interface ImportedAside {
  /** The aside's words without brackets and signature. */
  text: string;
  placement: 'inline' | 'block';
  line: number;
}

export interface ConvertedIssue {
  file: string;
  title: string;
  number: number | undefined;
  date: string | undefined;
  byline: string | undefined;
  summary: string | undefined;
  slug: string;
  intro: StoredBlock[];
  sections: ImportedSection[];
  /** Every link in document order (intro, then sections), repeats included. */
  links: ImportedLink[];
  asides: ImportedAside[];
  /** Source lines read as date/byline (not content), which the fidelity check skips. */
  metaLines: number[];
  stats: { bulletItems: number; numberedItems: number; quotes: number; strong: number; em: number; code: number; images: number };
}

// ── Entry point ──────────────────────────────────────────────────────────────

/** Front matter keys we understand; anything else is refused so a typo is not silently ignored. */
const frontMatterKeys = ['title', 'date', 'byline', 'author', 'number', 'summary', 'slug'] as const;

export function convertMarkdownIssue(source: string, file: string): ConvertedIssue {
  checkIsText(source, file);
  const { fields, body, bodyLine } = splitFrontMatter(source, file);
  const tokens = markdown().parse(body, {});
  const lineOf = (token: Token) => (token.map ? token.map[0] + bodyLine : bodyLine);
  const raw = collectBlocks(tokens, lineOf);
  const titleIndex = raw.findIndex((b) => b.kind === 'heading');
  if (titleIndex === -1) {
    throw importError(file, bodyLine, 'there is no heading, so the issue has no title', 'Start the file with a heading (`# Title` or a line underlined with ===); its text becomes the issue title.');
  }
  const keys = keyMaker();
  const titleBlock = raw[titleIndex]!;
  const title = plainInline(titleBlock.inline).trim();
  const afterTitle = raw.slice(titleIndex + 1);
  const sectionLevel = Math.min(...afterTitle.filter((b) => b.kind === 'heading').map((b) => b.level!), Infinity);

  // Header region: before the first section heading. Date and byline lines are read
  // there and removed; everything else in it is the intro.
  const header = [...raw.slice(0, titleIndex), ...afterTitle.filter((_, i) => i < firstIndex(afterTitle, (b) => b.kind === 'heading' && b.level === sectionLevel))];
  let date = fields.date === undefined ? undefined : parseDate(fields.date) ?? fail(file, fields.dateLine ?? 1, `the front-matter date "${fields.date}" is not a date`);
  let byline = fields.byline ?? fields.author;
  const introRaw: RawBlock[] = [];
  const metaLines: number[] = [];
  for (const block of header) {
    const meta = block.kind === 'text' && !block.listItem && block.style === 'normal' && introRaw.length < 3 ? readMetaLines(plainInline(block.inline)) : undefined;
    if (meta && (meta.date || meta.byline)) {
      if (meta.date && date === undefined) date = meta.date;
      if (meta.byline && byline === undefined) byline = meta.byline;
      metaLines.push(block.line);
      continue;
    }
    introRaw.push(block);
  }

  const links: ImportedLink[] = [];
  const asides: ImportedAside[] = [];
  const stats = { bulletItems: 0, numberedItems: 0, quotes: 0, strong: 0, em: 0, code: 0, images: 0 };
  const convert = (blocks: RawBlock[]) => convertBlocks(blocks, { file, keys, links, asides, stats, sourceLines: body.split('\n'), bodyLine });

  const intro = convert(introRaw);
  const sections: ImportedSection[] = [];
  let current: { heading: RawBlock; blocks: RawBlock[] } | undefined;
  for (const block of afterTitle.slice(firstIndex(afterTitle, (b) => b.kind === 'heading' && b.level === sectionLevel))) {
    if (block.kind === 'heading' && block.level === sectionLevel) {
      if (current) sections.push(finishSection(current, convert, keys));
      current = { heading: block, blocks: [] };
    } else current!.blocks.push(block);
  }
  if (current) sections.push(finishSection(current, convert, keys));

  const number = fields.number !== undefined ? positive(fields.number, file, fields.numberLine ?? 1) : numberFromTitle(title);
  return {
    file,
    title: fields.title ?? title,
    number,
    date,
    byline: byline?.trim() || undefined,
    summary: fields.summary ?? deriveSummary([...intro, ...(sections[0]?.body ?? [])]),
    slug: fields.slug ?? slugify(fields.title ?? title),
    intro,
    sections,
    links,
    asides,
    metaLines,
    stats,
  };
}

export function markdown(): MarkdownIt {
  // No raw HTML (a back-issue's HTML would be kept as text), no typographer (quotes stay
  // as written), no linkify (a bare URL in prose stays prose unless written <like this>).
  const md = new MarkdownIt('default', { html: false, linkify: false, typographer: false });
  // Keep escapes as their own tokens so "\[" can be told apart from "[".
  md.core.ruler.disable('text_join');
  return md;
}

// ── Checks on the whole file ─────────────────────────────────────────────────

function checkIsText(source: string, file: string): void {
  if (source.trim() === '') throw importError(file, undefined, 'the file is empty', 'Give the path of a back-issue in Markdown.');
  const bad = source.search(/[\u0000\uFFFD]/);
  if (bad !== -1) {
    const line = source.slice(0, bad).split('\n').length;
    throw importError(file, line, 'the file is not UTF-8 text (a NUL byte or an undecodable byte)', 'Export the back-issue as UTF-8 Markdown and try again.');
  }
}

interface FrontMatter {
  title?: string;
  date?: string;
  dateLine?: number;
  byline?: string;
  author?: string;
  number?: string;
  numberLine?: number;
  summary?: string;
  slug?: string;
}

/** A `---` block of `key: value` lines at the very top; only flat keys, no nesting. */
function splitFrontMatter(source: string, file: string): { fields: FrontMatter; body: string; bodyLine: number } {
  const lines = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  if (lines[0]?.trim() !== '---') return { fields: {}, body: lines.join('\n'), bodyLine: 1 };
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  if (end === -1) throw importError(file, 1, 'the front matter opened with --- is never closed', 'End the front matter with a line holding only ---.');
  const fields: FrontMatter = {};
  for (let i = 1; i < end; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const m = /^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) throw importError(file, i + 1, `front matter line "${line.trim()}" is not "key: value"`, `Use one of: ${frontMatterKeys.join(', ')}.`);
    const key = m[1]!.toLowerCase() as (typeof frontMatterKeys)[number];
    if (!frontMatterKeys.includes(key)) throw importError(file, i + 1, `unknown front matter key "${m[1]}"`, `Use one of: ${frontMatterKeys.join(', ')}.`);
    const value = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
    fields[key] = value;
    if (key === 'date') fields.dateLine = i + 1;
    if (key === 'number') fields.numberLine = i + 1;
  }
  return { fields, body: lines.slice(end + 1).join('\n'), bodyLine: end + 2 };
}

// ── Dates and bylines ────────────────────────────────────────────────────────

const months = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "2026-03-14", "14 March 2026", "March 14, 2026" (also abbreviated months) → "2026-03-14". */
export function parseDate(text: string): string | undefined {
  const t = text.trim().replace(/^(?:date|published|posted|sent)\s*:?\s*/i, '').replace(/[.,]$/, '');
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$/.exec(t))) [d, m, y] = [Number(match[1]), monthNumber(match[2]!), Number(match[3])];
  else if ((match = /^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/.exec(t))) [m, d, y] = [monthNumber(match[1]!), Number(match[2]), Number(match[3])];
  else return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (m < 1 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

function monthNumber(name: string): number {
  const lower = name.toLowerCase();
  const i = months.findIndex((full) => lower.length >= 3 && full.startsWith(lower));
  return i + 1;
}

/**
 * Reads a header paragraph made only of meta lines: a date, "by Someone", "date: …",
 * "author: …", or "date · by Someone". Undefined when any line is ordinary prose.
 */
function readMetaLines(text: string): { date?: string; byline?: string } | undefined {
  const found: { date?: string; byline?: string } = {};
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    const parts = line.split(/\s+[·|•]\s+|\s+[—–]\s+(?=by\b)/i);
    for (const part of parts) {
      const kv = /^(byline|author|written by)\s*:\s*(.+)$/i.exec(part);
      const by = /^(?:by|written by)\s+(.+)$/i.exec(part);
      const date = parseDate(part);
      if (date) found.date = date;
      else if (kv) found.byline = kv[2]!.trim();
      else if (by) found.byline = by[1]!.trim();
      else return undefined;
    }
  }
  return found;
}

function numberFromTitle(title: string): number | undefined {
  const m = /(?:#|№|\bno\.?\s*|\bissue\s+)(\d{1,6})\b/i.exec(title);
  return m ? Number(m[1]) : undefined;
}

function positive(value: string, file: string, line: number): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw importError(file, line, `the issue number "${value}" is not a positive whole number`, 'Write e.g. `number: 42`.');
  return Number(value);
}

// ── Block structure from markdown-it tokens ──────────────────────────────────

interface RawBlock {
  kind: 'heading' | 'text' | 'image' | 'code';
  line: number;
  /** Last source line (exclusive), relative to the body. */
  endLine: number;
  level?: number;
  style: 'normal' | 'blockquote';
  listItem?: 'bullet' | 'number';
  listLevel?: number;
  inline: Token[];
  code?: string;
}

function collectBlocks(tokens: Token[], lineOf: (t: Token) => number): RawBlock[] {
  const blocks: RawBlock[] = [];
  const lists: Array<'bullet' | 'number'> = [];
  let quoteDepth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const base = () => ({
      line: lineOf(token),
      endLine: token.map ? token.map[1] : 0,
      style: (quoteDepth > 0 ? 'blockquote' : 'normal') as RawBlock['style'],
      ...(lists.length ? { listItem: lists.at(-1)!, listLevel: lists.length } : {}),
    });
    switch (token.type) {
      case 'bullet_list_open':
        lists.push('bullet');
        break;
      case 'ordered_list_open':
        lists.push('number');
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        break;
      case 'blockquote_open':
        quoteDepth++;
        break;
      case 'blockquote_close':
        quoteDepth--;
        break;
      case 'heading_open': {
        const inline = tokens[i + 1]!;
        blocks.push({ ...base(), kind: 'heading', level: Number(token.tag.slice(1)), inline: inline.children ?? [] });
        i += 2;
        break;
      }
      case 'paragraph_open': {
        const inline = tokens[i + 1]!;
        const children = inline.children ?? [];
        const onlyImage = children.filter((c) => !(c.type === 'text' && c.content.trim() === '')).length === 1 && children.some((c) => c.type === 'image');
        blocks.push({ ...base(), kind: onlyImage ? 'image' : 'text', inline: children });
        i += 2;
        break;
      }
      case 'fence':
      case 'code_block':
        blocks.push({ ...base(), kind: 'code', inline: [], code: token.content.replace(/\n$/, '') });
        break;
      case 'html_block':
        blocks.push({ ...base(), kind: 'code', inline: [], code: token.content.replace(/\n$/, '') });
        break;
      default:
        break; // hr, list_item_open/close, paragraph_close: structure already recorded
    }
  }
  return blocks;
}

function firstIndex<T>(list: T[], test: (x: T) => boolean): number {
  const i = list.findIndex(test);
  return i === -1 ? list.length : i;
}

/** The text of inline tokens without any markup (for titles, meta lines, summaries). */
function plainInline(tokens: Token[]): string {
  return tokens
    .map((t) => (t.type === 'softbreak' || t.type === 'hardbreak' ? '\n' : t.type === 'image' ? t.content : t.content ?? ''))
    .join('');
}

// ── Inline content: characters with marks, then asides, then spans ───────────

interface Char {
  ch: string;
  decorators: string[];
  /** Index into the block's link list, when inside a link. */
  link: number | undefined;
  /** Came from a backslash escape: never opens or closes an aside. */
  escaped: boolean;
  /** Inside inline code: never part of aside syntax. */
  code: boolean;
}

interface ConvertContext {
  file: string;
  keys: () => string;
  links: ImportedLink[];
  asides: ImportedAside[];
  stats: ConvertedIssue['stats'];
  sourceLines: string[];
  bodyLine: number;
}

function toChars(tokens: Token[], blockLinks: string[], stats: ConvertedIssue['stats']): Char[] {
  const chars: Char[] = [];
  const decorators: string[] = [];
  const openLinks: number[] = [];
  const push = (text: string, extra: Partial<Char> = {}) => {
    for (const ch of text) chars.push({ ch, decorators: [...decorators], link: openLinks.at(-1), escaped: false, code: false, ...extra });
  };
  for (const t of tokens) {
    switch (t.type) {
      case 'text':
        push(t.content);
        break;
      case 'text_special':
        push(t.content, { escaped: t.info === 'escape' || t.info === 'entity' });
        break;
      case 'softbreak':
        push(' ');
        break;
      case 'hardbreak':
        push('\n');
        break;
      case 'code_inline':
        stats.code++;
        for (const ch of t.content) chars.push({ ch, decorators: [...decorators, 'code'], link: openLinks.at(-1), escaped: false, code: true });
        break;
      case 'strong_open':
        stats.strong++;
        decorators.push('strong');
        break;
      case 'em_open':
        stats.em++;
        decorators.push('em');
        break;
      case 's_open':
        decorators.push('strike-through');
        break;
      case 'strong_close':
      case 'em_close':
      case 's_close': {
        const name = t.type === 'strong_close' ? 'strong' : t.type === 'em_close' ? 'em' : 'strike-through';
        const at = decorators.lastIndexOf(name);
        if (at !== -1) decorators.splice(at, 1);
        break;
      }
      case 'link_open':
        blockLinks.push(t.attrGet('href') ?? '');
        openLinks.push(blockLinks.length - 1);
        break;
      case 'link_close':
        openLinks.pop();
        break;
      case 'image': {
        // Inline images have no place in our Portable Text: keep them as a link to the image.
        stats.images++;
        blockLinks.push(t.attrGet('src') ?? '');
        const index = blockLinks.length - 1;
        for (const ch of t.content || 'image') chars.push({ ch, decorators: [...decorators], link: index, escaped: false, code: false });
        break;
      }
      default:
        push(t.content ?? '');
    }
  }
  return chars;
}

const signaturePattern = /\s*(?:—|–|--|-)\s?(Ed)\.?\s*$/;
const looseSignature = /(?:—|–|--|-)\s?Ed\b\.?/g;

interface AsideRange {
  start: number; // index of "["
  end: number; // index of "]"
}

/** Finds "[… —Ed.]" ranges: unescaped brackets outside code whose content ends with a signature. */
function findAsides(chars: Char[]): AsideRange[] {
  const isSyntax = (c: Char | undefined, ch: string) => c !== undefined && c.ch === ch && !c.escaped && !c.code;
  const ranges: AsideRange[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (!isSyntax(chars[i], '[')) continue;
    let depth = 0;
    let close = -1;
    for (let j = i; j < chars.length; j++) {
      if (isSyntax(chars[j], '[')) depth++;
      else if (isSyntax(chars[j], ']') && --depth === 0) {
        close = j;
        break;
      }
    }
    if (close === -1) continue;
    const inner = chars.slice(i + 1, close).map((c) => c.ch).join('');
    if (signaturePattern.test(inner)) {
      ranges.push({ start: i, end: close });
      i = close;
    }
  }
  return ranges;
}

function convertBlocks(blocks: RawBlock[], ctx: ConvertContext): StoredBlock[] {
  const out: StoredBlock[] = [];
  for (const block of blocks) {
    if (block.kind === 'image') {
      // A picture on its own: without an uploaded asset we keep it as a linked line, never lose it.
      ctx.stats.images++;
      const image = block.inline.find((t) => t.type === 'image')!;
      const alt = image.content.trim() || 'image';
      const key = ctx.keys();
      const def: ImportedLinkDef = { _type: 'externalLink', _key: ctx.keys(), href: image.attrGet('src') ?? '' };
      ctx.links.push({ href: def.href, text: alt, line: block.line });
      out.push({ _type: 'block', _key: key, style: 'normal', markDefs: [def], children: [{ _type: 'span', _key: ctx.keys(), text: `Image: ${alt}`, marks: [def._key] }] });
      continue;
    }
    if (block.kind === 'code') {
      out.push({ _type: 'block', _key: ctx.keys(), style: 'normal', markDefs: [], children: [{ _type: 'span', _key: ctx.keys(), text: block.code ?? '', marks: ['code'] }] });
      continue;
    }
    const style = block.kind === 'heading' ? 'h3' : block.style;
    if (block.listItem === 'bullet') ctx.stats.bulletItems++;
    if (block.listItem === 'number') ctx.stats.numberedItems++;
    if (block.style === 'blockquote') ctx.stats.quotes++;
    const converted = convertInline(block, ctx);
    const whole = converted.children.length === 1 && converted.children[0]!._type === 'editorialNote' ? (converted.children[0] as StoredNote) : undefined;
    if (whole && style === 'normal' && !block.listItem) {
      ctx.asides[ctx.asides.length - 1]!.placement = 'block';
      out.push(whole);
      continue;
    }
    out.push({
      _type: 'block',
      _key: ctx.keys(),
      style,
      ...(block.listItem ? { listItem: block.listItem, level: block.listLevel ?? 1 } : {}),
      markDefs: converted.markDefs,
      children: converted.children,
    });
  }
  return out;
}

function convertInline(block: RawBlock, ctx: ConvertContext): { markDefs: ImportedLinkDef[]; children: Array<StoredSpan | StoredNote> } {
  const hrefs: string[] = [];
  const chars = toChars(block.inline, hrefs, ctx.stats);
  // Soft-wrapped source lines may leave a stray space at either end.
  while (chars[0]?.ch === ' ') chars.shift();
  while (chars.at(-1)?.ch === ' ') chars.pop();
  const asides = findAsides(chars);
  checkSignaturesClosed(chars, asides, block, ctx);

  // One markDef per link occurrence, in the order links open in the source.
  const linkKeys = hrefs.map(() => ctx.keys());
  const used = new Set<number>();
  const children: Array<StoredSpan | StoredNote> = [];
  let at = 0;
  for (const range of asides) {
    children.push(...spansOf(chars.slice(at, range.start), linkKeys, used, ctx));
    const inner = chars.slice(range.start + 1, range.end);
    const text = inner.map((c) => c.ch).join('');
    const sigAt = text.search(signaturePattern);
    let body = inner.slice(0, sigAt);
    while (body[0]?.ch === ' ') body = body.slice(1);
    // Emphasis around the whole aside only said "this is an aside"; the note is styled anyway.
    const visible = body.filter((c) => c.ch.trim() !== '');
    if (visible.length > 0 && visible.every((c) => c.decorators.includes('em'))) {
      body = body.map((c) => ({ ...c, decorators: c.decorators.filter((d) => d !== 'em') }));
    }
    const noteLinks = new Set<number>();
    const spans = spansOf(body, linkKeys, noteLinks, ctx);
    const noteDefs = [...noteLinks].sort((a, b) => a - b).map((i) => ({ _type: 'externalLink' as const, _key: linkKeys[i]!, href: hrefs[i]! }));
    children.push({
      _type: 'editorialNote',
      _key: ctx.keys(),
      body: [{ _type: 'block', _key: ctx.keys(), style: 'normal', markDefs: noteDefs, children: spans.length ? spans : [{ _type: 'span', _key: ctx.keys(), text: '…', marks: [] }] }],
      signature: 'Ed.',
    });
    ctx.asides.push({ text: body.map((c) => c.ch).join('').trim(), placement: 'inline', line: block.line });
    at = range.end + 1;
  }
  children.push(...spansOf(chars.slice(at), linkKeys, used, ctx));
  // Links outside notes, in source order (notes record their own as they are met).
  const outside = [...used].sort((a, b) => a - b);
  const markDefs = outside.map((i) => ({ _type: 'externalLink' as const, _key: linkKeys[i]!, href: hrefs[i]! }));
  recordLinksInOrder(ctx, chars, hrefs, block.line);
  return { markDefs, children: children.length ? children : [{ _type: 'span', _key: ctx.keys(), text: '', marks: [] }] };
}

/** Adds this block's links to the issue's list in reading order, notes' links included. */
function recordLinksInOrder(ctx: ConvertContext, chars: Char[], hrefs: string[], line: number): void {
  const order: number[] = [];
  for (const c of chars) if (c.link !== undefined && !order.includes(c.link)) order.push(c.link);
  for (const i of order) ctx.links.push({ href: hrefs[i]!, text: linkText(chars, i), line });
}

function linkText(chars: Char[], index: number): string {
  return chars.filter((c) => c.link === index).map((c) => c.ch).join('').trim();
}

function spansOf(chars: Char[], linkKeys: string[], usedLinks: Set<number>, ctx: ConvertContext): StoredSpan[] {
  const spans: StoredSpan[] = [];
  let current: { marks: string[]; text: string } | undefined;
  for (const c of chars) {
    const marks = [...new Set(c.decorators)];
    if (c.link !== undefined) {
      usedLinks.add(c.link);
      marks.push(linkKeys[c.link]!);
    }
    if (current && current.marks.join('\u0000') === marks.join('\u0000')) current.text += c.ch;
    else {
      if (current) spans.push({ _type: 'span', _key: ctx.keys(), text: current.text, marks: current.marks });
      current = { marks, text: c.ch };
    }
  }
  if (current) spans.push({ _type: 'span', _key: ctx.keys(), text: current.text, marks: current.marks });
  return spans;
}

/** A signature outside every recognised aside means a bracket is missing: refuse rather than guess. */
function checkSignaturesClosed(chars: Char[], asides: AsideRange[], block: RawBlock, ctx: ConvertContext): void {
  const text = chars.map((c) => (c.code || c.escaped ? '\u0001' : c.ch)).join('');
  let nth = 0;
  for (const m of text.matchAll(looseSignature)) {
    nth++;
    const inside = asides.some((r) => m.index > r.start && m.index < r.end);
    // "\[quoting an aside —Ed.\]": the author escaped the brackets, so it is meant as text.
    let after = m.index + m[0].length;
    while (chars[after]?.ch === ' ') after++;
    const literal = chars[after]?.ch === ']' && chars[after]!.escaped;
    if (inside || literal) continue;
    // Find the source line holding this signature: the nth one within the block's lines.
    let line = block.line;
    let seen = 0;
    for (let l = block.line - ctx.bodyLine; l < Math.max(block.endLine, block.line - ctx.bodyLine + 1); l++) {
      const count = [...(ctx.sourceLines[l] ?? '').matchAll(looseSignature)].length;
      if (seen + count >= nth) {
        line = l + ctx.bodyLine;
        break;
      }
      seen += count;
    }
    const from = Math.max(0, text.lastIndexOf('[', m.index) === -1 ? m.index - 40 : text.lastIndexOf('[', m.index));
    const snippet = chars.slice(from, m.index + m[0].length + 1).map((c) => c.ch).join('').trim();
    throw importError(
      ctx.file,
      line,
      `an editorial aside is not closed: "${snippet}"`,
      'Asides are written [text —Ed.] with both brackets in the same paragraph; add the missing bracket (or escape a literal one as \\[).',
    );
  }
}

function finishSection(
  current: { heading: RawBlock; blocks: RawBlock[] },
  convert: (blocks: RawBlock[]) => StoredBlock[],
  keys: () => string,
): ImportedSection {
  const heading = plainInline(current.heading.inline).replace(/\s+/g, ' ').trim();
  return { _type: 'section', _key: keys(), heading, body: convert(current.blocks), line: current.heading.line };
}

function deriveSummary(blocks: StoredBlock[]): string | undefined {
  const first = blocks.find((b): b is StoredTextBlock => b._type === 'block' && b.style === 'normal' && !b.listItem);
  if (!first) return undefined;
  const text = first.children
    .filter((c): c is StoredSpan => c._type === 'span')
    .map((s) => s.text)
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') return undefined;
  if (text.length <= summaryMaxLength) return text;
  const cut = text.slice(0, summaryMaxLength - 1);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 40 ? cut.lastIndexOf(' ') : cut.length).replace(/[\s,;:.—–-]+$/, '')}…`;
}

function keyMaker(): () => string {
  let n = 0;
  return () => `k${(n++).toString(36).padStart(3, '0')}`;
}

export function importError(file: string, line: number | undefined, message: string, hint: string): NewsdeskError {
  return new NewsdeskError('IMPORT_FAILED', `${file}${line === undefined ? '' : `:${line}`}: ${message}`, { hint });
}

function fail(file: string, line: number, message: string): never {
  throw importError(file, line, message, 'Write dates as 2026-03-14, 14 March 2026 or March 14, 2026.');
}
