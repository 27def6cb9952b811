// The link pages and topic feeds, from real builds: the sample dataset (every link of
// every published issue on /links/, newest first, with the issues it appeared in and the
// words around it; domain pages; the tag filter; sitemap; topic feeds parsed back), a
// constructed dataset (paging, hostile text), an in-place rebuild after a publish, and the
// list of sites split by first character when it is long.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as cheerio from 'cheerio';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSite } from '../build/build-site.ts';
import { loadLinkedIn } from '../content/capture/linked-in.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { loadIssues } from '../content/load.ts';
import type { Issue, PortableBlock } from '../content/model.ts';
import { normaliseUrl, parseHttpUrl } from '../content/normalize-url.ts';
import { escapeHtmlText } from '../core/render.ts';
import { sectionAnchors } from '../web/issue-page.tsx';
import { renderLinksPages } from '../web/links-pages.tsx';
import { syntheticDataset, writeDataset } from './build-dataset.ts';
import { aRenderContext } from './builders.ts';
import { makeTempDir } from './helpers/temp.ts';
import { buildSample, listFiles, type BuiltSite } from './web-build-fixture.ts';

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['item', 'entry', 'link', 'category'].includes(name) });
const site = 'https://news.example.org';

interface ListedLink {
  id: string;
  url: string;
  title: string;
  domainHref: string | undefined;
  tags: string[];
  uses: Array<{ number: number; href: string; words: string }>;
}

/** The links of a list page, as a reader sees them. */
function listedLinks(html: string): ListedLink[] {
  const $ = cheerio.load(html);
  return $('ul.link-list > li')
    .toArray()
    .map((li) => {
      const item = $(li);
      return {
        id: item.attr('id')!,
        url: item.find('h3 a').attr('href')!,
        title: item.find('h3 a').text(),
        domainHref: item.find('p.meta a[href*="/links/domain/"]').attr('href'),
        tags: item.find('p.meta a[rel="tag"]').toArray().map((a) => $(a).attr('href')!),
        uses: item
          .find('ul.link-uses > li')
          .toArray()
          .map((use) => ({
            number: Number(/^#(\d+):/.exec($(use).children('a').text())![1]),
            href: $(use).children('a').attr('href')!,
            words: $(use).find('p.words').text(),
          })),
      };
    });
}

/** A page's main text with blocks apart, whitespace collapsed: what a reader reads. */
function mainText(html: string): string {
  const $ = cheerio.load(html.replace(/<\/(p|li|h\d|div)>/g, ' $&'));
  return $('main').text().replace(/\s+/g, ' ');
}

/** Every http(s) link of an issue, from the read model (a walk independent of the build's). */
function issueUrls(issue: Issue): string[] {
  const urls: string[] = [];
  const blocks = (list: PortableBlock[]) => {
    for (const block of list) {
      if (block._type === 'linkCard' && block.link) urls.push(block.link.url);
      if (block._type === 'editorialNote') for (const b of block.body) marks(b.markDefs);
      if (block._type === 'block') {
        marks(block.markDefs);
        for (const child of block.children) if (child._type === 'editorialNote') for (const b of child.body) marks(b.markDefs);
      }
    }
  };
  const marks = (defs: Array<{ _type: string; href?: string; link?: { url: string } | null }>) => {
    for (const def of defs) {
      if (def._type === 'externalLink' && def.href) urls.push(def.href);
      if (def._type === 'linkReference' && def.link) urls.push(def.link.url);
    }
  };
  blocks(issue.intro);
  for (const section of issue.sections) blocks(section.body);
  blocks(issue.signOff);
  return urls.filter((u) => parseHttpUrl(u));
}

const unellipsed = (words: string) => words.replace(/^…\s?/, '').replace(/\s?…$/, '');

describe('the link pages of the sample', () => {
  let built: BuiltSite;
  let issues: Issue[];
  let links: ListedLink[];

  beforeAll(async () => {
    built = await buildSample();
    issues = await loadIssues(built.store);
    links = listedLinks(await built.read('links/index.html'));
  });

  it('list every link of every published issue once, newest first, with the issues it appeared in', async () => {
    const expected = new Set(issues.flatMap(issueUrls).map(normaliseUrl));
    const listed = links.map((l) => normaliseUrl(l.url));
    expect(new Set(listed).size).toBe(listed.length);
    expect(new Set(listed)).toEqual(expected);
    const firsts = links.map((l) => l.uses[0]!.number);
    expect(firsts).toEqual([...firsts].sort((a, b) => b - a));
    // The same issues the Studio's "already linked in #N" names.
    const linkedIn = await loadLinkedIn(built.store);
    for (const link of links) expect(link.uses.map((u) => u.number), link.url).toEqual(linkedIn([link.url]).map((i) => i.number));
  });

  it("show the editor's words around each link, as they read on the issue page, and link to its section", async () => {
    const pages = new Map<number, string>();
    for (const issue of issues) {
      const dir = (await built.files()).find((f) => f.startsWith(`issues/${issue.number}-`) && f.endsWith('index.html'))!;
      pages.set(issue.number, mainText(await built.read(dir)));
    }
    let withWords = 0;
    for (const link of links) {
      for (const use of link.uses) {
        if (!use.words) continue;
        withWords++;
        for (const part of unellipsed(use.words).split(' … ')) expect(pages.get(use.number), `${link.url} in #${use.number}`).toContain(part);
      }
    }
    expect(withWords).toBeGreaterThan(links.length / 2);
    const migration = links.find((l) => l.url === 'https://docs.marrow.example.org/core/3.0/migration')!;
    expect(migration.uses[0]!.words).toContain('walks through what breaks');
    // In the News section of issue 4: the use links to that section's anchor.
    const issue4 = issues.find((i) => i.number === 4)!;
    const news = sectionAnchors(issue4)[issue4.sections.findIndex((s) => s.heading === 'News')];
    expect(migration.uses[0]!.href).toBe(`/issues/4-${issue4.slug}/#${news}`);
  });

  it('have a page per site listing exactly the links from it, and a list of sites', async () => {
    const $ = cheerio.load(await built.read('links/domains/index.html'));
    const domainHrefs = $('ul.domain-list a').toArray().map((a) => $(a).attr('href')!);
    expect(domainHrefs.length).toBeGreaterThan(5);
    expect(new Set(links.map((l) => l.domainHref))).toEqual(new Set(domainHrefs));
    for (const href of domainHrefs) {
      const page = cheerio.load(await built.read(`${href.slice(1)}index.html`));
      const urls = page('ul.link-list > li h3 a').toArray().map((a) => page(a).attr('href'));
      expect(urls.sort()).toEqual(links.filter((l) => l.domainHref === href).map((l) => l.url).sort());
      // Each points back to the link's full entry on /links/.
      for (const a of page('a:contains("what the editor wrote")').toArray()) expect(links.map((l) => `/links/#${l.id}`)).toContain(page(a).attr('href'));
    }
    expect(links.find((l) => l.url.startsWith('https://github.com/'))?.domainHref).toBe('/links/domain/github.com/');
  });

  it('filter by topic through the tag pages, which offer the topic feeds', async () => {
    const tagPages = (await built.files()).filter((f) => /^tags\/[^/]+\/index\.html$/.test(f));
    const $ = cheerio.load(await built.read('links/index.html'));
    const filters = $('nav.link-filters a').toArray().map((a) => $(a).attr('href'));
    for (const page of tagPages) expect(filters).toContain(`/${page.replace(/index\.html$/, '')}`);
    for (const link of links) for (const tag of link.tags) expect(tagPages).toContain(`${tag.slice(1)}index.html`);
    const releases = cheerio.load(await built.read('tags/releases/index.html'));
    expect(releases('link[rel="alternate"]').toArray().map((l) => releases(l).attr('href'))).toEqual(
      expect.arrayContaining(['/tags/releases/feed.xml', '/tags/releases/atom.xml', '/tags/releases/feed.json']),
    );
    expect(releases('p.topic-feeds a').toArray().map((a) => releases(a).attr('href'))).toEqual(['/tags/releases/feed.xml', '/tags/releases/atom.xml', '/tags/releases/feed.json', '/links/']);
  });

  it('are in the sitemap', async () => {
    const locs = (new XMLParser({ isArray: (n) => n === 'url' }).parse(await built.read('sitemap.xml')).urlset.url as Array<{ loc: string }>).map((u) => u.loc);
    const pages = (await built.files()).filter((f) => f.startsWith('links/') && f.endsWith('index.html')).map((f) => `${site}/${f.replace(/index\.html$/, '')}`);
    expect(pages).toContain(`${site}/links/`);
    expect(pages).toContain(`${site}/links/domains/`);
    for (const page of pages) expect(locs).toContain(page);
  });

  it('have their own feeds of the newest links, offered on the page', async () => {
    const json = JSON.parse(await built.read('links/feed.json'));
    expect(json.feed_url).toBe(`${site}/links/feed.json`);
    // The first fifty of /links/, in its order.
    expect(json.items.map((i: { id: string }) => i.id)).toEqual(links.slice(0, 50).map((l) => l.url));
    const rss = xml.parse(await built.read('links/feed.xml')).rss;
    expect(rss.channel.item).toHaveLength(json.items.length);
    const $ = cheerio.load(await built.read('links/index.html'));
    expect($('link[rel="alternate"]').toArray().map((l) => $(l).attr('href'))).toEqual(expect.arrayContaining(['/links/feed.xml', '/links/atom.xml', '/links/feed.json']));
  });

  it('give each tag a feed of its sections and links, the same in RSS, Atom and JSON Feed, newest first', async () => {
    const topicSections = issues
      .flatMap((issue) => issue.sections.map((s, i) => ({ issue, section: s, anchor: sectionAnchors(issue)[i]! })))
      .filter((s) => s.section.topic?.slug === 'releases')
      .map((s) => ({ id: `${site}/issues/${s.issue.number}-${s.issue.slug}/#${s.anchor}`, date: s.issue.date }));
    expect(topicSections.length).toBeGreaterThan(0);
    const taggedLinks = links.filter((l) => l.tags.includes('/tags/releases/'));
    expect(taggedLinks.length).toBeGreaterThan(0);
    const dateOf = new Map(issues.map((i) => [i.number, i.date]));
    const expected = [...topicSections, ...taggedLinks.map((l) => ({ id: l.url, date: dateOf.get(l.uses[0]!.number)! }))];

    const json = JSON.parse(await built.read('tags/releases/feed.json'));
    expect(json.version).toBe('https://jsonfeed.org/version/1.1');
    expect(json.feed_url).toBe(`${site}/tags/releases/feed.json`);
    expect(json.home_page_url).toBe(`${site}/tags/releases/`);
    const ids = json.items.map((i: { id: string }) => i.id) as string[];
    expect(new Set(ids)).toEqual(new Set(expected.map((e) => e.id).slice(0, 50)));
    const dates = json.items.map((i: { date_published: string }) => i.date_published.slice(0, 10)) as string[];
    expect(dates).toEqual([...dates].sort().reverse());
    for (const item of json.items as Array<{ id: string; date_published: string }>) expect(item.date_published.slice(0, 10)).toBe(expected.find((e) => e.id === item.id)!.date);

    const rss = xml.parse(await built.read('tags/releases/feed.xml')).rss;
    expect((rss.channel.item as Array<{ guid: { '#text': string } | string }>).map((i) => (typeof i.guid === 'string' ? i.guid : i.guid['#text']))).toEqual(ids);
    const atom = xml.parse(await built.read('tags/releases/atom.xml')).feed;
    expect((atom.entry as Array<{ id: string }>).map((e) => e.id)).toEqual(ids);
    expect((atom.entry as Array<{ link: Array<{ '@href': string }> }>).map((e) => e.link[0]!['@href'])).toEqual(json.items.map((i: { url: string }) => i.url));
  });
});

type Doc = Record<string, unknown> & { _id: string; _type: string };

const hostileTitle = 'Pay $& and $\' then <script>alert(1)</script> & "more"';
const hostileWords = 'She wrote <b>bold</b> words, $1 and ]]> about';

/** An issue of its own: a hostile link document in a section on a topic, and a link typed inline. */
function hostileIssue(n: number, date: string): Doc[] {
  const span = (key: string, text: string, marks: string[] = []) => ({ _type: 'span', _key: key, text, marks });
  return [
    {
      _id: 'link-hostile',
      _type: 'link',
      url: 'https://odd.example.org/<x>?q="1"',
      title: hostileTitle,
      description: 'A description with <i>markup</i>.',
      tags: [{ _type: 'reference', _ref: 'tag-tooling', _key: 't1' }],
      status: 'shortlisted',
    },
    {
      _id: `issue-${n}`,
      _type: 'issue',
      number: n,
      title: `Issue ${n} <em>odd</em>`,
      slug: { _type: 'slug', current: `issue-${n}` },
      date,
      sections: [
        {
          _type: 'section',
          _key: 's1',
          heading: 'Odd <things>',
          topic: { _type: 'reference', _ref: 'tag-tooling' },
          body: [
            {
              _type: 'block',
              _key: 'b1',
              style: 'normal',
              markDefs: [
                { _type: 'linkReference', _key: 'm1', reference: { _type: 'reference', _ref: 'link-hostile' } },
                { _type: 'externalLink', _key: 'm2', href: 'https://www.inline.example.net/typed?utm_source=x' },
              ],
              children: [span('c1', `${hostileWords} `), span('c2', 'this', ['m1']), span('c3', ' and '), span('c4', 'that page', ['m2']), span('c5', '.')],
            },
          ],
        },
      ],
    },
  ];
}

const recurringWords = 'Every week, the calendar of meetings is';

/** Three issues that link to the same page: the first two with the same words around it, the third with others. */
function recurringIssues(first: number): Doc[] {
  const issue = (n: number, words: string): Doc => ({
    _id: `issue-${n}`,
    _type: 'issue',
    number: n,
    title: `Issue ${n}`,
    slug: { _type: 'slug', current: `issue-${n}` },
    date: `2021-04-0${n - first + 1}`,
    sections: [
      {
        _type: 'section',
        _key: 's1',
        heading: 'Every week',
        body: [
          {
            _type: 'block',
            _key: 'b1',
            style: 'normal',
            markDefs: [{ _type: 'linkReference', _key: 'm1', reference: { _type: 'reference', _ref: 'link-recurring' } }],
            children: [
              { _type: 'span', _key: 'c1', text: `${words} `, marks: [] },
              { _type: 'span', _key: 'c2', text: 'here', marks: ['m1'] },
              { _type: 'span', _key: 'c3', text: '.', marks: [] },
            ],
          },
        ],
      },
    ],
  });
  return [
    { _id: 'link-recurring', _type: 'link', url: 'https://calendar.example.org/meetings', title: 'The meetings calendar', status: 'shortlisted' },
    issue(first, recurringWords),
    issue(first + 1, recurringWords),
    issue(first + 2, 'This week the meetings moved, as'),
  ];
}

describe('the link pages of a constructed archive', () => {
  let dir: string;
  let store: GroqJsStore;
  let config: { outDir: string; dataDir: string; baseUrl: undefined };
  const read = (rel: string) => fs.readFile(path.join(config.outDir, rel), 'utf8');

  beforeAll(async () => {
    dir = await makeTempDir('newsdesk-links-');
    const datasetPath = path.join(dir, 'dataset.ndjson');
    const docs = syntheticDataset({ issues: 30, sectionsPerIssue: 3, linksPerIssue: 9 }) as Doc[];
    docs.push(...hostileIssue(31, '2021-03-01'), ...recurringIssues(32));
    await writeDataset(datasetPath, docs);
    store = new GroqJsStore({ datasetPath });
    config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
    await buildSite({ config, store, threads: 1, inPlace: true });
  });

  it('pages /links/ a hundred at a time from the oldest, every link exactly once, each page newest first', async () => {
    const files = await listFiles(config.outDir);
    const older = files.filter((f) => /^links\/page\/\d+\/index\.html$/.test(f)).sort((a, b) => Number(/\d+/.exec(b)![0]) - Number(/\d+/.exec(a)![0]));
    expect(older.length).toBeGreaterThan(0);
    const front = listedLinks(await read('links/index.html'));
    expect(front.length).toBeGreaterThanOrEqual(100);
    expect(front.length).toBeLessThan(200);
    const pages = [front, ...(await Promise.all(older.map(async (f) => listedLinks(await read(f)))))];
    for (const page of pages.slice(1)) expect(page).toHaveLength(100);
    const all = pages.flat();
    expect(new Set(all.map((l) => l.url)).size).toBe(all.length);
    const firsts = all.map((l) => l.uses[0]!.number);
    expect(firsts).toEqual([...firsts].sort((a, b) => b - a));
    // Every page is reachable without scripts: "older" links walk from the first to the last.
    let at = 'links/index.html';
    const walked: string[] = [];
    for (;;) {
      const next = cheerio.load(await read(at))('nav.pager a[rel="next"]').attr('href');
      if (!next) break;
      at = `${next.slice(1)}index.html`;
      walked.push(at);
    }
    expect(walked).toEqual(older);
  });

  it('says the words around a link once for issues in a row that say the same', async () => {
    const recurring = listedLinks(await read('links/index.html')).find((l) => l.title === 'The meetings calendar')!;
    expect(recurring.uses.map((use) => [use.number, use.words])).toEqual([
      [32, `${recurringWords} here.`],
      [33, ''],
      [34, 'This week the meetings moved, as here.'],
    ]);
  });

  it('shows hostile text as text in pages and feeds, and drops tracking parameters from the key only', async () => {
    const links = listedLinks(await read('links/index.html'));
    const hostile = links.find((l) => l.title === hostileTitle)!;
    expect(hostile.url).toBe('https://odd.example.org/<x>?q="1"');
    expect(hostile.uses[0]!.words).toBe(`${hostileWords} this and that page.`);
    expect(hostile.domainHref).toBe('/links/domain/odd.example.org/');
    const inline = links.find((l) => l.url.startsWith('https://www.inline.example.net/'))!;
    expect(inline.title).toBe('that page');
    expect(inline.domainHref).toBe('/links/domain/inline.example.net/');
    const page = await read('links/index.html');
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<b>bold');

    const json = JSON.parse(await read('tags/tooling/feed.json'));
    const item = json.items.find((i: { title: string }) => i.title === hostileTitle);
    expect(item.content_html).toContain(escapeHtmlText(hostileWords));
    expect(item.content_html).not.toContain('<b>');
    const section = json.items.find((i: { id: string }) => i.id.endsWith('#odd-things'));
    expect(section.title).toBe('#31 Issue 31 <em>odd</em>: Odd <things>');
    const rss = xml.parse(await read('tags/tooling/feed.xml')).rss;
    const titles = (rss.channel.item as Array<{ title: string }>).map((i) => i.title);
    expect(titles).toContain(escapeHtmlText(hostileTitle));
    const atom = xml.parse(await read('tags/tooling/atom.xml')).feed;
    const entry = (atom.entry as Array<{ id: string; content: { '#text': string } }>).find((e) => e.id.endsWith('#odd-things'))!;
    expect(entry.content['#text']).toContain(escapeHtmlText(hostileWords));
  });

  it('after a publish, an in-place rebuild puts the new links first, adds the issue to links used again, and updates the topic feed', async () => {
    const before = await listFiles(config.outDir);
    const stat = async (rel: string) => (await fs.stat(path.join(config.outDir, rel))).mtimeMs;
    const oldest = before.find((f) => f === 'links/page/1/index.html')!;
    const oldestMtime = await stat(oldest);
    const template = (await store.documents()).find((d) => d._id === 'issue-31')! as unknown as Doc;
    const reused = listedLinks(await read('links/index.html')).find((l) => l.uses[0]!.number === 30)!;
    const reusedId = (await store.documents()).find((d) => d._type === 'link' && d.url === reused.url)!._id;
    const sections = structuredClone(template.sections) as Array<{ heading: string; body: Array<{ markDefs: Array<Record<string, unknown>> }> }>;
    sections[0]!.heading = 'Brand new';
    sections[0]!.body[0]!.markDefs = [
      { _type: 'linkReference', _key: 'm1', reference: { _type: 'reference', _ref: reusedId } },
      { _type: 'externalLink', _key: 'm2', href: 'https://fresh.example.com/just-published' },
    ];
    await store.mutate([{ create: { ...template, _id: 'issue-35', number: 35, title: 'Issue thirty-five', slug: { _type: 'slug', current: 'issue-35' }, date: '2021-04-15', sections } }]);

    const summary = await buildSite({ config, store, threads: 1, inPlace: true });
    expect(summary.inPlace).toBe(true);
    const links = listedLinks(await read('links/index.html'));
    expect(links[0]!.url).toBe('https://fresh.example.com/just-published');
    expect(links[0]!.uses.map((u) => u.number)).toEqual([35]);
    expect(links.find((l) => l.url === reused.url)!.uses.map((u) => u.number)).toEqual([30, 35]);
    // Older pages stay as they were.
    expect(await stat(oldest)).toBe(oldestMtime);
    expect(await read('links/domain/fresh.example.com/index.html')).toContain('https://fresh.example.com/just-published');

    const json = JSON.parse(await read('tags/tooling/feed.json'));
    expect(json.items[0].id).toBe(`${site}/issues/35-issue-35/#brand-new`);
    expect(json.items.map((i: { id: string }) => i.id)).toContain('https://fresh.example.com/just-published');

    // The same bytes a full build of the same content writes.
    const reference = path.join(dir, 'reference');
    await buildSite({ config: { outDir: reference, dataDir: path.join(dir, 'data-reference'), baseUrl: undefined }, store, threads: 1 });
    const ours = (await listFiles(config.outDir)).filter((f) => f.startsWith('links/') || f.startsWith('tags/') || f === 'sitemap.xml');
    const theirs = (await listFiles(reference)).filter((f) => f.startsWith('links/') || f.startsWith('tags/') || f === 'sitemap.xml');
    expect(ours).toEqual(theirs);
    for (const rel of theirs) expect(await read(rel), rel).toBe(await fs.readFile(path.join(reference, rel), 'utf8'));
  });
});

describe('the list of sites', () => {
  it('splits by first character when there are many, every site on exactly one page', async () => {
    const names = Array.from({ length: 620 }, (_, i) => `${'abcdefghij0'[i % 11]}site-${i}.example.org`);
    const links = names.map((domain, i) => ({
      key: `https://${domain}/p`,
      id: `l-${i}`,
      url: `https://${domain}/p`,
      title: `Page ${i}`,
      siteName: undefined,
      description: undefined,
      domain,
      tags: [],
      uses: [{ number: 1 + Math.floor(i / 10), slug: `issue-${1 + Math.floor(i / 10)}`, title: 'An issue', date: '2026-01-02', anchor: undefined, words: 'Some words.' }],
    }));
    const files = await renderLinksPages({ links, sections: [] }, aRenderContext(), []);
    const page = (rel: string) => cheerio.load([files.find((f) => f.rel === rel)!.html()].flat().join(''));
    const index = page('links/domains/index.html');
    const groups = index('ul.domain-groups a').toArray().map((a) => index(a).attr('href')!);
    expect(groups).toHaveLength(11);
    const listed = groups.flatMap((href) => {
      const $ = page(`${href.slice(1)}index.html`);
      return $('ul.domain-list a').toArray().map((a) => $(a).text());
    });
    expect(listed.sort()).toEqual([...names].sort());
  });
});
