// Benchmark (not a test): how long `newsdesk check` takes as the archive grows. Generates
// 100, 300 and 600 real-size issues (12 sections, 80 links, ~15 editorial asides each,
// plus one unpublished draft) into temporary datasets and times checkContent on each in a
// fresh process, loading the dataset included; then the real CLI on the largest. Every
// size is held to the 5 s that 600 issues must meet; that the check grows linearly is the
// growth from 300 to 600 issues (2× for linear, 4× for the pairwise check it replaced),
// taken from CPU time, which on a machine shared with other work is the steadier figure.
// Each size's peak RSS (the check's process, dataset loaded) is held to 500 MB.
//   npx tsx bench/daily-check.ts
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'generate-into': { type: 'string' }, issues: { type: 'string' }, measure: { type: 'string' } } });

const sizes = [100, 300, 600];
const targetSeconds = 5;
const targetGrowth = 2.3;
const targetPeakMb = 500;

if (values['generate-into']) {
  const { syntheticDataset, writeDataset } = await import('../tests/build-dataset.ts');
  await writeDataset(values['generate-into'], syntheticDataset({ issues: Number(values.issues), withDraft: true }));
} else if (values.measure) {
  const { checkContent } = await import('../content/check.ts');
  const { GroqJsStore } = await import('../content/groq-js-store.ts');
  const t = performance.now();
  const cpu = process.cpuUsage();
  const problems = await checkContent(new GroqJsStore({ datasetPath: values.measure }));
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, cpuSeconds: (used.user + used.system) / 1e6, problems: problems.length, peakMb: process.resourceUsage().maxRSS / 1024 }));
} else {
  await bench();
}

/** Runs this script again in a fresh process (same Node, same tsx loader) and returns its output. */
function child(args: string[]): string {
  return execFileSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

async function bench(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-check-'));
  try {
    const cpuBySize = new Map<number, number>();
    for (const issues of sizes) {
      const datasetPath = path.join(dir, `dataset-${issues}.ndjson`);
      child(['--generate-into', datasetPath, '--issues', String(issues)]);
      const { seconds, cpuSeconds, problems, peakMb } = JSON.parse(child(['--measure', datasetPath])) as { seconds: number; cpuSeconds: number; problems: number; peakMb: number };
      // The synthetic issues are valid: a problem here means the check changed, not the data.
      if (problems !== 0) throw new Error(`check found ${problems} problem(s) in valid synthetic content`);
      cpuBySize.set(issues, cpuSeconds);
      console.log(`check in-process, ${issues} issues: ${seconds.toFixed(2)} s (target <= ${targetSeconds} s)`);
      console.log(`check in-process CPU time, ${issues} issues: ${cpuSeconds.toFixed(2)} s (target <= ${targetSeconds} s)`);
      console.log(`check in-process peak RSS, ${issues} issues: ${peakMb.toFixed(0)} MB (target <= ${targetPeakMb} MB)`);
      if (issues === sizes.at(-1)) {
        const bin = path.resolve(import.meta.dirname, '../bin/newsdesk.js');
        const t = performance.now();
        execFileSync(process.execPath, [bin, 'check'], { env: { ...process.env, NEWSDESK_DATASET: datasetPath }, stdio: 'ignore' });
        console.log(`check via the CLI, ${issues} issues: ${((performance.now() - t) / 1000).toFixed(2)} s (target <= ${targetSeconds} s)`);
      }
      await fs.rm(datasetPath);
    }
    const growth = cpuBySize.get(600)! / cpuBySize.get(300)!;
    console.log(`check growth from 300 to 600 issues (CPU time): ${growth.toFixed(2)} x (target <= ${targetGrowth} x)`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
