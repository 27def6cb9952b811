// Word wrapping for the plain-text part: greedy, by code point, with a prefix for the
// first and following lines (list markers, "> " quotes). URLs are never broken, since a
// broken URL is a dead link; other words longer than a line are split.

/** Joins two words so that wrapping never separates them; becomes a plain space in the output. */
export const glue = '\uE000';

const urlLike = /(?:[a-z][a-z0-9+.-]*:\/\/|mailto:)\S/i;

export interface WrapOptions {
  width: number;
  /** Prefix of the first line, e.g. "  - ". */
  first?: string;
  /** Prefix of the following lines, e.g. "    ". Defaults to `first`. */
  rest?: string;
}

/** Wraps text to lines no wider than `width`, except lines holding a URL that alone is wider. */
export function wrapText(text: string, options: WrapOptions): string[] {
  const first = options.first ?? '';
  const rest = options.rest ?? first;
  const lines: string[] = [];
  let prefix = first;
  for (const hardLine of text.split('\n')) {
    let line = '';
    const flush = () => {
      lines.push((prefix + line).replace(/\s+$/, ''));
      prefix = rest;
      line = '';
    };
    for (const word of hardLine.split(/[ \t]+/).filter((w) => w !== '')) {
      const room = options.width - length(prefix);
      const candidate = line === '' ? word : `${line} ${word}`;
      if (length(candidate) <= room) {
        line = candidate;
        continue;
      }
      if (line !== '') flush();
      const freshRoom = options.width - length(prefix);
      if (length(word) <= freshRoom || urlLike.test(word) || freshRoom < 8) {
        line = word;
        continue;
      }
      const chars = [...word];
      const piece = () => Math.max(8, options.width - length(prefix));
      while (chars.length > piece()) {
        line = chars.splice(0, piece()).join('');
        flush();
      }
      line = chars.join('');
    }
    if (line !== '' || lines.length === 0 || hardLine.trim() === '') flush();
  }
  return lines.map((l) => l.replaceAll(glue, ' '));
}

/** Length in code points, so "é" or "—" counts as one column. */
function length(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
