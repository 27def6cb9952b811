// Benchmark (not a test): a large list in PostgreSQL, as an operator on two machines runs
// it. A PostgreSQL server from the npm binaries; `newsdesk subscribers import` of a
// generated CSV of N rows (1,000,000 by default), timed from outside with its peak
// memory; `newsdesk subscribers stats`, timed from outside; then `newsdesk serve` and
// `newsdesk send 1 --yes` to Postfix's smtp-sink: one sender alone for a
// window, then a second `send 1 --yes` joining it for a window of the same length (the
// two split the recipients), while one-click unsubscribes are fired at the server all
// along. The last lines are the figures.
//   npm run bench:postgres-scale                            # 1,000,000 rows
//   npm run bench:postgres-scale -- --rows 100000 --window 10
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startLocalPostgres } from '../delivery/postgres/local-postgres.ts';
import { children, describeStatuses, fireUnsubscribes, freePort, integerOptions, killChildren, quantile, root, serveUrl, startCli, startPostfixSink } from './list-kit.ts';

const { rows, window: windowS, every: everyMs } = integerOptions({ rows: 1_000_000, window: 20, every: 20 }, 'npm run bench:postgres-scale -- [--rows N] [--window SECONDS] [--every MS_BETWEEN_UNSUBSCRIBES]');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-bench-pg-'));
// As root the server runs as the postgres user, who must reach the folder.
fs.chmodSync(work, 0o755);
const secret = 'bench-secret-0123456789abcdef';
/** Set when the unsubscribes stop (also on a failure, so nothing keeps the process alive). */
let stop = false;
const sink = await startPostfixSink();
const smtpPort = sink.port;
const server = await startLocalPostgres({ dir: path.join(work, 'postgres'), port: await freePort(), temporary: true });
const ledgerReader = new pg.Client({ connectionString: server.url });

try {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEWSDESK_DATA_DIR: path.join(work, 'data'),
    NEWSDESK_OUT_DIR: path.join(work, 'dist'),
    NEWSDESK_PORT: '0',
    NEWSDESK_SECRET: secret,
    NEWSDESK_DATABASE_URL: server.url,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    NEWSDESK_SEND_RATE: '100000',
    NEWSDESK_SEND_CONCURRENCY: '10',
  };

  // ── The list ──
  const csv = path.join(work, 'people.csv');
  const out = fs.createWriteStream(csv);
  out.write('email,name,company\n');
  for (let i = 0; i < rows; i++) if (!out.write(`person-${i}@imported.example,Person ${i},Company ${i % 997}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((resolve) => out.end(() => resolve()));

  await ledgerReader.connect();
  const imported = await timed(['subscribers', 'import', csv], env);
  const stats = await timed(['subscribers', 'stats'], env);
  console.log(`import of ${rows.toLocaleString('en')} rows: exit ${imported.code} in ${imported.seconds.toFixed(1)} s${imported.maxRssMb ? `, peak RSS ${imported.maxRssMb} MB` : ''}; stats in ${stats.seconds.toFixed(2)} s`);
  const tokens = await subscriberTokens(server.url, 5000);

  // ── serve, then one sender, then a second one joining it ──
  const serve = start(['serve', '--no-build'], env);
  const url = await serveUrl(serve);
  const unsubscribing = fireUnsubscribes(url, tokens, secret, everyMs, () => stop);

  const enqueueStarted = performance.now();
  const first = start(['send', '1', '--yes'], env);
  await until(async () => (await sentSoFar()) > 0, first);
  const enqueueS = (performance.now() - enqueueStarted) / 1000;
  const one = await rateOver(windowS);
  const second = start(['send', '1', '--yes'], env);
  // The second sender needs a moment to start (load, render, join); its window starts with its first message.
  const before = await sentSoFar();
  await until(async () => (await sentSoFar()) > before + 100, second);
  const two = await rateOver(windowS);
  stop = true;
  const { latencies, statuses } = await unsubscribing;
  for (const sender of [first, second]) sender.kill('SIGINT');
  const exits = await Promise.all([first, second].map((c) => new Promise<number | null>((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.once('exit', resolve)))));
  serve.kill('SIGINT');
  await new Promise((resolve) => serve.once('exit', resolve));
  const doubled = await doubledDeliveries();

  const at = (q: number) => quantile(latencies, q);
  console.log(`newsdesk on PostgreSQL — ${rows.toLocaleString('en')} subscribers; ${os.availableParallelism()} core(s), load ${os.loadavg()[0]!.toFixed(1)}; PostgreSQL, the server, the senders and the SMTP sink on this machine`);
  console.log(`  import:        exit ${imported.code}, ${Math.round(rows / imported.seconds).toLocaleString('en')} rows/s${imported.maxRssMb ? `, peak RSS ${imported.maxRssMb} MB` : ''}`);
  console.log(`  stats:         exit ${stats.code}`);
  console.log(`  first sender:  first message ${enqueueS.toFixed(1)} s after start (every active subscriber queued)`);
  console.log(`  unsubscribes:  ${latencies.length} one-click POSTs during the send, status ${describeStatuses(statuses)}`);
  console.log(`  senders:       stopped with Ctrl+C, exits ${exits.join(', ')}; deliveries attempted twice: ${doubled} (none expected: the sink refuses nothing)`);
  console.log('');
  console.log(`import ${rows.toLocaleString('en')} subscribers: ${imported.seconds.toFixed(1)} s`);
  console.log(`subscribers stats: ${stats.seconds.toFixed(2)} s`);
  console.log(`unsubscribe p50 during a send: ${at(0.5).toFixed(1)} ms`);
  console.log(`unsubscribe p99 during a send: ${at(0.99).toFixed(1)} ms (target <= 1000 ms)`);
  console.log(`one sender: ${one.toFixed(0)} msg/s`);
  console.log(`two senders: ${two.toFixed(0)} msg/s`);
  console.log(`two senders vs one: ${(two / one).toFixed(2)}×`);
  process.exitCode = imported.code === 0 && stats.code === 0 && doubled === 0 && [...statuses.keys()].every((s) => s === 200) ? 0 : 1;
} finally {
  stop = true;
  killChildren();
  await ledgerReader.end().catch(() => undefined);
  await server.stop();
  await sink.close();
  fs.rmSync(work, { recursive: true, force: true });
}

function start(args: string[], childEnv: NodeJS.ProcessEnv): ChildProcess {
  const child = startCli(args, childEnv);
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  child.once('exit', (code) => code !== 0 && code !== null && console.error(`newsdesk ${args.join(' ')} exited with ${code}: ${tail}`));
  return child;
}

/** A command run to its end, timed from outside, with its peak memory through GNU time when it is there. */
async function timed(args: string[], childEnv: NodeJS.ProcessEnv): Promise<{ code: number | null; seconds: number; maxRssMb: number | undefined }> {
  const gnuTime = spawnSync('/usr/bin/time', ['--version']).status === 0;
  const started = performance.now();
  const child = gnuTime
    ? spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, path.join(root, 'bin/newsdesk.js'), ...args], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    : start(args, childEnv);
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) console.error(`newsdesk ${args.join(' ')} exited with ${code}: ${output.slice(-2000)}`);
  const kb = /maxrss_kb=(\d+)/.exec(output)?.[1];
  return { code, seconds, maxRssMb: kb ? Math.round(Number(kb) / 1024) : undefined };
}

/** Messages per second reaching the sink over the next `seconds`. */
async function rateOver(seconds: number): Promise<number> {
  const from = await sentSoFar();
  const t = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return ((await sentSoFar()) - from) / ((performance.now() - t) / 1000);
}

/** Waits for the ledger to show what `done` asks for, failing as soon as the sender it waits on has stopped. */
async function until(done: () => Promise<boolean>, sender: ChildProcess): Promise<void> {
  const limit = Date.now() + 15 * 60_000;
  while (!(await done())) {
    if (sender.exitCode !== null) throw new Error(`the sender stopped (exit ${sender.exitCode}) before its messages arrived`);
    if (Date.now() > limit) throw new Error('timed out waiting for the send');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function subscriberTokens(url: string, n: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // The end of the list: the senders reach those last, so they are unsubscribed before their turn.
    return (await client.query<{ token: string }>('SELECT token FROM subscribers ORDER BY id DESC LIMIT $1', [n])).rows.map((r) => r.token);
  } finally {
    await client.end();
  }
}

/** Deliveries of issue 1 the ledger records as sent: the sink keeps nothing, the ledger keeps count. */
async function sentSoFar(): Promise<number> {
  const { rows } = await ledgerReader.query<{ n: string }>("SELECT count(*) AS n FROM deliveries WHERE issue_number = 1 AND state = 'sent'");
  return Number(rows[0]!.n);
}

/** Deliveries handed to the relay more than once: a delivery's attempts beyond one that were transmitted (none, or a message went out twice). */
async function doubledDeliveries(): Promise<number> {
  const { rows } = await ledgerReader.query<{ n: string }>("SELECT count(*) AS n FROM deliveries WHERE issue_number = 1 AND state IN ('sent', 'sending') AND attempts > 1");
  return Number(rows[0]!.n);
}
