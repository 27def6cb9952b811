// What an editorial aside looks like in a back-issue: "[… —Ed.]", brackets escaped or
// not, with the newsletter's own signature (settings field `asideSignature`, default
// "—Ed."). The converter and the fidelity check both find asides through this one
// module, so they can never disagree about what counts as one.

export const defaultAsideSignature = '—Ed.';

export interface AsideSyntax {
  /** The signature stored on each editorial note, without the dash: "Ed.". */
  signature: string;
  /** Matches the signature at the end of an aside's inner text (index = where it starts). */
  closing: RegExp;
  /** Finds a signature anywhere (global), to warn about one outside brackets. */
  loose: RegExp;
}

/** "—Ed." → the note signature "Ed." and patterns accepting any dash spelling before it. */
export function readAsideSyntax(sign: string = defaultAsideSignature): AsideSyntax {
  const name = sign.trim().replace(/^[—–-]+\s*/, '');
  const stem = escapeRegExp(name.replace(/\.$/, ''));
  // An em or en dash may touch the word before it ("thing—Ed."); a hyphen must not
  // ("co-Ed" is a word), so it needs a space, "--" or the start of the text before it.
  const dash = '(?:—|–|--|(?:^|(?<=\\s))-)';
  return {
    signature: name,
    closing: new RegExp(`\\s*${dash}\\s?${stem}\\.?\\s*$`, 'u'),
    loose: new RegExp(`${dash}\\s?${stem}\\b\\.?`, 'gu'),
  };
}

export interface AsideChar {
  ch: string;
  /** Inside inline code: never aside syntax. */
  code: boolean;
}

export interface AsideRange {
  /** Index of the opening bracket. */
  start: number;
  /** Index of the closing bracket. */
  end: number;
  /** Index (inside the range) where the signature starts. */
  signatureAt: number;
}

/**
 * Finds "[… signature]" ranges in a run of characters: brackets outside code, balanced,
 * whose inner text ends with the signature. Escaped brackets count: exports such as
 * Markdown written from HTML escape every bracket, asides included.
 */
export function findAsides(chars: readonly AsideChar[], syntax: AsideSyntax): AsideRange[] {
  const is = (c: AsideChar | undefined, ch: string) => c !== undefined && c.ch === ch && !c.code;
  const ranges: AsideRange[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (!is(chars[i], '[')) continue;
    let depth = 0;
    let close = -1;
    for (let j = i; j < chars.length; j++) {
      if (is(chars[j], '[')) depth++;
      else if (is(chars[j], ']') && --depth === 0) {
        close = j;
        break;
      }
    }
    if (close === -1) continue;
    const inner = chars.slice(i + 1, close).map((c) => c.ch).join('');
    const sig = syntax.closing.exec(inner);
    if (sig) {
      ranges.push({ start: i, end: close, signatureAt: i + 1 + [...inner.slice(0, sig.index)].length });
      i = close;
    }
  }
  return ranges;
}

/** Signatures outside every aside: a missing bracket, or a word that only looks like one. */
export function findStraySignatures(chars: readonly AsideChar[], asides: readonly AsideRange[], syntax: AsideSyntax): number[] {
  const text = chars.map((c) => (c.code ? '\u0001' : c.ch)).join('');
  const offsets = charOffsets(chars);
  const found: number[] = [];
  for (const m of text.matchAll(syntax.loose)) {
    const at = offsets.get(m.index) ?? 0;
    if (!asides.some((r) => at > r.start && at < r.end)) found.push(at);
  }
  return found;
}

/** String offset → char index (chars may hold astral code points of two UTF-16 units). */
function charOffsets(chars: readonly AsideChar[]): Map<number, number> {
  const map = new Map<number, number>();
  let offset = 0;
  chars.forEach((c, i) => {
    map.set(offset, i);
    offset += c.code ? 1 : c.ch.length;
  });
  return map;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
