// The page store (build/cache.ts PageStore): the archive, tag pages and feeds a build rendered
// are kept on disk by a hash of what they show, so a new process reuses them; anything
// they show, the settings or the templates changing gives a new key, and a build removes
// the pages it no longer uses.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSite, forgetEarlierBuilds } from '../build/build-site.ts';
import { PageStore } from '../build/cache.ts';
import { feedFiles } from '../web/site.ts';
import { syntheticSite } from './helpers/fresh-build.ts';

async function setUp() {
  const { dir, store, config } = await syntheticSite('newsdesk-pages-', 6);
  const pagesDir = path.join(config.dataDir, 'build-cache', 'pages');
  return { dir, store, config, pagesDir };
}

const stored = async (dir: string) => (await fs.readdir(dir)).filter((n) => n.endsWith('.html')).sort();

describe('pages made from many issues, across processes', () => {
  it('are read back by a new process, re-rendered when what they show or the settings change, and pruned', async () => {
    const { store, config, pagesDir } = await setUp();
    await buildSite({ config, store, threads: 1 });
    const first = await stored(pagesDir);
    const tagPages = (await fs.readdir(path.join(config.outDir, 'tags'))).length;
    // The archive, one per tag page (each holding its tag's links section: build/tag-pages.ts), and the three issue feeds.
    expect(first).toHaveLength(1 + tagPages + 3);

    // A new process has no pages in memory: it takes the stored ones (marked here so the test can tell).
    const archive = await fs.readFile(path.join(config.outDir, 'index.html'), 'utf8');
    for (const name of first) {
      const file = path.join(pagesDir, name);
      await fs.writeFile(file, `${await fs.readFile(file, 'utf8')}<!-- from the page store -->`);
    }
    forgetEarlierBuilds();
    await buildSite({ config, store, threads: 1 });
    expect(await fs.readFile(path.join(config.outDir, 'index.html'), 'utf8')).toBe(`${archive}<!-- from the page store -->`);
    expect(await fs.readFile(path.join(config.outDir, feedFiles.rss), 'utf8')).toMatch(/<\/rss>\s*<!-- from the page store -->$/);
    expect(await stored(pagesDir)).toEqual(first);

    // An issue's new title shows in the archive and on its tag pages: those are rendered afresh, the old ones removed.
    await store.mutate([{ patch: { id: 'issue-2', set: { title: 'A retitled issue' } } }]);
    forgetEarlierBuilds();
    await buildSite({ config, store, threads: 1 });
    const retitled = await fs.readFile(path.join(config.outDir, 'index.html'), 'utf8');
    expect(retitled).toContain('A retitled issue');
    expect(retitled).not.toContain('from the page store');
    const second = await stored(pagesDir);
    expect(second).toHaveLength(first.length);
    expect(second.filter((n) => !first.includes(n)).length).toBeGreaterThan(0);

    // Settings shape every page.
    const linksSections = async () => {
      const slugs = await fs.readdir(path.join(config.outDir, 'tags'));
      const pages = await Promise.all(slugs.map((slug) => fs.readFile(path.join(config.outDir, 'tags', slug, 'index.html'), 'utf8')));
      return pages.map((html) => html.slice(html.indexOf('<section aria-labelledby="tag-links">'), html.indexOf('</ul></section>') + 15));
    };
    const sections = await linksSections();
    expect(sections.filter((section) => section.length > 100)).toHaveLength(tagPages);
    await store.mutate([{ patch: { id: 'newsletter', set: { title: 'Renamed Notes' } } }]);
    forgetEarlierBuilds();
    await buildSite({ config, store, threads: 1 });
    expect(await fs.readFile(path.join(config.outDir, 'index.html'), 'utf8')).toContain('Renamed Notes');
    const third = await stored(pagesDir);
    // Every page is new, each with the links section (which shows no settings) its last page held.
    expect(third.filter((n) => second.includes(n))).toHaveLength(0);
    expect(await linksSections()).toEqual(sections);
  });

  it('gives a different key when the template version, the path or the inputs differ', () => {
    const a = new PageStore('/unused', 'v1');
    const key = a.keyOf('index.html', '[1]');
    expect(a.keyOf('index.html', '[1]')).toBe(key);
    expect(new PageStore('/unused', 'v2').keyOf('index.html', '[1]')).not.toBe(key);
    expect(a.keyOf('tags/x/index.html', '[1]')).not.toBe(key);
    expect(a.keyOf('index.html', '[2]')).not.toBe(key);
  });
});
