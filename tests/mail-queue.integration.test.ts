// Confirmation and welcome mail go through the durable queue in the delivery database,
// sent by the worker inside `serve` over a real SMTP server (smtp-server on loopback):
// a sign-up answers the same whatever the address and whether the relay is up, and a
// relay that is down and comes back later loses no mail. Each test runs on the SQLite
// file and on PostgreSQL (NEWSDESK_DATABASE_URL, a new database on the run's server).
import { afterEach, describe, expect, it } from 'vitest';
import { openDelivery } from '../delivery/open-delivery.ts';
import { aFreePort, rowsOf, type ScriptedServer, startSmtpServer, type StoreKind, storeKinds } from './delivery-kit.ts';
import { freshDatabase } from './helpers/postgres.ts';
import { until } from './helpers/hang.ts';
import { confirmVia, jsonPost, startTestServer, tokenSecret, type TestServer } from './server-kit.ts';
import path from 'node:path';
import { aReport, writeMbox } from './bounce-kit.ts';
import { runCommand } from './helpers/run-command.ts';
import { bouncesCommand } from '../scripts/bounces.ts';

let relay: ScriptedServer | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  await relay?.close();
  relay = server = undefined;
});

/** The environment that puts the delivery database on this kind of store. */
const storeEnv = async (kind: StoreKind): Promise<Record<string, string>> => (kind === 'postgres' ? { NEWSDESK_DATABASE_URL: await freshDatabase('test') } : {});

describe.each(storeKinds)('transactional mail through the queue (%s)', (kind) => {
  it('answers a sign-up identically for a known and an unknown address while the relay is down, then delivers the confirmation and welcome once it is back', async () => {
    const port = await aFreePort();
    server = await startTestServer({ build: false, env: { ...(await storeEnv(kind)), SMTP_URL: `smtp://127.0.0.1:${port}` }, mailWorker: { baseMs: 40, maxMs: 150, pollMs: 100 } });
    await server.delivery.subscribers.add({ email: 'known@example.com' }, 'active', { actor: 'test', now: server.clock.now() });

    const answer = async (email: string) => {
      const r = await jsonPost(`${server!.url}/subscribe`, { email });
      return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
    };
    const known = await answer('known@example.com');
    expect(known.status).toBe(202);
    expect(await answer('stranger@example.com')).toEqual(known);

    // The relay refuses connections; the worker keeps the mail and tries again.
    const failedOnce = await until('a failed attempt', async () => {
      const [row] = await rowsOf<{ attempts: number; last_error: string | null }>(server!.delivery, "SELECT attempts, last_error FROM mail_queue WHERE kind = 'confirm'");
      return row && row.attempts >= 2 && row.last_error ? row : undefined;
    });
    expect(failedOnce.last_error).toMatch(/ECONNREFUSED|connect/i);

    relay = await startSmtpServer({ port });
    const confirmation = await until('the confirmation mail', () => relay!.received.find((m) => m.to === 'stranger@example.com'));
    expect(confirmation.parsed.subject).toMatch(/^Confirm your subscription/);
    const link = /https?:\/\/\S+\/confirm\?token=[^\s\]>)]+/.exec(confirmation.parsed.text ?? '')![0];
    expect((await confirmVia(link)).status).toBe(200);
    await until('the welcome mail', () => relay!.received.find((m) => m.to === 'stranger@example.com' && /^Welcome/.test(m.parsed.subject ?? '')));
    await server.mail.idle();

    expect(relay.received.map((m) => `${m.to} ${m.parsed.subject?.split(' ')[0]}`).sort()).toEqual(['stranger@example.com Confirm', 'stranger@example.com Welcome']);
    expect(await rowsOf(server.delivery, 'SELECT kind, state FROM mail_queue ORDER BY id')).toEqual([
      { kind: 'confirm', state: 'sent' },
      { kind: 'welcome', state: 'sent' },
    ]);
  });

  it('sends mail a crashed server left mid-attempt when the next one starts', async () => {
    const env = await storeEnv(kind);
    server = await startTestServer({ build: false, env });
    const { subscriber } = await server.delivery.subscribers.add({ email: 'left@example.com' }, 'pending', { actor: 'test', now: server.clock.now() });
    await server.close();
    // What a kill during an attempt leaves behind.
    const left = await openDelivery(server.config);
    await rowsOf(left, "INSERT INTO mail_queue (kind, subscriber_id, state, attempts, created_at) VALUES ('confirm', ?, 'sending', 1, ?)", subscriber.id, Date.now());
    await left.close();
    const again = await startTestServer({ build: false, env: { ...env, NEWSDESK_DATA_DIR: server.config.dataDir } });
    server = again;
    const mails = await again.outboxMail();
    expect(mails.filter((m) => m.to.includes('left@example.com')).map((m) => m.subject)).toEqual(['Confirm your subscription to Marrow Fortnight']);
  });

  it('puts back a mail whose worker is gone, but never one another live worker on the same database is sending', async () => {
    const first = await startTestServer({ build: false, env: await storeEnv(kind) });
    await first.close();
    const delivery = await openDelivery(first.config);
    const { subscriber } = await delivery.subscribers.add({ email: 'shared@example.com' }, 'pending', { actor: 'test', now: new Date() });
    const insert = "INSERT INTO mail_queue (kind, subscriber_id, state, attempts, created_at, claimed_by, claimed_at) VALUES ('confirm', ?, 'sending', 1, ?, ?, ?)";
    const now = new Date('2026-03-02T10:00:00Z');
    await rowsOf(delivery, insert, subscriber.id, now.getTime(), 'this-host:111', now.getTime()); // a live worker here
    await rowsOf(delivery, insert, subscriber.id, now.getTime(), 'this-host:222', now.getTime()); // a dead worker here
    await rowsOf(delivery, insert, subscriber.id, now.getTime(), 'other-host:333', now.getTime() - 20 * 60_000); // another host, long silent
    await rowsOf(delivery, insert, subscriber.id, now.getTime(), 'other-host:444', now.getTime()); // another host, sending now
    const queue = delivery.mailQueue({ claimant: { host: 'this-host', pid: 999 }, isProcessAlive: (pid) => pid === 111 });
    expect(await queue.requeueInterrupted(now)).toBe(2);
    const states = (await rowsOf<{ claimed_by: string | null; state: string }>(delivery, 'SELECT claimed_by, state FROM mail_queue ORDER BY id')).map((r) => [r.claimed_by, r.state]);
    expect(states).toEqual([
      ['this-host:111', 'sending'],
      [null, 'queued'],
      [null, 'queued'],
      ['other-host:444', 'sending'],
    ]);
    await delivery.close();
  });

  it('sends the confirmation with its own signed return path, and a hard bounce of it makes the address bounced, with the evidence', async () => {
    relay = await startSmtpServer();
    const bounceAddress = 'bounces@bounce.news.example.org';
    const env = await storeEnv(kind);
    server = await startTestServer({ build: false, env: { ...env, SMTP_URL: relay.url, NEWSDESK_BOUNCE_ADDRESS: bounceAddress }, mailWorker: { baseMs: 40, maxMs: 150, pollMs: 100 } });
    expect((await jsonPost(`${server.url}/subscribe`, { email: 'ghost@example.com' })).status).toBe(202);
    const confirmation = await until('the confirmation mail', () => relay!.received.find((m) => m.to === 'ghost@example.com'));
    await server.mail.idle();
    // The envelope sender is the subscriber's own return path; the From stays the newsletter's.
    expect(confirmation.from).toMatch(/^bounces\+[a-z2-7]{26}@bounce\.news\.example\.org$/);
    expect(confirmation.parsed.from?.value[0]?.address).not.toBe(confirmation.from);

    // The receiving server bounces it to that return path, as Postfix writes it.
    const mbox = path.join(server.dir, 'bounces.mbox');
    writeMbox(mbox, [aReport('postfix-user-unknown.eml', { 'return-path': confirmation.from, 'message-id': confirmation.parsed.messageId ?? '', recipient: 'ghost@example.com', subject: confirmation.parsed.subject ?? '' })]);
    const processed = await runCommand(bouncesCommand, ['process', mbox], { env: { ...env, NEWSDESK_DATA_DIR: server.config.dataDir, NEWSDESK_SECRET: tokenSecret } });
    expect(processed.code, processed.stderr).toBe(0);
    expect(processed.stdout).toContain('bounced ghost@example.com (transactional mail): hard bounce: 5.1.1');
    const { subscribers } = server.delivery;
    const ghost = (await subscribers.get('ghost@example.com'))!;
    expect(ghost.state).toBe('bounced');
    expect((await subscribers.history(ghost.id)).at(-1)).toMatchObject({ from: 'pending', to: 'bounced', evidence: { mail: 'confirm', status: '5.1.1', source: 'mailbox:bounces.mbox' } });
  });
});
