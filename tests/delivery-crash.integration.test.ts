// A send killed mid-way, for real: the CLI runs in a child process against an SMTP
// server that answers slowly, and is SIGKILLed at random points (no chance to clean
// up) or sent SIGTERM (asked to stop). Running the send again must leave every active
// subscriber with exactly one copy, except deliveries whose outcome is unknown: at most
// one per connection per crash, each really transmitted, reported and not re-sent. The
// kill trials run on the SQLite file and on PostgreSQL (NEWSDESK_DATABASE_URL).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteDelivery } from '../delivery/open-delivery.ts';
import { openDatabase } from '../delivery/sqlite/db.ts';
import { SqliteLedger } from '../delivery/sqlite/sqlite-ledger.ts';
import { SqliteSubscriberStore } from '../delivery/sqlite/sqlite-subscriber-store.ts';
import { aDelivery, addresses, databaseOf, fixedNow, type ScriptedServer, startSmtpServer, storeKinds, type StoreKind } from './delivery-kit.ts';
import { hangAfter } from './helpers/hang.ts';
import { binPath, cleanEnv, runCli } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';
import { runCommand } from './helpers/run-command.ts';
import { sendCommand } from '../scripts/send.ts';
import { sendsCommand } from '../scripts/sends.ts';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setUp(count: number, options: { connections?: number; replyDelayMs?: () => number; kind?: StoreKind } = {}) {
  const dataDir = await makeTempDir('newsdesk-crash-');
  const list = addresses(count);
  // SQLite: the file in the data folder the CLI uses; PostgreSQL: a new database it is pointed at.
  const delivery = options.kind === 'postgres' ? await aDelivery('postgres', list) : openSqliteDelivery(path.join(dataDir, 'newsdesk.db'));
  if (delivery.kind === 'sqlite') {
    onTestFinished(() => delivery.close());
    for (const email of list) await delivery.subscribers.add({ email }, 'active', { actor: 'test', now: fixedNow });
  }
  let onReceived: (n: number) => void = () => {};
  let n = 0;
  server = await startSmtpServer({
    onMessage: async () => {
      // The reply is held back a while: messages sit transmitted but unanswered, as on a real relay.
      await new Promise((r) => setTimeout(r, options.replyDelayMs?.() ?? 60));
      onReceived(++n);
      return 'accept' as const;
    },
  });
  const env = {
    NEWSDESK_DATA_DIR: dataDir,
    NEWSDESK_SECRET: 'crash-test-secret-0123456789abcdef',
    SMTP_URL: server.url,
    NEWSDESK_SEND_RATE: '1000',
    NEWSDESK_SEND_CONCURRENCY: String(options.connections ?? 3),
    ...(delivery.kind === 'postgres' ? { NEWSDESK_DATABASE_URL: databaseOf(delivery) } : {}),
  };
  /** Starts `newsdesk send 1 --yes` and sends `signal` to it `delayMs` after `after` messages in all reached the server. */
  const sendAndStop = (signal: NodeJS.Signals, after: number, delayMs = 0) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [binPath, 'send', '1', '--yes'], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.resume();
      let sent = false;
      onReceived = (count) => {
        if (count < after || sent) return;
        sent = true;
        // With no delay the signal goes before this message is answered: the send cannot
        // have finished first, however the machine schedules the two processes.
        if (delayMs === 0) child.kill(signal);
        else setTimeout(() => child.kill(signal), delayMs);
      };
      child.on('error', reject);
      child.on('close', (code, sig) => resolve({ code, signal: sig, stdout }));
    });
  return { list, ledger: delivery.ledger, server, env, sendAndStop };
}

/** A small seeded generator, so a failing trial can be replayed from the seed in its message. */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => ((x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32;
}

// Up to six CLI runs in a test, each one a child process: the limit counts them.
describe.each(storeKinds)('a send that is killed and run again (%s)', { timeout: hangAfter(6) }, (kind) => {
  it('kill -9 at random points: each crash leaves at most one unknown delivery per connection, all of them really transmitted; nothing is doubled or lost unreported', async () => {
    const connections = 3;
    const seed = Number(process.env.NEWSDESK_KILL_SEED ?? Date.now() % 100_000);
    const random = seeded(seed);
    const { list, ledger, server, env, sendAndStop } = await setUp(48, { kind, connections, replyDelayMs: () => 5 + Math.floor(random() * 40) });
    const context = (trial: number) => `seed ${seed}, trial ${trial}`;
    let unknownBefore = new Set<string>();
    for (let trial = 1; trial <= 4; trial++) {
      const run = await sendAndStop('SIGKILL', server.received.length + 1 + Math.floor(random() * 8), Math.floor(random() * 25));
      if (run.signal !== 'SIGKILL') break;
      const unknown = new Set((await ledger.deliveries(1, 'sending')).map((d) => d.email));
      const fresh = [...unknown].filter((e) => !unknownBefore.has(e));
      expect(fresh.length, context(trial)).toBeLessThanOrEqual(connections);
      // Unknown means its message had started to leave: the server saw its DATA begin.
      for (const email of fresh) expect(server.transmissions, `${context(trial)}: ${email} is unknown but was never transmitted`).toContain(email);
      for (const email of list) expect(server.copiesTo(email), `${context(trial)}: ${email}`).toBeLessThanOrEqual(1);
      unknownBefore = unknown;
    }

    const resumed = await runCli(['send', '1', '--yes'], { env });
    const unknown = (await ledger.deliveries(1, 'sending')).map((d) => d.email);
    const final = new Map((await ledger.deliveries(1)).map((d) => [d.email, d.state]));
    for (const email of list) {
      const copies = server.copiesTo(email);
      if (unknown.includes(email)) expect(copies, `${context(0)}: ${email}`).toBeLessThanOrEqual(1);
      else expect({ email, state: final.get(email), copies }, context(0)).toEqual({ email, state: 'sent', copies: 1 });
    }
    const sends = await runCli(['sends'], { env });
    if (unknown.length > 0) {
      // Never "completed" while deliveries are unknown: how many, and what to do.
      expect(resumed.code, context(0)).toBe(1);
      expect(resumed.stdout).toContain(`Issue #1: unresolved.`);
      expect(resumed.stderr).toContain(`${unknown.length} delivery(ies) have an unknown outcome`);
      expect(resumed.stderr).toContain('--resend-unknown');
      expect(sends.stdout).toMatch(/^1\s+unresolved\s/m);
      expect(sends.stdout).toContain(`#1: ${unknown.length} delivery(ies) have an unknown outcome`);
    } else {
      expect(resumed.code, `${context(0)}\n${resumed.stderr}`).toBe(0);
      expect(sends.stdout).toMatch(/^1\s+completed\s/m);
    }
    expect(await ledger.counts(1)).toMatchObject({ queued: 0, claimed: 0, failed: 0, sending: unknown.length, sent: list.length - unknown.length });
  });

  it('after SIGTERM, finishes what is in flight, exits with a summary, and the next run sends the rest exactly once', async () => {
    const { list, ledger, server, env, sendAndStop } = await setUp(30, { kind });
    const stopped = await sendAndStop('SIGTERM', 6);
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(/Issue #1: interrupted\. This run: \d+ sent/);
    expect((await ledger.counts(1)).sending).toBe(0);
    expect((await ledger.getSend(1))?.status).toBe('interrupted');

    const resumed = await runCli(['send', '1', '--yes'], { env });
    expect(resumed.code).toBe(0);
    for (const email of list) expect({ email, copies: server.copiesTo(email) }).toEqual({ email, copies: 1 });
    expect(await ledger.counts(1)).toMatchObject({ sent: 30, queued: 0, sending: 0 });
  });
});

describe('a relay that takes a message and hangs up before its 250', () => {
  it('leaves those deliveries unknown: nobody gets two copies, the ledger and `sends` report them, and the send does not claim "completed"', async () => {
    const dataDir = await makeTempDir('newsdesk-drop-');
    const db = openDatabase(path.join(dataDir, 'newsdesk.db'));
    const subscribers = new SqliteSubscriberStore(db);
    const list = addresses(40);
    for (const email of list) await subscribers.add({ email }, 'active', { actor: 'test', now: fixedNow });
    // Every fifth reader: the relay queues the message, then the connection dies before the reply.
    const dropped = list.filter((_, i) => i % 5 === 2);
    server = await startSmtpServer({ onMessage: (to, before) => (before === 0 && dropped.includes(to) ? 'accept-then-drop' : 'accept') });
    const env = { NEWSDESK_DATA_DIR: dataDir, NEWSDESK_SECRET: 'crash-test-secret-0123456789abcdef', SMTP_URL: server.url, NEWSDESK_SEND_RATE: '1000', NEWSDESK_SEND_CONCURRENCY: '3' };
    const ledger = new SqliteLedger(db);

    // The first run as its own process; the second, and the reports, in this one (the same commands).
    for (const run of [1, 2]) {
      const sent = run === 1 ? await runCli(['send', '1', '--yes'], { env }) : await runCommand(sendCommand, ['1', '--yes'], { env });
      for (const email of list) expect({ run, email, copies: server.copiesTo(email) }).toEqual({ run, email, copies: 1 });
      expect(new Set((await ledger.deliveries(1, 'sending')).map((d) => d.email))).toEqual(new Set(dropped));
      expect(await ledger.counts(1)).toMatchObject({ queued: 0, claimed: 0, failed: 0, sending: dropped.length, sent: list.length - dropped.length });
      expect(sent.code, sent.stderr).toBe(1);
      expect(sent.stdout).toContain('Issue #1: unresolved.');
      expect(sent.stdout).toContain(`${dropped.length} unknown.`);
      expect(sent.stderr).toContain(`${dropped.length} delivery(ies) have an unknown outcome`);
      expect(sent.stderr).toContain('--resend-unknown');
    }
    const sends = await runCommand(sendsCommand, [], { env });
    expect(sends.stdout).toMatch(/^1\s+unresolved\s/m);
    expect(sends.stdout).toContain(`#1: ${dropped.length} delivery(ies) have an unknown outcome`);
    // The plan names each unknown delivery and why its outcome is unknown.
    const plan = await runCommand(sendCommand, ['1'], { env });
    for (const email of dropped) expect(plan.stdout).toContain(`  ? ${email}: outcome unknown: the connection was lost after the message was transmitted, before the reply`);
    const one = await runCommand(sendsCommand, ['1', '--json'], { env });
    expect(JSON.parse(one.stdout)).toMatchObject({ status: 'unresolved', unknown: dropped.length, sent: list.length - dropped.length });
  });
});
