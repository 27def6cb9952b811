// Images and document structure as back-issues write them, each in a minimal example:
// the Portable Text the converter makes, the warnings it gives, that the fidelity check
// (run by planIssueImport on exactly what would be stored) passes it, and that the check
// refuses a conversion that would lose the construct.
import { describe, expect, it } from 'vitest';
import { isNewsdeskError } from '../../core/errors.ts';
import { convertMarkdownIssue, type ConvertedIssue } from './map.ts';
import { planIssueImport, type Library } from './plan.ts';
import type { StoredBlock, StoredTextBlock } from './shapes.ts';
import { verifyFidelity } from './verify.ts';

const now = () => new Date('2026-03-20T08:00:00Z');
const emptyLibrary = (): Library => ({ links: new Map(), linkUrls: new Map(), issues: new Map(), tags: new Map() });

function importOf(markdown: string, options: Parameters<typeof convertMarkdownIssue>[2] = {}) {
  const converted = convertMarkdownIssue(markdown, 'x.md', { number: 1, date: '2026-01-01', ...options });
  const plan = planIssueImport(converted, emptyLibrary(), { now });
  return { converted, fidelity: plan.summary.fidelity };
}

/** Each block as a short readable shape: [style or type, text or url, extra]. */
function shapeOf(blocks: StoredBlock[]): unknown[] {
  return blocks.map((b) => {
    if (b._type === 'image') return ['image', b.url, b.alt ?? null, b.link ?? null];
    if (b._type !== 'block') return [b._type];
    const text = b.children.map((c) => (c._type === 'span' ? c.text : '[note]')).join('');
    return [b.listItem ? `${b.listItem}${b.level}` : b.style, text, ...(b.style === 'blockquote' && !b.listItem && b.level ? [b.level] : [])];
  });
}

const messages = (c: ConvertedIssue) => c.warnings.map((w) => `${w.line}: ${w.message}`);

/** The fidelity check on the converted issue after `edit` changed what would be stored. */
function refusalOf(c: ConvertedIssue, edit: (intro: StoredBlock[], sections: Array<{ heading: string; body: StoredBlock[] }>) => void): string {
  const copy = structuredClone({ intro: c.intro, sections: c.sections.map((s) => ({ heading: s.heading, body: s.body })) });
  edit(copy.intro, copy.sections);
  try {
    verifyFidelity(c, { title: c.title, intro: copy.intro, sections: copy.sections, hrefOf: (d) => d.href });
  } catch (error) {
    if (isNewsdeskError(error)) return error.message;
    throw error;
  }
  throw new Error('expected the fidelity check to refuse');
}

describe('images', () => {
  it('keeps a linked image as an image block with its alt text and link, not as a text link', () => {
    const { converted, fidelity } = importOf('# T\n\n[![Harbour at dawn](https://pics.example/harbour.png)](https://pics.example/)\n');
    expect(converted.intro).toEqual([{ _type: 'image', _key: expect.any(String), url: 'https://pics.example/harbour.png', alt: 'Harbour at dawn', link: 'https://pics.example/' }]);
    expect(converted.links).toEqual([]);
    expect(messages(converted)).toEqual(['3: image https://pics.example/harbour.png kept at its original address: it is not copied to the site, so it shows only while that address serves it']);
    expect(fidelity).toMatchObject({ images: 1, links: 0 });
  });

  it('reads the alt text of an image without its markup', () => {
    const { converted } = importOf('# T\n\n![The *old* `harbour` map](https://pics.example/map.png)\n');
    expect(shapeOf(converted.intro)).toEqual([['image', 'https://pics.example/map.png', 'The old harbour map', null]]);
  });

  it('keeps an image without alt text without inventing any, and warns', () => {
    const { converted, fidelity } = importOf('# T\n\n![](https://pics.example/plain.png)\n');
    expect(converted.intro).toEqual([{ _type: 'image', _key: expect.any(String), url: 'https://pics.example/plain.png' }]);
    expect(messages(converted)).toContain('3: image https://pics.example/plain.png has no alt text: describe it in the Studio for readers who cannot see it');
    expect(JSON.stringify(converted.intro)).not.toContain('Image');
    expect(fidelity.images).toBe(1);
  });

  it('splits a paragraph where an image stands in the middle of it', () => {
    const { converted, fidelity } = importOf('# T\n\nThe tide came in ![Rising water](https://pics.example/tide.jpg) and went out *again*.\n');
    expect(shapeOf(converted.intro)).toEqual([
      ['normal', 'The tide came in'],
      ['image', 'https://pics.example/tide.jpg', 'Rising water', null],
      ['normal', 'and went out again.'],
    ]);
    expect(messages(converted)).toContain("3: image inside a paragraph placed as its own block where it stood, splitting the paragraph");
    expect(fidelity).toMatchObject({ images: 1 });
  });

  it('keeps a link around text and an image as the text link, the image as its alt text', () => {
    const { converted, fidelity } = importOf('# T\n\n[see ![the map](https://pics.example/map.png) here](https://maps.example/)\n');
    expect(shapeOf(converted.intro)).toEqual([['normal', 'see the map here']]);
    expect(converted.links.map((l) => l.href)).toEqual(['https://maps.example/']);
    expect(messages(converted)[0]).toMatch(/image https:\/\/pics.example\/map.png inside a link's text kept as its alt text/);
    expect(fidelity).toMatchObject({ images: 0, links: 1 });
  });

  it('resolves a relative image against --base-url, and keeps only its alt text without one', () => {
    const withBase = importOf('# T\n\n![Boat](img/boat.png)\n', { baseUrl: 'https://old.example/2024/05/' });
    expect(shapeOf(withBase.converted.intro)).toEqual([['image', 'https://old.example/2024/05/img/boat.png', 'Boat', null]]);
    const without = importOf('# T\n\n![Boat](img/boat.png)\n');
    expect(shapeOf(without.converted.intro)).toEqual([['normal', 'Boat']]);
    expect(messages(without.converted)).toEqual(['3: image img/boat.png kept as its alt text: only images at http(s) addresses are kept (pass --base-url to resolve relative image paths)']);
  });

  it('keeps an image in a heading as its alt text', () => {
    const { converted, fidelity } = importOf('# T\n\n## ![Anchor](https://pics.example/anchor.png) News\n\nText.\n');
    expect(converted.sections.map((s) => s.heading)).toEqual(['Anchor News']);
    expect(messages(converted)).toEqual(['3: image https://pics.example/anchor.png in a heading kept as its alt text: a heading holds plain text']);
    expect(fidelity.images).toBe(0);
  });

  it('reads an HTML <img> inside an <a> as a linked image', () => {
    const { converted } = importOf('# T\n\nSee <a href="https://shop.example/"><img src="https://shop.example/logo.gif" alt="Shop logo"></a> now.\n');
    expect(shapeOf(converted.intro)).toEqual([
      ['normal', 'See'],
      ['image', 'https://shop.example/logo.gif', 'Shop logo', 'https://shop.example/'],
      ['normal', 'now.'],
    ]);
  });

  it('places an image inside a list item right after the item', () => {
    const { converted, fidelity } = importOf('# T\n\n- first ![Dot](https://pics.example/dot.png) item\n- second\n');
    expect(shapeOf(converted.intro)).toEqual([
      ['bullet1', 'first item'],
      ['image', 'https://pics.example/dot.png', 'Dot', null],
      ['bullet1', 'second'],
    ]);
    expect(messages(converted)).toContain('3: image inside a list item placed right after it as its own block');
    expect(fidelity).toMatchObject({ images: 1, listItems: 2 });
  });

  it('refuses a conversion that loses an image, its link or its alt text', () => {
    const { converted } = importOf('# T\n\n[![Harbour](https://pics.example/h.png)](https://pics.example/)\n');
    expect(refusalOf(converted, (intro) => intro.splice(0, 1))).toMatch(/the image https:\/\/pics.example\/h.png was lost/);
    expect(refusalOf(converted, (intro) => delete (intro[0] as { link?: string }).link)).toMatch(/image 1 \(https:\/\/pics.example\/h.png, linked to https:\/\/pics.example\/, "Harbour"\) became/);
    expect(refusalOf(converted, (intro) => delete (intro[0] as { alt?: string }).alt)).toMatch(/image 1/);
  });
});

describe('structure', () => {
  it('keeps a quote inside a quote one level deeper, and a list inside a quote as quoted list items', () => {
    const { converted, fidelity } = importOf('# T\n\n> Outer words.\n>\n> > Inner words.\n>\n> - one\n> - two\n');
    expect(shapeOf(converted.intro)).toEqual([
      ['blockquote', 'Outer words.'],
      ['blockquote', 'Inner words.', 2],
      ['bullet1', 'one'],
      ['bullet1', 'two'],
    ]);
    expect((converted.intro[2] as StoredTextBlock).style).toBe('blockquote');
    expect(fidelity).toMatchObject({ quotes: 2, listItems: 2 });
    expect(refusalOf(converted, (intro) => delete (intro[1] as StoredTextBlock).level)).toMatch(/a quote 2 deep became one 1 deep/);
  });

  it('places a quote under a bullet item after it, and refuses a mapping that loses the quote', () => {
    const { converted, fidelity } = importOf('# T\n\n- Item\n\n  > Said of it.\n');
    expect(shapeOf(converted.intro)).toEqual([['bullet1', 'Item'], ['blockquote', 'Said of it.']]);
    expect(fidelity.quotes).toBe(1);
    expect(refusalOf(converted, (intro) => ((intro[1] as StoredTextBlock).style = 'normal'))).toMatch(/the Markdown has 1 quoted paragraph\(s\), the converted issue 0/);
  });

  it('keeps h3 and h4 sub-headings apart and refuses a mapping that folds them into one level', () => {
    const { converted, fidelity } = importOf('# T\n\n## Section\n\n### Level three\n\ntext\n\n#### Level four\n\nmore\n');
    expect(shapeOf(converted.sections[0]!.body)).toEqual([
      ['h3', 'Level three'],
      ['normal', 'text'],
      ['h4', 'Level four'],
      ['normal', 'more'],
    ]);
    expect(converted.warnings).toEqual([]);
    expect(fidelity.headings).toBe(3);
    expect(refusalOf(converted, (_, sections) => ((sections[0]!.body[2] as StoredTextBlock).style = 'h3'))).toMatch(/this sub-heading should be h4 but became h3/);
  });

  it('keeps the indentation of every line of a code block', () => {
    const { converted, fidelity } = importOf('# T\n\n```\n  indented(first);\nif (ready) {\n    go();\n}\n```\n');
    expect(shapeOf(converted.intro)).toEqual([['normal', '  indented(first);\nif (ready) {\n    go();\n}']]);
    expect((converted.intro[0] as StoredTextBlock).children[0]).toMatchObject({ marks: ['code'] });
    expect(fidelity.characters).toBeGreaterThan(0);
  });

  it('keeps a section that is only a heading, and refuses a mapping that would leave it out', () => {
    const { converted, fidelity } = importOf('# T\n\nIntro.\n\n## Nothing yet\n\n## Next\n\nText.\n');
    expect(converted.sections.map((s) => [s.heading, shapeOf(s.body)])).toEqual([
      ['Nothing yet', [['normal', '']]],
      ['Next', [['normal', 'Text.']]],
    ]);
    expect(messages(converted)).toEqual(['5: section "Nothing yet" has no text of its own; kept as a heading over an empty paragraph']);
    expect(fidelity.headings).toBe(2);
    // The read model leaves out a section with an empty body: an importer storing one would lose the heading.
    expect(refusalOf(converted, (_, sections) => (sections[0]!.body = []))).toMatch(/^x\.md:5: text was lost or changed in conversion: the Markdown reads "\w*Nothingyet/);
  });

  it('keeps an empty sub-heading followed by another heading', () => {
    const { converted } = importOf('# T\n\n## S\n\n### Empty\n\n### Full\n\nWords.\n');
    expect(shapeOf(converted.sections[0]!.body)).toEqual([['h3', 'Empty'], ['h3', 'Full'], ['normal', 'Words.']]);
  });
});
