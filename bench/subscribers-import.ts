// Benchmark (not a test): a large subscriber import beside the live system. Three real
// processes share one delivery database: `newsdesk serve`, `newsdesk subscribers import`
// of a generated CSV, and `newsdesk send 1 --yes` to an SMTP server in this process.
// While the import runs, one-click unsubscribes are fired at the server; the figures
// are their latency and status, the import's time and memory, and how the send ended.
//
//   npm run bench:subscribers                         # 275,000 rows
//   npm run bench:subscribers -- --rows 50000 --every 10
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../delivery/sqlite/db.ts';
import { SqliteSubscriberStore } from '../delivery/sqlite/sqlite-subscriber-store.ts';
import { children, describeStatuses, fireUnsubscribes, integerOptions, killChildren, quantile, root, serveUrl, startCli as start, startSmtpSink } from './list-kit.ts';

const { rows, readers, every: everyMs } = integerOptions({ rows: 275_000, readers: 2000, every: 20 }, 'npm run bench:subscribers -- [--rows N] [--readers N] [--every MS_BETWEEN_UNSUBSCRIBES]');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-bench-import-'));
const secret = 'bench-secret-0123456789abcdef';
const mailSink = await startSmtpSink();
const smtpPort = mailSink.port;
const env = { ...process.env, NEWSDESK_DATA_DIR: path.join(work, 'data'), NEWSDESK_OUT_DIR: path.join(work, 'dist'), NEWSDESK_PORT: '0', NEWSDESK_SECRET: secret };
delete (env as NodeJS.ProcessEnv).SMTP_URL;

try {
  // ── The list the server and the send work on ──
  const db = openDatabase(path.join(work, 'data', 'newsdesk.db'));
  const store = new SqliteSubscriberStore(db);
  const tokens: string[] = [];
  for (let i = 0; i < readers; i++) tokens.push((await store.add({ email: `reader${i}@example.org` }, 'active', { actor: 'bench', now: new Date() })).subscriber.token);
  db.close();
  const csv = path.join(work, 'people.csv');
  const out = fs.createWriteStream(csv);
  out.write('email,name,company\n');
  for (let i = 0; i < rows; i++) if (!out.write(`person-${i}@imported.example,Person ${i},Company ${i % 997}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((resolve) => out.end(() => resolve()));

  const serve = start(['serve', '--no-build'], env);
  const url = await serveUrl(serve);

  // ── The import, timed and with its peak memory (through GNU time when it is there) ──
  const gnuTime = spawnSync('/usr/bin/time', ['--version']).status === 0;
  const importArgs = ['subscribers', 'import', csv, '--pending'];
  const started = performance.now();
  const importer = gnuTime
    ? spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, path.join(root, 'bin/newsdesk.js'), ...importArgs], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : start(importArgs, env);
  children.push(importer);
  let importOut = '';
  importer.stdout!.on('data', (d: Buffer) => (importOut += d.toString()));
  importer.stderr!.on('data', (d: Buffer) => (importOut += d.toString()));
  const importDone = new Promise<{ code: number | null; seconds: number }>((resolve) => importer.once('exit', (code) => resolve({ code, seconds: (performance.now() - started) / 1000 })));
  let finished = false;
  void importDone.then(() => (finished = true));

  // ── A send of issue 1 alongside, through the SMTP server above ──
  const sendStarted = performance.now();
  const send = start(['send', '1', '--yes'], { ...env, SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, NEWSDESK_SEND_RATE: '200' });
  let sendOut = '';
  send.stdout!.on('data', (d: Buffer) => (sendOut += d.toString()));
  send.stderr!.on('data', (d: Buffer) => (sendOut += d.toString()));
  const sendDone = new Promise<{ code: number | null; seconds: number }>((resolve) => send.once('exit', (code) => resolve({ code, seconds: (performance.now() - sendStarted) / 1000 })));

  // ── One-click unsubscribes while the import runs ──
  const { latencies, statuses } = await fireUnsubscribes(url, tokens, secret, everyMs, () => finished);
  const imported = await importDone;
  const sent = await sendDone;

  const at = (q: number) => (latencies.length > 0 ? quantile(latencies, q).toFixed(1) : '—');
  const maxRss = /maxrss_kb=(\d+)/.exec(importOut)?.[1];
  console.log(`newsdesk import benchmark — ${rows.toLocaleString('en')} rows beside \`serve\` and a send to ${readers.toLocaleString('en')} readers; ${os.availableParallelism()} core(s), load ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`  import:         exit ${imported.code} in ${imported.seconds.toFixed(1)} s = ${Math.round(rows / imported.seconds).toLocaleString('en')} rows/s${maxRss ? `, peak RSS ${Math.round(Number(maxRss) / 1024)} MB` : ''}`);
  console.log(`  unsubscribes:   ${latencies.length} one-click POSTs during the import, status ${describeStatuses(statuses)}`);
  console.log(`                  latency p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${latencies.at(-1)?.toFixed(1) ?? '—'} ms (target p99 < 1000 ms)`);
  console.log(`  send:           exit ${sent.code} after ${sent.seconds.toFixed(1)} s; ${/Issue #1: \w+\. This run: [^\n]*/.exec(sendOut)?.[0] ?? sendOut.trim().split('\n').at(-1)}`);
  const ok = imported.code === 0 && sent.code === 0 && statuses.size === 1 && statuses.has(200);
  console.log(`\n${ok ? '✓' : '✗'} every unsubscribe answered 200, the import and the send finished`);
  process.exitCode = ok ? 0 : 1;
  serve.kill('SIGINT');
  await new Promise((resolve) => serve.once('exit', resolve));
} finally {
  killChildren();
  await mailSink.close();
  fs.rmSync(work, { recursive: true, force: true });
}

