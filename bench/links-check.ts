// Benchmark (not a test): `links check` throughput against a loopback web site standing in
// for many sites (host names all resolving to it through the fetch policy's resolver seam):
// the whole run over a dataset of published issues — read, check, record — with the
// default politeness (2 requests per site at a time, starts a second apart per site,
// 8 in flight overall), and with no delay, which shows what the checker itself can do.
//   npm run bench:links-check
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { checkLink } from '../content/link-check/check-link.ts';
import { checkPublishedLinks, defaultPoliteness } from '../content/link-check/check-links.ts';
import type { Politeness } from '../content/link-check/polite-queue.ts';
import { startLinkSite } from '../tests/link-check-kit.ts';

const hosts = 100;
const linksPerHost = 5;
const linksPerIssue = 20;

const site = await startLinkSite();
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-links-check-'));
try {
  const urls = Array.from({ length: hosts * linksPerHost }, (_, i) => `http://site-${i % hosts}.example:${site.port}/page/${Math.floor(i / hosts)}`);
  const issues = [];
  for (let n = 0; n * linksPerIssue < urls.length; n++) {
    const markDefs = urls.slice(n * linksPerIssue, (n + 1) * linksPerIssue).map((href, k) => ({ _type: 'externalLink', _key: `l${k}`, href }));
    issues.push({ _id: `issue-${n + 1}`, _type: 'issue', number: n + 1, title: `Issue ${n + 1}`, date: '2026-03-14', sections: [{ _type: 'section', _key: 's', heading: 'News', body: [{ _type: 'block', _key: 'p', markDefs, children: [] }] }] });
  }
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await fs.writeFile(datasetPath, issues.map((d) => JSON.stringify(d)).join('\n'));
  const store = new GroqJsStore({ datasetPath });
  const limits = { timeoutMs: 30_000, maxRedirects: 5 };
  const measure = async (politeness: Politeness) => {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const run = await checkPublishedLinks(store, { check: (url) => checkLink(url, { limits, policy: site.policy() }), politeness });
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    if (run.checked.length !== urls.length || run.checked.some((r) => r.outcome !== 'ok')) throw new Error('not every link was checked fine: the bench site changed');
    // The site runs in this process too: its share is in the CPU figure.
    return { perSecond: run.checked.length / seconds, cpuMsPerLink: (used.user + used.system) / 1000 / run.checked.length };
  };
  // The polite figure is bounded by design: each site gets a start a second at most.
  const polite = await measure(defaultPoliteness);
  console.log(`links check, ${hosts} sites x ${linksPerHost} links, default politeness (${defaultPoliteness.perHost}/site, ${defaultPoliteness.delayMs} ms apart, ${defaultPoliteness.concurrency} overall): ${polite.perSecond.toFixed(0)} links/s (target >= 80 links/s)`);
  const eager = await measure({ ...defaultPoliteness, delayMs: 0 });
  console.log(`links check, ${hosts} sites x ${linksPerHost} links, no delay (${defaultPoliteness.perHost}/site, ${defaultPoliteness.concurrency} overall): ${eager.perSecond.toFixed(0)} links/s (target >= 300 links/s)`);
  console.log(`links check CPU time per link, checker and site together: ${eager.cpuMsPerLink.toFixed(2)} ms (target <= 2 ms)`);
  store.close();
} finally {
  await site.close();
  await fs.rm(dir, { recursive: true, force: true });
}
