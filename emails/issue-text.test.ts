import { describe, expect, it } from 'vitest';
import { placeholders } from '../core/render.ts';
import {
  aBlock,
  aHeading,
  aLink,
  aLinkCard,
  aLinkTarget,
  aLinkTo,
  aListItem,
  aNote,
  aParagraph,
  aQuote,
  aRealSizeIssue,
  aRenderContext,
  aSection,
  anImage,
  anIssue,
  code,
  em,
  strong,
} from '../tests/builders.ts';
import { renderIssueText, renderPortableTextText } from './issue-text.ts';

const ctx = aRenderContext();
const textOf = (...body: Parameters<typeof aSection>[0][]) =>
  renderIssueText(anIssue({ intro: [], signOff: [], sections: body.map((s) => aSection(s)) }), ctx).text;
const urlLine = /^\s*(?:\[\d+\] )?\S*:\/\/\S+$/;

describe('renderIssueText', () => {
  it('starts with the view-in-browser URL and the issue line, then the title underlined with =', () => {
    const { text } = renderIssueText(anIssue({ number: 12, slug: 'proxies', title: 'Proxies, again' }), ctx);
    expect(text.split('\n').slice(0, 6)).toEqual([
      'View in browser: https://news.example.org/issues/12-proxies/',
      '',
      'Ecosystem Tracker · Issue #12 · March 14, 2026',
      '',
      'Proxies, again',
      '==============',
    ]);
  });

  it('underlines section headings with -', () => {
    expect(textOf({ heading: 'Package Updates', body: [aParagraph('x')] })).toContain('\n\nPackage Updates\n---------------\n\nx\n');
  });

  it('ends with why the reader gets it, the unsubscribe placeholder and the postal address', () => {
    const { text } = renderIssueText(anIssue(), ctx);
    expect(text.endsWith(
      [
        '-- ',
        'You are receiving this because you subscribed to Ecosystem Tracker with',
        `${placeholders.recipientEmail}.`,
        `Unsubscribe: ${placeholders.unsubscribeUrl}`,
        '',
        'Ecosystem Tracker',
        '12 Harbour Lane',
        'Portsmouth PO1 2AB',
        'United Kingdom',
        '',
      ].join('\n'),
    )).toBe(true);
  });

  it('numbers links and lists their URLs at the end of each section, numbering on across sections', () => {
    const text = textOf(
      { heading: 'One', body: [aParagraph('Read ', aLink('the post', 'https://a.example/post'), ' and ', aLinkTo('the notes'), '.')] },
      { heading: 'Two', body: [aParagraph('Then ', aLink('this', 'https://b.example/'), ' and again ', aLink('the post', 'https://a.example/post'), '.')] },
    );
    expect(text).toContain('Read the post [1] and the notes [2].\n\nLinks:\n[1] https://a.example/post\n[2] https://kernels.example.com/blog/release-4\n');
    expect(text).toContain('Then this [3] and again the post [4].\n\nLinks:\n[3] https://b.example/\n[4] https://a.example/post\n');
  });

  it('gives a repeated URL one number within a section and no number to a bare URL', () => {
    const text = textOf({
      body: [aParagraph(aLink('one', 'https://a.example/'), ', ', aLink('two', 'https://a.example/'), ', ', aLink('https://c.example/x', 'https://c.example/x'))],
    });
    expect(text).toContain('one [1], two [1], https://c.example/x\n\nLinks:\n[1] https://a.example/\n\n');
  });

  it('marks editorial notes as [… —Ed.], inline and as blocks, with their own signature', () => {
    const text = textOf({
      body: [
        aParagraph('It shipped ', aNote('finally, see ', aLink('the thread', 'https://t.example/')), ' on Tuesday.'),
        aNote({ paragraphs: [['A first thought.'], ['A second one.']], signature: 'Dana' }),
      ],
    });
    expect(text).toContain('It shipped [finally, see the thread [1] —Ed.] on Tuesday.');
    expect(text).toContain('[A first thought.\n\nA second one. —Dana]');
  });

  it('keeps a space between an inline note and the words around it, but not before punctuation', () => {
    const text = textOf({ body: [aParagraph('It shipped.', aNote('Finally'), 'Then', aNote('twice'), '.')] });
    expect(text).toContain('It shipped. [Finally —Ed.] Then [twice —Ed.].');
  });

  it('renders bullet, numbered and nested lists with indented markers', () => {
    const text = textOf({
      body: [
        aListItem('bullet', 'one'),
        aBlock({ listItem: 'bullet', level: 2 }, 'deeper'),
        aListItem('bullet', 'two'),
        aParagraph('Then:'),
        aListItem('number', 'first'),
        aListItem('number', 'second'),
      ],
    });
    expect(text).toContain('  - one\n    - deeper\n  - two\n\nThen:\n\n  1. first\n  2. second\n');
  });

  it('indents the continuation lines of a long list item under its text', () => {
    const text = textOf({ body: [aListItem('bullet', 'word '.repeat(30).trim())] });
    const lines = text.split('\n').filter((l) => l.includes('word'));
    expect(lines[0]!.startsWith('  - word')).toBe(true);
    expect(lines.slice(1).every((l) => l.startsWith('    word'))).toBe(true);
  });

  it('prefixes every line of a blockquote with "> "', () => {
    const text = textOf({ body: [aQuote('quoted '.repeat(20).trim())] });
    const lines = text.split('\n').filter((l) => l.includes('quoted'));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.every((l) => l.startsWith('> quoted'))).toBe(true);
  });

  it('shows emphasis with plain-text conventions and headings inside sections with ###', () => {
    const text = textOf({ body: [aHeading('Smaller'), aParagraph(strong('Kernel '), 'is ', em('out'), ', run ', code('kernel up'), '.')] });
    expect(text).toContain('### Smaller\n\n*Kernel* is _out_, run `kernel up`.');
  });

  it('renders a link card with its title, site, description, comment and whole URL', () => {
    const text = textOf({ body: [aLinkCard({ comment: 'Worth an evening.' })] });
    const target = aLinkTarget();
    expect(text).toContain(`» ${target.title} (Kernels Blog)\n  ${target.description}\n  Worth an evening.\n  ${target.url}\n`);
  });

  it('describes images by their alt text and caption', () => {
    const text = textOf({ body: [anImage({ caption: 'The chain, end to end.' })] });
    expect(text).toContain('[Image: A diagram of the proxy chain]\nThe chain, end to end.');
  });

  it('drops unsafe link URLs, keeps the text and warns with the field path', () => {
    const issue = anIssue({ number: 3, intro: [aParagraph('Click ', aLink('here', 'javascript:alert(1)'), '.')] });
    const { text, warnings } = renderIssueText(issue, ctx);
    expect(text).toContain('Click here.');
    expect(text).not.toContain('javascript:');
    expect(warnings).toEqual([{ where: 'issue 3', field: 'intro[0].markDefs[0].href', message: expect.any(String) }]);
  });

  it('leaves no HTML or entities behind and strips control characters', () => {
    const text = textOf({ heading: 'Tom & <Jerry>', body: [aParagraph('5 < 6 & "quotes" ]]> \u0000\u0008x\u202e')] });
    expect(text).toContain('Tom & <Jerry>\n-------------');
    expect(text).toContain('5 < 6 & "quotes" ]]> x');
    expect(text).not.toMatch(/&amp;|&lt;|&quot;|<p|<a |<\/?span/);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202e]/);
  });

  it('wraps at 72 columns without ever breaking a URL or a word', () => {
    const longUrl = `https://example.com/${'very-long-path-segment/'.repeat(5)}`;
    const text = textOf({
      body: [
        aParagraph('word '.repeat(40), aLink(longUrl, longUrl), ' and ', 'x'.repeat(100)),
        aListItem('bullet', 'item text '.repeat(20)),
        aQuote('quote text '.repeat(20)),
      ],
    });
    expect(text).toContain(longUrl);
    expect(text).toMatch(/^x{100}$/m);
    for (const line of text.split('\n')) {
      if ([...line].length > 72) expect(line).toMatch(/^\S+$/);
    }
  });

  it('underlines a CJK heading as wide as it is displayed', () => {
    const text = textOf({ heading: '更新与发布' });
    expect(text).toContain('更新与发布\n----------\n');
  });

  it('keeps every line of a real-size issue within 72 columns except lone URLs, and every URL present', () => {
    const issue = aRealSizeIssue();
    const { text, warnings } = renderIssueText(issue, ctx);
    expect(warnings).toEqual([]);
    const long = text.split('\n').filter((line) => [...line].length > 72);
    expect(long.every((line) => urlLine.test(line))).toBe(true);
    const urls = JSON.stringify(issue).match(/https:\/\/project\d+\.example\.com[^"]*/g) ?? [];
    expect(urls).toHaveLength(80);
    for (const url of urls) expect(text).toContain(url);
    expect(text.match(/—Ed\.\]/g)).toHaveLength(19);
  });

  it('is deterministic', () => {
    const issue = aRealSizeIssue();
    expect(renderIssueText(issue, ctx)).toEqual(renderIssueText(issue, ctx));
  });
});

describe('renderPortableTextText', () => {
  it('renders one Portable Text array with its link list, numbering from where it is told', () => {
    const { text, links } = renderPortableTextText([aParagraph('See ', aLink('this', 'https://a.example/'), '.')], { firstLinkNumber: 5 });
    expect(text).toBe('See this [5].\n\nLinks:\n[5] https://a.example/');
    expect(links).toEqual([{ number: 5, url: 'https://a.example/' }]);
  });

  it('keeps a hard line break inside a paragraph', () => {
    const { text } = renderPortableTextText([aParagraph('line one\nline two')]);
    expect(text).toBe('line one\nline two');
  });
});
