// Word wrapping for the plain-text part: greedy, by display width (a CJK character or
// an emoji takes two columns, a combining mark none: string-width), with a prefix for
// the first and following lines (list markers, "> " quotes).
//
// Lines break at spaces, and inside runs of Chinese or Japanese (which have no spaces)
// between characters where Unicode's line breaking rules allow it (css-line-break, strict
// kinsoku: never before 。，」 or a small kana, never after 「). Never inside a Latin
// word, a URL or an address, even one embedded in CJK text: a broken URL is a dead link,
// so a word longer than the line stays whole on a line of its own.
import { createRequire } from 'node:module';
import { LineBreaker } from 'css-line-break';

/**
 * Characters string-width counts as one column each, none joining a neighbour into one
 * grapheme (wrap-text.test.ts checks each of them): printable ASCII, Latin letters with
 * their accents (precomposed), general punctuation (dashes, curly quotes, ellipsis) and the
 * private use area (the glue). Text of these alone, most of an issue in a Western language,
 * is measured by its length, without string-width's grapheme work.
 */
const oneColumn = '[\\x20-\\x7e\\u00a0-\\u00ac\\u00ae-\\u02ff\\u2010-\\u2027\\u2030-\\u205e\\ue000-\\uf8ff]';
export const oneColumnEach = new RegExp(`^${oneColumn}*$`);

/**
 * string-width, loaded when text outside oneColumnEach is first measured: building its
 * emoji and property patterns costs a new process a few tens of milliseconds that text
 * of those characters alone never needs.
 */
let stringWidthOf: ((text: string) => number) | undefined;
function stringWidth(text: string): number {
  stringWidthOf ??= (createRequire(import.meta.url)('string-width') as { default: (text: string) => number }).default;
  return stringWidthOf(text);
}

/**
 * Emoji that stand alone in two columns (Emoji_Presentation), as string-width counts each on
 * its own: not a regional indicator (two make one flag) nor a skin tone (it joins the emoji
 * before it), and followed by nothing that would join them (a selector, a joiner, a keycap
 * mark: none is in oneColumnEach). A newsletter's text has a few (🦀, ✅); measured here, a
 * process that renders them never loads string-width, whose first use cost 45-50 ms.
 */
export const loneEmoji = new RegExp('[\\p{Emoji_Presentation}--[\\p{Regional_Indicator}\\p{Emoji_Modifier}]]', 'v');
const oneColumnOrLoneEmoji = new RegExp(`^(?:${oneColumn}|${loneEmoji.source})*$`, 'v');

/** Columns a string takes (see oneColumnEach and loneEmoji); the rest by string-width. */
export function displayWidth(text: string): number {
  if (oneColumnEach.test(text)) return text.length;
  if (oneColumnOrLoneEmoji.test(text)) {
    let width = 0;
    for (const character of text) width += character.length === 1 && !loneEmoji.test(character) ? 1 : 2;
    return width;
  }
  // The same words come back in every issue (a reference glued to its word is not ASCII): remember them.
  let width = widths.get(text);
  if (width === undefined) {
    if (widths.size >= maxRemembered) widths.clear();
    widths.set(text, (width = stringWidth(text)));
  }
  return width;
}

const widths = new Map<string, number>();
const maxRemembered = 20_000;

/** Joins two words so that wrapping never separates them; becomes a plain space in the output. */
export const glue = '\uE000';

export interface WrapOptions {
  width: number;
  /** Prefix of the first line, e.g. "  - ". */
  first?: string;
  /** Prefix of the following lines, e.g. "    ". Defaults to `first`. */
  rest?: string;
}

/** Wraps text to lines no wider than `width` columns, except lines holding one word that alone is wider. */
export function wrapText(text: string, options: WrapOptions): string[] {
  const first = options.first ?? '';
  const rest = options.rest ?? first;
  const lines: string[] = [];
  let prefix = first;
  for (const hardLine of text.split('\n')) {
    let line = '';
    let used = 0;
    let room = options.width - displayWidth(prefix);
    const flush = () => {
      lines.push((prefix + line).replace(/\s+$/, ''));
      prefix = rest;
      room = options.width - displayWidth(prefix);
      line = '';
      used = 0;
    };
    const add = (piece: string, pieceWidth: number, separator: string) => {
      if (line !== '') {
        line += separator;
        used += separator.length;
      }
      line += piece;
      used += pieceWidth;
    };
    // Most lines are of one-column characters alone (oneColumnEach, all narrow: noneWide): each
    // word one unit as wide as it is long, without a test of each word and unit.
    const narrow = oneColumnEach.test(hardLine);
    for (const word of hardLine.split(/[ \t]+/)) {
      if (word === '') continue;
      if (narrow) {
        if (line !== '' && used + 1 + word.length > room) flush();
        add(word, word.length, ' ');
        continue;
      }
      const units = breakableUnits(word);
      let separator = ' ';
      for (const unit of units) {
        const unitWidth = displayWidth(unit);
        if (line !== '' && used + separator.length + unitWidth > room) flush();
        add(unit, unitWidth, separator);
        separator = '';
      }
    }
    if (line !== '' || lines.length === 0 || hardLine.trim() === '') flush();
  }
  return lines.map((l) => l.replaceAll(glue, ' '));
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The pieces a space-free word may be broken into: the whole word unless it holds wide
 * characters, else the pieces between Unicode line break opportunities that touch a
 * wide character. Runs of narrow characters (a Latin word, a URL, an address, a
 * reference glued to its text) stay in one piece.
 */
function breakableUnits(word: string): string[] {
  // Pieces join unless a wide character touches the break: a word without one stays whole.
  if (noneWide.test(word)) return [word];
  const breaker = LineBreaker(word, { lineBreak: 'strict', wordBreak: 'normal' });
  const units: string[] = [];
  for (let next = breaker.next(); !next.done; next = breaker.next()) {
    const piece = next.value.slice();
    const previous = units.at(-1);
    if (previous !== undefined && !isBreakBetween(previous, piece)) units[units.length - 1] = previous + piece;
    else units.push(piece);
  }
  return units;
}

/**
 * Words made only of characters that are never wide, alone or combined (wrap-text.test.ts
 * checks every pair): Latin with its accents and combining marks, general punctuation
 * (dashes, quotes) and the private use area (the glue), which string-width counts as
 * narrow. Emoji need a selector, keycap or regional indicator from outside these ranges.
 */
export const noneWide = /^[\u0000-\u036f\u2000-\u206f\ue000-\uf8ff]*$/;

function isBreakBetween(before: string, after: string): boolean {
  if (before.endsWith(glue) || after.startsWith(glue)) return false;
  const last = [...graphemes.segment(before)].at(-1)?.segment ?? '';
  const firstOfAfter = graphemes.segment(after)[Symbol.iterator]().next().value?.segment ?? '';
  return isWide(last) || isWide(firstOfAfter);
}

function isWide(grapheme: string): boolean {
  return displayWidth(grapheme) >= 2;
}
