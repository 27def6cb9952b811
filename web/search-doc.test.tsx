// What reader search knows of an issue: each block's text under the id its element has on
// the page (asides and links included), and the search box's links under a sub-path.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { aLinkCard, aLinkTarget, aLinkTo, aListItem, anIssue, aNote, aParagraph, aRenderContext, aSection } from '../tests/builders.ts';
import { renderIssuePage } from './issue-page.tsx';
import { SearchBox, renderSearchScript } from './search-box.tsx';
import { issueSearchDoc } from './search-doc.ts';

describe('an issue\'s search document', () => {
  const issue = anIssue({
    intro: [aParagraph('Welcome back.')],
    sections: [
      aSection({
        heading: 'Intro',
        body: [
          aParagraph('Read ', aLinkTo('the release notes'), ' first', aNote('we did'), '.'),
          aListItem('bullet', 'one item'),
          aLinkCard({ link: aLinkTarget({ id: 'link-card', url: 'https://cards.example.org/x', title: 'A card' }) }),
        ],
      }),
    ],
  });

  it('names each block by the id its element carries on the page, apart from the intro of the same name', () => {
    const doc = issueSearchDoc(issue);
    const html = renderIssuePage(issue, {}, aRenderContext()).html;
    const ids = doc.sections.flatMap((s) => s.blocks.map((b) => b.id)).filter(Boolean);
    expect(ids).toEqual(['intro-2_1', 'intro_1', 'intro_2', 'intro_3', 'sign-off_1']);
    for (const id of ids) expect(html).toContain(` id="${id}"`);
  });

  it('carries asides in brackets and the links each block holds', () => {
    const [, section] = issueSearchDoc(issue).sections;
    expect(section!.heading).toBe('Intro');
    expect(section!.blocks[0]!.text).toBe('Read the release notes first[we did —Ed.].');
    expect(section!.blocks[0]!.links.map((l) => l.id)).toEqual(['link-kernel-release']);
    expect(section!.blocks[2]!.links.map((l) => l.url)).toEqual(['https://cards.example.org/x']);
  });
});

describe('the search box', () => {
  it('points its script, index and archive link at a site under a sub-path', () => {
    const html = renderToStaticMarkup(<SearchBox ctx={aRenderContext({ baseUrl: 'https://example.org/news' })} />);
    expect(html).toContain('data-search="/news/search/"');
    expect(html).toContain('data-site="/news/"');
    expect(html).toContain('<a href="/news/">Search the archive</a>');
    expect(html).toContain('<script type="module" src="/news/search.js"></script>');
  });

  it('ships a script that parses on its own', () => {
    expect(() => new Function(renderSearchScript())).not.toThrow();
  });
});
