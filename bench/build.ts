// Build benchmark (not a test): generates N synthetic issues of real size (~12 sections,
// ~80 links each) into a temporary dataset, then reports the full build time and rate,
// a one-issue incremental rebuild, peak RSS (worker threads share the process, so this
// covers them), and the raw cost of mjml2html for one issue as the floor.
//   npm run bench:build -- [--issues 1000] [--threads N]
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mjml2html from 'mjml';
import { buildSite } from '../build/build-site.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { loadIssueByNumber, loadSettings } from '../content/load.ts';
import { buildIssueMjml } from '../emails/issue-email.ts';
import { syntheticDataset, writeDataset } from '../tests/build-dataset.ts';

const { values } = parseArgs({ options: { issues: { type: 'string', default: '1000' }, threads: { type: 'string' } } });
const issues = Number(values.issues);
if (!Number.isInteger(issues) || issues < 2) throw new Error(`--issues must be a whole number of at least 2, not "${values.issues}"`);
const threads = values.threads === undefined ? os.availableParallelism() : Number(values.threads);

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-build-'));
try {
  const datasetPath = path.join(dir, 'dataset.ndjson');
  let t = performance.now();
  await writeDataset(datasetPath, syntheticDataset({ issues }));
  const datasetMb = (await fs.stat(datasetPath)).size / 1e6;
  console.log(`dataset: ${issues} issues × 12 sections × 80 links, ${datasetMb.toFixed(1)} MB, generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const store = new GroqJsStore({ datasetPath });
  const config = { outDir: path.join(dir, 'dist'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
  const progress = process.stderr.isTTY
    ? (p: { phase: string; done: number; total: number }) => process.stderr.write(`\r\x1b[2K${p.phase} ${p.done}/${p.total}`)
    : undefined;

  const full = await buildSite({ config, store, threads, ...(progress ? { onProgress: progress } : {}) });
  if (progress) process.stderr.write('\r\x1b[2K');
  const fullS = full.durationMs / 1000;
  console.log(`full build:        ${fullS.toFixed(1)} s for ${full.issues} issues (${(full.issues / fullS).toFixed(0)} issues/s, ${full.threads} worker threads, ${full.files} files)`);

  await store.mutate([{ patch: { id: `issue-${Math.ceil(issues / 2)}`, set: { summary: 'An edited summary, to time a one-issue rebuild.' } } }]);
  t = performance.now();
  const incremental = await buildSite({ config, store, threads });
  console.log(`incremental build: ${(incremental.durationMs / 1000).toFixed(2)} s (${incremental.rendered} rendered, ${incremental.reused} reused; includes re-reading the ${datasetMb.toFixed(0)} MB dataset)`);
  const again = await buildSite({ config, store, threads });
  console.log(`no-change build:   ${(again.durationMs / 1000).toFixed(2)} s (${again.rendered} rendered, ${again.reused} reused; dataset already in memory)`);

  const peakMb = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS:          ${peakMb.toFixed(0)} MB (main thread and workers, one process; includes generating the dataset)`);

  const settings = await loadSettings(store);
  const issue = await loadIssueByNumber(store, 1);
  const source = buildIssueMjml(issue, { baseUrl: settings.siteUrl, settings });
  await mjml2html(source, { validationLevel: 'strict' });
  const runs = 20;
  t = performance.now();
  for (let i = 0; i < runs; i++) await mjml2html(source, { validationLevel: 'strict' });
  const mjmlMs = (performance.now() - t) / runs;
  const floorS = (mjmlMs * issues) / 1000 / Math.max(1, full.threads || 1);
  console.log(
    `mjml2html floor:   ${mjmlMs.toFixed(1)} ms per issue → ${floorS.toFixed(1)} s for ${issues} issues on ${Math.max(1, full.threads)} thread(s); full build is ${(fullS / floorS).toFixed(1)}× the floor`,
  );
  console.log(`targets: full ≤ 20 s on 2 cores, incremental ≤ 1 s, peak RSS ≤ 500 MB (this machine: ${os.availableParallelism()} cores)`);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
