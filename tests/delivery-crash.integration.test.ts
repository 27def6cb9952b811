// A send killed mid-way, for real: the CLI runs in a child process against a slow SMTP
// server and is SIGKILLed (no chance to clean up) or sent SIGTERM (asked to stop).
// Running the send again must leave every active subscriber with exactly one copy,
// except deliveries whose outcome is unknown, which are reported and not re-sent.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../delivery/db.ts';
import { SqliteLedger } from '../delivery/sqlite-ledger.ts';
import { SqliteSubscriberStore } from '../delivery/sqlite-subscriber-store.ts';
import { addresses, fixedNow, type ScriptedServer, startSmtpServer } from './delivery-kit.ts';
import { binPath, cleanEnv, runCli } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setUp(count: number) {
  const dataDir = await makeTempDir('newsdesk-crash-');
  const db = openDatabase(path.join(dataDir, 'newsdesk.db'));
  const subscribers = new SqliteSubscriberStore(db);
  const list = addresses(count);
  for (const email of list) subscribers.add({ email }, 'active', { actor: 'test', now: fixedNow });
  let onReceived: (n: number) => void = () => {};
  let n = 0;
  server = await startSmtpServer({
    delayMs: 60,
    onMessage: () => {
      onReceived(++n);
      return 'accept';
    },
  });
  const env = {
    NEWSDESK_DATA_DIR: dataDir,
    NEWSDESK_SECRET: 'crash-test-secret-0123456789abcdef',
    SMTP_URL: server.url,
    NEWSDESK_SEND_RATE: '1000',
    NEWSDESK_SEND_CONCURRENCY: '3',
  };
  /** Starts `newsdesk send 1 --yes` and sends `signal` to it once `after` messages reached the server. */
  const sendAndStop = (signal: NodeJS.Signals, after: number) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [binPath, 'send', '1', '--yes'], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.resume();
      onReceived = (count) => {
        if (count === after) child.kill(signal);
      };
      child.on('error', reject);
      child.on('close', (code, sig) => resolve({ code, signal: sig, stdout }));
    });
  return { list, db, ledger: new SqliteLedger(db), server, env, sendAndStop };
}

describe('a send that is killed and run again', () => {
  it('after SIGKILL, resumes without doubling or losing a message and reports the unknown ones', async () => {
    const { list, ledger, server, env, sendAndStop } = await setUp(40);
    const killed = await sendAndStop('SIGKILL', 10);
    expect(killed.signal).toBe('SIGKILL');
    const afterCrash = ledger.counts(1);
    expect(afterCrash.sent).toBeGreaterThan(0);
    expect(afterCrash.queued).toBeGreaterThan(0);
    const unknown = ledger.deliveries(1, 'sending').map((d) => d.email);

    const resumed = await runCli(['send', '1', '--yes'], { env });
    expect(resumed.code).toBe(0);
    if (unknown.length > 0) {
      expect(resumed.stdout).toContain(`Unknown:    ${unknown.length} delivery(ies)`);
      for (const email of unknown) expect(resumed.stdout).toContain(`? ${email}`);
    }

    const final = new Map(ledger.deliveries(1).map((d) => [d.email, d.state]));
    for (const email of list) {
      const copies = server.copiesTo(email);
      if (unknown.includes(email)) {
        expect(final.get(email)).toBe('sending');
        expect(copies).toBeLessThanOrEqual(1);
      } else {
        expect({ email, state: final.get(email), copies }).toEqual({ email, state: 'sent', copies: 1 });
      }
    }
    expect(ledger.counts(1)).toMatchObject({ queued: 0, failed: 0, sending: unknown.length, sent: list.length - unknown.length });
  });

  it('after SIGTERM, finishes what is in flight, exits with a summary, and the next run sends the rest exactly once', async () => {
    const { list, ledger, server, env, sendAndStop } = await setUp(30);
    const stopped = await sendAndStop('SIGTERM', 6);
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toMatch(/Issue #1: interrupted\. This run: \d+ sent/);
    expect(ledger.counts(1).sending).toBe(0);
    expect(ledger.getSend(1)?.status).toBe('interrupted');

    const resumed = await runCli(['send', '1', '--yes'], { env });
    expect(resumed.code).toBe(0);
    for (const email of list) expect({ email, copies: server.copiesTo(email) }).toEqual({ email, copies: 1 });
    expect(ledger.counts(1)).toMatchObject({ sent: 30, queued: 0, sending: 0 });
  });
});
