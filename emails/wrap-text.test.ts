import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { displayWidth, glue, loneEmoji, noneWide, oneColumnEach, wrapText } from './wrap-text.ts';

const zh =
  '新版本把输出从文档里移了出来，这样文件更小，合并也更容易。我们说：「这是一次很大的变化。」' +
  '维护者希望大家在正式发布之前试用测试版，并在论坛上反馈遇到的问题，尤其是升级旧文档时的问题。';
const ja = 'ちょっと待ってください。新しいバージョンでは、出力がスレートの外に保存されるようになりました。ぜひ試してみてください！';

describe('wrapping plain text by display width', () => {
  it('counts CJK characters as two columns and fills each line as far as the width allows', () => {
    const lines = wrapText(zh, { width: 30 });
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(30);
    // Greedy: a line ends early only when the next character could not fit or may not start a line.
    for (const line of lines.slice(0, -1)) expect(stringWidth(line)).toBeGreaterThanOrEqual(26);
    expect(lines.join('')).toBe(zh);
  });

  it('never starts a line with closing punctuation or a small kana, nor ends one with an opening bracket', () => {
    for (const width of [10, 11, 12, 13, 17, 23]) {
      for (const text of [zh, ja]) {
        const lines = wrapText(text, { width });
        expect(lines.join('')).toBe(text);
        for (const line of lines.slice(1)) expect(line, `width ${width}: ${line}`).not.toMatch(/^[。，、：；！？」』）ょっゃゅ]/u);
        for (const line of lines) expect(line, `width ${width}: ${line}`).not.toMatch(/[「『（]$/u);
      }
    }
  });

  it('never breaks a URL, an email address or a Latin word that sits inside CJK text', () => {
    const text = '详情请访问https://docs.example.org/guide/upgrading-to-3.0了解更多，或者写信给maintainers@example.org询问，也可以使用marrow-upgrade命令。';
    for (const width of [16, 20, 24, 30, 40]) {
      const lines = wrapText(text, { width });
      expect(lines.join('')).toBe(text);
      for (const whole of ['https://docs.example.org/guide/upgrading-to-3.0', 'maintainers@example.org', 'marrow-upgrade']) {
        expect(lines.some((line) => line.includes(whole)), `width ${width}: ${whole}`).toBe(true);
      }
    }
  });

  it('keeps a word longer than the line whole, on a line of its own', () => {
    const long = 'supercalifragilisticexpialidocious-and-then-some';
    expect(wrapText(`short words then ${long} and more`, { width: 20 })).toEqual(['short words then', long, 'and more']);
    expect(wrapText(`中文${long}中文`, { width: 20 })).toEqual(['中文', long, '中文']);
  });

  it('counts an emoji as two columns and keeps its modifiers and joined parts together', () => {
    const text = 'Ship it 🚀🚀🚀 today 👩🏽‍💻👩🏽‍💻 now';
    const lines = wrapText(text, { width: 10 });
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(10);
    expect(lines.join(' ')).toContain('👩🏽‍💻');
    expect(lines.every((line) => !/^\u200d|\u200d$/.test(line))).toBe(true);
  });

  it('counts a combining accent as no column at all', () => {
    const word = 'cafe\u0301';
    expect(wrapText(`${word} ${word} ${word}`, { width: 15 })).toEqual([`${word} ${word} ${word}`]);
  });

  it('keeps glued words together in CJK text, and turns the glue into a space', () => {
    const lines = wrapText(`这是一个很长的句子，后面跟着一个链接${glue}[12]`, { width: 12 });
    expect(lines.at(-1)).toMatch(/接 \[12\]$/);
  });

  it('measures prefixes by width too, and indents continuation lines with the rest prefix', () => {
    const lines = wrapText('一二三四五六七八九十一二三四五六七八九十', { width: 14, first: '  - ', rest: '    ' });
    expect(lines[0]).toBe('  - 一二三四五');
    expect(lines[1]).toBe('    六七八九十');
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(14);
  });
});

describe('the shortcut for words without wide characters', () => {
  it('covers only characters that form no wide grapheme, alone or after any other of them', () => {
    const chars: string[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      const ch = String.fromCharCode(cp);
      // The private use area is one class (narrow, no combining): three of it stand for all.
      if (noneWide.test(ch) && (cp < 0xe000 || [0xe000, 0xe001, 0xf8ff].includes(cp))) chars.push(ch);
    }
    expect(chars.length).toBeGreaterThan(900);
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const wide: string[] = [];
    const oneGrapheme = (text: string) => [...segmenter.segment(text)].length === 1;
    // A pair is one grapheme only when the second extends (a combining mark, a joiner) or the first prepends.
    const extending = chars.filter((c) => oneGrapheme(`a${c}`) || oneGrapheme(`\r${c}`));
    const prepending = new Set(chars.filter((c) => oneGrapheme(`${c}a`)));
    for (const first of chars) {
      if (stringWidth(first) >= 2) wide.push(first);
      for (const second of prepending.has(first) ? chars : extending) {
        const pair = first + second;
        // Only pairs that make one grapheme can be wider than their parts.
        if ([...segmenter.segment(pair)].length === 1 && stringWidth(pair) >= 2) wide.push(pair);
      }
    }
    expect(wide.map((w) => [...w].map((c) => c.codePointAt(0)!.toString(16)).join('+'))).toEqual([]);
  });
});

describe('the shortcut for text measured by its length', () => {
  it('covers only characters string-width counts as one column, none joining a neighbour into one grapheme', () => {
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const oneGrapheme = (text: string) => [...segmenter.segment(text)].length === 1;
    const covered: string[] = [];
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      const ch = String.fromCharCode(cp);
      if (!oneColumnEach.test(ch)) continue;
      covered.push(ch);
      // One column alone, and never part of a grapheme with a neighbour (so a run of them is as wide as it is long).
      if (stringWidth(ch) !== 1 || oneGrapheme(`a${ch}`) || oneGrapheme(`${ch}a`) || oneGrapheme(`\u{1F600}${ch}`)) wrong.push(cp.toString(16));
    }
    expect(covered.length).toBeGreaterThan(7000);
    expect(wrong).toEqual([]);
  });

  it('measures text with other characters by string-width', () => {
    for (const text of ['plain words', '“Curly” quotes — and dashes…', 'Café naïve façade', '漢字の幅', 'emoji 👍🏽 here', 'e\u0301 combining', 'soft\u00adhyphen', 'zero\u200bwidth'])
      expect(displayWidth(text), text).toBe(stringWidth(text));
  });

  it('counts a lone emoji two columns, as string-width does, beside any one-column character, and leaves joined emoji to string-width', () => {
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const graphemes = (text: string) => [...segmenter.segment(text)].length;
    const covered: string[] = [];
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      if (!loneEmoji.test(ch)) continue;
      covered.push(ch);
      // Two columns alone, and its own grapheme between one-column characters and beside another lone emoji.
      const beside = `a${ch}é${ch}${ch}\u2014`;
      if (stringWidth(ch) !== 2 || displayWidth(ch) !== 2 || graphemes(beside) !== 6 || stringWidth(beside) !== 9 || displayWidth(beside) !== 9) wrong.push(cp.toString(16));
    }
    expect(covered.length).toBeGreaterThan(1000);
    expect(wrong).toEqual([]);
    // A flag, a skin tone, a selector, a keycap and a family: string-width's answers, whatever they are.
    for (const text of ['Rust 🦀 weekly ✅', 'hi 👋🏽', 'vive la 🇫🇷', 'love ❤️', 'press 1️⃣', 'family 👨‍👩‍👧', 'tone 🏽 alone', '🦀\ufe0e text style'])
      expect(displayWidth(text), text).toBe(stringWidth(text));
  });
});
