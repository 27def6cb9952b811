// Several senders sharing one send, which only the PostgreSQL ledger allows: workers join
// a running send with leases of their own, a dead worker's claims go back to the queue
// (never a live co-worker's), a pause stops everyone's claims, and only the last worker
// records how the send ended. Then for real: two `newsdesk send N --yes` processes on one
// database and one SMTP server, and one of them killed with SIGKILL mid-send.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { settleAfter, type LeaseRequest } from '../delivery/sending/send-issue.ts';
import { SmtpTransport } from '../delivery/transports/smtp-transport.ts';
import { aDelivery, addresses, anotherLedger, databaseOf, fixedNow, type ScriptedServer, sendIssueWith, startSmtpServer } from './delivery-kit.ts';
import { openPostgresDelivery } from '../delivery/open-delivery.ts';
import { hangAfter, hangMs } from './helpers/hang.ts';
import { binPath, cleanEnv, runCli } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';

let server: ScriptedServer | undefined;
const closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
  await server?.close();
  server = undefined;
});

const issue = 1;
const here = os.hostname();
const worker = (token: string, pid: number, isLive: LeaseRequest['isLive'] = () => true): LeaseRequest => ({
  token,
  holder: { pid, host: here, startedAt: new Date().toISOString() },
  now: new Date(),
  ttlMs: 60_000,
  isLive,
});

describe('workers sharing a send (PostgreSQL)', () => {
  it('lets a second worker join; a dead worker’s claims go back to the queue, a live co-worker’s never, and what it was transmitting stays unknown', async () => {
    const delivery = await aDelivery('postgres', addresses(10));
    const { ledger } = delivery;
    expect(await ledger.startSend(issue, 'Subject', 'SMTP', worker('a', 101))).toEqual({ ok: true });
    expect(await ledger.startSend(issue, 'Subject', 'SMTP', worker('b', 102))).toEqual({ ok: true });
    expect(await ledger.getSend(issue)).toMatchObject({ status: 'running', lease: { holder: { pid: 101 } }, workers: 2 });
    await ledger.enqueueActive(issue, fixedNow);
    const a = ledger.deliveriesFor(issue, 'a');
    const b = ledger.deliveriesFor(issue, 'b');
    const ofA = await a.claim(3, fixedNow);
    const ofB = await b.claim(2, fixedNow);
    await a.markTransmitting(ofA[0]!.subscriberId, fixedNow);
    // A claim is its worker's alone.
    await expect(b.markTransmitting(ofA[1]!.subscriberId, fixedNow)).rejects.toThrow(/no longer held by this send/);
    expect(await ledger.requeueAbandoned(issue)).toBe(0);

    // A third worker starts and finds a's process gone: only a's two claims go back.
    expect(await ledger.startSend(issue, 'Subject', 'SMTP', worker('c', 103, (holder) => holder.pid !== 101))).toEqual({ ok: true });
    expect(await ledger.requeueAbandoned(issue)).toBe(2);
    expect(await ledger.counts(issue)).toMatchObject({ queued: 7, claimed: 2, sending: 1 });
    await expect(a.markTransmitting(ofA[1]!.subscriberId, fixedNow)).rejects.toThrow(/no longer held by this send/);
    // b's claims are still b's; the one a was transmitting is neither re-sent nor skipped unasked.
    await b.markTransmitting(ofB[0]!.subscriberId, fixedNow);
    expect(await ledger.requeueUnknown(issue)).toBe(1);
    expect((await ledger.deliveries(issue, 'sending')).map((d) => d.email)).toEqual([ofB[0]!.email]);
  });

  it('stops every worker’s claims when one pauses, and only the last worker records how the send ended', async () => {
    const delivery = await aDelivery('postgres', addresses(4));
    const { ledger } = delivery;
    await ledger.startSend(issue, 'Subject', 'SMTP', worker('a', 101));
    await ledger.startSend(issue, 'Subject', 'SMTP', worker('b', 102));
    await ledger.enqueueActive(issue, fixedNow);
    const a = ledger.deliveriesFor(issue, 'a');
    const b = ledger.deliveriesFor(issue, 'b');
    const [first] = await a.claim(1, fixedNow);
    const [second] = await b.claim(1, fixedNow);
    await a.markTransmitting(first!.subscriberId, fixedNow);
    await a.markSent(first!.subscriberId, { messageId: '<1@x>', response: '250' }, fixedNow);

    // a runs out of work while b still sends: the send stays running.
    const left = await ledger.finishWorker(issue, 'a', new Date(), () => true, settleAfter({ status: 'completed', reason: undefined }));
    expect(left).toMatchObject({ last: false, status: 'running' });
    expect(await ledger.getSend(issue)).toMatchObject({ status: 'running', workers: 1 });

    // A third worker joins and pauses: b claims nothing more, and leaving last it keeps the pause.
    await ledger.startSend(issue, 'Subject', 'SMTP', worker('c', 103));
    expect(await ledger.finishWorker(issue, 'c', new Date(), () => true, settleAfter({ status: 'paused', reason: '5 of the last 5 deliveries failed' }))).toMatchObject({
      last: false,
      status: 'paused',
    });
    expect(await b.claim(2, fixedNow)).toEqual([]);
    expect(await b.nextDue()).toBeUndefined();
    await b.markTransmitting(second!.subscriberId, fixedNow);
    await b.markUnknown(second!.subscriberId, 'outcome unknown: the connection was lost', fixedNow);
    const last = await ledger.finishWorker(issue, 'b', new Date(), () => true, settleAfter({ status: 'completed', reason: undefined }));
    expect(last).toMatchObject({ last: true, status: 'paused', reason: '5 of the last 5 deliveries failed', counts: { queued: 2, sent: 1, sending: 1 } });
    expect(await ledger.getSend(issue)).toMatchObject({ status: 'paused', lease: undefined, workers: 0 });

    // Resumed by one worker that sends the rest: the last one out sees the unknown delivery and says unresolved.
    await ledger.startSend(issue, 'Subject', 'SMTP', worker('d', 104));
    const d = ledger.deliveriesFor(issue, 'd');
    for (const r of await d.claim(5, fixedNow)) {
      await d.markTransmitting(r.subscriberId, fixedNow);
      await d.markSent(r.subscriberId, { messageId: `<${r.subscriberId}@x>`, response: '250' }, fixedNow);
    }
    expect(await ledger.finishWorker(issue, 'd', new Date(), () => true, settleAfter({ status: 'completed', reason: undefined }))).toMatchObject({
      last: true,
      status: 'unresolved',
      counts: { sent: 3, sending: 1, queued: 0 },
    });
  });

  it('two senders in one process, each on its own pool, send everyone exactly one copy between them', async () => {
    const list = addresses(40);
    const delivery = await aDelivery('postgres', list);
    const other = await openPostgresDelivery(databaseOf(delivery));
    closing.push(() => other.close());
    // The first replies wait until four messages are on the wire at once: with two connections
    // each, both senders are transmitting then, however the machine schedules them.
    const gate = aGate();
    server = await startSmtpServer({ onMessage: async () => (await gate.opened, 'accept' as const), onTransmission: () => server!.transmissions.length >= 4 && gate.open() });
    const transports = [0, 1].map(() => new SmtpTransport({ url: server!.url, maxConnections: 2, timeoutMs: hangMs }));
    for (const t of transports) closing.push(() => t.close());
    const [one, two] = await Promise.all([
      sendIssueWith(delivery, transports[0]!, { issue, concurrency: 2 }),
      sendIssueWith(other, transports[1]!, { issue, concurrency: 2 }),
    ]);
    for (const email of list) expect({ email, copies: server.copiesTo(email) }).toEqual({ email, copies: 1 });
    expect(one.outcome.sent).toBeGreaterThanOrEqual(2);
    expect(two.outcome.sent).toBeGreaterThanOrEqual(2);
    expect(one.outcome.sent + two.outcome.sent).toBe(40);
    // One of them left last and recorded the end.
    expect([one.workersLeft, two.workersLeft].sort()).toEqual([false, true]);
    expect(await delivery.ledger.getSend(issue)).toMatchObject({ status: 'completed', lease: undefined, counts: { sent: 40, queued: 0, claimed: 0, sending: 0 } });
  });
});

/** A promise opened once, from outside. */
function aGate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('two `newsdesk send` processes on one PostgreSQL database', { timeout: hangAfter(4) }, () => {
  async function setUp(count: number) {
    const list = addresses(count);
    const delivery = await aDelivery('postgres', list);
    const gate = aGate();
    let onTransmission: () => void = () => {};
    server = await startSmtpServer({
      // Replies are held until both processes have their two connections' messages on the wire.
      onMessage: async () => (await gate.opened, 'accept' as const),
      onTransmission: () => onTransmission(),
    });
    const env = {
      NEWSDESK_DATA_DIR: await makeTempDir('newsdesk-workers-'),
      NEWSDESK_SECRET: 'workers-test-secret-0123456789abcdef',
      NEWSDESK_DATABASE_URL: databaseOf(delivery),
      SMTP_URL: server.url,
      NEWSDESK_SEND_RATE: '1000',
      NEWSDESK_SEND_CONCURRENCY: '2',
    };
    const start = (): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } => {
      const child = spawn(process.execPath, [binPath, 'send', String(issue), '--yes'], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
      return { child, done };
    };
    /** Resolves once `n` transmissions have begun in all. */
    const transmitted = (n: number) =>
      new Promise<void>((resolve) => {
        onTransmission = () => server!.transmissions.length >= n && resolve();
        onTransmission();
      });
    return { list, delivery, gate, env, start, transmitted };
  }

  const sentThisRun = (stdout: string) => Number(/This run: (\d+) sent/.exec(stdout)?.[1] ?? -1);

  it('share the send: every active subscriber gets exactly one copy, and both processes sent some', async () => {
    const { list, delivery, gate, start, transmitted } = await setUp(60);
    const runs = [start(), start()];
    await transmitted(4);
    gate.open();
    const [one, two] = await Promise.all(runs.map((r) => r.done));
    for (const email of list) expect({ email, copies: server!.copiesTo(email) }).toEqual({ email, copies: 1 });
    expect([one!.code, two!.code], `${one!.stderr}\n${two!.stderr}`).toEqual([0, 0]);
    expect(sentThisRun(one!.stdout)).toBeGreaterThanOrEqual(2);
    expect(sentThisRun(two!.stdout)).toBeGreaterThanOrEqual(2);
    expect(sentThisRun(one!.stdout) + sentThisRun(two!.stdout)).toBe(60);
    expect(`${one!.stdout}${two!.stdout}`).toContain('Other workers are still sending issue #1');
    expect(await delivery.ledger.getSend(issue)).toMatchObject({ status: 'completed', counts: { sent: 60, queued: 0, claimed: 0, sending: 0 } });
  });

  it('kill -9 of one: the survivor finishes, only the killed one’s messages in flight are unknown, nobody gets two copies', async () => {
    const { list, delivery, gate, env, start, transmitted } = await setUp(40);
    const [victim, survivor] = [start(), start()];
    // Both have their two connections' messages on the wire, none answered: the victim dies now.
    await transmitted(4);
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    gate.open();
    const last = await survivor.done;
    const unknown = (await delivery.ledger.deliveries(issue, 'sending')).map((d) => d.email);
    expect(unknown.length, last.stderr).toBeLessThanOrEqual(2);
    for (const email of list) {
      // Unknown: its message may or may not have been whole when the process died; never twice.
      if (unknown.includes(email)) expect(server!.copiesTo(email), email).toBeLessThanOrEqual(1);
      else expect({ email, copies: server!.copiesTo(email) }).toEqual({ email, copies: 1 });
    }
    const counts = await delivery.ledger.counts(issue);
    expect(counts).toMatchObject({ queued: 0, claimed: 0, failed: 0, sending: unknown.length, sent: list.length - unknown.length });
    if (unknown.length > 0) {
      expect(last.code).toBe(1);
      expect(last.stdout).toContain('Issue #1: unresolved.');
    } else {
      expect(last.code, last.stderr).toBe(0);
    }
    // A later run has nothing left to send and re-sends nothing unknown unasked.
    const again = await runCli(['send', String(issue), '--yes'], { env });
    expect(again.code).toBe(unknown.length > 0 ? 1 : 0);
    for (const email of list) expect(server!.copiesTo(email)).toBeLessThanOrEqual(1);
    expect(await anotherLedger(delivery).then((l) => l.counts(issue))).toMatchObject(counts);
  });
});
