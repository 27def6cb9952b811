// The web version built from the sample dataset: valid HTML on every page, the pinned
// golden issue page, the page weight budget, landmarks and metadata, a subscribe form
// with a honeypot, no scripts or inline styles, and no draft anywhere.
import fs from 'node:fs/promises';
import path from 'node:path';
import { HtmlValidate } from 'html-validate';
import { beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from './email-goldens.ts';
import { renderWebGoldens } from './web-goldens.ts';
import { buildSample, type BuiltSite } from './web-build-fixture.ts';

const validator = new HtmlValidate({
  extends: ['html-validate:recommended'],
  rules: {
    // React serialises a few attributes in camelCase (charSet, dateTime); HTML attribute names are case-insensitive.
    'attr-case': 'off',
    // React writes void elements as <meta/>; both forms are valid HTML.
    'void-style': 'off',
    // React writes boolean attributes as required=""; both forms are valid HTML.
    'attribute-boolean-style': 'off',
    // An SEO length hint, not validity: page titles are the editor's issue titles.
    'long-title': 'off',
  },
});

let site: BuiltSite;
let pages: string[];

beforeAll(async () => {
  site = await buildSample();
  pages = (await site.files()).filter((f) => f.endsWith('.html') && !f.startsWith('emails/'));
});

describe('the built web pages', () => {
  it('include the archive, every published issue, tag pages and the 404 page', async () => {
    const files = await site.files();
    expect(files).toContain('index.html');
    expect(files).toContain('404.html');
    expect(files).toEqual(expect.arrayContaining(['feed.xml', 'atom.xml', 'feed.json', 'sitemap.xml']));
    expect(files.filter((f) => /^issues\/\d+-[a-z0-9-]+\/index\.html$/.test(f))).toHaveLength(site.summary.issues);
    expect(files.some((f) => /^tags\/[a-z0-9-]+\/index\.html$/.test(f))).toBe(true);
    expect(files.filter((f) => /^style\.[0-9a-f]{10}\.css$/.test(f))).toHaveLength(1);
    for (let n = 1; n <= site.summary.issues; n++) expect(files).toEqual(expect.arrayContaining([`emails/${n}.html`, `emails/${n}.txt`]));
  });

  it('are valid HTML, every one of them', async () => {
    expect(pages.length).toBeGreaterThan(5);
    for (const page of pages) {
      const report = await validator.validateString(await site.read(page), page);
      const messages = report.results.flatMap((r) => r.messages.map((m) => `${page}:${m.line}:${m.column} ${m.ruleId}: ${m.message}`));
      expect(messages).toEqual([]);
    }
  });

  it('ship no script but the reader search\'s own file, and no inline style attribute, so a strict CSP holds', async () => {
    for (const page of pages) {
      const html = (await site.read(page)).replaceAll('<script type="module" src="/search.js"></script>', '');
      expect(html, page).not.toMatch(/<script/i);
      expect(html, page).not.toMatch(/\sstyle=/i);
      expect(html, page).not.toMatch(/<style/i);
    }
  });

  it('never contain a draft: neither a new draft issue nor the unpublished changes to a published one', async () => {
    const drafts = await site.store.fetch<Array<{ _id: string; title: string }>>('*[_type == "issue" && _id in path("drafts.**")]{_id, title}', {}, { perspective: 'raw' });
    const published = await site.store.fetch<string[]>('*[_type == "issue"].title');
    const draftOnlyTitles = drafts.map((d) => d.title).filter((t) => !published.includes(t));
    expect(draftOnlyTitles.length).toBeGreaterThan(0);
    for (const file of await site.files()) {
      const text = await site.read(file);
      for (const title of draftOnlyTitles) expect(text, file).not.toContain(title);
    }
  });
});

describe('an issue page', () => {
  let html: string;
  let file: string;
  beforeAll(async () => {
    const [golden] = await renderWebGoldens();
    file = path.relative('tests/golden', golden!.file).replace(/^web-issue-(\d+)\.html$/, '$1');
    const issueDir = (await site.files()).find((f) => f.startsWith(`issues/${file}-`))!;
    html = await site.read(issueDir);
  });

  it('matches the reviewed golden file for the largest sample issue', async () => {
    const [golden] = await renderWebGoldens();
    const expected = await fs.readFile(path.join(repositoryRoot, golden!.file), 'utf8');
    expect(golden!.content).toBe(expected);
    expect(html).toBe(expected);
  });

  it('weighs less than 60 KB with its stylesheet', async () => {
    const css = (await site.files()).find((f) => f.endsWith('.css'))!;
    const bytes = Buffer.byteLength(html) + Buffer.byteLength(await site.read(css));
    console.log(`page weight of the largest sample issue: ${(bytes / 1024).toFixed(1)} KB (HTML ${(Buffer.byteLength(html) / 1024).toFixed(1)} KB)`);
    expect(bytes).toBeLessThan(60 * 1024);
  });

  it('has one h1, sections as h2, landmarks, a previous/next nav and the language of the settings', () => {
    expect(html.match(/<h1[ >]/g)).toHaveLength(1);
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toMatch(/<header class="site-header">/);
    expect(html).toMatch(/<main id="main"/);
    expect(html).toMatch(/<footer class="site-footer">/);
    expect(html).toMatch(/<section aria-labelledby="[^"]+"><h2 id="[^"]+">/);
    expect(html).toMatch(/<nav class="pager" aria-label="Previous and next issue">/);
    expect(html).toMatch(/rel="prev"/);
  });

  it('carries canonical, Open Graph, Twitter and feed discovery metadata', () => {
    expect(html).toMatch(/<link rel="canonical" href="https:\/\/[^"]+\/issues\/\d+-[a-z0-9-]+\/"/);
    for (const prop of ['og:title', 'og:type', 'og:url', 'og:description', 'og:site_name']) expect(html).toContain(`property="${prop}"`);
    for (const name of ['twitter:card', 'twitter:title']) expect(html).toContain(`name="${name}"`);
    expect(html).toContain('type="application/rss+xml"');
    expect(html).toContain('type="application/atom+xml"');
    expect(html).toContain('type="application/feed+json"');
  });

  it('has a subscribe form posting to /subscribe with a honeypot hidden from people and screen readers', () => {
    expect(html).toMatch(/<form action="\/subscribe" method="post">/);
    expect(html).toMatch(/type="email" required="" autoComplete="email" name="email"/);
    expect(html).toMatch(/<div class="hp" aria-hidden="true"><label[^>]*>[^<]*<\/label><input id="subscribe-website" type="text" tabindex="-1" autoComplete="off" name="website"\/><\/div>/);
  });

  it('renders editorial notes distinctly: bracketed and signed', () => {
    expect(html).toMatch(/<span class="ed-note">\[[^\]]+ —Ed\.\]<\/span>/);
  });
});
