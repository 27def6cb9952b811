import * as cheerio from 'cheerio';
import { getContrast } from 'color2k';
import { describe, expect, it } from 'vitest';
import { isNewsdeskError } from '../core/errors.ts';
import { placeholders } from '../core/render.ts';
import {
  aLink,
  aLinkCard,
  aLinkTarget,
  aLinkTo,
  aListItem,
  aNote,
  aParagraph,
  aRealSizeIssue,
  aRenderContext,
  aSection,
  anImage,
  anIssue,
  aQuote,
  someSettings,
  strong,
} from '../tests/builders.ts';
import { buildIssueMjml, compileMjml, renderIssueEmail } from './issue-email.ts';

const ctx = aRenderContext();

/** The HTML between the <body> tags, where content lives. */
const bodyOf = (html: string) => html.slice(html.indexOf('<body'));

describe('renderIssueEmail', () => {
  it('compiles the issue template under strict MJML validation into a complete HTML document', async () => {
    const email = await renderIssueEmail(anIssue(), ctx);
    expect(email.html.startsWith('<!doctype html>')).toBe(true);
    expect(email.html).toContain('</html>');
    expect(email.warnings).toEqual([]);
  });

  it('reports an invalid template as RENDER_FAILED naming the issue and the MJML problem', async () => {
    const broken = buildIssueMjml(anIssue(), ctx).replace('<mj-column>', '<mj-column><mj-nonsense/>');
    const failure = await compileMjml(broken, 'issue 7').catch((e: unknown) => e);
    expect(isNewsdeskError(failure, 'RENDER_FAILED')).toBe(true);
    expect((failure as Error).message).toContain('issue 7');
    expect((failure as Error).message).toContain('mj-nonsense');
  });

  it('uses the issue subject and hides the summary as a preheader', async () => {
    const email = await renderIssueEmail(anIssue({ number: 12, title: 'Proxies', summary: 'Proxies got simpler this fortnight, and here is why.' }), ctx);
    expect(email.subject).toBe('Ecosystem Tracker #12: Proxies');
    expect(email.preheader).toBe('Proxies got simpler this fortnight, and here is why.');
    expect(email.html).toMatch(/<div style="display:none;[^"]*">Proxies got simpler this fortnight, and here is why\.[^<]*<\/div>/);
  });

  it('hides the preheader without colouring it, so no filter reads it as white-on-white text', async () => {
    const { html } = await renderIssueEmail(anIssue({ summary: 'Short summary.' }), ctx);
    const [, style] = /<div style="([^"]*)">Short summary\./.exec(html) ?? [];
    expect(style).toContain('display:none');
    expect(style).not.toMatch(/(^|;)\s*color\s*:/);
  });

  it('pads the preheader with invisible spacers, so an inbox preview shows nothing of the email after the summary', async () => {
    const { html } = await renderIssueEmail(anIssue({ summary: 'Short summary.' }), ctx);
    // What an inbox previews: the body's text in document order.
    const text = cheerio.load(html)('body').text().replace(/\s+/g, ' ').trim();
    expect(text.startsWith('Short summary.')).toBe(true);
    const next200 = [...text.slice('Short summary.'.length)].slice(0, 200).join('');
    expect(next200).toMatch(/^[\u034f\u200c\u00a0 ]{200}$/);
  });

  it('falls back to the start of the intro for the preheader when there is no summary', async () => {
    const email = await renderIssueEmail(anIssue({ summary: undefined, intro: [aParagraph('A busy fortnight in the ecosystem.')] }), ctx);
    expect(email.preheader).toBe('A busy fortnight in the ecosystem.');
  });

  it('shows the newsletter name, issue number, date, title and byline in the header', async () => {
    const { html } = await renderIssueEmail(anIssue({ number: 12, date: '2026-03-14', title: 'Proxies', byline: 'By Dana' }), ctx);
    const body = bodyOf(html);
    expect(body).toContain('Ecosystem Tracker</div>');
    expect(body).toContain('Issue #12 · March 14, 2026');
    expect(body).toMatch(/<h1[^>]*>Proxies<\/h1>/);
    expect(body).toContain('By Dana');
  });

  it('links to the issue web page to view it in the browser', async () => {
    const { html } = await renderIssueEmail(anIssue({ number: 12, slug: 'proxies' }), ctx);
    expect(html).toContain('<a href="https://news.example.org/issues/12-proxies/" style="color:#6b7280" class="nd-m">View in browser</a>');
  });

  it('says why the reader gets the email and carries the unsubscribe and recipient placeholders and the postal address', async () => {
    const { html } = await renderIssueEmail(anIssue(), ctx);
    expect(html).toContain(`You are receiving this because you subscribed to Ecosystem Tracker with ${placeholders.recipientEmail}.`);
    expect(html).toContain(`<a href="${placeholders.unsubscribeUrl}"`);
    expect(html).toContain('Ecosystem Tracker<br>12 Harbour Lane<br>Portsmouth PO1 2AB<br>United Kingdom');
  });

  it('is dark-mode aware and declares both colour schemes', async () => {
    const { html } = await renderIssueEmail(anIssue(), ctx);
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
    expect(html).toContain('<meta name="supported-color-schemes" content="light dark">');
    expect(html).toContain('@media (prefers-color-scheme:dark)');
  });

  it('is a single 600px column that phones can shrink', async () => {
    const { html } = await renderIssueEmail(anIssue(), ctx);
    expect(html).toContain('max-width:600px');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html.match(/mj-column-per-100/g)?.length).toBeGreaterThan(0);
    expect(html).not.toMatch(/mj-column-per-(?!100)/);
  });

  it('uses the accent colour from the settings for links and headings', async () => {
    const settings = someSettings({ accentColor: '#aa3300' });
    const issue = anIssue({ sections: [aSection({ body: [aParagraph('See ', aLink('this', 'https://a.example/'), '.')] })] });
    const { html } = await renderIssueEmail(issue, aRenderContext({ settings }));
    expect(html).toContain('<a href="https://a.example/" style="color:#aa3300">this</a>');
    expect(html).toContain('border-top:2px solid #aa3300');
  });

  it('darkens an accent too pale to read on white, and lightens one too dark for dark mode, to at least 4.5:1', async () => {
    const withLink = anIssue({ sections: [aSection({ body: [aParagraph('See ', aLink('this', 'https://a.example/'), '.')] })] });
    const colourOf = (html: string, pattern: RegExp) => pattern.exec(html)?.[1] ?? 'missing';

    const pale = (await renderIssueEmail(withLink, aRenderContext({ settings: someSettings({ accentColor: '#ffd966' }) }))).html;
    expect(getContrast(colourOf(pale, /<a href="https:\/\/a\.example\/" style="color:(#[0-9a-f]{6})"/), '#ffffff')).toBeGreaterThanOrEqual(4.5);
    expect(getContrast(colourOf(pale, /class="nd-a" style="[^"]*color:(#[0-9a-f]{6})"/), '#ffffff')).toBeGreaterThanOrEqual(4.5);

    const deep = (await renderIssueEmail(withLink, aRenderContext({ settings: someSettings({ accentColor: '#102a43' }) }))).html;
    expect(getContrast(colourOf(deep, /\.nd-t \.nd-a\{color:(#[0-9a-f]{6}) !important\}/), '#0d1117')).toBeGreaterThanOrEqual(4.5);
  });

  it('renders each section as a heading followed by its text', async () => {
    const issue = anIssue({
      sections: [aSection({ heading: 'News', body: [aParagraph('First.')] }), aSection({ heading: 'Proxies', body: [aParagraph('Second.')] })],
    });
    const body = bodyOf((await renderIssueEmail(issue, ctx)).html);
    expect(body).toMatch(/<h2[^>]*>News<\/h2><p[^>]*>First\.<\/p>/);
    expect(body).toMatch(/<h2[^>]*>Proxies<\/h2><p[^>]*>Second\.<\/p>/);
    expect(body.indexOf('>News<')).toBeLessThan(body.indexOf('>Proxies<'));
  });

  it('sets editorial notes apart: italic, muted, bracketed and signed, inline and as blocks', async () => {
    const issue = anIssue({
      sections: [
        aSection({
          body: [
            aParagraph('The release shipped ', aNote('finally'), ' on Tuesday.'),
            aNote({ paragraphs: [['A first thought.'], ['A second one.']], signature: 'Dana' }),
          ],
        }),
      ],
    });
    const body = bodyOf((await renderIssueEmail(issue, ctx)).html);
    expect(body).toContain('The release shipped <span class="nd-m" style="font-style:italic;color:#6b7280">[finally\u00a0—Ed.]</span> on Tuesday.');
    expect(body).toContain(
      '<div class="nd-m" style="font-style:italic;color:#6b7280"><p style="margin:0 0 8px">[A first thought.</p><p style="margin:0 0 16px">A second one.\u00a0—Dana]</p></div>',
    );
  });

  it('keeps a space between an inline note and the sentence it follows', async () => {
    const issue = anIssue({ sections: [aSection({ body: [aParagraph('It shipped.', aNote('Finally'), '.')] })] });
    const body = bodyOf((await renderIssueEmail(issue, ctx)).html);
    expect(body).toContain('It shipped. <span class="nd-m" style="font-style:italic;color:#6b7280">[Finally\u00a0—Ed.]</span>.</p>');
  });

  it('renders lists as real ul and ol elements', async () => {
    const issue = anIssue({
      sections: [aSection({ body: [aListItem('bullet', 'one'), aListItem('bullet', 'two'), aParagraph('Then:'), aListItem('number', 'first')] })],
    });
    const body = bodyOf((await renderIssueEmail(issue, ctx)).html);
    expect(body).toMatch(/<ul[^>]*><li[^>]*>one<\/li><li[^>]*>two<\/li><\/ul>/);
    expect(body).toMatch(/<ol[^>]*><li[^>]*>first<\/li><\/ol>/);
  });

  it('renders blockquotes, bold and code inline', async () => {
    const issue = anIssue({ sections: [aSection({ body: [aQuote('Ship it.'), aParagraph(strong('Kernel'), ' is out.')] })] });
    const body = bodyOf((await renderIssueEmail(issue, ctx)).html);
    expect(body).toMatch(/<blockquote[^>]*>Ship it\.<\/blockquote>/);
    expect(body).toContain('<strong>Kernel</strong> is out.');
  });

  it('renders a link card with its title, site name, description, comment and URL', async () => {
    const issue = anIssue({ sections: [aSection({ body: [aLinkCard({ comment: 'Worth an evening.' })] })] });
    const body = bodyOf((await renderIssueEmail(issue, ctx)).html);
    const target = aLinkTarget();
    expect(body).toContain(`<a href="${target.url}" title="${target.title}" style="color:#1d6b5f"><strong style="font-size:17px">${target.title}</strong></a>`);
    expect(body).toContain('>Kernels Blog</div>');
    expect(body).toContain('>What changed in the fourth release, and how to upgrade.</div>');
    expect(body).toContain('>Worth an evening.</div>');
    expect(body).toContain(`>${target.url}</a>`);
  });

  it('links annotated text to the link document with its URL and title, and keeps the text when the document is gone', async () => {
    const issue = anIssue({
      number: 9,
      sections: [aSection({ body: [aParagraph('Read ', aLinkTo('the notes'), ' and ', aLinkTo('the gone one', null), '.')] })],
    });
    const email = await renderIssueEmail(issue, ctx);
    expect(email.html).toContain('Read <a href="https://kernels.example.com/blog/release-4" title="Release 4 of the kernel project" style="color:#1d6b5f">the notes</a> and the gone one.');
    expect(email.warnings).toEqual([
      { where: 'issue 9', field: 'sections[0].body[0].markDefs[1].reference', message: expect.stringContaining('does not exist') },
    ]);
  });

  it('shows images with alt text, a width no wider than the column and a proportional height', async () => {
    const issue = anIssue({ sections: [aSection({ body: [anImage({ width: 1200, height: 600, caption: 'The chain.' })] })] });
    const body = bodyOf((await renderIssueEmail(issue, ctx)).html);
    expect(body).toContain('<img src="https://cdn.example.org/images/diagram-1200x600.png" alt="A diagram of the proxy chain" width="552" height="276"');
    expect(body).toContain('The chain.</span>');
  });

  it('drops javascript: links, keeps their text and warns naming the issue and the field', async () => {
    const issue = anIssue({
      number: 12,
      sections: [
        aSection(),
        aSection({
          heading: 'Proxies',
          body: [
            aParagraph('Fine.'),
            aParagraph('Click ', aLink('here', 'javascript:alert(1)'), ' or ', aNote('see ', aLink('this', 'JavaScript:alert(2)'))),
          ],
        }),
      ],
    });
    const email = await renderIssueEmail(issue, ctx);
    expect(email.html.toLowerCase()).not.toContain('javascript:');
    expect(email.html).toContain('Click here or ');
    expect(email.warnings).toEqual([
      { where: 'issue 12', field: 'sections[1].body[1].markDefs[0].href', message: expect.stringContaining('not http, https or mailto') },
      { where: 'issue 12', field: 'sections[1].body[1].children[3].body[0].markDefs[0].href', message: expect.stringContaining('not http, https or mailto') },
    ]);
  });

  it('leaves out images whose source is not http(s), with a warning', async () => {
    const issue = anIssue({ sections: [aSection({ body: [anImage({ url: 'data:image/png;base64,AAAA' })] })] });
    const email = await renderIssueEmail(issue, ctx);
    expect(email.html).not.toContain('data:image');
    expect(email.warnings.map((w) => w.field)).toEqual(['sections[0].body[0].url']);
  });

  it('escapes hostile content from the CMS everywhere it appears', async () => {
    const hostile = '<script>alert("x")</script> \'quoted\' ]]> \u0000\u0007bell\u202e';
    const settings = someSettings({ title: 'News <b>"Desk"</b>', postalAddress: '1 <img src=x onerror=alert(1)> Street' });
    const issue = anIssue({
      title: hostile,
      summary: hostile,
      byline: hostile,
      sections: [
        aSection({
          heading: hostile,
          body: [
            aParagraph(hostile, aLink(`"><script>`, 'https://a.example/?q="><script>')),
            aLinkCard({ link: aLinkTarget({ title: hostile, description: hostile, siteName: hostile }) }),
            anImage({ alt: '"onerror="alert(1)' }),
          ],
        }),
      ],
    });
    const { html, subject } = await renderIssueEmail(issue, aRenderContext({ settings }));
    expect(html).not.toMatch(/<script|<b>|<img src=x|onerror="alert/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &#39;quoted&#39; ]]&gt; bell');
    expect(html).toContain('href="https://a.example/?q=&quot;&gt;&lt;script&gt;"');
    expect(html).toContain('<title>News &lt;b&gt;&quot;Desk&quot;&lt;/b&gt; #7: &lt;script&gt;');
    expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u202e]/);
    expect(subject).not.toMatch(/[\u0000-\u001f]/);
  });

  it('does not let content forge a per-recipient placeholder', async () => {
    const issue = anIssue({ sections: [aSection({ body: [aParagraph(`Send to ${placeholders.recipientEmail} at ${placeholders.unsubscribeUrl}`)] })] });
    const { html, text } = await renderIssueEmail(issue, ctx);
    const clean = await renderIssueEmail(anIssue(), ctx);
    expect(html.split(placeholders.recipientEmail).length).toBe(clean.html.split(placeholders.recipientEmail).length);
    expect(html.split(placeholders.unsubscribeUrl).length).toBe(clean.html.split(placeholders.unsubscribeUrl).length);
    expect(text.split(placeholders.recipientEmail).length).toBe(clean.text.split(placeholders.recipientEmail).length);
  });

  it('keeps the HTML of a real-size issue (12 sections, 80 links, 19 notes) under the 102 KB Gmail clips at', async () => {
    const issue = aRealSizeIssue();
    const { html, warnings } = await renderIssueEmail(issue, ctx);
    const bytes = Buffer.byteLength(html, 'utf8');
    console.log(`real-size issue email HTML: ${(bytes / 1024).toFixed(1)} KB`);
    expect(warnings).toEqual([]);
    expect(html.match(/<a href="https:\/\/project\d+\.example\.com/g)?.length).toBe(80);
    expect(html.match(/—Ed\.\]/g)?.length).toBe(19);
    expect(bytes).toBeLessThan(102 * 1024);
  });

  it('renders the same issue to the same email every time', async () => {
    const issue = aRealSizeIssue();
    const [a, b] = await Promise.all([renderIssueEmail(issue, ctx), renderIssueEmail(issue, ctx)]);
    expect(a).toEqual(b);
  });
});
