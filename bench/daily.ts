// Benchmark (not a test): the figures of the places an editor touches every day — CLI
// start-up, Studio start and first publish, the lake's history and query budget, a write
// on a large dataset, `check` over a long archive — each printed with its target, so a
// change can see what it costs. Each topic is its own script (bench/daily-<topic>.ts) run
// in a fresh process, so one topic's warm caches never flatter another's figures.
//
//   npm run bench:daily
//   npm run bench:daily -- cli check     (only the named topics)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = fs
  .readdirSync(here)
  .map((name) => /^daily-(.+)\.ts$/.exec(name)?.[1])
  .filter((topic): topic is string => topic !== undefined)
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((topic) => !available.includes(topic));
if (unknown.length) {
  console.error(`bench:daily: unknown topic ${unknown.map((t) => `"${t}"`).join(', ')}; the topics are: ${available.join(', ')}`);
  process.exit(2);
}

const figure = /^(.+): ([\d.]+) (\S+) \(target <= ([\d.]+) (\S+)\)$/;
const rows: Array<{ topic: string; line: string; met: boolean | undefined }> = [];
let failed = 0;
for (const topic of wanted.length ? wanted : available) {
  console.log(`\n== ${topic}`);
  // tsx runs the topic from source; stdout is read for figure lines and echoed as it is.
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `daily-${topic}.ts`)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(run.stdout);
  if (run.status !== 0) {
    failed++;
    console.log(`(bench daily-${topic} exited with ${run.status ?? run.signal})`);
  }
  for (const line of run.stdout.split('\n')) {
    const m = figure.exec(line.trim());
    if (m) rows.push({ topic, line: line.trim(), met: m[3] === m[5] ? Number(m[2]) <= Number(m[4]) : undefined });
  }
}

console.log('\n== summary: figure (target)');
for (const row of rows) console.log(`${row.met === undefined ? '  ' : row.met ? 'ok' : '!!'} ${row.topic.padEnd(8)} ${row.line}`);
const missed = rows.filter((r) => r.met === false).length;
console.log(`${rows.length - missed} of ${rows.length} figure(s) within target${failed ? `; ${failed} topic(s) failed to run` : ''}`);
process.exitCode = failed ? 1 : 0;
