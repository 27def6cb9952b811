// Opening an email must not tell anyone but the newsletter who read it: everything a
// mail client fetches to display it (images, stylesheets, fonts, backgrounds) comes
// from the newsletter's own host. Links (<a href>) are only followed when clicked, so
// they may point anywhere.
import * as cheerio from 'cheerio';
import { describe, expect, it } from 'vitest';
import { renderIssueEmail } from '../emails/issue-email.ts';
import { anImage, anIssue, aParagraph, aRenderContext, aSection, someSettings } from './builders.ts';
import { renderSampleEmails } from './helpers/sample-emails.ts';

/** Every URL a mail client would fetch to display the HTML. */
function fetchedUrls(html: string): string[] {
  const $ = cheerio.load(html);
  const urls: string[] = [];
  const fromCss = (css: string) => {
    for (const m of css.matchAll(/url\(\s*(['"]?)([^'")]+)\1\s*\)/gi)) urls.push(m[2]!.trim());
    for (const m of css.matchAll(/@import\s+(['"])([^'"]+)\1/gi)) urls.push(m[2]!.trim());
  };
  $('[src]').each((_, el) => void urls.push($(el).attr('src')!));
  $('[srcset]').each((_, el) => void urls.push(...$(el).attr('srcset')!.split(',').map((c) => c.trim().split(/\s+/)[0]!)));
  $('[background]').each((_, el) => void urls.push($(el).attr('background')!));
  $('[poster]').each((_, el) => void urls.push($(el).attr('poster')!));
  $('link[href]').each((_, el) => void urls.push($(el).attr('href')!));
  $('style').each((_, el) => fromCss($(el).text()));
  $('[style]').each((_, el) => fromCss($(el).attr('style')!));
  // MJML puts the Outlook-only parts in conditional comments, which are markup too.
  for (const m of html.matchAll(/<!--\[if[\s\S]*?<!\[endif\]-->/g)) urls.push(...fetchedUrls(m[0].replace(/^<!--\[if[^\]]*\]>|<!\[endif\]-->$/g, '')));
  return urls;
}

function foreign(urls: string[], siteUrl: string): string[] {
  const own = new URL(siteUrl).host;
  return urls.filter((u) => {
    try {
      const url = new URL(u);
      return url.protocol !== 'https:' || url.host !== own;
    } catch {
      return true; // relative: nothing to resolve it against in a mailbox
    }
  });
}

describe('hosts an email makes the reader fetch from', () => {
  it('finds images, stylesheets, imports, backgrounds and srcsets, so an empty list means something', () => {
    const html =
      '<html><head><link rel="stylesheet" href="https://fonts.example.com/a.css"><style>@import url(https://a.test/x.css);@import "https://b.test/y.css";' +
      '.h{background:url("https://c.test/bg.png")}</style></head><body background="https://d.test/t.gif"><img src="https://e.test/i.png" srcset="https://f.test/2x.png 2x">' +
      '<!--[if mso]><v:image src="https://g.test/o.png"/><![endif]--><a href="https://anywhere.test/">a link</a></body></html>';
    expect(fetchedUrls(html).sort()).toEqual(
      ['https://a.test/x.css', 'https://b.test/y.css', 'https://c.test/bg.png', 'https://d.test/t.gif', 'https://e.test/i.png', 'https://f.test/2x.png', 'https://fonts.example.com/a.css', 'https://g.test/o.png'].sort(),
    );
  });

  it('makes every email of the sample newsletter (issues, confirmation, welcome) fetch nothing from another host, web fonts included', async () => {
    const { settings, emails } = await renderSampleEmails();
    const offenders = emails.map((e) => ({ email: e.name, foreign: foreign(fetchedUrls(e.html), settings.siteUrl) })).filter((e) => e.foreign.length > 0);
    expect(offenders).toEqual([]);
    expect(emails.map((e) => e.html).join('')).not.toMatch(/fonts\.googleapis|fonts\.gstatic/);
  });

  it('fetches a logo and images kept on the newsletter’s own host from there, and nothing else', async () => {
    const settings = someSettings({ logoUrl: 'https://news.example.org/logo.png' });
    const issue = anIssue({ sections: [aSection({ body: [aParagraph('A picture:'), anImage({ url: 'https://news.example.org/media/chart.png' })] })] });
    const { html } = await renderIssueEmail(issue, aRenderContext({ settings }));
    expect(fetchedUrls(html).sort()).toEqual(['https://news.example.org/logo.png', 'https://news.example.org/media/chart.png']);
  });
});
