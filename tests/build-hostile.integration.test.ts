// Hostile CMS content through every output: markup and quotes in titles and link text,
// a javascript: URL, "]]>" and control characters. Everything must come out escaped,
// the bad URL dropped with a warning naming issue and field, and every feed must parse.
import fs from 'node:fs/promises';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSite, type BuildSummary } from '../build/build-site.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { issueSubject } from '../core/render.ts';
import { hostileTitle, syntheticDataset, writeDataset } from './build-dataset.ts';
import { makeTempDir } from './helpers/temp.ts';
import { listFiles } from './web-build-fixture.ts';

let outDir: string;
let summary: BuildSummary;
let files: string[];
const read = (rel: string) => fs.readFile(path.join(outDir, rel), 'utf8');

beforeAll(async () => {
  const dir = await makeTempDir();
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await writeDataset(datasetPath, syntheticDataset({ issues: 2, sectionsPerIssue: 2, linksPerIssue: 6, hostile: true }));
  outDir = path.join(dir, 'out');
  summary = await buildSite({ config: { outDir, dataDir: path.join(dir, 'data'), baseUrl: undefined }, store: new GroqJsStore({ datasetPath }) });
  files = await listFiles(outDir);
});

describe('hostile content', () => {
  it('never reaches any output as live markup, a javascript: URL or a control character', async () => {
    for (const file of files) {
      // The reader search's script tag is the one script a page may have.
      const text = (await read(file)).replaceAll('<script type="module" src="/search.js"></script>', '');
      // Plain text is not markup: the text email may (and should) show the title literally.
      if (!file.endsWith('.txt')) {
        expect(text, file).not.toContain('<script');
        expect(text, file).not.toMatch(/<b>tags<\/b>|<i>with<\/i>/);
      }
      expect(text, file).not.toMatch(/javascript:/i);
      // eslint-disable-next-line no-control-regex
      expect(text, file).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
    }
  });

  it('is shown escaped on the issue page, the archive and the tag pages', async () => {
    const page = await read('issues/1-issue-1/index.html');
    expect(page).toContain('&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;');
    expect(page).toContain('Heading &lt;i&gt;with&lt;/i&gt; &quot;markup&quot; ]]&gt;');
    expect(page).toContain('click &quot;me&quot; &lt;now&gt;');
    expect(await read('index.html')).toContain('&lt;script&gt;');
    const tagPages = files.filter((f) => f.startsWith('tags/'));
    const withIssue = await Promise.all(tagPages.map(read));
    expect(withIssue.some((t) => t.includes('&lt;script&gt;alert(&quot;t&quot;)'))).toBe(true);
  });

  it('is data in the reader-search index: the exact title back when parsed, control characters left out', async () => {
    const header = JSON.parse(await read('search/1.json')) as { t: string };
    expect(header.t).toBe(hostileTitle.replace('\u0007', ''));
  });

  it('keeps every feed well-formed and gives back the exact text when parsed', async () => {
    for (const feed of ['feed.xml', 'atom.xml', 'sitemap.xml']) expect(XMLValidator.validate(await read(feed)), feed).toBe(true);
    const cleanTitle = `#1: ${hostileTitle.replace('\u0007', '')}`;
    // RSS and Atom titles carry escaped HTML, which a reader shows as the literal title.
    const escapedTitle = '#1: &lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;single&#39; ]]&gt; end';
    const rss = new XMLParser({ isArray: (n) => n === 'item' }).parse(await read('feed.xml'));
    expect(rss.rss.channel.item.map((i: { title: string }) => i.title)).toContain(escapedTitle);
    const atom = new XMLParser({ isArray: (n) => n === 'entry' }).parse(await read('atom.xml'));
    expect(atom.feed.entry.map((e: { title: string }) => e.title)).toContain(escapedTitle);
    const json = JSON.parse(await read('feed.json'));
    expect(json.items.map((i: { title: string }) => i.title)).toContain(cleanTitle);
  });

  it('is escaped in the email HTML and kept out of the subject header', async () => {
    const html = await read('emails/1.html');
    expect(html).toContain('&lt;script&gt;');
    expect(await read('emails/1.txt')).toContain('alert("t")');
    expect(issueSubject({ number: 1, title: `A\r\nBcc: x@example.org ${hostileTitle}` }, { title: 'T' })).not.toMatch(/[\r\n]/);
  });

  it('drops the javascript: link with a warning naming the issue and the field', () => {
    expect(summary.warnings).toEqual(
      expect.arrayContaining([expect.objectContaining({ where: 'issue 1', field: 'sections[0].body[0].markDefs[0].href' })]),
    );
  });
});
