// One paragraph's inline tokens → Portable Text spans: characters carry their marks
// (decorators, the link they sit in, whether they are code), asides are cut out of
// that character run as editorial notes, and runs of equal marks become spans. Working
// on characters keeps brackets inside link text, links glued to words and emphasis
// that crosses an aside's bracket exactly where the writer put them.
import type Token from 'markdown-it/lib/token.mjs';
import { findAsides, findStraySignatures, type AsideSyntax } from './aside-syntax.ts';
import type { ImportWarning } from './errors.ts';
import type { ImportedAside, ImportedLink, ImportedLinkDef, StoredNote, StoredSpan } from './shapes.ts';

export interface Char {
  ch: string;
  decorators: string[];
  /** Index into the paragraph's link list, when inside a link. */
  link: number | undefined;
  code: boolean;
}

export interface InlineContext {
  keys: () => string;
  syntax: AsideSyntax;
  line: number;
  links: ImportedLink[];
  asides: ImportedAside[];
  warnings: ImportWarning[];
  stats: { strong: number; em: number; code: number };
}

/** Characters with their marks; `hrefs` receives one entry per link, in the order links open. */
export function toChars(tokens: Token[], hrefs: string[], stats?: InlineContext['stats']): Char[] {
  const chars: Char[] = [];
  const decorators: string[] = [];
  const openLinks: number[] = [];
  const push = (text: string, code = false) => {
    for (const ch of text) chars.push({ ch, decorators: code ? [...decorators, 'code'] : [...decorators], link: openLinks.at(-1), code });
  };
  for (const t of tokens) {
    switch (t.type) {
      case 'text':
      case 'text_special':
        push(t.content);
        break;
      case 'softbreak':
        push(' ');
        break;
      case 'hardbreak':
        push('\n');
        break;
      case 'code_inline':
        if (stats) stats.code++;
        push(t.content, true);
        break;
      case 'strong_open':
      case 'em_open':
      case 's_open': {
        const name = decoratorName(t.type);
        if (stats && name !== 'strike-through') stats[name]++;
        decorators.push(name);
        break;
      }
      case 'strong_close':
      case 'em_close':
      case 's_close': {
        const at = decorators.lastIndexOf(decoratorName(t.type));
        if (at !== -1) decorators.splice(at, 1);
        break;
      }
      case 'link_open':
        hrefs.push(t.attrGet('href') ?? '');
        openLinks.push(hrefs.length - 1);
        break;
      case 'link_close':
        openLinks.pop();
        break;
      default:
        push(t.content ?? '');
    }
  }
  return chars;
}

function decoratorName(type: string): 'strong' | 'em' | 'strike-through' {
  return type.startsWith('strong') ? 'strong' : type.startsWith('em') ? 'em' : 'strike-through';
}

export interface ConvertedInline {
  markDefs: ImportedLinkDef[];
  children: Array<StoredSpan | StoredNote>;
  /** The paragraph is one aside and nothing else. */
  wholeNote: StoredNote | undefined;
}

export function convertInline(tokens: Token[], ctx: InlineContext): ConvertedInline {
  const hrefs: string[] = [];
  const chars = toChars(tokens, hrefs, ctx.stats);
  // Soft-wrapped source lines may leave a stray space at either end; code keeps its indentation.
  while (chars[0]?.ch === ' ' && !chars[0].code) chars.shift();
  while (chars.at(-1)?.ch === ' ' && !chars.at(-1)!.code) chars.pop();
  const asides = findAsides(chars, ctx.syntax);
  for (const at of findStraySignatures(chars, asides, ctx.syntax)) {
    ctx.warnings.push({ line: ctx.line, kind: 'aside', message: `"${snippet(chars, at)}" looks like an aside signature outside brackets; kept as text (write [… ${ctx.syntax.signature}] to make it an editorial note)` });
  }

  // One markDef per link occurrence, in the order links open in the source.
  const linkKeys = hrefs.map(() => ctx.keys());
  const used = new Set<number>();
  const children: Array<StoredSpan | StoredNote> = [];
  let at = 0;
  for (const range of asides) {
    children.push(...spansOf(chars.slice(at, range.start), linkKeys, used, ctx));
    let body = chars.slice(range.start + 1, range.signatureAt);
    while (body[0]?.ch.trim() === '') body = body.slice(1);
    while (body.length && body.at(-1)!.ch.trim() === '') body = body.slice(0, -1);
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
      signature: ctx.syntax.signature,
    });
    ctx.asides.push({ text: body.map((c) => c.ch).join('').trim(), placement: 'inline', line: ctx.line });
    at = range.end + 1;
  }
  children.push(...spansOf(chars.slice(at), linkKeys, used, ctx));
  const markDefs = [...used].sort((a, b) => a - b).map((i) => ({ _type: 'externalLink' as const, _key: linkKeys[i]!, href: hrefs[i]! }));
  recordLinksInOrder(ctx, chars, hrefs);
  const only = children.filter((c) => !(c._type === 'span' && c.text.trim() === ''));
  const wholeNote = only.length === 1 && only[0]!._type === 'editorialNote' ? only[0] : undefined;
  return { markDefs, children: children.length ? children : [{ _type: 'span', _key: ctx.keys(), text: '', marks: [] }], wholeNote };
}

/** Adds this paragraph's links to the issue's list in reading order, notes' links included. */
function recordLinksInOrder(ctx: InlineContext, chars: Char[], hrefs: string[]): void {
  const order: number[] = [];
  for (const c of chars) if (c.link !== undefined && !order.includes(c.link)) order.push(c.link);
  for (const i of order) ctx.links.push({ href: hrefs[i]!, text: chars.filter((c) => c.link === i).map((c) => c.ch).join('').trim(), line: ctx.line });
}

function spansOf(chars: Char[], linkKeys: string[], usedLinks: Set<number>, ctx: InlineContext): StoredSpan[] {
  const spans: StoredSpan[] = [];
  let current: { marks: string[]; key: string; text: string } | undefined;
  for (const c of chars) {
    const marks = [...new Set(c.decorators)];
    if (c.link !== undefined) {
      usedLinks.add(c.link);
      marks.push(linkKeys[c.link]!);
    }
    const key = marks.join('\u0000');
    if (current && current.key === key) current.text += c.ch;
    else {
      if (current) spans.push({ _type: 'span', _key: ctx.keys(), text: current.text, marks: current.marks });
      current = { marks, key, text: c.ch };
    }
  }
  if (current) spans.push({ _type: 'span', _key: ctx.keys(), text: current.text, marks: current.marks });
  return spans;
}

/** The text of inline tokens without any markup (titles, headings, meta lines). */
export function plainInline(tokens: Token[]): string {
  return toChars(tokens, []).map((c) => c.ch).join('');
}

function snippet(chars: Char[], at: number): string {
  return chars.slice(Math.max(0, at - 30), at + 6).map((c) => c.ch).join('').replace(/\s+/g, ' ').trim();
}
