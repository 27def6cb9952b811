// The fidelity check catches real damage, names the source line and what was lost,
// and is not fooled by a converter that drops, reorders or restyles content.
import { describe, expect, it } from 'vitest';
import { isNewsdeskError, type NewsdeskError } from '../../core/errors.ts';
import { convertMarkdownIssue, type ConvertedIssue } from './map.ts';
import type { StoredBlock, StoredTextBlock } from './shapes.ts';
import { verifyFidelity, type StoredView } from './verify.ts';

const markdown = [
  '# Weekly 5', //  1
  '', //            2
  'Intro with [a link](https://a.example/intro).', // 3
  '', //            4
  '## News', //     5
  '', //            6
  'First [one](https://a.example/1) and [two](https://a.example/2) [an aside —Ed.] end.', // 7
  '', //            8
  '- item one', //  9
  '  - nested', // 10
  '- item two', // 11
  '', //           12
  '> A quote.', // 13
  '', //           14
  '### Sub', //    15
  '', //           16
  '## Jobs', //    17
  '', //           18
  'Last words here.', // 19
  '',
].join('\n');

const convert = () => convertMarkdownIssue(markdown, 'w.md', { date: '2026-01-01' });

function view(c: ConvertedIssue, edit: (sections: Array<{ heading: string; body: StoredBlock[] }>, intro: StoredBlock[]) => void = () => {}): StoredView {
  const copy = structuredClone({ intro: c.intro, sections: c.sections.map((s) => ({ heading: s.heading, body: s.body })) });
  edit(copy.sections, copy.intro);
  return { title: c.title, intro: copy.intro, sections: copy.sections, hrefOf: (d) => d.href };
}

function refusal(edit: Parameters<typeof view>[1]): NewsdeskError {
  const c = convert();
  try {
    verifyFidelity(c, view(c, edit));
  } catch (error) {
    if (isNewsdeskError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const block = (body: StoredBlock[], i: number) => body[i] as StoredTextBlock;

describe('the structural fidelity check', () => {
  it('passes a faithful conversion and counts what it compared', () => {
    const c = convert();
    expect(verifyFidelity(c, view(c))).toEqual({ characters: expect.any(Number), links: 3, headings: 3, listItems: 3, quotes: 1, asides: 1, images: 0 });
  });

  it('refuses a lost word, naming its line and the text around it', () => {
    const error = refusal((s) => {
      const span = block(s[1]!.body, 0).children[0] as { text: string };
      span.text = span.text.replace('words ', '');
    });
    expect(error.code).toBe('IMPORT_FAILED');
    expect(error.message).toMatch(/^w\.md:19: text was lost or changed in conversion: the Markdown reads ".*Lastwordshere/);
  });

  it('refuses a link that points elsewhere, or one that was lost', () => {
    expect(refusal((s) => (block(s[0]!.body, 0).markDefs[1]!.href = 'https://b.example/')).message).toBe('w.md:7: link 3 should go to https://a.example/2 but goes to https://b.example/');
    expect(refusal((_s, intro) => (block(intro, 0).markDefs = [])).message).toMatch(/^w\.md:3: link 1 should go to https:\/\/a\.example\/intro/);
  });

  it('refuses sections that collapsed into sub-headings', () => {
    const error = refusal((s) => {
      const jobs = s.pop()!;
      s[0]!.body.push({ _type: 'block', _key: 'x', style: 'h3', markDefs: [], children: [{ _type: 'span', _key: 'y', text: jobs.heading, marks: [] }] }, ...jobs.body);
    });
    expect(error.message).toBe('w.md:17: this heading should start a section but became a sub-heading');
  });

  it('refuses list items that changed level or count, and quotes that became paragraphs', () => {
    expect(refusal((s) => (block(s[0]!.body, 2).level = 1)).message).toMatch(/^w\.md:10: list item 2 became a bullet item at level 1/);
    expect(refusal((s) => (block(s[0]!.body, 4).style = 'normal')).message).toMatch(/^w\.md:13: the Markdown has 1 quoted paragraph/);
  });

  it('refuses an aside that became plain text', () => {
    const error = refusal((s) => {
      const b = block(s[0]!.body, 0);
      b.children = b.children.map((c) => (c._type === 'editorialNote' ? { _type: 'span', _key: 'n', text: 'an aside', marks: [] } : c));
    });
    expect(error.message).toBe('w.md:7: editorial aside 1 ("an aside") was not kept as an editorial note');
  });
});
