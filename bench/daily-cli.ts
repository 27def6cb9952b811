// Benchmark (not a test): how soon the `newsdesk` executable answers, measured from
// outside as a user meets it: wall time of a child process running bin/newsdesk.js
// (the compiled CLI) with the Node that npm scripts use, median of 5 runs. `issues` and
// `schedule --list` run on the sample dataset in a fresh data folder holding one
// scheduled send; one untimed run first seeds the folder and compiles the CLI if a
// source changed, so the figures are those of every later run.
//
//   npx tsx bench/daily-cli.ts
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin/newsdesk.js');
const runs = 5;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-bench-cli-'));
const env: NodeJS.ProcessEnv = { ...process.env, NEWSDESK_DATA_DIR: work };
for (const key of Object.keys(env)) if (/^(NEWSDESK_|SANITY_|SMTP_|DKIM_)/.test(key) && key !== 'NEWSDESK_DATA_DIR') delete env[key];

const figures: Array<{ name: string; args: string[]; target: number }> = [
  { name: 'newsdesk --help', args: ['--help'], target: 0.2 },
  { name: 'newsdesk issues, sample dataset', args: ['issues'], target: 0.5 },
  { name: 'newsdesk schedule --list, sample dataset', args: ['schedule', '--list'], target: 0.5 },
];

function runCli(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, env, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    console.error(`newsdesk ${args.join(' ')} exited with ${result.status}:\n${result.stderr}`);
    process.exit(1);
  }
  return seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

try {
  runCli(['issues']);
  runCli(['schedule', '4', '--at', '2030-01-01T09:00Z']);
  for (const figure of figures) {
    runCli(figure.args);
    const seconds = median(Array.from({ length: runs }, () => runCli(figure.args)));
    console.log(`${figure.name}: ${seconds.toFixed(2)} s (target <= ${figure.target} s)`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
