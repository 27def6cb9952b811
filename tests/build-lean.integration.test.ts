// A build that renders many issues (a server's first build, or its first after a template
// change) keeps nothing in memory for the next build in its process, as `newsdesk build`
// keeps nothing: the builds that follow take what they need from the build cache, as a new
// process does, and still equal a build from scratch.
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { expectSameAsFromScratch, syntheticSite } from './helpers/fresh-build.ts';

describe('a build that renders many issues in a long-running process', () => {
  it('keeps nothing for the next build, whose output still equals a build from scratch', async () => {
    const { dir, store, config } = await syntheticSite('newsdesk-lean-', 14);
    vi.resetModules();
    const { buildSite } = (await import('../build/build-site.ts')) as typeof import('../build/build-site.ts');
    const { heldSearchShares } = (await import('../build/search-index.ts')) as typeof import('../build/search-index.ts');

    const full = await buildSite({ config, store, threads: 2, workerThreshold: 4 });
    expect(full.rendered).toBe(14);
    // Before, every issue's share of the search index stayed in memory for the next build.
    expect(heldSearchShares()).toBe(0);
    await store.mutate([{ patch: { id: 'link-5-0', set: { title: 'A renamed link' } } }]);
    const edit = await buildSite({ config, store, threads: 2, workerThreshold: 4, inPlace: true });
    // Issue 5, which links it: one, so this build keeps what it read for the next.
    expect(edit).toMatchObject({ rendered: 1, inPlace: true });
    expect(heldSearchShares()).toBe(1);
    await expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, 'scratch'), 'after a link edit');
  });
});
