// Each construct real back-issues use, in a minimal example of its own: what the
// converter makes of it, and that the fidelity check (run through planIssueImport on
// exactly what would be stored) passes it without a false refusal.
import { describe, expect, it } from 'vitest';
import { convertMarkdownIssue, findSectionLevel, type ConvertedIssue } from './map.ts';
import { planIssueImport, type Library } from './plan.ts';
import type { StoredBlock, StoredNote, StoredSpan, StoredTextBlock } from './shapes.ts';

const now = () => new Date('2026-03-20T08:00:00Z');
const emptyLibrary = (): Library => ({ links: new Map(), linkUrls: new Map(), issues: new Map(), tags: new Map() });

/** Converts and plans (the plan runs the fidelity check); returns both. */
function importOf(markdown: string, options: Parameters<typeof convertMarkdownIssue>[2] = {}) {
  const converted = convertMarkdownIssue(markdown, 'x.md', { number: 1, date: '2026-01-01', ...options });
  const plan = planIssueImport(converted, emptyLibrary(), { now });
  return { converted, plan };
}

const blocksOf = (c: ConvertedIssue): StoredBlock[] => [...c.intro, ...c.sections.flatMap((s) => s.body)];
const textBlocks = (c: ConvertedIssue) => blocksOf(c).filter((b): b is StoredTextBlock => b._type === 'block');
const textOf = (b: StoredTextBlock | StoredNote["body"][number]): string => b.children.map((c) => (c._type === 'span' ? c.text : `[${textOf((c as StoredNote).body[0]!)}]`)).join('');
const notesOf = (c: ConvertedIssue) => blocksOf(c).flatMap((b): StoredNote[] => (b._type === 'editorialNote' ? [b] : b._type === 'block' ? b.children.filter((x): x is StoredNote => x._type === 'editorialNote') : []));
const hrefs = (c: ConvertedIssue) => c.links.map((l) => l.href);

describe('links as back-issues write them', () => {
  it('follows reference links to their definitions and never prints the label', () => {
    const { converted, plan } = importOf('# T\n\nRead [the notes][notes] and [Guide] today.\n\n[notes]: https://a.example/notes\n[guide]: https://a.example/guide\n');
    expect(hrefs(converted)).toEqual(['https://a.example/notes', 'https://a.example/guide']);
    expect(textOf(textBlocks(converted)[0]!)).toBe('Read the notes and Guide today.');
    expect(plan.summary.fidelity.links).toBe(2);
  });

  it('keeps square brackets inside link text as text', () => {
    const { converted } = importOf('# T\n\n- [`#[used]` items are never dead code](https://a.example/1)\n- [[MIR] Implement casting](https://a.example/2)\n');
    expect(textBlocks(converted).map(textOf)).toEqual(['#[used] items are never dead code', '[MIR] Implement casting']);
    expect(converted.asides).toHaveLength(0);
  });

  it('links bare addresses written as text and autolinks, and leaves other words alone', () => {
    const { converted } = importOf('# T\n\nGitHub link: https://github.example/a/b, or <https://a.example/c>. Node.js and ada@example.org stay text.\n');
    expect(hrefs(converted)).toEqual(['https://github.example/a/b', 'https://a.example/c']);
  });

  it('ends a bare address where Chinese text begins', () => {
    const { converted } = importOf('# 周刊（第 3 期）\n\n地址：https://a.example/x。下一句：https://a.example/y中文\n');
    expect(hrefs(converted)).toEqual(['https://a.example/x', 'https://a.example/y']);
    expect(textOf(textBlocks(converted)[0]!)).toBe('地址：https://a.example/x。下一句：https://a.example/y中文');
    expect(converted.number).toBe(1);
  });

  it('keeps a bracketed number in prose as text', () => {
    const { converted } = importOf('# T\n\nAs noted [1] in [the post](https://a.example/p), it works.\n');
    expect(textOf(textBlocks(converted)[0]!)).toBe('As noted [1] in the post, it works.');
  });

  it('keeps adjacent links that form one word apart, and a link glued to the next word', () => {
    const { converted } = importOf('# T\n\nTry [f](https://a.example/f)[lask-ipywidgets](https://a.example/l) and [t](https://a.example/t)asks.\n');
    const block = textBlocks(converted)[0]!;
    expect(textOf(block)).toBe('Try flask-ipywidgets and tasks.');
    expect(block.markDefs.map((d) => d.href)).toEqual(['https://a.example/f', 'https://a.example/l', 'https://a.example/t']);
    expect((block.children as StoredSpan[]).find((s) => s.text.startsWith('asks'))?.marks).toEqual([]);
  });

  it('keeps irc: and other links the build would drop as text, with a warning naming the line', () => {
    const { converted } = importOf('# T\n\nJoin [the channel](irc://irc.example.net/#rust) or [mail us](mailto:team@example.org).\n');
    expect(hrefs(converted)).toEqual(['mailto:team@example.org']);
    expect(converted.warnings).toEqual([expect.objectContaining({ line: 3, kind: 'link', message: expect.stringContaining('irc://irc.example.net/#rust kept as plain text') })]);
  });

  it('resolves relative links against --base-url, and warns about them without it', () => {
    expect(hrefs(importOf('# T\n\nSee [last week](/2024/05/post).\n', { baseUrl: 'https://old.example/' }).converted)).toEqual(['https://old.example/2024/05/post']);
    expect(importOf('# T\n\nSee [last week](/2024/05/post).\n').converted.warnings[0]!.message).toContain('--base-url');
  });

  it('shows a link without text as its address', () => {
    expect(textOf(textBlocks(importOf('# T\n\nSee [](https://a.example/x).\n').converted)[0]!)).toBe('See https://a.example/x.');
  });
});

describe('text that used to be cut or re-wrapped', () => {
  it('keeps a Chinese paragraph without spaces, with its [n] markers, as one run of text', () => {
    const para = '这里记录每周值得分享的科技内容[1]，周五发布。本杂志[开源](https://a.example/weekly)，欢迎投稿[2]。';
    const { converted, plan } = importOf(`# 科技周刊（第 350 期）\n\n${para}\n`, { number: undefined });
    expect(converted.number).toBe(350);
    const expected = para.replace('[开源](https://a.example/weekly)', '开源');
    expect(textOf(textBlocks(converted)[0]!)).toBe(expected);
    expect(plan.summary.fidelity.characters).toBe([...expected].filter((ch) => /[\p{L}\p{N}]/u.test(ch)).length);
  });

  it('keeps a word longer than a line whole', () => {
    const word = 'Pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(2);
    expect(textOf(textBlocks(importOf(`# T\n\nThe ${word} case.\n`).converted)[0]!)).toBe(`The ${word} case.`);
  });
});

describe('editorial asides as real exports write them', () => {
  it('recognises escaped brackets, emphasis around the aside, and a link inside it', () => {
    const md = ['# T', '', 'One \\[plain escaped —Ed.\\] two _\\[wrapped in emphasis —Ed.\\]_ three [with [a link](https://a.example/n) inside —Ed.] four.', ''].join('\n');
    const { converted, plan } = importOf(md);
    expect(notesOf(converted).map((n) => textOf(n.body[0]!))).toEqual(['plain escaped', 'wrapped in emphasis', 'with a link inside']);
    expect(notesOf(converted)[1]!.body[0]!.children.every((s) => !s.marks.includes('em'))).toBe(true);
    expect(notesOf(converted)[2]!.body[0]!.markDefs.map((d) => d.href)).toEqual(['https://a.example/n']);
    expect(plan.summary.notes).toEqual({ inline: 3, block: 0 });
  });

  it('keeps strong emphasis that runs across the closing bracket on both sides of it', () => {
    const { converted } = importOf('# T\n\nA __\\[bold aside —Ed.\\] and bold after__ plain.\n');
    const block = textBlocks(converted)[0]!;
    const note = notesOf(converted)[0]!;
    expect(note.body[0]!.children.every((s) => s.marks.includes('strong'))).toBe(true);
    expect(block.children.find((c): c is StoredSpan => c._type === 'span' && c.text.includes('bold after'))!.marks).toEqual(['strong']);
  });

  it('makes a paragraph that is one aside a block note', () => {
    const { converted } = importOf('# T\n\n_\\[A whole paragraph in the editor’s voice. —Ed.\\]_\n');
    expect(converted.intro[0]!._type).toBe('editorialNote');
    expect(converted.asides[0]!.placement).toBe('block');
  });

  it('uses the newsletter’s own signature', () => {
    const { converted } = importOf('# T\n\nA fact [a quip —JH] and [not this —Ed.].\n', { asideSignature: '—JH' });
    expect(notesOf(converted).map((n) => [textOf(n.body[0]!), n.signature])).toEqual([['a quip', 'JH']]);
  });

  it('keeps a signature outside brackets as text and says so, instead of refusing', () => {
    const { converted } = importOf('# T\n\nThis runs on —Ed. without brackets.\n');
    expect(converted.asides).toHaveLength(0);
    expect(converted.warnings[0]).toMatchObject({ line: 3, kind: 'aside' });
  });

  it('does not read a hyphenated word as a signature', () => {
    expect(importOf('# T\n\nA co-Ed school.\n').converted.warnings).toEqual([]);
  });
});

describe('HTML inside Markdown', () => {
  it('leaves comments out: no visible text, no link documents', () => {
    const md = '# T\n\n<!--\nContributors: use [this form](https://a.example/form).\n-->\n\nText <!-- more --> here.\n';
    const { converted, plan } = importOf(md);
    expect(hrefs(converted)).toEqual([]);
    expect(textBlocks(converted).map(textOf)).toEqual(['Text  here.']);
    expect(plan.summary.comments).toBe(2);
  });

  it('maps <br>, <a>, <b> to their meaning, drops <small>/<sup> tags keeping their text, and keeps Option<T> as written', () => {
    const { converted } = importOf('# T\n\nA<br>B <a href="https://a.example/h">html link</a> <b>bold</b> <small>small</small> x<sup>2</sup> and Option<T>.\n');
    const block = textBlocks(converted)[0]!;
    expect(textOf(block)).toBe('A\nB html link bold small x2 and Option<T>.');
    expect(block.markDefs.map((d) => d.href)).toEqual(['https://a.example/h']);
    expect(converted.warnings.map((w) => w.message)).toEqual(['<small> tag dropped; its text is kept', '<sup> tag dropped; its text is kept']);
  });

  it('converts an HTML block to Markdown with turndown, keeping its link', () => {
    const { converted } = importOf('# T\n\n<div class="note">\n<p>See <a href="https://a.example/d">the doc</a>.</p>\n</div>\n');
    expect(textBlocks(converted).map(textOf)).toEqual(['See the doc.']);
    expect(converted.warnings[0]).toMatchObject({ line: 3, kind: 'HTML' });
  });

  it('turns a table into one paragraph per row', () => {
    const { converted } = importOf('# T\n\n| name | link |\n| --- | --- |\n| a | [x](https://a.example/x) |\n');
    expect(textBlocks(converted).map(textOf)).toEqual(['name | link', 'a | x']);
    expect(converted.warnings[0]).toMatchObject({ line: 3, kind: 'table' });
  });

  it('keeps a picture as an image block at its address', () => {
    const { converted } = importOf('# T\n\n<img src="https://a.example/c.png" alt="A chart">\n');
    expect(textBlocks(converted)).toEqual([]);
    expect(converted.intro).toEqual([{ _type: 'image', _key: expect.any(String), url: 'https://a.example/c.png', alt: 'A chart' }]);
    expect(hrefs(converted)).toEqual([]);
  });
});

describe('structure from the document’s own headings', () => {
  it('reads a later top-level heading as one more section, not a level above the others', () => {
    const md = '---\ntitle: Weekly 7\n---\nIntro.\n\n## Updates\n\nA.\n\n### Official\n\nB.\n\n## Jobs\n\nC.\n\n# Quote of the Week\n\n> Q.\n\n## Editors\n\nD.\n';
    const { converted } = importOf(md);
    expect(converted.sections.map((s) => s.heading)).toEqual(['Updates', 'Jobs', 'Quote of the Week', 'Editors']);
    expect(textBlocks(converted).filter((b) => b.style === 'h3').map(textOf)).toEqual(['Official']);
  });

  it('keeps two sub-heading levels inside a section, warning for the deeper ones it folds into the second', () => {
    const { converted } = importOf('# T\n\n## S\n\n### Three\n\n#### Four\n\n##### Five\n');
    expect(converted.sections[0]!.body.map((b) => (b._type === 'block' ? [b.style, textOf(b)] : b._type))).toEqual([['h3', 'Three'], ['h4', 'Four'], ['h4', 'Five']]);
    expect(converted.warnings.map((w) => w.line)).toEqual([9]);
  });

  it('takes the section level from the first heading', () => {
    expect(findSectionLevel([2, 3, 2, 1, 4, 1])).toBe(2);
    expect(findSectionLevel([1, 2, 2])).toBe(1);
    expect(findSectionLevel([])).toBe(1);
  });

  it('keeps "##" sections when "#" headings follow them, once or more', () => {
    const { converted } = importOf('---\ntitle: W\n---\nIntro.\n\n## Releases\n\nA.\n\n### Small\n\n# Jobs\n\nJ.\n\n# Quote of the Week\n\n> Q.\n');
    expect(converted.sections.map((s) => s.heading)).toEqual(['Releases', 'Jobs', 'Quote of the Week']);
  });

  it('keeps a heading’s link as a link card under it', () => {
    const { converted, plan } = importOf('# T\n\n## [Approved RFCs](https://a.example/rfcs)\n\nText.\n\n## Other\n\nMore.\n');
    expect(converted.sections[0]!.heading).toBe('Approved RFCs');
    expect(converted.sections[0]!.body[0]).toMatchObject({ _type: 'linkCard', href: 'https://a.example/rfcs' });
    expect(plan.mutations.at(-1)).toMatchObject({ createOrReplace: { sections: [{ body: [{ _type: 'linkCard', link: { _type: 'reference' } }, {}] }, {}] } });
  });

  it('places a quote inside a bullet item right after the item, as a quote, instead of making more items', () => {
    const md = '# T\n\n- [A post](https://a.example/a) by Ada\n  > The quoted summary.\n- [B post](https://a.example/b)\n\n  Second paragraph of B.\n';
    const { converted, plan } = importOf(md);
    expect(textBlocks(converted).map((b) => [b.listItem ?? b.style, textOf(b)])).toEqual([
      ['bullet', 'A post by Ada'],
      ['blockquote', 'The quoted summary.'],
      ['bullet', 'B post\n\nSecond paragraph of B.'],
    ]);
    expect(plan.summary.fidelity).toMatchObject({ listItems: 2, quotes: 1 });
    expect(converted.warnings.map((w) => w.message)).toEqual(['quote inside a list item placed right after the item (a list item cannot hold a quote)']);
  });

  it('keeps a quote inside a numbered item in that item, so the count does not restart', () => {
    const { converted, plan } = importOf('# T\n\n1. First\n   > Quoted.\n2. Second\n');
    expect(textBlocks(converted).map((b) => [b.listItem ?? b.style, textOf(b)])).toEqual([
      ['number', 'First\n\nQuoted.'],
      ['number', 'Second'],
    ]);
    expect(plan.summary.fidelity).toMatchObject({ listItems: 2, quotes: 0 });
    expect(converted.warnings.map((w) => w.kind)).toEqual(['list']);
  });

  it('keeps an empty outer item ahead of the item nested in it', () => {
    const { converted } = importOf('# T\n\n* * *Nothing this week.*\n');
    expect(textBlocks(converted).map((b) => [b.level, textOf(b)])).toEqual([[1, ''], [2, 'Nothing this week.']]);
  });

  it('titles an issue that has no title of its own after the newsletter, and says so', () => {
    const { converted } = importOf('Welcome.\n\n## Featured\n\n- [x](https://a.example/x)\n', { newsletterTitle: 'Haskell Notes', number: 538 });
    expect(converted.title).toBe('Haskell Notes #538');
    expect(converted.sections.map((s) => s.heading)).toEqual(['Featured']);
    expect(converted.warnings.map((w) => w.kind)).toEqual(['title']);
  });
});

describe('an empty first section is no title', () => {
  it('keeps a first ## heading over nothing as a section when every heading is a section, and titles the issue after the newsletter', () => {
    const { converted, plan } = importOf('## Coming up\n\n## Links\n\n- [x](https://a.example/x)\n\n## Jobs\n\nJ.\n', { newsletterTitle: 'Haskell Notes', number: 538 });
    expect(converted.title).toBe('Haskell Notes #538');
    expect(converted.sections.map((s) => s.heading)).toEqual(['Coming up', 'Links', 'Jobs']);
    const title = converted.warnings.find((w) => w.kind === 'title')!;
    expect(title.line).toBe(1);
    expect(title.message).toContain('"Coming up", opens an empty section');
    expect(plan.summary.fidelity.headings).toBe(3);
  });

  it('still takes a ## heading with text under it, or one over deeper headings, as the title', () => {
    expect(importOf('## Tides\n\nIntro.\n\n## Links\n\nA.\n').converted.title).toBe('Tides');
    const deeper = importOf('## Tides\n\n### Links\n\nA.\n\n### Jobs\n\nB.\n').converted;
    expect([deeper.title, deeper.sections.map((s) => s.heading)]).toEqual(['Tides', ['Links', 'Jobs']]);
  });
});

describe('metadata headers', () => {
  it('reads Jekyll YAML front matter', () => {
    const c = convertMarkdownIssue('---\nlayout: post\ntitle: "Issue #12: Tides"\ndate: 2024-05-03 10:00:00 +0200\nauthor: [Ada, Sam]\ntags: [rust, weekly]\ndescription: A short week.\nmood: calm\n---\nHello.\n', 'x.md');
    expect(c).toMatchObject({ title: 'Issue #12: Tides', number: 12, date: '2024-05-03', byline: 'Ada, Sam', tags: ['rust', 'weekly'], summary: 'A short week.' });
    expect(c.warnings).toEqual([{ line: 8, kind: 'metadata', message: 'metadata "mood" not imported (an issue has no such field)' }]);
  });

  it('reads Hugo TOML front matter', () => {
    const c = convertMarkdownIssue('+++\ntitle = "Notes 4"\ndate = 2024-06-01T09:00:00-07:00\nnumber = 4\ndraft = true\ncategories = ["news"]\n+++\nBody.\n', 'x.md');
    expect(c).toMatchObject({ title: 'Notes 4', number: 4, date: '2024-06-01', draft: true, tags: ['news'] });
  });

  it('reads Pelican headers and a date in the file name', () => {
    const c = convertMarkdownIssue('Title: This Week in Widgets 57\nCategory: Widgets\nSummary: Ports and pins.\n\nHello.\n', '2015-01-12-this-week.md');
    expect(c).toMatchObject({ title: 'This Week in Widgets 57', number: 57, date: '2015-01-12', summary: 'Ports and pins.', tags: ['Widgets'] });
  });

  it('does not read a paragraph starting "Note:" as a header', () => {
    expect(convertMarkdownIssue('# T\n\nNote: this is prose.\n', 'x.md').intro).toHaveLength(1);
    expect(convertMarkdownIssue('Note: this is prose.\n\n# T\n', 'x.md').intro).toHaveLength(1);
  });

  it('names the line of a broken YAML header', () => {
    expect(() => convertMarkdownIssue('---\ntitle: a\n  bad: [\n---\nx\n', 'x.md')).toThrow(/^x\.md:\d+: the YAML front matter is not valid/);
  });
});

describe('what the plan refuses', () => {
  it('turns warnings into a refusal naming the line under --strict', () => {
    const converted = convertMarkdownIssue('# T\n\nJoin [us](irc://irc.example.net/#x).\n', 'x.md', { number: 1, date: '2026-01-01' });
    expect(() => planIssueImport(converted, emptyLibrary(), { now, strict: true })).toThrow(/^x\.md:3: link to irc:\/\/irc\.example\.net\/#x kept as plain text.*--strict/);
  });

  it('lets --strict pass a picture kept at its address or without alt text, which lose nothing, and still refuse one it turns into text', () => {
    const kept = convertMarkdownIssue('# T\n\n![](https://pics.example/a.png)\n\n![Map](https://pics.example/map.png)\n\n<https://http://x.example/>\n', 'x.md', { number: 1, date: '2026-01-01' });
    expect(kept.warnings.map((w) => w.kind).sort()).toEqual(['alt text', 'remote image', 'remote image']);
    const plan = planIssueImport(kept, emptyLibrary(), { now, strict: true });
    expect(plan.summary.warnings.map((w) => w.kind)).toContain('malformed URL');
    const lost = convertMarkdownIssue('# T\n\n![Map](https://pics.example/map.png)\n\n## A ![Logo](https://pics.example/logo.png) heading\n\nText.\n', 'x.md', { number: 1, date: '2026-01-01' });
    expect(() => planIssueImport(lost, emptyLibrary(), { now, strict: true })).toThrow(/^x\.md:5: image .*logo\.png in a heading kept as its alt text.*--strict/);
  });

  it('refuses a number the store already holds unless told to replace it', () => {
    const library = emptyLibrary();
    library.issues.set(1, ['issue-1']);
    const converted = convertMarkdownIssue('# T\n\nText.\n', 'x.md', { number: 1, date: '2026-01-01' });
    expect(() => planIssueImport(converted, library, { now })).toThrow('x.md: issue 1 already exists (issue-1)');
    expect(planIssueImport(converted, library, { now, replace: true }).mutations).toContainEqual({ delete: { id: 'issue-1' } });
  });

  it('reuses a link document the library already holds, and adds new ones for the next file', () => {
    const library = emptyLibrary();
    const first = planIssueImport(convertMarkdownIssue('# T\n\n[a](https://a.example/x?utm_source=mail) [b](https://b.example/)\n', 'one.md', { number: 1, date: '2026-01-01' }), library, { now });
    const second = planIssueImport(convertMarkdownIssue('# T\n\n[again](https://A.example/x/)\n', 'two.md', { number: 2, date: '2026-01-08' }), library, { now });
    expect(first.summary.links).toMatchObject({ created: 2, reused: 0 });
    expect(second.summary.links).toMatchObject({ created: 0, reused: 1 });
  });
});

describe('links a heading cannot hold', () => {
  it('refuses, naming the line, rather than store a mail link in a section heading', () => {
    const converted = convertMarkdownIssue('# T\n\n## [Write to us](mailto:eds@example.org)\n\nText.\n', 'x.md', { number: 1, date: '2026-01-01' });
    expect(converted.warnings.map((w) => w.kind)).toEqual(['heading']);
    expect(() => planIssueImport(converted, emptyLibrary(), { now })).toThrow('x.md:3: the link to mailto:eds@example.org was lost');
  });
});

describe('HTML from other platforms', () => {
  it('reads an HTML table as a table (one paragraph per row) and <del> as strikethrough', () => {
    const { converted } = importOf('# T\n\n<table><tr><th>tool</th><th>note</th></tr><tr><td><a href="https://a.example/t">Tarn</a></td><td><del>beta</del> stable</td></tr></table>\n');
    const rows = textBlocks(converted);
    expect(rows.map(textOf)).toEqual(['tool | note', 'Tarn | beta stable']);
    expect((rows[1]!.children as StoredSpan[]).find((s) => s.text === 'beta')?.marks).toEqual(['strike-through']);
  });
});

describe('the title wherever it stands', () => {
  it('finds the # title below a date line and a byline, reads both, and makes the ## headings the sections', () => {
    const md = 'June 29, 2022\n\nBy Ada Quill\n\n# Harbour Notes: Fog\n\nIntro words.\n\n## One\n\nA.\n\n## Two\n\nB.\n\n## Three\n\nC.\n';
    const c = convertMarkdownIssue(md, 'x.md');
    expect([c.title, c.date, c.byline, c.summary]).toEqual(['Harbour Notes: Fog', '2022-06-29', 'Ada Quill', 'Intro words.']);
    expect(c.sections.map((s) => s.heading)).toEqual(['One', 'Two', 'Three']);
    expect(c.warnings.filter((w) => w.kind === 'title')).toEqual([]);
  });

  it('takes # headings as sections when the title is in the front matter', () => {
    const c = convertMarkdownIssue('---\ntitle: Harbour Notes 4\ndate: 29.06.2022\n---\nHi.\n\n# One\n\nA.\n\n# Two\n\nB.\n', 'x.md');
    expect([c.title, c.number, c.date]).toEqual(['Harbour Notes 4', 4, '2022-06-29']);
    expect(c.sections.map((s) => s.heading)).toEqual(['One', 'Two']);
  });

  it('reads a front-matter date written MM-DD-YYYY, and a Jekyll "Week Ending" title without taking its year as the number', () => {
    const c = convertMarkdownIssue('---\ntitle: "Week Ending January 14, 2018"\ndate: 01-14-2018\n---\nHi.\n', 'posts/week.md');
    expect([c.number, c.date]).toEqual([undefined, '2018-01-14']);
  });
});

describe('addresses exactly as written', () => {
  it('stores the author’s spelling on the annotation and the link document, keying only the normalised URL', () => {
    const library = emptyLibrary();
    const first = planIssueImport(convertMarkdownIssue('# T\n\n[a](https://a.example/x/?utm_source=mail&utm_medium=email)\n', 'one.md', { number: 1, date: '2026-01-01' }), library, { now });
    const doc = first.mutations.flatMap((m) => ('createIfNotExists' in m && m.createIfNotExists._type === 'link' ? [m.createIfNotExists] : []))[0]!;
    expect(doc.url).toBe('https://a.example/x/?utm_source=mail&utm_medium=email');
    const second = planIssueImport(convertMarkdownIssue('# T\n\n[b](https://a.example/x)\n', 'two.md', { number: 2, date: '2026-01-08' }), library, { now });
    const issue = second.mutations.flatMap((m) => ('createOrReplace' in m ? [m.createOrReplace] : []))[0]! as unknown as { intro: StoredTextBlock[] };
    expect(issue.intro[0]!.markDefs).toEqual([{ _type: 'externalLink', _key: expect.any(String), href: 'https://a.example/x' }]);
    expect(second.summary.links).toMatchObject({ created: 0, reused: 1 });
  });

  it('keeps non-ASCII and escapes as written, where markdown-it would re-encode them', () => {
    const { converted } = importOf('# T\n\n[a](https://a.example/straße?q=ä%20b) and <https://a.example/über>\n');
    expect(hrefs(converted)).toEqual(['https://a.example/straße?q=ä%20b', 'https://a.example/über']);
  });

  it('keeps a malformed address as written and warns with its line', () => {
    const { converted, plan } = importOf('# T\n\nText.\n\n[repo](http://https://git.example.com/a/b) and [host](https://localhostish/x).\n');
    expect(hrefs(converted)).toEqual(['http://https://git.example.com/a/b', 'https://localhostish/x']);
    expect(plan.summary.warnings.map((w) => [w.line, w.kind, w.message])).toEqual([
      [5, 'malformed URL', 'the address http://https://git.example.com/a/b looks malformed (a second scheme inside it); kept exactly as written'],
      [5, 'malformed URL', 'the address https://localhostish/x looks malformed (the host "localhostish" has no domain); kept exactly as written'],
    ]);
  });
});

describe('numbers in the front matter', () => {
  it('reads "No. 12" and "第 12 期" in a number field, under its other names too', () => {
    expect(convertMarkdownIssue('---\ntitle: Harbour\nissue_no: "No. 12"\n---\nHi.\n', 'x.md').number).toBe(12);
    expect(convertMarkdownIssue('---\ntitle: 潮池\nedition: 第 12 期\n---\nHi.\n', 'x.md').number).toBe(12);
    expect(() => convertMarkdownIssue('---\ntitle: Harbour\nnumber: soon\n---\nHi.\n', 'x.md')).toThrow('x.md:3: the issue number "soon" is not a positive whole number');
  });
});

describe('dates the text alone cannot settle', () => {
  it('reads 03-04-2022 by the archive’s order without a word, and by custom with a warning when nothing settles it', () => {
    const md = '---\ntitle: Harbour 3\ndate: 03-04-2022\n---\nHi.\n';
    const settled = convertMarkdownIssue(md, 'x.md', { dateOrder: 'day-first' });
    expect(settled.date).toBe('2022-04-03');
    expect(settled.warnings.filter((w) => w.kind === 'date')).toEqual([]);
    const guessed = convertMarkdownIssue(md, 'x.md');
    expect(guessed.date).toBe('2022-03-04');
    expect(guessed.warnings.filter((w) => w.kind === 'date').map((w) => [w.line, w.message])).toEqual([[3, 'the date 03-04-2022 could be day or month first; read as 2022-03-04 (dashes and slashes are usually month first) — write it as YYYY-MM-DD if that is wrong']]);
    const line = convertMarkdownIssue('# Harbour 3\n\n03.04.2022\n\nHi.\n', 'x.md');
    expect([line.date, line.warnings.map((w) => w.line)]).toEqual(['2022-04-03', [3]]);
  });
});

describe('headings above the title', () => {
  it('reads a date heading above the # title as the date, and takes the shallowest opening heading as the title', () => {
    const md = '### June 29, 2022\n\n# Harbour Notes: Fog\n\nIntro.\n\n## One\n\nA.\n\n## Two\n\nB.\n';
    const { converted, plan } = importOf(md, { date: undefined });
    expect([converted.title, converted.date, converted.sections.map((s) => s.heading)]).toEqual(['Harbour Notes: Fog', '2022-06-29', ['One', 'Two']]);
    expect(plan.summary.fidelity.headings).toBe(2);
  });
});
