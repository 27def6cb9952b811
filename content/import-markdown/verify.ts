// The import's fidelity check. It reads the Markdown parse on its own (not through the
// converter) and compares it with the Portable Text about to be stored: every letter,
// digit and symbol of the text in order, every link target in order, the headings and
// which of them start sections (and which sub-heading level the others keep), the list
// items with their nesting, the quotes with their depth, the images with their address,
// alt text and link, and the editorial asides. A difference is a loss and refuses the import with file:line and
// what was lost. Whitespace and punctuation are not compared: they are where Markdown
// and Portable Text legitimately differ (markup, brackets, signatures, line breaks).
import type Token from 'markdown-it/lib/token.mjs';
import { normaliseUrl } from '../normalize-url.ts';
import { findAsides, type AsideChar, type AsideSyntax } from './aside-syntax.ts';
import { importError } from './errors.ts';
import { findSectionLevel, subheadingStyle } from './map.ts';
import { isImageOnlyLink } from './parse.ts';

/** The stored issue as verify reads it; `hrefOf` follows a link annotation or card to its URL. */
export interface StoredView {
  title: string;
  intro: unknown[];
  sections: Array<{ heading: string; body: unknown[] }>;
  hrefOf: (def: { _type: string; href?: string; reference?: { _ref: string }; link?: { _ref: string } }) => string | undefined;
}

export interface SourceView {
  file: string;
  tokens: Token[];
  bodyLine: number;
  titleLine: number | undefined;
  metaLines: number[];
  syntax: AsideSyntax;
}

export interface FidelityReport {
  characters: number;
  links: number;
  headings: number;
  listItems: number;
  quotes: number;
  asides: number;
  images: number;
}

interface Reading {
  chars: Array<{ ch: string; line: number }>;
  links: Array<{ href: string; line: number }>;
  /** `style` is the sub-heading style (h3, h4) a heading that starts no section must keep. */
  headings: Array<{ text: string; level: number; section: boolean; style?: string; line: number }>;
  items: Array<{ type: string; depth: number; line: number }>;
  quotes: Array<{ depth: number; line: number }>;
  images: Array<{ src: string; alt: string; link: string | undefined; line: number }>;
  asides: Array<{ text: string; line: number; raw?: string }>;
  title: string | undefined;
}

const counted = /[\p{L}\p{N}\p{M}\p{S}]/u;

export function verifyFidelity(source: SourceView, stored: StoredView): FidelityReport {
  const want = readSource(source);
  const got = readStored(stored);
  const refuse = (line: number | undefined, message: string): never => {
    throw importError(source.file, line, message, 'Nothing was stored. This is a converter limitation: simplify the Markdown around that line, or import with the construct removed, and report the case.');
  };

  if (want.title !== undefined && want.title !== letters(stored.title)) refuse(source.titleLine, `the title heading became "${stored.title}"`);

  for (let i = 0; i < Math.max(want.chars.length, got.chars.length); i++) {
    if (want.chars[i]?.ch === got.chars[i]?.ch) continue;
    const line = want.chars[Math.min(i, want.chars.length - 1)]?.line;
    const context = (list: Array<{ ch: string }>) => list.slice(Math.max(0, i - 12), i + 12).map((c) => c.ch).join('');
    refuse(line, want.chars[i] === undefined ? `the converted issue has text the Markdown does not ("${context(got.chars)}")` : `text was lost or changed in conversion: the Markdown reads "${context(want.chars)}", the converted issue "${context(got.chars)}"`);
  }

  for (let i = 0; i < Math.max(want.links.length, got.links.length); i++) {
    const w = want.links[i];
    const g = got.links[i];
    if (w && g && urlKey(w.href) === urlKey(g.href)) continue;
    if (!w) refuse(undefined, `the converted issue has an extra link to ${g!.href}`);
    refuse(w!.line, g ? `link ${i + 1} should go to ${w!.href} but goes to ${g.href}` : `the link to ${w!.href} was lost`);
  }

  for (let i = 0; i < Math.max(want.headings.length, got.headings.length); i++) {
    const w = want.headings[i];
    const g = got.headings[i];
    if (w && g && w.text === g.text && w.section === g.section && (w.section || w.style === g.style)) continue;
    if (!w) refuse(undefined, `the converted issue has an extra heading`);
    if (!g || w!.text !== g.text) refuse(w!.line, `the heading on this line was lost or changed`);
    if (w!.section === g!.section) refuse(w!.line, `this sub-heading should be ${w!.style} but became ${g!.style}`);
    refuse(w!.line, w!.section ? 'this heading should start a section but became a sub-heading' : 'this heading should be a sub-heading but started a section');
  }

  for (let i = 0; i < Math.max(want.items.length, got.items.length); i++) {
    const w = want.items[i];
    const g = got.items[i];
    if (w && g && w.type === g.type && w.depth === g.depth) continue;
    refuse(w?.line ?? want.items.at(-1)?.line, w && g ? `list item ${i + 1} became a ${g.type} item at level ${g.depth} (the Markdown has a ${w.type} item at level ${w.depth})` : `the Markdown has ${want.items.length} list items, the converted issue ${got.items.length}`);
  }

  if (want.quotes.length !== got.quotes.length) {
    refuse(want.quotes[got.quotes.length]?.line ?? want.quotes.at(-1)?.line, `the Markdown has ${want.quotes.length} quoted paragraph(s), the converted issue ${got.quotes.length}`);
  }
  want.quotes.forEach((w, i) => {
    if (w.depth !== got.quotes[i]!.depth) refuse(w.line, `a quote ${w.depth} deep became one ${got.quotes[i]!.depth} deep`);
  });

  for (let i = 0; i < Math.max(want.images.length, got.images.length); i++) {
    const w = want.images[i];
    const g = got.images[i];
    if (w && g && w.src === g.src && w.alt === g.alt && w.link === g.link) continue;
    if (!w) refuse(undefined, `the converted issue has an extra image (${g!.src})`);
    if (!g) refuse(w!.line, `the image ${w!.src} was lost`);
    refuse(w!.line, `image ${i + 1} (${w!.src}${w!.link ? `, linked to ${w!.link}` : ''}${w!.alt ? `, "${shorten(w!.alt)}"` : ''}) became ${g!.src}${g!.link ? `, linked to ${g!.link}` : ''}${g!.alt ? `, "${shorten(g!.alt)}"` : ''}`);
  }

  for (let i = 0; i < Math.max(want.asides.length, got.asides.length); i++) {
    if (want.asides[i]?.text === got.asides[i]?.text) continue;
    const w = want.asides[i];
    refuse(w?.line ?? want.asides.at(-1)?.line, w ? `editorial aside ${i + 1} ("${shorten(w.raw ?? w.text)}") was not kept as an editorial note` : `the converted issue has an extra editorial note`);
  }

  return {
    characters: want.chars.length,
    links: want.links.length,
    headings: want.headings.length,
    listItems: want.items.length,
    quotes: want.quotes.length,
    asides: want.asides.length,
    images: want.images.length,
  };
}

// ── The Markdown side ────────────────────────────────────────────────────────

function readSource(source: SourceView): Reading {
  const reading: Reading = { chars: [], links: [], headings: [], items: [], quotes: [], asides: [], images: [], title: undefined };
  const lists: string[] = [];
  let quoteDepth = 0;
  const skip = new Set(source.metaLines);
  const lineOf = (t: Token) => (t.map ? t.map[0] + source.bodyLine : source.bodyLine);
  const topHeadings: Array<{ level: number; index: number }> = [];
  // The list items open around the current token: the quote depth each opened at, and whether it has a first block yet.
  const items: Array<{ quoteDepth: number; started: boolean }> = [];
  /** A quoted block is a quote outside lists, or a later block of a bullet item quoted inside it (the converter places those after the item). */
  const isQuote = () => {
    const item = items.at(-1);
    return quoteDepth > 0 && (lists.length === 0 || (item !== undefined && item.started && quoteDepth > item.quoteDepth && lists.at(-1) === 'bullet'));
  };
  const startItem = () => {
    const item = items.at(-1);
    if (item) item.started = true;
  };

  for (let i = 0; i < source.tokens.length; i++) {
    const t = source.tokens[i]!;
    switch (t.type) {
      case 'bullet_list_open':
      case 'ordered_list_open':
        // A nested list's outer item gets a (possibly empty) first block of its own.
        startItem();
        lists.push(t.type === 'bullet_list_open' ? 'bullet' : 'number');
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        break;
      case 'list_item_open':
        reading.items.push({ type: lists.at(-1)!, depth: lists.length, line: lineOf(t) });
        items.push({ quoteDepth, started: false });
        break;
      case 'list_item_close':
        items.pop();
        break;
      case 'blockquote_open':
        quoteDepth++;
        break;
      case 'blockquote_close':
        quoteDepth--;
        break;
      case 'fence':
      case 'code_block':
        if (isQuote()) reading.quotes.push({ depth: quoteDepth, line: lineOf(t) });
        startItem();
        for (const ch of t.content) if (counted.test(ch)) reading.chars.push({ ch, line: lineOf(t) });
        break;
      case 'heading_open':
      case 'paragraph_open': {
        const line = lineOf(t);
        const inline = source.tokens[i + 1]!.children ?? [];
        i += 2;
        const quoted = isQuote();
        startItem();
        if (skip.has(line)) break;
        if (t.type === 'heading_open' && line === source.titleLine) {
          reading.title = letters(flatText(inline));
          readInline(inline, line, source.syntax, { ...reading, chars: [], asides: [], images: [] });
          break;
        }
        if (t.type === 'heading_open' && lists.length === 0 && quoteDepth === 0) {
          topHeadings.push({ level: Number(t.tag.slice(1)), index: reading.headings.length });
          reading.headings.push({ text: letters(flatText(inline)), level: Number(t.tag.slice(1)), section: false, line });
          // A quoted paragraph that is only pictures leaves no quoted text: its images are compared on their own.
        } else if (quoted && inline.some((c) => (c.type === 'text' || c.type === 'text_special' || c.type === 'code_inline') && c.content.trim() !== '')) {
          reading.quotes.push({ depth: quoteDepth, line });
        }
        readInline(inline, line, source.syntax, reading);
        break;
      }
      default:
        break;
    }
  }
  const sectionLevel = findSectionLevel(topHeadings.map((h) => h.level));
  for (const h of topHeadings) {
    const heading = reading.headings[h.index]!;
    heading.section = h.level <= sectionLevel;
    if (!heading.section) heading.style = subheadingStyle(h.level - sectionLevel);
  }
  return reading;
}

function readInline(children: Token[], line: number, syntax: AsideSyntax, into: Pick<Reading, 'chars' | 'links' | 'asides' | 'images'>): void {
  const chars: Array<AsideChar & { line: number }> = [];
  let at = line;
  // A link around pictures only is the pictures' link, compared with them; any other link is a text link.
  const openLinks: Array<{ href: string; images: boolean }> = [];
  children.forEach((c, index) => {
    if (c.type === 'softbreak' || c.type === 'hardbreak') {
      chars.push({ ch: ' ', code: false, line: at });
      at++;
    } else if (c.type === 'link_open') {
      const link = { href: c.attrGet('href') ?? '', images: isImageOnlyLink(children, index) };
      openLinks.push(link);
      if (!link.images) into.links.push({ href: link.href, line: at });
    } else if (c.type === 'link_close') openLinks.pop();
    else if (c.type === 'image') {
      const link = openLinks.at(-1);
      into.images.push({ src: c.attrGet('src') ?? '', alt: c.content.trim(), link: link?.images ? link.href : undefined, line: at });
    }
    else if (c.type === 'text' || c.type === 'text_special') for (const ch of c.content) chars.push({ ch, code: false, line: at });
    else if (c.type === 'code_inline') for (const ch of c.content) chars.push({ ch, code: true, line: at });
  });
  const asides = findAsides(chars, syntax);
  const syntaxAt = new Set<number>();
  for (const r of asides) {
    syntaxAt.add(r.start).add(r.end);
    for (let k = r.signatureAt; k < r.end; k++) syntaxAt.add(k);
    const raw = chars.slice(r.start + 1, r.signatureAt).map((c) => c.ch).join('');
    into.asides.push({ text: letters(raw), raw: raw.replace(/\s+/g, ' ').trim(), line: chars[r.start]!.line });
  }
  chars.forEach((c, k) => {
    if (!syntaxAt.has(k) && counted.test(c.ch)) into.chars.push({ ch: c.ch, line: c.line });
  });
}

function flatText(children: Token[]): string {
  return children.map((c) => (c.type === 'text' || c.type === 'text_special' || c.type === 'code_inline' ? c.content : ' ')).join('');
}

// ── The Portable Text side ───────────────────────────────────────────────────

interface PtSpan {
  _type: 'span';
  text: string;
  marks?: string[];
}
interface PtDef {
  _type: string;
  _key: string;
  href?: string;
  reference?: { _ref: string };
}
interface PtBlock {
  _type: string;
  style?: string;
  listItem?: string;
  level?: number;
  markDefs?: PtDef[];
  children?: Array<PtSpan | PtNote>;
  body?: PtBlock[];
  href?: string;
  /** A link card's reference, or an image's link. */
  link?: { _ref: string } | string;
  url?: string;
  alt?: string;
}
interface PtNote {
  _type: 'editorialNote';
  body: PtBlock[];
}

function readStored(stored: StoredView): Reading {
  const reading: Reading = { chars: [], links: [], headings: [], items: [], quotes: [], asides: [], images: [], title: undefined };
  const pushText = (text: string) => {
    for (const ch of text) if (counted.test(ch)) reading.chars.push({ ch, line: 0 });
  };
  const readSpans = (block: PtBlock) => {
    const defs = new Map((block.markDefs ?? []).map((d) => [d._key, d] as const));
    let openLink: string | undefined;
    for (const child of block.children ?? []) {
      if (child._type === 'editorialNote') {
        openLink = undefined;
        readNote(child as PtNote);
        continue;
      }
      const span = child as PtSpan;
      const linkKey = (span.marks ?? []).find((m) => defs.has(m));
      if (linkKey !== undefined && linkKey !== openLink) reading.links.push({ href: stored.hrefOf(defs.get(linkKey)!) ?? '(missing)', line: 0 });
      openLink = linkKey;
      pushText(span.text);
    }
  };
  const readNote = (note: PtNote) => {
    const before = reading.chars.length;
    for (const b of note.body) readSpans(b);
    reading.asides.push({ text: reading.chars.slice(before).map((c) => c.ch).join(''), line: 0 });
  };
  const readBlocks = (blocks: unknown[]) => {
    for (const raw of blocks as PtBlock[]) {
      if (raw._type === 'editorialNote') readNote(raw as unknown as PtNote);
      else if (raw._type === 'linkCard') reading.links.push({ href: stored.hrefOf(raw as PtDef & { link?: { _ref: string } }) ?? '(missing)', line: 0 });
      else if (raw._type === 'image') reading.images.push({ src: raw.url ?? '(uploaded)', alt: raw.alt ?? '', link: typeof raw.link === 'string' ? raw.link : undefined, line: 0 });
      else if (raw._type === 'block') {
        if (raw.listItem) reading.items.push({ type: raw.listItem, depth: raw.level ?? 1, line: 0 });
        else if (raw.style === 'h3' || raw.style === 'h4') reading.headings.push({ text: letters(spansText(raw)), level: 0, section: false, style: raw.style, line: 0 });
        else if (raw.style === 'blockquote') reading.quotes.push({ depth: raw.level ?? 1, line: 0 });
        readSpans(raw);
      }
    }
  };
  readBlocks(stored.intro);
  for (const section of stored.sections) {
    // The read model leaves out a section with an empty body, so such a heading is lost.
    if (section.body.length === 0) continue;
    reading.headings.push({ text: letters(section.heading), level: 0, section: true, line: 0 });
    pushText(section.heading);
    readBlocks(section.body);
  }
  return reading;
}

function spansText(block: PtBlock): string {
  return (block.children ?? []).map((c) => (c._type === 'span' ? (c as PtSpan).text : '')).join('');
}

function letters(text: string): string {
  return [...text].filter((ch) => counted.test(ch)).join('');
}

/** Same page and same place on it: normalised, but the fragment a reader is sent to still counts. */
function urlKey(url: string): string {
  try {
    return normaliseUrl(url) + new URL(url).hash;
  } catch {
    return url;
  }
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
