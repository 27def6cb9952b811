// A back-issue in Markdown → the stored shape of an `issue`: metadata from the header
// (front-matter.ts), title from metadata or the first heading, date and byline from
// metadata or the lines under the title, sections from the document's own heading
// hierarchy, Portable Text for everything else (inline.ts), editorial asides as notes.
// Pure: text in, documents out; links stay hrefs until plan.ts resolves them.
import type Token from 'markdown-it/lib/token.mjs';
import { isHttpUrl, slugify, summaryMaxLength } from '../rules.ts';
import { readAsideSyntax, type AsideSyntax } from './aside-syntax.ts';
import { ambiguousDateIn, dateFromFileName, numberFromFileName, numberFromTitle, parseDate, type DateOrder } from './dates.ts';
import { importError, type ImportWarning } from './errors.ts';
import { splitMetadata } from './front-matter.ts';
import { convertInline, plainInline, type InlineContext } from './inline.ts';
import { parseMarkdown } from './parse.ts';
import { stripSiteSyntax } from './site-syntax.ts';
import type { ImportedAside, ImportedLink, ImportedLinkCard, ImportedSection, StoredBlock, StoredTextBlock } from './shapes.ts';

export interface ConvertOptions {
  /** What signs an aside (the newsletter's `asideSignature`), default "—Ed.". */
  asideSignature?: string | undefined;
  /** Resolves relative links. */
  baseUrl?: string | undefined;
  /** Whether an image address names a picture beside the file that the import copies (local-images.ts). */
  localImage?: ((src: string) => boolean) | undefined;
  /** Overrides any number found in the file. */
  number?: number | undefined;
  /** For a file that has no date of its own. */
  date?: string | undefined;
  /** How the archive writes an ambiguous "03-04-2022" (detectDateOrder). */
  dateOrder?: DateOrder | undefined;
  /** Names an issue that has no title of its own: "<newsletter title> #<number>". */
  newsletterTitle?: string | undefined;
}

export interface ConvertedIssue {
  file: string;
  title: string;
  /** Source line of the heading read as the title, when the title came from one. */
  titleLine: number | undefined;
  number: number | undefined;
  date: string | undefined;
  byline: string | undefined;
  summary: string | undefined;
  /** Whether the summary is the words of the first paragraph (the file gives none): an archive leaves out one its issues all share (import-issue.ts). */
  summaryDerived: boolean;
  slug: string;
  tags: string[];
  draft: boolean;
  intro: StoredBlock[];
  sections: ImportedSection[];
  /** Every link in document order (intro, then sections), repeats included. */
  links: ImportedLink[];
  asides: ImportedAside[];
  /** Source lines read as date/byline (not content). */
  metaLines: number[];
  warnings: ImportWarning[];
  comments: number;
  /** MDX and site-generator syntax left out, by kind (site-syntax.ts). */
  siteSyntax: Record<string, number>;
  stats: { bulletItems: number; numberedItems: number; quotes: number; strong: number; em: number; code: number };
  /** The normalised parse, for the fidelity check. */
  tokens: Token[];
  bodyLine: number;
  syntax: AsideSyntax;
}

export function convertMarkdownIssue(source: string, file: string, options: ConvertOptions = {}): ConvertedIssue {
  checkIsText(source, file);
  const split = splitMetadata(source, file);
  const { metadata } = split;
  const warnings: ImportWarning[] = metadata.ignored.map(({ key, line }) => ({ line, kind: 'metadata', message: `metadata "${key}" not imported (an issue has no such field)` }));
  // MDX and site-generator syntax never reaches the parser: it would print as text.
  const site = stripSiteSyntax(split.body, split.bodyLine);
  warnings.push(...site.warnings);
  const parsed = parseMarkdown(site.body, split.bodyLine, { baseUrl: options.baseUrl, localImage: options.localImage });
  warnings.push(...parsed.warnings);
  const lineOf = (t: Token) => (t.map ? t.map[0] + split.bodyLine : split.bodyLine);
  const raw = collectBlocks(parsed.tokens, lineOf, warnings);
  const syntax = readAsideSyntax(options.asideSignature);
  const keys = keyMaker();

  // Title: metadata, or a heading that opens the document, even below a date line or a
  // byline (or a heading that repeats the metadata title).
  const firstText = raw.findIndex((b) => b.kind !== 'heading' && !(b.kind === 'text' && !b.listItem && b.style === 'normal' && readMetaLines(plainInline(b.inline), options.dateOrder)));
  const opening = firstText === -1 ? raw.length : firstText;
  const isTopHeading = (b: RawBlock | undefined) => b !== undefined && b.kind === 'heading' && b.topLevel;
  const headingDate = (b: RawBlock) => readMetaLines(plainInline(b.inline), options.dateOrder)?.date;
  // A heading above the title that holds only a date ("### June 29, 2022") dates the issue; it is no section.
  const dateHeadings = new Set<number>();
  if (metadata.title === undefined) {
    for (let i = 0; i < opening; i++) {
      if (isTopHeading(raw[i]) && headingDate(raw[i]!) && raw.slice(i + 1, opening).some((b) => isTopHeading(b) && !headingDate(b))) dateHeadings.add(i);
    }
  }
  // Without a metadata title, the shallowest of the opening headings (the first of them at that level).
  const openingHeadings = raw.flatMap((b, i) => (i < opening && isTopHeading(b) && !dateHeadings.has(i) ? [i] : []));
  const titleLevel = Math.min(...openingHeadings.map((i) => raw[i]!.level!));
  const candidate = openingHeadings.find((i) => raw[i]!.level === titleLevel);
  // A heading directly followed by another heading of its level, in a file whose headings are
  // all at that level, opens an empty section (every heading is a section): it stays one.
  const opensEmptySection =
    candidate !== undefined &&
    isTopHeading(raw[candidate + 1]) &&
    raw[candidate + 1]!.level === titleLevel &&
    raw.every((b, i) => !isTopHeading(b) || dateHeadings.has(i) || b.level === titleLevel);
  const titleIndex =
    metadata.title === undefined
      ? (opensEmptySection ? -1 : (candidate ?? -1))
      : raw.findIndex((b) => isTopHeading(b) && sameText(plainInline(b.inline), metadata.title!));
  const titleBlock = titleIndex === -1 ? undefined : raw[titleIndex]!;
  const headingTitle = titleBlock ? flat(plainInline(titleBlock.inline)) : undefined;
  const rest = raw.filter((_, i) => i !== titleIndex && !dateHeadings.has(i));
  const level = findSectionLevel(rest.filter((b) => b.kind === 'heading' && b.topLevel).map((b) => b.level!));
  const isSection = (b: RawBlock) => b.kind === 'heading' && b.topLevel && b.level! <= level;
  const firstSection = firstIndex(rest, isSection);

  // Header region: read date and byline lines there; everything else is the intro.
  let date = metadata.date === undefined ? undefined : (parseDate(metadata.date, options.dateOrder) ?? failDate(file, metadata.lines.date ?? 1, metadata.date));
  // "03-04-2022" with nothing in the archive to settle the order: read by the separator's custom, and said.
  const warnAmbiguous = (text: string, line: number, read: string) => {
    const written = ambiguousDateIn(text);
    if (written && options.dateOrder === undefined) warnings.push({ line, kind: 'date', message: `the date ${written} could be day or month first; read as ${read} (${/\./.test(written) ? 'dots are usually day first' : 'dashes and slashes are usually month first'}) — write it as YYYY-MM-DD if that is wrong` });
  };
  if (date !== undefined && metadata.date !== undefined) warnAmbiguous(metadata.date, metadata.lines.date ?? 1, date);
  let byline = metadata.author;
  const introRaw: RawBlock[] = [];
  const metaLines: number[] = [];
  for (const i of dateHeadings) {
    date ??= headingDate(raw[i]!);
    metaLines.push(raw[i]!.line);
  }
  for (const block of rest.slice(0, firstSection)) {
    const meta = block.kind === 'text' && !block.listItem && block.style === 'normal' && introRaw.length < 3 ? readMetaLines(plainInline(block.inline), options.dateOrder) : undefined;
    if (meta && (meta.date || meta.byline)) {
      if (meta.date && date === undefined) {
        date = meta.date;
        warnAmbiguous(plainInline(block.inline), block.line, date);
      }
      if (meta.byline && byline === undefined) byline = meta.byline;
      metaLines.push(block.line);
      continue;
    }
    introRaw.push(block);
  }
  date ??= dateFromFileName(file, options.dateOrder) ?? options.date;

  const links: ImportedLink[] = [];
  const asides: ImportedAside[] = [];
  const stats = { bulletItems: 0, numberedItems: 0, quotes: 0, strong: 0, em: 0, code: 0 };
  const convert = (blocks: RawBlock[]) => convertBlocks(blocks, { keys, syntax, links, asides, warnings, stats, sectionLevel: level });

  const intro = [...headingLinkCards(titleBlock, 'title', keys, links, warnings), ...convert(introRaw)];
  const sections: ImportedSection[] = [];
  let current: { heading: RawBlock; blocks: RawBlock[] } | undefined;
  const finish = () => {
    if (!current) return;
    const cards = headingLinkCards(current.heading, 'section heading', keys, links, warnings);
    const body = [...cards, ...convert(current.blocks)];
    const heading = flat(plainInline(current.heading.inline)) || '(untitled)';
    if (body.length === 0) {
      // An issue leaves out sections with nothing in them (an unused default section); an empty paragraph keeps this heading.
      body.push({ _type: 'block', _key: keys(), style: 'normal', markDefs: [], children: [{ _type: 'span', _key: keys(), text: '', marks: [] }] });
      warnings.push({ line: current.heading.line, kind: 'section', message: `section "${heading}" has no text of its own; kept as a heading over an empty paragraph` });
    }
    sections.push({ _type: 'section', _key: keys(), heading, body, line: current.heading.line });
  };
  for (const block of rest.slice(firstSection)) {
    if (isSection(block)) {
      finish();
      current = { heading: block, blocks: [] };
    } else current!.blocks.push(block);
  }
  finish();

  const number = options.number ?? positiveOrUndefined(metadata.number, file, metadata.lines.number) ?? numberFromTitle(metadata.title ?? headingTitle ?? '') ?? numberFromFileName(file);
  let title = metadata.title ?? headingTitle;
  if (title === undefined || title === '') {
    title = `${options.newsletterTitle ?? 'Issue'}${number === undefined ? '' : ` #${number}`}`;
    const why = opensEmptySection && metadata.title === undefined ? ` (the first heading, "${flat(plainInline(raw[candidate!]!.inline))}", opens an empty section like the file's other sections, so it stays a section)` : '';
    warnings.push({ line: opensEmptySection ? raw[candidate!]!.line : split.bodyLine, kind: 'title', message: `no title in the file; titled "${title}"${why}` });
  }
  warnings.sort((a, b) => a.line - b.line);
  return {
    file,
    title,
    titleLine: titleBlock?.line,
    number,
    date,
    byline: byline?.trim() || undefined,
    summary: metadata.summary ?? derivedSummaryOf([...intro, ...(sections[0]?.body ?? [])]),
    summaryDerived: metadata.summary === undefined,
    slug: metadata.slug ? slugify(metadata.slug) || slugify(title) : slugify(title) || `issue-${number ?? 0}`,
    tags: metadata.tags,
    draft: metadata.draft,
    intro,
    sections,
    links,
    asides,
    metaLines,
    warnings,
    comments: parsed.comments,
    siteSyntax: site.dropped,
    stats,
    tokens: parsed.tokens,
    bodyLine: split.bodyLine,
    syntax,
  };
}

/**
 * The heading level that starts sections, from the headings in document order: the
 * level of the first one. Shallower headings later on start sections too, so a
 * "# Quote of the Week" or "# Jobs" after "##" sections is one more section, never a
 * level above them that would fold every earlier section into the intro.
 */
export function findSectionLevel(levels: number[]): number {
  return levels[0] ?? 1;
}

// ── Checks on the whole file ─────────────────────────────────────────────────

function checkIsText(source: string, file: string): void {
  if (source.trim() === '') throw importError(file, undefined, 'the file is empty', 'Give the path of a back-issue in Markdown.');
  const bad = source.indexOf('\u0000');
  if (bad !== -1) {
    const line = source.slice(0, bad).split('\n').length;
    throw importError(file, line, 'the file is not text (it holds a NUL byte)', 'Export the back-issue as UTF-8 Markdown and try again.');
  }
}

/**
 * Reads a header paragraph made only of meta lines: a date, "by Someone", "date: …",
 * "author: …", or "date · by Someone". Undefined when any line is ordinary prose.
 */
function readMetaLines(text: string, order?: DateOrder): { date?: string; byline?: string } | undefined {
  const found: { date?: string; byline?: string } = {};
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    for (const part of line.split(/\s+[·|•]\s+|\s+[—–]\s+(?=by\b)/i)) {
      const kv = /^(byline|author|written by)\s*:\s*(.+)$/i.exec(part);
      const by = /^(?:by|written by)\s+(.+)$/i.exec(part);
      const date = parseDate(part, order);
      if (date) found.date = date;
      else if (kv) found.byline = kv[2]!.trim();
      else if (by && by[1]!.split(/\s+/).length <= 6) found.byline = by[1]!.trim();
      else return undefined;
    }
  }
  return found;
}

function positiveOrUndefined(value: string | undefined, file: string, line: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const digits = value.replace(/^#/, '');
  // "No. 12", "Issue #12", "第 12 期" in a number field: the same patterns as a title.
  const written = /^\d+$/.test(digits) ? undefined : numberFromTitle(value);
  if (written !== undefined && written > 0) return written;
  if (!/^\d+$/.test(digits) || Number(digits) < 1) throw importError(file, line, `the issue number "${value}" is not a positive whole number`, 'Write e.g. `number: 42`, or pass --number N.');
  return Number(digits);
}

function failDate(file: string, line: number, value: string): never {
  throw importError(file, line, `the metadata date "${value}" is not a date`, 'Write dates as 2026-03-14, 06-29-2022, 29.06.2022, 14 March 2026 or March 14, 2026.');
}

// ── Block structure ──────────────────────────────────────────────────────────

interface RawBlock {
  kind: 'heading' | 'text' | 'code' | 'image';
  line: number;
  /** Outside lists and quotes: only such headings shape the issue. */
  topLevel: boolean;
  level?: number;
  style: 'normal' | 'blockquote';
  listItem?: 'bullet' | 'number';
  listLevel?: number;
  /** How many quotes the block sits in. */
  quoteDepth?: number;
  inline: Token[];
  image?: { src: string; alt: string; link: string | undefined };
}

/**
 * Walks the tokens into blocks. A list item holds one Portable Text block, so its
 * later paragraphs and code join its first block after a line break, and a quote under
 * a bullet item follows the item as a quote (under a numbered item it joins too, so the
 * count does not restart); nested lists become deeper list blocks, nested quotes keep
 * their depth, and a paragraph's images become image blocks of their own.
 */
function collectBlocks(tokens: Token[], lineOf: (t: Token) => number, warnings: ImportWarning[]): RawBlock[] {
  const blocks: RawBlock[] = [];
  const lists: Array<'bullet' | 'number'> = [];
  const items: Array<{ block: RawBlock | undefined; quoteDepth: number }> = [];
  let quoteDepth = 0;
  let lastListBlock: RawBlock | undefined;

  const place = (token: Token, kind: RawBlock['kind'], inline: Token[], level?: number) => {
    const item = items.at(-1);
    if (item?.block && quoteDepth > item.quoteDepth && kind !== 'heading' && lists.at(-1) === 'bullet') {
      // A bullet item cannot hold a quote, but a quote right after it reads the same; a numbered list would restart its count, so there it joins the item.
      warnings.push({ line: lineOf(token), kind: 'list', message: 'quote inside a list item placed right after the item (a list item cannot hold a quote)' });
      blocks.push({ kind, line: lineOf(token), topLevel: false, style: 'blockquote', quoteDepth, inline });
      return;
    }
    if (item?.block) {
      // A later block of the same list item: joins the item's last list block.
      const target = lastListBlock!;
      target.inline.push(breakToken(), breakToken(), ...inline);
      if (quoteDepth > item.quoteDepth) warnings.push({ line: lineOf(token), kind: 'list', message: 'quote inside a list item kept as a paragraph of the item (a list item cannot hold a quote)' });
      else if (kind === 'heading') warnings.push({ line: lineOf(token), kind: 'list', message: 'heading inside a list item kept as a paragraph of the item' });
      return;
    }
    const block: RawBlock = {
      kind,
      line: lineOf(token),
      topLevel: lists.length === 0 && quoteDepth === 0,
      style: quoteDepth > 0 ? 'blockquote' : 'normal',
      quoteDepth,
      inline,
      ...(level === undefined ? {} : { level }),
      ...(lists.length ? { listItem: lists.at(-1)!, listLevel: lists.length } : {}),
    };
    if (kind === 'heading' && !block.topLevel && !item) warnings.push({ line: block.line, kind: 'heading', message: 'heading inside a quote kept as a quoted paragraph' });
    if (item) {
      item.block = block;
      lastListBlock = block;
    }
    blocks.push(block);
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    switch (token.type) {
      case 'bullet_list_open':
      case 'ordered_list_open':
        // "* * item": the outer item is empty but still comes before the nested one.
        if (items.length && !items.at(-1)!.block) place(token, 'text', []);
        lists.push(token.type === 'bullet_list_open' ? 'bullet' : 'number');
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        break;
      case 'list_item_open':
        items.push({ block: undefined, quoteDepth });
        break;
      case 'list_item_close': {
        const item = items.pop()!;
        // An empty item is still an item.
        if (!item.block) {
          items.push(item);
          place(token, 'text', []);
          items.pop();
        }
        break;
      }
      case 'blockquote_open':
        quoteDepth++;
        break;
      case 'blockquote_close':
        quoteDepth--;
        break;
      case 'heading_open':
        place(token, 'heading', [...(tokens[i + 1]!.children ?? [])], Number(token.tag.slice(1)));
        i += 2;
        break;
      case 'paragraph_open': {
        const parts = splitAtImages(tokens[i + 1]!.children ?? []);
        i += 2;
        const images = parts.filter((p) => p.image);
        if (images.length === 0) {
          place(token, 'text', parts[0]?.inline ?? []);
          break;
        }
        const pushImage = (image: RawBlock['image']) => blocks.push({ kind: 'image', line: lineOf(token), topLevel: false, style: 'normal', inline: [], image });
        const texts = parts.filter((p) => !p.image && hasText(p.inline));
        if (items.length === 0 && quoteDepth === 0) {
          // In the open, a picture between two sentences splits the paragraph where it stood.
          if (texts.length > 0) warnings.push({ line: lineOf(token), kind: 'image', message: 'image inside a paragraph placed as its own block where it stood, splitting the paragraph' });
          for (const p of parts) {
            if (p.image) pushImage(p.image);
            else if (hasText(p.inline)) place(token, 'text', p.inline);
          }
          break;
        }
        // A list item or a quote holds text only: its words stay together and the pictures follow it.
        if (texts.length > 0 || (items.length > 0 && !items.at(-1)!.block)) place(token, 'text', joinTexts(texts.map((p) => p.inline)));
        warnings.push({ line: lineOf(token), kind: 'image', message: `image inside a ${items.length > 0 ? 'list item' : 'quote'} placed right after it as its own block` });
        for (const p of images) pushImage(p.image);
        break;
      }
      case 'fence':
      case 'code_block': {
        // Every line keeps its indentation: code's meaning is in its layout.
        const code = codeToken(token.content.replace(/\n$/, ''));
        warnings.push({ line: lineOf(token), kind: 'code', message: 'code block kept as a paragraph in code style' });
        place(token, 'code', [code]);
        break;
      }
      default:
        break; // paragraph_close and the like: structure already recorded
    }
  }
  return blocks;
}

/**
 * A paragraph's inline tokens cut at each image: text runs (links closed before an
 * image and opened again after it) and the images, each with the link it sits in.
 * parse.ts has kept an image token only where it can be an image block.
 */
function splitAtImages(inline: Token[]): Array<{ inline: Token[]; image?: RawBlock['image'] }> {
  if (!inline.some((t) => t.type === 'image')) return [{ inline: [...inline] }];
  const parts: Array<{ inline: Token[]; image?: RawBlock['image'] }> = [];
  const open: Token[] = [];
  let current: Token[] = [];
  for (const t of inline) {
    if (t.type === 'image') {
      parts.push({ inline: [...current, ...open.map(() => closeLinkToken())] });
      parts.push({ inline: [], image: { src: t.attrGet('src') ?? '', alt: t.content.trim(), link: open.at(-1)?.attrGet('href') ?? undefined } });
      current = [...open];
      continue;
    }
    if (t.type === 'link_open') open.push(t);
    else if (t.type === 'link_close') open.pop();
    current.push(t);
  }
  parts.push({ inline: current });
  return parts.filter((p) => p.image || hasText(p.inline));
}

/** Text runs an image stood between, as one run with one space where the image was. */
function joinTexts(runs: Token[][]): Token[] {
  const joined: Token[] = [];
  for (const run of runs) {
    const last = joined.findLast((t) => t.type === 'text');
    const first = run.findIndex((t) => t.type === 'text');
    if (last && first !== -1 && /\s$/.test(last.content) && /^\s/.test(run[first]!.content)) {
      const trimmed = { ...run[first]!, content: run[first]!.content.trimStart() } as Token;
      joined.push(...run.slice(0, first), trimmed, ...run.slice(first + 1));
    } else joined.push(...run);
  }
  return joined;
}

function hasText(inline: Token[]): boolean {
  return inline.some((t) => (t.type === 'text' || t.type === 'text_special' || t.type === 'code_inline') && t.content.trim() !== '');
}

function closeLinkToken(): Token {
  return { type: 'link_close', content: '', children: null } as unknown as Token;
}

function breakToken(): Token {
  return { type: 'hardbreak', content: '', children: null } as unknown as Token;
}

function codeToken(content: string): Token {
  return { type: 'code_inline', content, children: null } as unknown as Token;
}

function firstIndex<T>(list: T[], test: (x: T) => boolean): number {
  const i = list.findIndex(test);
  return i === -1 ? list.length : i;
}

// ── Blocks → Portable Text ───────────────────────────────────────────────────

interface BlockContext extends Omit<InlineContext, 'line' | 'stats'> {
  stats: ConvertedIssue['stats'];
  sectionLevel: number;
}

function convertBlocks(blocks: RawBlock[], ctx: BlockContext): StoredBlock[] {
  const out: StoredBlock[] = [];
  for (const block of blocks) {
    if (block.image) {
      const { src, alt, link } = block.image;
      out.push({ _type: 'image', _key: ctx.keys(), url: src, ...(alt ? { alt } : {}), ...(link ? { link } : {}) });
      continue;
    }
    const style = block.kind === 'heading' && block.topLevel ? subheadingStyle(block.level! - ctx.sectionLevel) : block.style;
    if (block.kind === 'heading' && block.topLevel && block.level! > ctx.sectionLevel + 2) {
      ctx.warnings.push({ line: block.line, kind: 'heading', message: `${'#'.repeat(block.level!)} heading imported as a second-level sub-heading (issues have two sub-heading levels)` });
    }
    if (block.listItem === 'bullet') ctx.stats.bulletItems++;
    if (block.listItem === 'number') ctx.stats.numberedItems++;
    if (block.style === 'blockquote') ctx.stats.quotes++;
    const converted = convertInline(block.inline, { ...ctx, line: block.line });
    if (converted.wholeNote && style === 'normal' && !block.listItem) {
      ctx.asides[ctx.asides.length - 1]!.placement = 'block';
      out.push(converted.wholeNote);
      continue;
    }
    const textBlock: StoredTextBlock = {
      _type: 'block',
      _key: ctx.keys(),
      style,
      ...(block.listItem ? { listItem: block.listItem, level: block.listLevel ?? 1 } : style === 'blockquote' && (block.quoteDepth ?? 1) > 1 ? { level: block.quoteDepth } : {}),
      markDefs: converted.markDefs,
      children: converted.children,
    };
    out.push(textBlock);
  }
  return out;
}

/** The sub-heading style for a heading `depth` levels under the section headings: h3, then h4 for anything deeper. */
export function subheadingStyle(depth: number): 'h3' | 'h4' {
  return depth <= 1 ? 'h3' : 'h4';
}

/** A heading is plain text in an issue; its links become link cards right under it. */
function headingLinkCards(heading: RawBlock | undefined, what: string, keys: () => string, links: ImportedLink[], warnings: ImportWarning[]): ImportedLinkCard[] {
  if (!heading) return [];
  const cards: ImportedLinkCard[] = [];
  let text = '';
  let skip = false;
  for (const t of heading.inline) {
    if (t.type === 'link_open') {
      const href = t.attrGet('href') ?? '';
      // A card shows a link document, and only web pages become link documents; the check then reports the lost link.
      if (!isHttpUrl(href)) {
        warnings.push({ line: heading.line, kind: 'heading', message: `the ${what}'s link to ${href} cannot be kept (a heading holds plain text, and only a web page can be a link card)` });
        skip = true;
        continue;
      }
      cards.push({ _type: 'linkCard', _key: keys(), href });
      text = '';
    } else if (t.type === 'link_close') {
      if (skip) {
        skip = false;
        continue;
      }
      links.push({ href: cards.at(-1)!.href, text: text.trim(), line: heading.line });
      warnings.push({ line: heading.line, kind: 'heading', message: `the ${what}'s link to ${cards.at(-1)!.href} kept as a link card under it (a heading holds plain text)` });
    } else text += t.content ?? '';
  }
  return cards;
}

/**
 * The summary an import gives an issue whose file has none: the words of its first plain
 * paragraph (of `blocks`: the intro's, then the first section's), cut at a word past the
 * summary's length. Of stored blocks too (an issue written in the Studio), so anything not
 * shaped as a paragraph of spans is passed over.
 */
export function derivedSummaryOf(blocks: readonly unknown[]): string | undefined {
  const first = blocks.find((b): b is StoredTextBlock => {
    const block = b as Partial<StoredTextBlock> | null;
    return block?._type === 'block' && (block.style ?? 'normal') === 'normal' && !block.listItem && Array.isArray(block.children);
  });
  if (!first) return undefined;
  const text = flat(first.children.map((c) => (c?._type === 'span' && typeof c.text === 'string' ? c.text : '')).join(''));
  if (text === '') return undefined;
  if (text.length <= summaryMaxLength) return text;
  const cut = text.slice(0, summaryMaxLength - 1);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 40 ? cut.lastIndexOf(' ') : cut.length).replace(/[\s,;:.—–-]+$/, '')}…`;
}

function flat(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function sameText(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
  return norm(a) === norm(b);
}

function keyMaker(): () => string {
  let n = 0;
  return () => `k${(n++).toString(36).padStart(3, '0')}`;
}

