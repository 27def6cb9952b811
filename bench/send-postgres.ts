// Benchmark (not a test), `npm run bench:send -- --postgres`: the PostgreSQL send ledger
// with one sender against two senders sharing the send, each sender its own process
// (the real send service, its own pool of SMTP connections and of database connections),
// all to Postfix's smtp-sink on loopback. The same list is sent twice, as two issues: once
// by one process, once by two at the same time; the figure is the combined rate.
// The database is NEWSDESK_DATABASE_URL when set, else a temporary local server.
//
//   npm run bench:send -- --postgres                         # 20,000 subscribers, 10 connections per sender
//   npm run bench:send -- --postgres --subscribers 50000 --concurrency 20
//   (a sender process alone: tsx bench/send-postgres.ts --worker URL ISSUE PORT CONCURRENCY)
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { loadIssues, loadSettings } from '../content/load.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { samplePath } from '../core/config.ts';
import { openPostgresDelivery } from '../delivery/open-delivery.ts';
import { startLocalPostgres } from '../delivery/postgres/local-postgres.ts';
import { composeIssueMessage } from '../delivery/messages/message.ts';
import { sendIssue } from '../delivery/sending/send-issue.ts';
import { SmtpTransport } from '../delivery/transports/smtp-transport.ts';
import { renderIssueEmail } from '../emails/issue-email.ts';

/** One sender: renders the largest sample issue, says "ready", sends issue ISSUE on "go", prints what it sent. */
async function worker([url, issueArg, portArg, concurrencyArg]: string[]): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-bench-worker-'));
  const store = new GroqJsStore({ datasetPath: path.join(work, 'dataset.ndjson'), seedFrom: samplePath });
  const [issues, settings] = await Promise.all([loadIssues(store), loadSettings(store)]);
  const issue = issues.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a));
  const email = await renderIssueEmail(issue, { baseUrl: settings.siteUrl, settings });
  const ctx = { issueNumber: Number(issueArg), settings, baseUrl: settings.siteUrl, secret: 'bench-secret-0123456789abcdef', unsubscribeMailto: undefined, date: new Date() };
  const delivery = await openPostgresDelivery(url!);
  const concurrency = Number(concurrencyArg);
  const transport = new SmtpTransport({ url: `smtp://127.0.0.1:${portArg}`, maxConnections: concurrency });
  console.log('ready');
  const go = readline.createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => go.once('line', () => resolve()));
  go.close();
  const result = await sendIssue({
    issue: Number(issueArg),
    subject: email.subject,
    store: delivery.ledger,
    bounces: delivery.subscribers,
    transport,
    compose: (r) => composeIssueMessage(email, r, ctx),
    options: { rate: 1_000_000, concurrency, maxAttempts: 5, pauseErrorRate: 0.2, pauseWindow: 50, retryBaseMs: 1000, retryMaxMs: 30_000 },
    signal: new AbortController().signal,
  });
  console.log(`sent ${result.outcome.sent} ${result.status}`);
  await transport.close();
  await delivery.close();
  fs.rmSync(work, { recursive: true, force: true });
}

/** Runs `senders` sender processes on one issue at once; the seconds from "go" to the last one done, and what each sent. */
async function race(url: string, issue: number, senders: number, port: number, concurrency: number): Promise<{ seconds: number; sent: number[] }> {
  const children = Array.from({ length: senders }, () =>
    spawn(process.execPath, [...process.execArgv, import.meta.filename, '--worker', url, String(issue), String(port), String(concurrency)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  const lines = (child: ChildProcess) => readline.createInterface({ input: child.stdout! });
  const ready = children.map((child) => new Promise<void>((resolve) => lines(child).on('line', (l) => l === 'ready' && resolve())));
  const sent = children.map(
    (child) =>
      new Promise<number>((resolve, reject) => {
        let n = -1;
        lines(child).on('line', (l) => /^sent \d+/.test(l) && (n = Number(l.split(' ')[1])));
        child.on('close', (code) => (code === 0 ? resolve(n) : reject(new Error(`a sender exited with ${code}`))));
      }),
  );
  await Promise.all(ready);
  const start = performance.now();
  for (const child of children) child.stdin!.end('go\n');
  const counts = await Promise.all(sent);
  return { seconds: (performance.now() - start) / 1000, sent: counts };
}

export async function benchPostgres(options: { subscribers: number; concurrency: number; port: number; databasePort: number }): Promise<void> {
  const { subscribers: n, concurrency, port } = options;
  const local = process.env.NEWSDESK_DATABASE_URL
    ? undefined
    : await startLocalPostgres({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-bench-pg-')), port: options.databasePort, temporary: true, database: 'bench' });
  const url = process.env.NEWSDESK_DATABASE_URL ?? local!.url;
  try {
    const delivery = await openPostgresDelivery(url);
    const at = new Date().toISOString();
    await delivery.pool.query(
      `INSERT INTO subscribers (email, email_key, name, state, source, token, created_at, updated_at)
        SELECT 'reader' || i || '@example.org', 'reader' || i || '@example.org', 'Reader ' || i, 'active', 'bench', md5('bench' || i), $2, $2 FROM generate_series(1, $1) AS i`,
      [n, at],
    );
    await delivery.pool.query('ANALYZE');
    await delivery.close();

    const one = await race(url, 9001, 1, port, concurrency);
    const two = await race(url, 9002, 2, port, concurrency);
    const rate = (r: { seconds: number; sent: number[] }) => r.sent.reduce((a, b) => a + b, 0) / r.seconds;
    console.log(`newsdesk send on PostgreSQL — ${n.toLocaleString('en')} subscribers, ${concurrency} SMTP connections per sender, loopback smtp-sink${local ? ', a temporary local server' : ''}`);
    console.log(`  one sender:          ${one.sent[0]!.toLocaleString('en')} messages in ${one.seconds.toFixed(1)} s = ${rate(one).toFixed(0)} msg/s`);
    console.log(`  two senders:         ${two.sent.map((s) => s.toLocaleString('en')).join(' + ')} messages in ${two.seconds.toFixed(1)} s = ${rate(two).toFixed(0)} msg/s`);
    console.log(`  two senders vs one: ${(rate(two) / rate(one)).toFixed(2)}× (${os.cpus().length} cores)`);
  } finally {
    await local?.stop();
  }
}

if (process.argv[2] === '--worker') await worker(process.argv.slice(3));
