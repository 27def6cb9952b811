// A server leaves a rebuild that renders most issues to `newsdesk build` in a process of its
// own (server/server.ts handOffRebuild): buildSite tells it how many it would render, and
// writes nothing when it is left elsewhere.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSite, forgetEarlierBuilds } from '../build/build-site.ts';
import { handOffRebuild } from '../server/server.ts';
import { expectSameAsFromScratch, syntheticSite } from './helpers/fresh-build.ts';
import { runCli } from './helpers/run-cli.ts';

/** Every file under `dir` with its content, by path. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.set(path.relative(dir, file), await fs.readFile(file, 'utf8'));
  }
  return out;
}

describe('a build handed off', () => {
  it('renders and writes nothing when the server leaves it to another process, and builds as usual when not', async () => {
    const { store, config } = await syntheticSite('newsdesk-hand-off-', 12);
    await buildSite({ config, store, threads: 1 });

    // One edited issue (and so no neighbour's key changes): not handed off.
    await store.mutate([{ patch: { id: 'issue-3', set: { summary: 'A summary edited once.' } } }]);
    const asked: Array<[number, number]> = [];
    const edit = await buildSite({ config, store, threads: 1, inPlace: true, handOff: (toRender, issues) => (asked.push([toRender, issues]), handOffRebuild(toRender, issues)) });
    expect(asked).toEqual([[1, 12]]);
    expect(edit.handedOff).toBeUndefined();
    expect(edit.rendered).toBe(1);

    // A new title renders every issue: handed off, the output and the build cache stay as they were.
    await store.mutate([{ patch: { id: 'newsletter', set: { title: 'Renamed Notes' } } }]);
    const [out, cache] = [await snapshot(config.outDir), await snapshot(config.dataDir)];
    const renamed = await buildSite({ config, store, threads: 2, inPlace: true, handOff: handOffRebuild });
    expect(renamed).toMatchObject({ handedOff: true, issues: 12, rendered: 12, reused: 0, written: 0 });
    expect(await snapshot(config.outDir)).toEqual(out);
    expect(await snapshot(config.dataDir)).toEqual(cache);

    // What `newsdesk build` would then do.
    const full = await buildSite({ config, store, threads: 1 });
    expect(full.rendered).toBe(12);
    expect(await fs.readFile(path.join(config.outDir, 'index.html'), 'utf8')).toContain('Renamed Notes');
  });

  it('builds in place after `newsdesk build` built the site in a process of its own, writing what a build from scratch writes', async () => {
    const { dir, datasetPath, store, config } = await syntheticSite('newsdesk-hand-off-', 12);
    const summary = (n: number, text: string) => store.mutate([{ patch: { id: `issue-${n}`, set: { summary: text } } }]);
    // What a server keeps between its rebuilds.
    await buildSite({ config, store, threads: 1 });
    await summary(3, 'Edited once in this process.');
    await buildSite({ config, store, threads: 1, inPlace: true });

    // Nine of twelve issues change: left to `newsdesk build`, which builds the site anew and prunes the build cache.
    for (let n = 1; n <= 9; n++) await summary(n, `Edited for the other process (${n}).`);
    expect((await buildSite({ config, store, threads: 1, inPlace: true, handOff: handOffRebuild })).handedOff).toBe(true);
    const built = await runCli(['build'], { env: { NEWSDESK_DATASET: datasetPath, NEWSDESK_DATA_DIR: config.dataDir, NEWSDESK_OUT_DIR: config.outDir } });
    expect(built.stdout).toMatch(/✓ built 12 issue\(s\) into .*: 9 rendered, 3 reused from cache/);
    // As the server does, so as not to hold what described the site before beside that build and after it.
    forgetEarlierBuilds();

    // The next rebuild here, in place, writes what a build from scratch writes.
    await summary(11, 'Edited here after the other process.');
    const next = await buildSite({ config, store, threads: 1, inPlace: true, handOff: handOffRebuild });
    expect(next).toMatchObject({ rendered: 1, inPlace: true });
    expect(next.handedOff).toBeUndefined();
    await expectSameAsFromScratch({ config, store, threads: 1 }, path.join(dir, 'scratch'), 'after the hand-off');
  });

  it('is left elsewhere when it renders more issues than a build renders without workers and more than a quarter of them', () => {
    expect(handOffRebuild(12, 12)).toBe(true);
    expect(handOffRebuild(8, 12)).toBe(false);
    expect(handOffRebuild(251, 1000)).toBe(true);
    expect(handOffRebuild(250, 1000)).toBe(false);
  });
});
