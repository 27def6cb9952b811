// Benchmark (not a test): the local Studio as an editor feels it, in Chromium against
// `newsdesk studio`'s server over a fresh copy of the sample newsletter.
//   - open: from loading the Studio link to the Issues list answering a click;
//   - live: from a write by another process's store to the Studio showing it (target ≤ 500 ms);
//   - publish: from clicking Publish to the rebuilt page on disk (target ≤ 2 s).
//
//   npm run bench:studio
//   npm run bench:studio -- --rounds 10
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { launchChromium } from '../tests/helpers/chromium.ts';
import { ensureStudioBuilt, openStudio, startStudioServer } from '../tests/helpers/studio-kit.ts';
import { publish } from '../tests/helpers/studio-page.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error('usage: npm run bench:studio -- [--rounds N]');
  process.exit(2);
}
const targets = { liveMs: 500, publishMs: 2000 };

if (await ensureStudioBuilt()) console.log('built the Studio first');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-studio-'));
const kit = await startStudioServer({ dir });
const browser = await launchChromium();
const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, p90: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]!, max: sorted.at(-1)! };
};
const fmt = (s: ReturnType<typeof stats>) => `median ${Math.round(s.median)} ms, p90 ${Math.round(s.p90)} ms, max ${Math.round(s.max)} ms`;

try {
  // Open: a new browser context each round (nothing cached), link to a usable desk.
  const opens: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const studio = await openStudio(kit, browser);
    await studio.page.getByRole('link', { name: 'Issues' }).first().click();
    await studio.page.getByText('Hello, Fortnight').first().waitFor();
    opens.push(performance.now() - started);
    await studio.context.close();
  }
  console.log(`open the Studio to a usable issue list: ${fmt(stats(opens))}`);

  // Live: another writer on the same file, as `newsdesk links set-status` would be.
  const studio = await openStudio(kit, browser);
  const { page } = studio;
  await page.goto(`${kit.studioUrl}structure/links;all`);
  await page.getByText('GPU pools for kelpie').first().waitFor();
  const cli = new GroqJsStore({ datasetPath: kit.store.datasetPath });
  const lives: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const title = `Written elsewhere, round ${i + 1}`;
    await cli.mutate([{ patch: { id: 'link-kelpie-gpus', set: { title } } }]);
    const written = performance.now();
    await page.getByText(title).first().waitFor({ timeout: 10_000 });
    lives.push(performance.now() - written);
  }
  console.log(`a write by another process shown in the Studio: ${fmt(stats(lives))} (target ≤ ${targets.liveMs} ms)`);

  // Publish: edit a summary, publish, wait for the rebuilt page on disk.
  const publishes: number[] = [];
  const pageFile = path.join(kit.config.outDir, 'issues', '1-hello-fortnight', 'index.html');
  for (let i = 0; i < rounds; i++) {
    await page.goto(`${kit.studioUrl}structure/issues;issue-1`);
    const summary = page.locator('[data-testid="field-summary"] textarea');
    await summary.waitFor();
    const text = `Summary for publish round ${i + 1}.`;
    await summary.fill(text);
    await page.waitForFunction(() => document.body.innerText.includes('Saved'), undefined, { timeout: 15_000 }).catch(() => undefined);
    const started = performance.now();
    await publish(page);
    for (;;) {
      if ((await fs.readFile(pageFile, 'utf8').catch(() => '')).includes(text)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    publishes.push(performance.now() - started);
  }
  console.log(`Publish to the rebuilt page: ${fmt(stats(publishes))} (target ≤ ${targets.publishMs} ms)`);
} finally {
  await browser.close();
  await kit.close();
  await fs.rm(dir, { recursive: true, force: true });
}
