// Benchmark (not a test): the reader-facing server under load on loopback. Starts the
// real `newsdesk serve` in a child process over a fresh data folder (subscribe rate
// limit off, outbox transport as shipped), drives a static page and POST /subscribe
// with autocannon, compares the time a sign-up takes for a known and an unknown
// address, and checks that every accepted sign-up is a row in the database and every
// confirmation mail left through the queue.
//
//   npm run bench:serve
//   npm run bench:serve -- --duration 20 --connections 20
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    signups: { type: 'string', default: '3000' },
    rate: { type: 'string', default: '200' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const signups = Number(values.signups);
const rate = Number(values.rate);
if (!(duration > 0) || ![connections, signups, rate].every((n) => Number.isInteger(n) && n >= 1)) {
  console.error('usage: npm run bench:serve -- [--duration SECONDS] [--connections N] [--signups N] [--rate SIGNUPS_PER_SECOND]');
  process.exit(2);
}

const targets = { staticRps: 2000, p99Ms: 50 };
const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-bench-serve-'));
const env = {
  ...process.env,
  NEWSDESK_DATA_DIR: path.join(work, 'data'),
  NEWSDESK_OUT_DIR: path.join(work, 'dist'),
  NEWSDESK_HOST: '127.0.0.1',
  NEWSDESK_PORT: '0',
  NEWSDESK_SUBSCRIBE_RATE: 'off',
  NEWSDESK_SECRET: 'bench-secret-0123456789abcdef',
};
delete (env as NodeJS.ProcessEnv).SMTP_URL;

const child = spawn(process.execPath, [path.join(root, 'bin/newsdesk.js'), 'serve'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
try {
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /serving .* at (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`newsdesk serve exited with ${code}:\n${out}\n${stderr}`)));
  });
  console.log(`newsdesk serve at ${url} (data in ${work}); ${connections} connections, ${duration} s per run, ${os.availableParallelism()} core(s)\n`);

  // Warm-up: first requests load templates and fill caches.
  await autocannon({ url: `${url}/`, connections: 2, amount: 200 });

  const staticRun = await autocannon({ url: `${url}/`, connections, duration });
  report('GET / (static page)', staticRun);

  // Sign-ups run to a fixed count (not a duration) so every request sent is answered and counted.
  let sequence = 0;
  let accepted = 0;
  const subscribeRequest = {
    method: 'POST',
    path: '/subscribe',
    headers: { 'content-type': 'application/json' },
    setupRequest: (request: object) => ({ ...request, body: JSON.stringify({ email: `bench-${process.pid}-${++sequence}@example.com` }) }),
    onResponse: (status: number) => {
      if (status === 202) accepted++;
    },
  };
  // Flat out: as many sign-ups as the server takes; latency here is mostly queueing behind the connections.
  const saturated = await autocannon({ url, connections, amount: signups, requests: [subscribeRequest] });
  report(`POST /subscribe flat out (JSON, outbox transport, ${connections} connections)`, saturated);
  // At a steady offered rate below capacity: the latency one sign-up actually costs.
  const steady = await autocannon({ url, connections, amount: Math.max(rate * duration, connections), overallRate: rate, requests: [subscribeRequest] });
  report(`POST /subscribe at a steady ${rate} req/s`, steady);

  // A known and an unknown address must cost the same: alternate them one at a time.
  const timing = { known: [] as number[], unknown: [] as number[] };
  for (let i = 0; i < 300; i++) {
    for (const kind of ['known', 'unknown'] as const) {
      const email = kind === 'known' ? `bench-${process.pid}-${1 + (i % sequence)}@example.com` : `fresh-${process.pid}-${i}@example.com`;
      const t = performance.now();
      const response = await fetch(`${url}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
      await response.arrayBuffer();
      timing[kind].push(performance.now() - t);
    }
  }
  const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!.toFixed(2);
  console.log(`POST /subscribe one at a time, known vs unknown address (300 each, interleaved)`);
  console.log(`  known:   median ${quantile(timing.known, 0.5)} ms, p99 ${quantile(timing.known, 0.99)} ms`);
  console.log(`  unknown: median ${quantile(timing.unknown, 0.5)} ms, p99 ${quantile(timing.unknown, 0.99)} ms\n`);

  // Confirmation mails leave through the queue after the answers; wait for it to drain.
  const db = new DatabaseSync(path.join(work, 'data', 'newsdesk.db'), { readOnly: true });
  const drainStart = performance.now();
  const waiting = db.prepare("SELECT count(*) AS n FROM mail_queue WHERE state IN ('queued', 'sending')");
  while ((waiting.get() as { n: number }).n > 0 && performance.now() - drainStart < 120_000) await new Promise((r) => setTimeout(r, 100));
  const drainSeconds = (performance.now() - drainStart) / 1000;
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));

  const stored = (db.prepare("SELECT count(*) AS n FROM subscribers WHERE state = 'pending' AND email LIKE 'bench-%'").get() as { n: number }).n;
  const queue = Object.fromEntries((db.prepare('SELECT state, count(*) AS n FROM mail_queue GROUP BY state').all() as Array<{ state: string; n: number }>).map((r) => [r.state, r.n]));
  db.close();
  const mails = fs.readdirSync(path.join(work, 'data', 'outbox')).filter((f) => f.endsWith('.eml')).length;
  const lost = accepted - stored;
  console.log(`sign-ups: ${accepted} accepted (202), ${stored} pending subscribers stored, ${lost} lost`);
  console.log(`mail queue: ${JSON.stringify(queue)}; ${mails} confirmation mails in the outbox, drained ${drainSeconds.toFixed(1)} s after the last answer`);

  const verdicts = [
    [`static ≥ ${targets.staticRps} req/s`, staticRun.requests.average >= targets.staticRps],
    [`static p99 < ${targets.p99Ms} ms`, staticRun.latency.p99 < targets.p99Ms],
    [`subscribe p99 < ${targets.p99Ms} ms at ${rate} req/s`, steady.latency.p99 < targets.p99Ms],
    ['0 lost sign-ups', lost === 0 && stored === accepted],
  ] as const;
  console.log(`\n${verdicts.map(([what, ok]) => `${ok ? '✓' : '✗'} ${what}`).join('\n')}`);
  process.exitCode = lost === 0 ? 0 : 1;
} finally {
  if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
}

function report(title: string, r: Result): void {
  const codes = Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => `${code}×${s.count}`).join(' ');
  console.log(
    `${title}\n  ${Math.round(r.requests.average)} req/s average, latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms; ` +
      `${r.requests.total} requests, ${r.errors} errors, ${r.timeouts} timeouts, status ${codes}\n`,
  );
}
