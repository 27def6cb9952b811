// Reader-search benchmark (not a test): builds N synthetic issues of real size (~12
// sections, ~80 links each; the build benchmark's dataset) and reports the search index's
// size and build time, the index update after a one-issue edit (an in-place rebuild, as
// the server runs after a publish, and a build in a new process, as `newsdesk build`), then serves the output with the project's static file
// server and the site CSP and, in Chromium, types queries into the box on an issue page:
// the bytes a first search adds (search.js plus the index files it reads) and the time
// from the last keystroke to the first result on screen.
//   npm run bench:search -- [--issues 1000] [--queries 5] [--vocabulary 20000 (0: the build benchmark's words)]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildSite } from '../build/build-site.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { StaticSite } from '../server/static.ts';
import { launchChromium } from '../tests/helpers/chromium.ts';

const { values } = parseArgs({
  options: {
    issues: { type: 'string', default: '1000' },
    queries: { type: 'string', default: '5' },
    // The build benchmark's 25 words make every word appear in every section; real prose
    // has a long tail of rare words, which is what makes an index big.
    vocabulary: { type: 'string', default: '20000' },
    'generate-into': { type: 'string' },
    // Internal: one edit and a build in a new process, as `newsdesk build` after an edit.
    'edit-in': { type: 'string' },
  },
});

const targets = { firstSearchKb: 60, latencyMs: 300, updateMs: 500, fullS: 5 };

if (values['generate-into']) {
  const { syntheticDataset, writeDataset } = await import('../tests/build-dataset.ts');
  const vocabulary = Number(values.vocabulary);
  await writeDataset(values['generate-into'], syntheticDataset({ issues: Number(values.issues), ...(vocabulary > 0 ? { vocabulary } : {}) }));
} else if (values['edit-in']) {
  const dir = values['edit-in'];
  const store = new GroqJsStore({ datasetPath: path.join(dir, 'dataset.ndjson') });
  await store.mutate([{ patch: { id: `issue-${Math.ceil(Number(values.issues) / 3)}`, set: { summary: 'Edited for a new process.' } } }]);
  const build = await buildSite({ config: { outDir: path.join(dir, 'dist'), dataDir: path.join(dir, 'data'), baseUrl: undefined }, store });
  console.log(JSON.stringify({ searchMs: build.spans.search ?? 0, totalMs: build.durationMs }));
} else {
  await bench();
}

async function sizeOf(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    bytes += (await fs.stat(path.join(entry.parentPath, entry.name))).size;
    files++;
  }
  return { bytes, files };
}

async function bench(): Promise<void> {
  const issues = Number(values.issues);
  const queries = Number(values.queries);
  if (!Number.isInteger(issues) || issues < 2) throw new Error(`--issues must be a whole number of at least 2, not "${values.issues}"`);
  if (!Number.isInteger(queries) || queries < 1) throw new Error(`--queries must be a whole number of at least 1, not "${values.queries}"`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-search-'));
  try {
    const datasetPath = path.join(dir, 'dataset.ndjson');
    execFileSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--issues', String(issues), '--vocabulary', values.vocabulary, '--generate-into', datasetPath]);
    const datasetMb = (await fs.stat(datasetPath)).size / 1e6;
    console.log(`dataset: ${issues} issues × 12 sections × 80 links, ${Number(values.vocabulary) > 0 ? `words drawn from ${values.vocabulary} with Zipf's frequencies` : 'the build benchmark\'s 25 words'}, ${datasetMb.toFixed(1)} MB`);
    const store = new GroqJsStore({ datasetPath });
    const config = { outDir: path.join(dir, 'dist'), dataDir: path.join(dir, 'data'), baseUrl: undefined };

    const full = await buildSite({ config, store, inPlace: true });
    const index = await sizeOf(path.join(config.outDir, 'search'));
    const words = await sizeOf(path.join(config.outDir, 'search', 'w'));
    const fullMs = full.spans.search ?? 0;
    console.log(`search index: ${(index.bytes / 1e6).toFixed(1)} MB in ${index.files} files for ${full.issues} issues (word files ${(words.bytes / 1e6).toFixed(1)} MB in ${words.files}; records ${((index.bytes - words.bytes) / 1e6).toFixed(1)} MB)`);
    console.log(`search index build (full build of ${full.issues} issues): ${(fullMs / 1000).toFixed(2)} s (target <= ${targets.fullS} s); the whole build took ${(full.durationMs / 1000).toFixed(1)} s`);

    await store.mutate([{ patch: { id: `issue-${Math.ceil(issues / 2)}`, set: { summary: 'An edited summary, to time the index update.' } } }]);
    const edit = await buildSite({ config, store, inPlace: true });
    console.log(`search index update after one edit (in-place rebuild): ${(edit.spans.search ?? 0).toFixed(0)} ms (target <= ${targets.updateMs} ms); the whole rebuild took ${edit.durationMs.toFixed(0)} ms, ${edit.written} files written`);
    // A new process remembers no share: it patches the index the output holds (build/search-index.ts patchIndex).
    const fresh = JSON.parse(
      execFileSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--issues', String(issues), '--edit-in', dir], { encoding: 'utf8' }).trim().split('\n').at(-1)!,
    ) as { searchMs: number; totalMs: number };
    console.log(`search index update after one edit in a new process (newsdesk build): ${fresh.searchMs.toFixed(0)} ms (target <= ${targets.updateMs} ms); the whole build took ${fresh.totalMs.toFixed(0)} ms`);

    await measureInChromium(config.outDir, queries);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function measureInChromium(outDir: string, queries: number): Promise<void> {
  const site = new StaticSite(outDir);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // The browser's headers go along (Accept-Encoding, validators), as `newsdesk serve` hands them on.
    const asked = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') asked.set(name, value);
    const result = await site.serve(new Request(url, { method: req.method ?? 'GET', headers: asked }), url.pathname);
    if (result.kind !== 'file') return void res.writeHead(result.kind === 'redirect' ? 301 : 404, result.kind === 'redirect' ? { location: result.location } : {}).end();
    const headers = Object.fromEntries(result.response.headers);
    // The CSP `newsdesk serve` gives site pages (server/security.ts), in its essentials.
    headers['content-security-policy'] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:";
    res.writeHead(result.response.status, headers).end(Buffer.from(await result.response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  try {
    // One, two or three words out of a paragraph of a different issue each time.
    const asked: string[] = [];
    const numbers = (await fs.readdir(path.join(outDir, 'search'))).filter((n) => /^\d+\.json$/.test(n)).map((n) => parseInt(n, 10)).sort((a, b) => b - a);
    for (let q = 0; q < queries; q++) {
      const file = JSON.parse(await fs.readFile(path.join(outDir, 'search', `${numbers[(q * 7) % numbers.length]}.json`), 'utf8')) as { s: Array<{ p: string[][] }> };
      const record = file.s[1 + (q % 10)] ?? file.s.at(-1)!;
      const words = record.p[0]![1]!.split(/[^a-z0-9]+/).filter((w) => w.length > 3);
      asked.push(words.slice(q % 3, q % 3 + 1 + (q % 3)).join(' '));
    }
    const issuePage = (await fs.readdir(path.join(outDir, 'issues')))[0];
    const bytes: number[] = [];
    const latencies: number[] = [];
    for (const query of asked) {
      // A fresh context each time: nothing cached, the reader's very first search.
      const context = await browser.newContext();
      const page = await context.newPage();
      const sizes = new Map<string, number>();
      page.on('requestfinished', async (request) => {
        const url = new URL(request.url());
        if (url.pathname === '/search.js' || url.pathname.startsWith('/search/')) {
          const sizesOf = await request.sizes();
          sizes.set(url.pathname + url.search, sizesOf.responseBodySize + sizesOf.responseHeadersSize);
        }
      });
      await page.goto(`${base}/issues/${issuePage}/`);
      await page.locator('.site-search.is-live').waitFor();
      const box = page.getByLabel('Search every issue');
      await box.fill(query.slice(0, -1));
      const started = performance.now();
      // Submitting searches at once (typing waits for a pause first).
      await box.press(query.at(-1)!);
      await box.press('Enter');
      await page.locator('[data-search-results] ol li').first().waitFor();
      latencies.push(performance.now() - started);
      await page.waitForLoadState('networkidle');
      bytes.push([...sizes.values()].reduce((a, b) => a + b, 0));
      await context.close();
    }
    const kb = (n: number) => (n / 1024).toFixed(1);
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(`first search bytes (search.js + index files, over ${asked.length} queries): median ${kb(median(bytes))} KB, max ${kb(Math.max(...bytes))} KB (target <= ${targets.firstSearchKb} KB)`);
    console.log(`first search latency in Chromium (keystroke to first result): median ${median(sorted).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (target <= ${targets.latencyMs} ms)`);
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
