// The summary under an issue page's title, and when the page leaves it out: when the body
// opens with the same words (an imported issue's summary is taken from its first paragraph).
import { describe, expect, it } from 'vitest';
import { anIssue, aParagraph, aRenderContext, aSection, aListItem } from '../tests/builders.ts';
import { renderIssuePage, summaryOpensBody } from './issue-page.tsx';

const opening = 'Three compilers shipped this fortnight, and one of them rewrote its whole back end.';

/** How many times `text` appears in the page's HTML. */
function timesIn(html: string, text: string): number {
  return html.split(text).length - 1;
}

describe('an issue page\'s summary', () => {
  it('is shown under the title when it says something the body does not', () => {
    const issue = anIssue({ summary: 'Compilers, mostly.', intro: [aParagraph(opening)] });
    const { html } = renderIssuePage(issue, {}, aRenderContext());
    expect(html).toContain('<p class="summary">Compilers, mostly.</p>');
    expect(timesIn(html, opening)).toBe(1);
  });

  it('is left out when the intro opens with the same paragraph, which the page then shows once', () => {
    const issue = anIssue({ summary: opening, intro: [aParagraph(opening), aParagraph('More below.')] });
    const { html } = renderIssuePage(issue, {}, aRenderContext());
    expect(html).not.toContain('class="summary"');
    expect(timesIn(html, `>${opening}<`)).toBe(1);
    // Still the page's description, where the body is not beside it.
    expect(html).toContain(`<meta name="description" content="${opening}"/>`);
  });

  it('is left out when it is the opening paragraph cut short with an ellipsis, whatever the spacing', () => {
    const issue = anIssue({ summary: 'Three compilers shipped this fortnight, and one…', intro: [aParagraph('Three  compilers shipped\nthis fortnight, ', 'and one of them rewrote its whole back end.')] });
    expect(summaryOpensBody(issue)).toBe(true);
    expect(renderIssuePage(issue, {}, aRenderContext()).html).not.toContain('class="summary"');
  });

  it('is left out when there is no intro and the first section opens with it', () => {
    const issue = anIssue({ summary: opening, intro: [], sections: [aSection({ body: [aParagraph(opening)] })] });
    expect(summaryOpensBody(issue)).toBe(true);
  });

  it('is shown when it only begins the paragraph without saying it was cut, or matches a later one or a list item', () => {
    expect(summaryOpensBody(anIssue({ summary: 'Three compilers shipped', intro: [aParagraph(opening)] }))).toBe(false);
    expect(summaryOpensBody(anIssue({ summary: opening, intro: [aParagraph('Hello.'), aParagraph(opening)] }))).toBe(false);
    expect(summaryOpensBody(anIssue({ summary: opening, intro: [aListItem('bullet', opening)] }))).toBe(false);
    expect(summaryOpensBody(anIssue({ summary: 'Three compilers shipped this fortnight, and one of them rewrote its whole back end.…', intro: [aParagraph(opening)] }))).toBe(false);
    expect(summaryOpensBody(anIssue({ summary: '…', intro: [aParagraph(opening)] }))).toBe(false);
  });
});
