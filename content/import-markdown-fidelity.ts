// The import's fidelity check: the converted issue, rendered to plain text by the same
// renderer the email uses, is compared with the Markdown it came from. Every link URL
// must be there in the same order, every "[… —Ed.]" aside must be there, and no
// paragraph may lose a word. The source side is read straight from the Markdown (with
// markdown-it only for block boundaries and link targets), not from the converter's
// output, so a converter bug cannot hide itself.
import type Token from 'markdown-it/lib/token.mjs';
import { importError, markdown } from './import-markdown.ts';
import { normaliseUrl, parseHttpUrl } from './normalize-url.ts';

export interface FidelityReport {
  links: number;
  asides: number;
  paragraphs: number;
}

interface SourceParagraph {
  line: number;
  words: string[];
  preview: string;
}

/** Throws IMPORT_FAILED naming the first URL, aside or paragraph the rendered text lost. */
export function checkImportFidelity(source: string, renderedText: string, file: string, options: { skipLines?: number[] } = {}): FidelityReport {
  const { body, bodyLine } = stripFrontMatter(source);
  const tokens = markdown().parse(body, {});

  // 1. Links: every http(s) target, first occurrences in order.
  const sourceUrls: Array<{ url: string; line: number }> = [];
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.type !== 'inline') continue;
    walkInline(token.children ?? [], (child) => {
      const href = child.type === 'link_open' ? child.attrGet('href') : child.type === 'image' ? child.attrGet('src') : null;
      if (!href || !parseHttpUrl(href)) return;
      const n = urlKey(href);
      if (!seen.has(n)) {
        seen.add(n);
        sourceUrls.push({ url: href, line: (token.map?.[0] ?? 0) + bodyLine });
      }
    });
  }
  const renderedUrls: string[] = [];
  const renderedSeen = new Set<string>();
  for (const m of renderedText.matchAll(/https?:\/\/[^\s<>"\]]+/g)) {
    const url = m[0].replace(/[.,;:!?)]+$/, '');
    if (!parseHttpUrl(url)) continue;
    const n = urlKey(url);
    if (!renderedSeen.has(n)) {
      renderedSeen.add(n);
      renderedUrls.push(n);
    }
  }
  const wanted = new Set(sourceUrls.map((u) => urlKey(u.url)));
  const renderedOrder = renderedUrls.filter((u) => wanted.has(u));
  for (const [i, { url, line }] of sourceUrls.entries()) {
    const n = urlKey(url);
    if (!renderedSeen.has(n)) throw lost(file, line, `the link ${url} is missing from the converted issue`);
    if (renderedOrder[i] !== n) throw lost(file, line, `the link ${url} is out of order in the converted issue (link ${i + 1} of ${sourceUrls.length})`);
  }

  // 2. Asides: "[… —Ed.]" in the source text (escapes and link targets removed) against the rendered "[… —Ed.]".
  const paragraphs = sourceParagraphs(tokens, bodyLine).filter((p) => !options.skipLines?.includes(p.line));
  const sourceAsides = paragraphs.flatMap((p) => findAsideTexts(p.raw).map((text) => ({ line: p.line, words: words(text), text })));
  const renderedAsides = findAsideTexts(renderedText.replace(/\[\d+\]/g, '').replace(/\s+/g, ' ')).map((t) => words(t).join(' '));
  let cursor = 0;
  for (const [i, aside] of sourceAsides.entries()) {
    const wantedWords = aside.words.join(' ');
    const found = renderedAsides.indexOf(wantedWords, cursor);
    if (found === -1) throw lost(file, aside.line, `editorial aside ${i + 1} ("${shorten(aside.text)}") is missing from the converted issue`);
    cursor = found + 1;
  }

  // 3. Paragraph words: each source paragraph's words appear in order in the rendered text.
  const renderedWords = words(renderedText.replace(/\[\d+\]/g, ' ').replace(/https?:\/\/\S+/g, ' '));
  let at = 0;
  for (const p of paragraphs.map((x) => ({ line: x.line, words: words(x.text), preview: x.text }) satisfies SourceParagraph)) {
    if (p.words.length === 0) continue;
    const start = renderedWords.indexOf(p.words[0]!, at);
    if (start === -1) throw lost(file, p.line, `the paragraph "${shorten(p.preview)}" is missing from the converted issue`);
    let pos = start;
    for (const word of p.words.slice(1)) {
      // A few rendered tokens may sit between two source words (list markers, "Image:", the note's signature).
      const next = renderedWords.slice(pos + 1, pos + 5).indexOf(word);
      if (next === -1) throw lost(file, p.line, `the paragraph "${shorten(p.preview)}" lost words in conversion (after "${renderedWords.slice(Math.max(start, pos - 3), pos + 1).join(' ')}", "${word}" is missing)`);
      pos += next + 1;
    }
    at = pos + 1;
  }
  return { links: sourceUrls.length, asides: sourceAsides.length, paragraphs: paragraphs.length };
}

/** Same page and same place on it: normalised, but the fragment a reader is sent to still counts. */
function urlKey(url: string): string {
  return normaliseUrl(url) + new URL(url).hash;
}

function lost(file: string, line: number, message: string) {
  return importError(file, line, message, 'Nothing was stored. Simplify the Markdown around that line (or report the converter bug) and import again.');
}

function stripFrontMatter(source: string): { body: string; bodyLine: number } {
  const lines = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  if (lines[0]?.trim() !== '---') return { body: lines.join('\n'), bodyLine: 1 };
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
  return end === -1 ? { body: lines.join('\n'), bodyLine: 1 } : { body: lines.slice(end + 1).join('\n'), bodyLine: end + 2 };
}

function walkInline(children: Token[], visit: (t: Token) => void): void {
  for (const child of children) {
    visit(child);
    if (child.children) walkInline(child.children, visit);
  }
}

/** Paragraphs, headings and list items as raw source text (markup stripped for words). */
function sourceParagraphs(tokens: Token[], bodyLine: number): Array<{ line: number; raw: string; text: string }> {
  const out: Array<{ line: number; raw: string; text: string }> = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if ((t.type !== 'paragraph_open' && t.type !== 'heading_open') || !t.map) continue;
    const inline = tokens[i + 1]!;
    // The inline token's content is the paragraph without block markers (>, -, 1., #, setext underline).
    const raw = inline.content;
    out.push({ line: t.map[0] + bodyLine, raw: stripMarkup(raw), text: stripMarkup(raw) });
  }
  return out;
}

/** Markdown inline markup out, words in: link text kept, targets dropped, escapes resolved. */
function stripMarkup(raw: string): string {
  let text = raw.replace(/!\[([^\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+"[^"]*")?\)/g, '$1');
  // Innermost links first, so a link inside an aside's brackets unwraps before the aside is read.
  for (let before = ''; before !== text; ) {
    before = text;
    text = text.replace(/(^|[^\\])\[((?:[^[\]\\]|\\.)*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+"[^"]*")?\)/g, '$1$2');
  }
  text = text.replace(/<(https?:\/\/[^>]+)>/g, '$1');
  text = text.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&nbsp;/g, ' ');
  // Escaped brackets are text, never aside syntax: park them where the aside finder cannot see them.
  text = text.replace(/\\\[/g, '\u2045').replace(/\\\]/g, '\u2046').replace(/\\(.)/g, '$1');
  return text;
}

/** The inner text of every "[… —Ed.]" in a stretch of text (no nested asides). */
function findAsideTexts(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '[') continue;
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      if (text[j] === '[') depth++;
      else if (text[j] === ']' && --depth === 0) {
        const inner = text.slice(i + 1, j);
        const sig = /\s*(?:—|–|--|-)\s?Ed\.?\s*$/.exec(inner);
        if (sig) {
          out.push(inner.slice(0, sig.index).replace(/[*_`]/g, '').trim());
          i = j;
        }
        break;
      }
    }
  }
  return out;
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
}
