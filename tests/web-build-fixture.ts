// One real build of the shipped sample dataset into temporary folders, shared by the
// web and feed tests in a file (each test file builds its own; nothing is shared across files).
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildSite, type BuildSummary } from '../build/build-site.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { sampleDataset } from './email-goldens.ts';
import { makeTempDir } from './helpers/temp.ts';

export interface BuiltSite {
  outDir: string;
  summary: BuildSummary;
  store: GroqJsStore;
  read(rel: string): Promise<string>;
  /** Every file in the output, as paths relative to outDir, sorted. */
  files(): Promise<string[]>;
}

export async function buildSample(options: { datasetPath?: string } = {}): Promise<BuiltSite> {
  const dir = await makeTempDir('newsdesk-web-');
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await fs.copyFile(options.datasetPath ?? sampleDataset, datasetPath);
  const store = new GroqJsStore({ datasetPath });
  const outDir = path.join(dir, 'dist');
  const summary = await buildSite({ config: { outDir, dataDir: path.join(dir, 'data'), baseUrl: undefined }, store });
  return {
    outDir,
    summary,
    store,
    read: (rel) => fs.readFile(path.join(outDir, rel), 'utf8'),
    files: () => listFiles(outDir),
  };
}

export async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
