// Builds as a new process (`newsdesk build` after an edit) runs them: every module loaded
// afresh, so nothing a build remembers in memory is there, only what the build cache holds.
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, vi } from 'vitest';
import { GroqJsStore } from '../../content/groq-js-store.ts';
import { syntheticDataset, writeDataset } from '../build-dataset.ts';
import { listFiles } from '../web-build-fixture.ts';
import { makeTempDir } from './temp.ts';

export type BuildOptions = Parameters<typeof import('../../build/build-site.ts').buildSite>[0];

interface FreshModules {
  linksIndex: typeof import('../../build/links-index.ts');
  tagPages: typeof import('../../build/tag-pages.ts');
  topicFeeds: typeof import('../../web/topic-feeds.ts');
}

/** buildSite with every module loaded afresh; returns what `counted` reads from the modules it ran with (how often it made the links index, say). */
export async function buildInNewProcess<T = number>(options: BuildOptions, counted: (modules: FreshModules) => T = () => 0 as T): Promise<T> {
  vi.resetModules();
  const { buildSite } = (await import('../../build/build-site.ts')) as typeof import('../../build/build-site.ts');
  await buildSite(options);
  const linksIndex = (await import('../../build/links-index.ts')) as FreshModules['linksIndex'];
  const tagPages = (await import('../../build/tag-pages.ts')) as FreshModules['tagPages'];
  const topicFeeds = (await import('../../web/topic-feeds.ts')) as FreshModules['topicFeeds'];
  return counted({ linksIndex, tagPages, topicFeeds });
}

/** Asserts that `options.config.outDir` holds, byte for byte, what a build from scratch of the same store writes (into `scratch`, with its own data folder). */
export async function expectSameAsFromScratch(options: BuildOptions, scratch: string, label: string): Promise<void> {
  const reference = path.join(scratch, 'out');
  await buildInNewProcess({ ...options, inPlace: false, config: { ...options.config, outDir: reference, dataDir: path.join(scratch, 'data') } });
  const [ours, theirs] = await Promise.all([listFiles(options.config.outDir), listFiles(reference)]);
  expect(ours).toEqual(theirs);
  for (const rel of ours) {
    const [a, b] = await Promise.all([fs.readFile(path.join(options.config.outDir, rel)), fs.readFile(path.join(reference, rel))]);
    expect(a.equals(b), `${label}: ${rel}`).toBe(true);
  }
}

/** A temporary folder with a synthetic dataset of `issues` issues (3 sections, 9 links each), its store, and a build config writing into the folder. */
export async function syntheticSite(prefix: string, issues = 12) {
  const dir = await makeTempDir(prefix);
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await writeDataset(datasetPath, syntheticDataset({ issues, sectionsPerIssue: 3, linksPerIssue: 9 }));
  const store = new GroqJsStore({ datasetPath });
  const config = { outDir: path.join(dir, 'out'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
  return { dir, datasetPath, store, config };
}
