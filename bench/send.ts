// Benchmark (not a test): seed N subscribers, send the largest sample issue through the
// real send service (lease, each hand-off and reply recorded), SQLite ledger and SMTP
// pool to Postfix's smtp-sink on loopback, and compare with Postfix's smtp-source
// pushing the same number of messages of the same size at the same sink: the physical
// limit of this machine. With --transport ses the messages go through the SES
// transport (AWS SDK, SigV4-signed HTTPS requests) to the local SES stand-in
// (aws-ses-v2-local, in its own process), which keeps and parses every message.
//
//   npm run bench:send                       # 100,000 subscribers
//   npm run bench:send -- --subscribers 10000 --concurrency 10
//   npm run bench:send -- --transport ses    # 10,000 subscribers through SES
//   npm run bench:send -- --dkim             # each message DKIM-signed (a 2048-bit RSA key)
//   npm run bench:send -- --postgres         # the PostgreSQL ledger: one sender against two (bench/send-postgres.ts)
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { loadIssues, loadSettings } from '../content/load.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { samplePath } from '../core/config.ts';
import { openDatabase, transaction } from '../delivery/sqlite/db.ts';
import { composeIssueMessage } from '../delivery/messages/message.ts';
import { toNodemailerMessage } from '../delivery/transports/nodemailer-message.ts';
import { sendIssue } from '../delivery/sending/send-issue.ts';
import { SesTransport } from '../delivery/transports/ses-transport.ts';
import { SmtpTransport } from '../delivery/transports/smtp-transport.ts';
import type { Transport } from '../delivery/sending/transport.ts';
import { startSesStandIn } from '../tests/helpers/ses-stand-in.ts';
import { SqliteLedger } from '../delivery/sqlite/sqlite-ledger.ts';
import { SqliteSubscriberStore } from '../delivery/sqlite/sqlite-subscriber-store.ts';
import { createSubscriberToken } from '../delivery/signing/tokens.ts';
import { renderIssueEmail } from '../emails/issue-email.ts';
import { ensurePostfixTools, freePort, runCli, waitForPort, type CliRun } from './list-kit.ts';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string' },
    concurrency: { type: 'string', default: '10' },
    transport: { type: 'string', default: 'smtp' },
    'no-smtp-source': { type: 'boolean', default: false },
    dkim: { type: 'boolean', default: false },
    postgres: { type: 'boolean', default: false },
  },
});
const viaSes = values.transport === 'ses';
const n = Number(values.subscribers ?? (viaSes || values.postgres ? (viaSes ? '10000' : '20000') : '100000'));
const concurrency = Number(values.concurrency);
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(concurrency) || concurrency < 1 || !['smtp', 'ses'].includes(values.transport)) {
  console.error('usage: npm run bench:send -- [--transport smtp|ses] [--subscribers N] [--concurrency C] [--dkim] [--no-smtp-source] [--postgres]');
  process.exit(2);
}

if (!viaSes) ensurePostfixTools();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-bench-'));
const port = await freePort();
// smtp-sink accepts everything and keeps nothing: the sink is never the bottleneck we measure.
const sink = viaSes ? undefined : spawn('/usr/sbin/smtp-sink', ['-u', 'nobody', `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
// The stand-in's account allows more than this machine can send, so the rate is ours.
const ses = viaSes ? await startSesStandIn({ maxSendRate: 100_000 }) : undefined;
try {
  if (sink) await waitForPort(port);
  if (values.postgres) {
    const { benchPostgres } = await import('./send-postgres.ts');
    await benchPostgres({ subscribers: n, concurrency, port, databasePort: await freePort() });
    sink?.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
    process.exit(0);
  }

  // ── The message: the largest issue of the sample newsletter, rendered once ──
  const store = new GroqJsStore({ datasetPath: path.join(work, 'dataset.ndjson'), seedFrom: samplePath });
  const [issues, settings] = await Promise.all([loadIssues(store), loadSettings(store)]);
  const issue = issues.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a));
  const email = await renderIssueEmail(issue, { baseUrl: settings.siteUrl, settings });
  const ctx = { issueNumber: issue.number, settings, baseUrl: settings.siteUrl, secret: 'bench-secret-0123456789abcdef', unsubscribeMailto: undefined, date: new Date() };
  const sample = composeIssueMessage(email, { email: 'reader@example.org', name: 'A Reader', token: createSubscriberToken() }, ctx);
  const raw = (await nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' }).sendMail(toNodemailerMessage(sample))).message as Buffer;
  const size = raw.length;

  // ── Seed ──
  const db = openDatabase(path.join(work, 'newsdesk.db'));
  const seedStart = performance.now();
  seed(db, n);
  const seedMs = performance.now() - seedStart;
  settleDisk();

  // ── Our send ──
  const ledger = new SqliteLedger(db);
  const subscribers = new SqliteSubscriberStore(db);
  const transport: Transport = ses
    ? new SesTransport({ region: 'eu-west-1', endpoint: ses.directEndpoint, configurationSet: 'bench', rate: undefined, credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret', sessionToken: undefined } })
    : new SmtpTransport({ url: `smtp://127.0.0.1:${port}`, maxConnections: concurrency, dkim: values.dkim ? benchDkim() : undefined });
  const rssSamples: Array<[number, number]> = [];
  let sentSoFar = 0;
  const sampler = setInterval(() => rssSamples.push([sentSoFar, process.memoryUsage.rss()]), 250);
  const rssBefore = process.memoryUsage.rss();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const { outcome, counts } = await sendIssue({
    issue: issue.number,
    subject: email.subject,
    store: ledger,
    bounces: subscribers,
    transport,
    compose: (r) => composeIssueMessage(email, r, ctx),
    options: { rate: 1_000_000, concurrency, maxAttempts: 5, pauseErrorRate: 0.2, pauseWindow: 50, retryBaseMs: 1000, retryMaxMs: 30_000 },
    signal: new AbortController().signal,
    onProgress: (p) => (sentSoFar = p.sent),
  });
  const ourSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuPerMessageMs = (cpu.user + cpu.system) / 1000 / Math.max(1, outcome.sent);
  clearInterval(sampler);
  await transport.close();
  const ours = outcome.sent / ourSeconds;
  const peakRss = Math.max(...rssSamples.map(([, r]) => r), process.memoryUsage.rss());

  const via = ses ? `${concurrency} requests at once to the SES stand-in (aws-ses-v2-local) on loopback` : `${concurrency} SMTP connections, loopback smtp-sink${values.dkim ? ', DKIM-signed' : ''}`;
  console.log(`newsdesk send benchmark — ${n.toLocaleString('en')} subscribers, issue #${issue.number} (${(size / 1024).toFixed(1)} KB per message), ${via}`);
  console.log(`  seeding:        ${(seedMs / 1000).toFixed(1)} s`);
  console.log(`  newsdesk send:  ${outcome.sent.toLocaleString('en')} messages in ${ourSeconds.toFixed(1)} s = ${ours.toFixed(0)} msg/s (${outcome.status})`);
  console.log(`  CPU (newsdesk): ${cpuPerMessageMs.toFixed(2)} ms per message, so one core of ours keeps up with ~${Math.round(1000 / cpuPerMessageMs)} msg/s`);
  console.log(`  memory:         RSS ${mb(rssBefore)} MB before the send, peak ${mb(peakRss)} MB (target ≤ 300 MB; process max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB)`);
  const quarters = [0.25, 0.5, 0.75, 1].map((q) => rssSamples.find(([s]) => s >= q * n * 0.999)?.[1]).map((r) => (r === undefined ? '—' : `${mb(r)} MB`));
  console.log(`  RSS at 25/50/75/100% of the list: ${quarters.join(' / ')}`);
  console.log(`  ledger after:   ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);

  // ── The same send as a user runs it: `newsdesk send N --yes`, a new process timed from outside ──
  // This process also holds tsx, the sample's store and the renderer it composed the message
  // with; the command's own process is what a send costs a user's machine.
  const cli = ses ? undefined : await cliSend(issue.number);
  if (cli) {
    console.log(
      `  newsdesk send:  ${n.toLocaleString('en')} messages in ${cli.seconds.toFixed(1)} s = ${(n / cli.seconds).toFixed(0)} msg/s as \`newsdesk send ${issue.number} --yes\` (the CLI, from starting the process to its exit; ${((cli.cpuS * 1000) / n).toFixed(2)} ms CPU per message over all its threads), peak RSS ${cli.peakMb.toFixed(0)} MB`,
    );
  }

  // ── The physical limit ──
  if (!ses && !values['no-smtp-source']) {
    settleDisk();
    const t = performance.now();
    // -d: keep each connection for many messages, as our pool does; -s: parallel sessions.
    execFileSync('/usr/sbin/smtp-source', ['-d', '-s', String(concurrency), '-m', String(n), '-l', String(size), '-f', 'bench@example.org', '-t', 'reader@example.org', `127.0.0.1:${port}`], { stdio: 'ignore' });
    const sourceSeconds = (performance.now() - t) / 1000;
    const limit = n / sourceSeconds;
    console.log(`  smtp-source:    ${n.toLocaleString('en')} messages of ${size} bytes in ${sourceSeconds.toFixed(1)} s = ${limit.toFixed(0)} msg/s`);
    const asCli = cli ? `, ${(n / cli.seconds / limit).toFixed(2)}× as \`newsdesk send\`` : '';
    console.log(`  ratio:          newsdesk / smtp-source = ${(ours / limit).toFixed(2)}× in this process${asCli} (target ≥ 0.8×)`);
  }
  if (cli) console.log(`  peak RSS:       ${mb(peakRss)} MB in this process, ${cli.peakMb.toFixed(0)} MB as \`newsdesk send\` (target ≤ 300 MB)`);
  db.close();
} finally {
  sink?.kill('SIGTERM');
  await ses?.close();
  fs.rmSync(work, { recursive: true, force: true });
}

/**
 * `newsdesk send <issue> --yes` to the same sink, for the same number of subscribers, in a
 * data folder of its own (the sample dataset, made on first use, and a delivery database
 * seeded as this process's was). Variables of the environment that configure newsdesk are
 * left out, so a developer's own set-up does not change what is measured.
 */
async function cliSend(issueNumber: number): Promise<CliRun> {
  const dataDir = path.join(work, 'cli-data');
  fs.mkdirSync(dataDir);
  const cliDb = openDatabase(path.join(dataDir, 'newsdesk.db'));
  seed(cliDb, n);
  cliDb.close();
  settleDisk();
  const unset = Object.fromEntries(Object.keys(process.env).filter((name) => /^(NEWSDESK_|SMTP_|DKIM_|SES_|RESEND_|AWS_|SANITY_)/.test(name)).map((name) => [name, undefined]));
  const dkim = values.dkim ? benchDkim() : undefined;
  if (dkim) fs.writeFileSync(path.join(work, 'dkim.pem'), dkim.privateKey);
  return runCli(['send', String(issueNumber), '--yes'], {
    ...unset,
    NEWSDESK_DATA_DIR: dataDir,
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    NEWSDESK_SEND_RATE: '100000',
    NEWSDESK_SEND_CONCURRENCY: String(concurrency),
    ...(dkim ? { DKIM_DOMAIN: dkim.domainName, DKIM_SELECTOR: dkim.keySelector, DKIM_PRIVATE_KEY_FILE: path.join(work, 'dkim.pem') } : {}),
  });
}

/**
 * Writes out what the steps before left unwritten (the delivery database of 100,000
 * subscribers is ~65 MB once seeded), so the kernel is not writing it back while the next
 * step is timed.
 */
function settleDisk(): void {
  execFileSync('sync');
}

function seed(db: ReturnType<typeof openDatabase>, count: number): void {
  const insert = db.prepare("INSERT INTO subscribers (email, email_key, name, state, source, token, created_at, updated_at) VALUES (?, ?, ?, 'active', 'bench', ?, ?, ?)");
  const at = new Date().toISOString();
  for (let from = 0; from < count; from += 10_000) {
    transaction(db, () => {
      for (let i = from; i < Math.min(count, from + 10_000); i++) insert.run(`reader${i}@example.org`, `reader${i}@example.org`, `Reader ${i}`, createSubscriberToken(), at, at);
    });
  }
}

/** A fresh signing key: what DKIM costs per message, without a key file to keep. */
function benchDkim() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { domainName: 'bench.example.org', keySelector: 'bench', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}
