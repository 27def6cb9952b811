import { describe, expect, it } from 'vitest';
import { collapseSpaces, wordsAround } from './links-index.ts';

/** What wordsAround keeps, as first written: the run of sentences grows by joining them and measuring the join. */
function wordsAroundByJoining(text: string, marked: string): string {
  const maxWords = 320;
  if (text.length <= maxWords) return text;
  const sentences = text.split(/(?<=[.!?…])\s+/);
  let at = marked ? sentences.findIndex((s) => s.includes(marked)) : -1;
  if (at < 0) at = 0;
  let from = at;
  let to = at + 1;
  const length = () => sentences.slice(from, to).join(' ').length;
  while (length() < maxWords / 2 && (from > 0 || to < sentences.length)) {
    if (to < sentences.length && sentences.slice(from, to + 1).join(' ').length <= maxWords) to++;
    else if (from > 0 && sentences.slice(from - 1, to).join(' ').length <= maxWords) from--;
    else break;
  }
  let words = sentences.slice(from, to).join(' ');
  if (words.length > maxWords) {
    const centre = marked ? Math.max(0, words.indexOf(marked)) : 0;
    const start = Math.max(0, Math.min(centre - maxWords / 3, words.length - maxWords));
    const cut = words.slice(start, start + maxWords);
    words = `${start > 0 ? '…' : ''}${cut.trim()}${start + maxWords < words.length ? '…' : ''}`;
  } else {
    words = `${from > 0 ? '… ' : ''}${words}${to < sentences.length ? ' …' : ''}`;
  }
  return words;
}

/** A deterministic stream of numbers in [0, 1). */
function numbers(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('wordsAround', () => {
  it('keeps the sentences that joining and measuring them kept, for paragraphs of every shape', () => {
    const next = numbers(7);
    const word = () => 'abcdefghij'.slice(0, 1 + Math.floor(next() * 10));
    let checked = 0;
    for (let n = 0; n < 2000; n++) {
      // Sentences from one word to a run longer than the limit, ended by . ! ? or …, with one or more spaces between.
      const sentences = Array.from({ length: 1 + Math.floor(next() * 14) }, () => {
        const length = next() < 0.1 ? 60 + Math.floor(next() * 40) : 1 + Math.floor(next() * 16);
        return `${Array.from({ length }, word).join(' ')}${'.!?…'[Math.floor(next() * 4)]}`;
      });
      const text = sentences.join(next() < 0.2 ? '  ' : ' ');
      const pick = sentences[Math.floor(next() * sentences.length)]!;
      const marked = next() < 0.2 ? '' : next() < 0.1 ? 'not in the text' : pick.slice(0, 12);
      expect(wordsAround(text, marked)).toBe(wordsAroundByJoining(text, marked));
      if (text.length > 320) checked++;
    }
    // Most paragraphs were long enough to be cut.
    expect(checked).toBeGreaterThan(1000);
  });
});

describe('collapseSpaces', () => {
  it('is replace(/\\s+/g, " ").trim(), and hands back a text that needs nothing as it is', () => {
    const texts = [
      '',
      ' ',
      'plain words with single spaces',
      ' leading',
      'trailing ',
      'two  spaces',
      'tab\there',
      'new\nline',
      'no-break\u00a0space',
      'line\u2028separator',
      '\ufeffbyte order mark',
      'ideographic\u3000space',
      'thin\u2009space and narrow\u202fno-break',
      'a\r\nb',
      '\t\n',
      'ends with newline\n',
    ];
    for (const text of texts) expect(collapseSpaces(text)).toBe(text.replace(/\s+/g, ' ').trim());
    const plain = ['plain words with single spaces', 'x'].join(' ');
    expect(collapseSpaces(plain)).toBe(plain);
  });
});
