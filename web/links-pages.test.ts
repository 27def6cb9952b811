import { describe, expect, it } from 'vitest';
import type { PublishedLink } from '../build/links-index.ts';
import { aRenderContext } from '../tests/builders.ts';
import { renderLinksPages } from './links-pages.tsx';

/** A link first used in issue `number`, from `domain`. */
function link(n: number, domain: string): PublishedLink {
  const url = `https://${domain}/post-${n}`;
  return {
    key: url,
    id: `l${n}`,
    url,
    title: `Post ${n}`,
    siteName: undefined,
    description: undefined,
    domain,
    tags: [],
    uses: [{ number: n, slug: `issue-${n}`, title: `Issue ${n}`, date: '2026-01-01', anchor: undefined, words: `Words about post ${n}.` }],
  };
}

describe('the link pages', () => {
  it("keep a site's page as it was when a publish adds a page of links but none of that site's links moves", async () => {
    const ctx = aRenderContext();
    // 250 links: the first page holds the newest 150, links/page/1/ the oldest 100, among them all of old.example's.
    const before = Array.from({ length: 250 }, (_, i) => link(i + 1, i < 20 ? 'old.example' : 'busy.example'));
    const inputsOf = async (links: PublishedLink[]) => new Map((await renderLinksPages({ links, sections: [] }, ctx, [])).map((f) => [f.rel, f.inputs] as const));
    const first = await inputsOf(before);
    // 60 more from a new site: 310 links, so a page is added (links/page/2/) and 100 links move to it.
    const after = await inputsOf([...before, ...Array.from({ length: 60 }, (_, i) => link(251 + i, 'new.example'))]);
    expect([...first.keys()].filter((rel) => /^links\/page\//.test(rel))).toEqual(['links/page/1/index.html']);
    expect([...after.keys()].filter((rel) => /^links\/page\//.test(rel)).sort()).toEqual(['links/page/1/index.html', 'links/page/2/index.html']);
    const site = 'links/domain/old.example/index.html';
    expect(after.get(site)!.meta).toBe(first.get(site)!.meta);
    expect(after.get(site)!.links).toEqual(first.get(site)!.links);
    // A site whose links moved to the new page is made again: its items link to where each is listed.
    const busy = 'links/domain/busy.example/index.html';
    expect(after.get(busy)!.meta).not.toBe(first.get(busy)!.meta);
    expect(after.has('links/domain/new.example/index.html')).toBe(true);
  });
});
