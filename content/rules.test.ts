// The rule book on its own: what it refuses and warns about, in both shapes of an issue
// (stored, as the Studio and the lake hold it, and projected, as check and the build read it).
import { describe, expect, it } from 'vitest';
import { deriveIssueSlug, emptyIssueMessage, findIssueRuleProblems, findSendRefusals, linkTextOf, nameSection, noTitleMessage } from './rules.ts';

const text = (t: string) => ({ _type: 'block', _key: 'b', markDefs: [], children: [{ _type: 'span', text: t, marks: [] }] });
const linked = (t: string, href: string) => ({ _type: 'block', _key: 'b', markDefs: [{ _type: 'externalLink', _key: 'x', href }], children: [{ _type: 'span', text: 'see ' }, { _type: 'span', text: t, marks: ['x'] }] });

describe('the rule book', () => {
  it('finds nothing in a complete issue, stored or projected', () => {
    expect(findIssueRuleProblems({ title: 'Spring', sections: [{ _key: 'a', heading: 'News', body: [text('hi')] }] })).toEqual([]);
    expect(findIssueRuleProblems({ title: 'Spring', sections: [{ key: 'a', heading: 'News', body: [text('hi')] }] })).toEqual([]);
  });

  it('refuses an issue with no title or with every section empty', () => {
    expect(findIssueRuleProblems({})).toEqual([
      { level: 'error', path: 'title', message: noTitleMessage },
      { level: 'error', path: 'sections', message: emptyIssueMessage },
    ]);
    expect(findIssueRuleProblems({ title: 'T', sections: [{ heading: 'News' }, { heading: 'Tools', body: [] }] })).toEqual([{ level: 'error', path: 'sections', message: emptyIssueMessage }]);
  });

  it('only warns about some sections empty, naming them by heading or position', () => {
    expect(findIssueRuleProblems({ title: 'T', sections: [{ heading: 'News', body: [text('x')] }, { heading: 'Tools' }, { heading: '' }] })).toEqual([
      { level: 'warning', path: 'sections', message: 'section “Tools”, section 3 (untitled) have no content yet and will be left out of the email and the page. Fill them or remove them.' },
    ]);
  });

  it('refuses malformed link URLs wherever they are, naming the place and the linked words', () => {
    const note = { _type: 'editorialNote', _key: 'n', body: [linked('the docs', 'ftp://x')] };
    const issue = {
      title: 'T',
      intro: [linked('home', 'https://exa mple.com/a b')],
      sections: [{ heading: 'News', body: [text('x'), note] }, { heading: '', body: [linked('a list', '/relative')] }],
      signOff: [linked('mail us', 'mailto:ed@example.org')],
    };
    expect(findIssueRuleProblems(issue).map((f) => [f.level, f.path, f.message.split(',')[0]])).toEqual([
      ['error', 'intro[0].markDefs[0].href', 'The intro: the link “home” goes to "https://exa mple.com/a b"'],
      ['error', 'sections[0].body[1].body[0].markDefs[0].href', 'Section “News”: the link “the docs” goes to "ftp://x"'],
      ['error', 'sections[1].body[0].markDefs[0].href', 'Section 2 (untitled): the link “a list” goes to "/relative"'],
    ]);
  });

  it('names sections and links as an editor sees them', () => {
    expect(nameSection({ heading: ' News ' }, 0)).toBe('section “News”');
    expect(nameSection({}, 4)).toBe('section 5 (untitled)');
    expect(linkTextOf(linked('the docs', 'x'), 'x')).toBe('the docs');
    expect(linkTextOf(linked('the docs', 'x'), 'y')).toBe('');
  });

  it('derives the slug "Generate" would make from the title', () => {
    expect(deriveIssueSlug('Spring Cleaning: Crème brûlée!')).toBe('spring-cleaning-creme-brulee');
    expect(deriveIssueSlug('   ')).toBeUndefined();
    expect(deriveIssueSlug(undefined)).toBeUndefined();
  });

  it('refuses a send for the rule book\'s errors and an over-long summary, as check does', () => {
    const ready = { title: 'T', sections: [{ heading: 'News', body: [text('x')] }] };
    expect(findSendRefusals(ready)).toEqual([]);
    expect(findSendRefusals({ ...ready, summary: 'x'.repeat(141) }).map((f) => f.path)).toEqual(['summary']);
    expect(findSendRefusals({ ...ready, sections: [] }).map((f) => f.path)).toEqual(['sections']);
  });
});
