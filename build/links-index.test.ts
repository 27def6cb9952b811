import { describe, expect, it } from 'vitest';
import { collapseSpaces, sentenceRun } from './links-index.ts';

/** The run wordsAround keeps, as first written: grown by joining the sentences and measuring the join. */
function runByJoining(sentences: string[], at: number): [number, number] {
  const maxWords = 320;
  let from = at;
  let to = at + 1;
  const length = () => sentences.slice(from, to).join(' ').length;
  while (length() < maxWords / 2 && (from > 0 || to < sentences.length)) {
    if (to < sentences.length && sentences.slice(from, to + 1).join(' ').length <= maxWords) to++;
    else if (from > 0 && sentences.slice(from - 1, to).join(' ').length <= maxWords) from--;
    else break;
  }
  return [from, to];
}

/** A deterministic stream of numbers in [0, 1). */
function numbers(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('sentenceRun', () => {
  it('keeps the sentences that joining and measuring them kept, around any sentence of paragraphs of every shape', () => {
    const next = numbers(7);
    let grown = 0;
    for (let n = 0; n < 3000; n++) {
      // From one sentence to twenty, of 1 to 200 characters (a few longer than the limit).
      const sentences = Array.from({ length: 1 + Math.floor(next() * 20) }, () => 'x'.repeat(next() < 0.05 ? 300 + Math.floor(next() * 100) : 1 + Math.floor(next() * 200)));
      const at = Math.floor(next() * sentences.length);
      const run = sentenceRun(sentences, at);
      expect(run).toEqual(runByJoining(sentences, at));
      if (run[1] - run[0] > 1) grown++;
    }
    // Most runs took in more than their own sentence.
    expect(grown).toBeGreaterThan(1500);
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
