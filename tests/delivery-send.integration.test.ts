// The send loop against a real SMTP server (smtp-server on port 0), with the SQLite
// ledger in a temp folder: what arrives, and what the ledger says afterwards, when the
// server accepts, defers, hangs up, rejects an address, or fails everything.
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterEach, describe, expect, it } from 'vitest';
import { composeIssueMessage } from '../delivery/messages/message.ts';
import type { SendOptions } from '../delivery/sending/send-loop.ts';
import { SmtpTransport } from '../delivery/transports/smtp-transport.ts';
import { readReturnPath } from '../delivery/signing/return-path.ts';
import { classifySendError, OutcomeUnknown } from '../delivery/sending/transport.ts';
import { createMessageId, verifyUnsubscribeToken } from '../delivery/signing/tokens.ts';
import { aDelivery, aDeliveryDb, addresses, aMessageContext, aRenderedEmail, fixedNow, type ScriptedServer, sendIssueWith, someSendOptions, startSmtpServer, storeKinds, type StoreKind, type Verdict } from './delivery-kit.ts';
import { hangMs } from './helpers/hang.ts';
import { makeTempDir } from './helpers/temp.ts';
import { aClock } from './server-kit.ts';

const issue = 7;
let server: ScriptedServer | undefined;
let transport: SmtpTransport | undefined;

afterEach(async () => {
  await transport?.close();
  await server?.close();
  transport = server = undefined;
});

async function sendTo(
  kind: StoreKind,
  list: string[],
  script: Parameters<typeof startSmtpServer>[0] = {},
  options: Partial<SendOptions> = {},
  extra: { dkim?: ConstructorParameters<typeof SmtpTransport>[0]['dkim']; signal?: AbortSignal } = {},
) {
  const delivery = await aDelivery(kind, list);
  server = await startSmtpServer(script);
  const sendOptions = someSendOptions(options);
  transport = new SmtpTransport({ url: server.url, maxConnections: sendOptions.concurrency, dkim: extra.dkim, timeoutMs: hangMs });
  const ctx = aMessageContext();
  const send = () => sendIssueWith(delivery, transport!, { ...sendOptions, issue, ...(extra.signal ? { signal: extra.signal } : {}) });
  const run = async () => (await send()).outcome;
  return { ...delivery, server, ctx, run, send };
}

describe('sending an issue over SMTP', () => {
  it.each(storeKinds)('delivers one multipart message per active subscriber with list headers, a personal unsubscribe link and a stable Message-ID (%s)', async (kind) => {
    const list = addresses(3);
    const { run, server, subscribers, ctx, ledger } = await sendTo(kind, list);
    const outcome = await run();
    expect(outcome).toMatchObject({ status: 'completed', sent: 3, failed: 0 });
    expect(server.received.map((m) => m.to).sort()).toEqual(list);
    for (const email of list) {
      const m = server.received.find((r) => r.to === email)!.parsed;
      const s = (await subscribers.get(email))!;
      expect(m.messageId).toBe(createMessageId(issue, s.token, ctx.secret, 'news.example.org'));
      expect(m.subject).toBe('Ecosystem Tracker #7: Lockfiles everywhere');
      expect(m.from?.value).toEqual([{ name: 'Ecosystem Tracker', address: 'tracker@news.example.org' }]);
      expect(m.replyTo?.text).toBe('editors@news.example.org');
      expect(m.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
      expect(m.text).toContain(`Hello ${email}`);
      expect(m.html).toContain(`Hello <span dir="ltr" style="unicode-bidi:isolate">${email}</span>`);
      const headerLine = (key: string) => m.headerLines.find((h) => h.key === key)?.line;
      expect(headerLine('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      const list = m.headers.get('list') as { unsubscribe: { url: string; mail: string }; id: { id: string } };
      const listUnsubscribe = list.unsubscribe;
      expect(listUnsubscribe.url).toMatch(/^https:\/\/news\.example\.org\/unsubscribe\?token=/);
      expect(listUnsubscribe.mail).toMatch(/^unsubscribe@news\.example\.org\?subject=unsubscribe/);
      expect(list.id.id).toBe('ecosystem-tracker.news.example.org');
      const token = new URL(listUnsubscribe.url).searchParams.get('token')!;
      expect(token).not.toContain(email);
      expect(token).not.toContain(String(s.id) + '.');
      expect(verifyUnsubscribeToken(token, ctx.secret)).toEqual({ subscriberToken: s.token });
      expect(m.html).toContain(listUnsubscribe.url);
    }
    expect(await ledger.counts(issue)).toMatchObject({ sent: 3, queued: 0, sending: 0 });
  });

  it.each(storeKinds)('retries a 451 deferral with backoff and delivers exactly once (%s)', async (kind) => {
    const { run, server, ledger } = await sendTo(kind, ['slow@example.org', 'fine@example.org'], {
      onMessage: (to, before): Verdict => (to === 'slow@example.org' && before === 0 ? { code: 451, message: '4.3.2 Try again later' } : 'accept'),
    });
    const outcome = await run();
    expect(outcome).toMatchObject({ status: 'completed', sent: 2, retried: 1, failed: 0 });
    expect(server.copiesTo('slow@example.org')).toBe(1);
    expect((await ledger.deliveries(issue)).find((d) => d.email === 'slow@example.org')).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it.each(storeKinds)('retries after the server hangs up before the message was sent (at RCPT TO) and delivers exactly once (%s)', async (kind) => {
    const list = addresses(4);
    const seen = new Set<string>();
    const { run, server, ledger } = await sendTo(kind, list, {
      onRecipient: (to): Verdict => {
        const first = !seen.has(to);
        seen.add(to);
        return first && (to === list[0] || to === list[2]) ? 'drop' : 'accept';
      },
    });
    const outcome = await run();
    expect(outcome).toMatchObject({ status: 'completed', sent: 4, failed: 0, unknown: 0 });
    for (const a of list) expect(server.copiesTo(a)).toBe(1);
    expect((await ledger.deliveries(issue)).filter((d) => d.attempts === 2).map((d) => d.email)).toEqual([list[0], list[2]]);
  });

  it.each(storeKinds)('leaves a delivery unknown, never re-sent by itself, when the relay takes the message and hangs up before its 250 (%s)', async (kind) => {
    const list = addresses(4);
    const { send, server, ledger } = await sendTo(kind, list, {
      onMessage: (to, before): Verdict => (before === 0 && (to === list[0] || to === list[2]) ? 'accept-then-drop' : 'accept'),
    });
    const result = await send();
    for (const a of list) expect({ a, copies: server.copiesTo(a) }).toEqual({ a, copies: 1 });
    expect(result.outcome).toMatchObject({ sent: 2, failed: 0, retried: 0, unknown: 2 });
    // Never "completed" with deliveries whose outcome is unknown.
    expect(result.status).toBe('unresolved');
    expect(await ledger.getSend(issue)).toMatchObject({ status: 'unresolved', counts: { sent: 2, sending: 2, queued: 0 } });
    const unknown = await ledger.deliveries(issue, 'sending');
    expect(unknown.map((d) => d.email)).toEqual([list[0], list[2]]);
    for (const d of unknown) expect(d).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/^outcome unknown: the connection was lost after the message was transmitted/) });

    // A plain re-run leaves them alone; only --resend-unknown would send them again.
    const again = await send();
    expect(again.status).toBe('unresolved');
    for (const a of list) expect(server.copiesTo(a)).toBe(1);
  });

  it('a connection lost while the message is still being handed over is an ordinary retry, not an unknown outcome', async () => {
    server = await startSmtpServer({ onMessage: () => 'accept' });
    transport = new SmtpTransport({ url: server.url, maxConnections: 1, timeoutMs: 5000 });
    const message = composeIssueMessage(aRenderedEmail(), { subscriberId: 1, email: 'reader@example.org', name: undefined, token: 'AAAAAAAAAAAAAAAAAAAAAA' }, aMessageContext());
    let settled: Promise<unknown> | undefined;
    const sending = transport.send(message, {
      // DATA was accepted; the relay hangs up before any of the message was written, and
      // the message is held back until the transport has seen it: what is lost here cannot have arrived.
      onTransmit: async () => {
        server!.dropAll();
        await settled;
      },
    });
    settled = sending.catch(() => undefined);
    const error = await sending.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(OutcomeUnknown);
    expect(classifySendError(error).kind).toBe('transient');
    expect(server.received).toHaveLength(0);
  });

  it('a connection lost while a large message is still leaving (its end never written) is an ordinary retry, delivered once', async () => {
    const list = addresses(2);
    const seen = new Set<string>();
    // Big enough that most of it is still in our socket's buffer when the relay hangs up.
    const email = aRenderedEmail({ text: `Hello\n${'All the links of the fortnight. '.repeat(300_000)}\n` });
    const delivery = await aDeliveryDb(list);
    server = await startSmtpServer({
      hangUpMidMessage: (to) => {
        const first = !seen.has(to);
        seen.add(to);
        return first && to === list[0];
      },
    });
    transport = new SmtpTransport({ url: server.url, maxConnections: 1, timeoutMs: 20_000 });
    const result = await sendIssueWith(delivery, transport, { ...someSendOptions({ concurrency: 1 }), issue, email });
    expect(result.outcome).toMatchObject({ status: 'completed', sent: 2, retried: 1, unknown: 0 });
    for (const a of list) expect(server.copiesTo(a)).toBe(1);
  }, 60_000);

  it.each(storeKinds)('marks a 550 5.1.1 delivery failed without retrying and the subscriber bounced (%s)', async (kind) => {
    const { run, server, ledger, subscribers } = await sendTo(kind, ['gone@example.org', 'here@example.org'], {
      onRecipient: (to): Verdict => (to === 'gone@example.org' ? { code: 550, message: '5.1.1 No such mailbox' } : 'accept'),
    });
    const outcome = await run();
    expect(outcome).toMatchObject({ status: 'completed', sent: 1, failed: 1, bounced: 1, retried: 0 });
    expect(server.copiesTo('here@example.org')).toBe(1);
    const gone = (await ledger.deliveries(issue)).find((d) => d.email === 'gone@example.org')!;
    expect(gone).toMatchObject({ state: 'failed', attempts: 1 });
    expect(gone.lastError).toContain('5.1.1');
    const subscriber = (await subscribers.get('gone@example.org'))!;
    expect(subscriber.state).toBe('bounced');
    expect((await subscribers.history(subscriber.id)).at(-1)).toMatchObject({ from: 'active', to: 'bounced', actor: 'send:issue-7' });
  });

  it.each(storeKinds)('honours an unsubscribe that arrives during the send for everyone not yet sent (%s)', async (kind) => {
    const list = addresses(6);
    let delivery: Awaited<ReturnType<typeof sendTo>> | undefined;
    delivery = await sendTo(
      kind,
      list,
      {
        onMessage: async (to) => {
          // The reader at the end of the list unsubscribes while the first message is in flight.
          if (to === list[0]) await delivery!.subscribers.unsubscribe(list[5]!, { actor: 'subscriber', now: fixedNow });
          return 'accept' as const;
        },
      },
      { concurrency: 1 },
    );
    const outcome = await delivery.run();
    expect(outcome).toMatchObject({ status: 'completed', sent: 5 });
    expect(delivery.server.copiesTo(list[5]!)).toBe(0);
    expect((await delivery.ledger.deliveries(issue)).find((d) => d.email === list[5])).toMatchObject({ state: 'skipped', lastError: 'subscriber is unsubscribed' });
  });

  it.each(storeKinds)('pauses itself on an error storm, says why, and a second run resumes without doubling anything (%s)', async (kind) => {
    const list = addresses(20);
    let storm = true;
    const delivery = await sendTo(
      kind,
      list,
      { onMessage: (): Verdict => (storm ? { code: 421, message: '4.7.0 Too many messages, slow down' } : 'accept') },
      { pauseWindow: 5, pauseErrorRate: 0.5, maxAttempts: 2, concurrency: 1 },
    );
    const first = await delivery.run();
    expect(first.status).toBe('paused');
    expect(first.status === 'paused' && first.reason).toMatch(/5 of the last 5 deliveries failed .*4\.7\.0 Too many messages/);
    expect(await delivery.ledger.getSend(issue)).toMatchObject({ status: 'paused' });
    expect(delivery.server.received).toHaveLength(0);

    storm = false;
    const second = await delivery.run();
    expect(second).toMatchObject({ status: 'completed', sent: 20 });
    for (const a of list) expect(delivery.server.copiesTo(a)).toBe(1);
    expect(await delivery.ledger.getSend(issue)).toMatchObject({ status: 'completed', counts: { sent: 20, sending: 0, queued: 0 } });
  });

  it.each(storeKinds)('stops taking deliveries when aborted, records what was in flight, and leaves the rest queued (%s)', async (kind) => {
    const list = addresses(10);
    const controller = new AbortController();
    const delivery = await sendTo(kind, list, { onMessage: () => { if (!controller.signal.aborted) controller.abort(); return 'accept'; }, delayMs: 30 }, { concurrency: 2 }, { signal: controller.signal });
    const outcome = await delivery.run();
    expect(outcome.status).toBe('interrupted');
    const counts = await delivery.ledger.counts(issue);
    expect(counts.sending).toBe(0);
    expect(counts.sent).toBe(delivery.server.received.length);
    expect(counts.queued).toBe(10 - counts.sent);
  });

  it('leaves with its own signed return path as the envelope sender, the From unchanged and DKIM still verifying', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dkim = { domainName: 'news.example.org', keySelector: 'nd2026', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    const delivery = await aDeliveryDb(['verp@example.org']);
    server = await startSmtpServer();
    transport = new SmtpTransport({ url: server.url, maxConnections: 1, dkim, timeoutMs: hangMs });
    const ctx = aMessageContext({ bounceAddress: 'bounces@bounce.news.example.org' });
    await sendIssueWith(delivery, transport, { issue, context: ctx });
    const [message] = server.received;
    expect(message!.from).toMatch(/^bounces\+[a-z2-7]{26}@bounce\.news\.example\.org$/);
    expect(readReturnPath([message!.from], ctx.secret)).toEqual({ issue, subscriberId: (await delivery.subscribers.get('verp@example.org'))!.id });
    expect(message!.parsed.from?.value).toEqual([{ name: 'Ecosystem Tracker', address: 'tracker@news.example.org' }]);
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const result = await dkimVerify(message!.raw, {
      sender: message!.from,
      resolver: async (name: string, type: string) => {
        if (type === 'TXT' && name === 'nd2026._domainkey.news.example.org') return [[`v=DKIM1; k=rsa; p=${p}`]];
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      },
    });
    expect(result.results[0]?.status.result).toBe('pass');
  });

  it('signs with DKIM over the List-Unsubscribe headers, and the signature verifies', async () => {
    const dir = await makeTempDir();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = path.join(dir, 'dkim.pem');
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const dkim = { domainName: 'news.example.org', keySelector: 'nd2026', privateKey: fs.readFileSync(keyFile, 'utf8') };
    const { run, server } = await sendTo('sqlite', ['signed@example.org'], {}, {}, { dkim });
    await run();
    const raw = server.received[0]!.raw;
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const result = await dkimVerify(raw, {
      resolver: async (name: string, type: string) => {
        if (type === 'TXT' && name === 'nd2026._domainkey.news.example.org') return [[`v=DKIM1; k=rsa; p=${p}`]];
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      },
    });
    const [signature] = result.results;
    expect(signature?.status.result).toBe('pass');
    expect(signature?.signingDomain).toBe('news.example.org');
    const signed = String((signature as unknown as { signingHeaders: { keys: string } }).signingHeaders.keys).toLowerCase().split(': ').join(':');
    expect(signed).toContain('list-unsubscribe');
    expect(signed).toContain('list-unsubscribe-post');
  });
});

describe('the pace of a send', () => {
  it.each(storeKinds)('slows down in a storm of 421 deferrals instead of pausing, then delivers everyone exactly once (%s)', async (kind) => {
    const list = addresses(30);
    let deferrals = 12;
    const delivery = await sendTo(
      kind,
      list,
      { onMessage: (): Verdict => (deferrals-- > 0 ? { code: 421, message: '4.7.0 Too many messages, slow down' } : 'accept') },
      { rate: 1000, concurrency: 2, maxAttempts: 10, pauseWindow: 5, pauseErrorRate: 0.2 },
    );
    const outcome = await delivery.run();
    expect(outcome).toMatchObject({ status: 'completed', sent: 30, failed: 0, retried: 12 });
    expect(outcome.lowestRate).toBeLessThan(1000);
    for (const a of list) expect(delivery.server.copiesTo(a)).toBe(1);
  });
});

describe('one send per issue at a time', () => {
  it('refuses a second send of the same issue while the first runs, naming who holds it, and the first sends everyone once', async () => {
    const list = addresses(8);
    const delivery = await aDeliveryDb(list);
    // The relay answers nothing until the second send has been refused: the first is still sending then.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    server = await startSmtpServer({ onMessage: async () => (await released, 'accept' as const) });
    transport = new SmtpTransport({ url: server.url, maxConnections: 2, timeoutMs: hangMs });
    const first = sendIssueWith(delivery, transport, { issue, concurrency: 2 });
    // The second starts once the first holds the lease and is sending.
    while (server.transmissions.length === 0) await new Promise((r) => setTimeout(r, 5));
    await expect(sendIssueWith(delivery, transport, { issue, concurrency: 2 })).rejects.toMatchObject({
      code: 'SEND_BUSY',
      message: expect.stringMatching(new RegExp(`Issue #7 is already being sent by process ${process.pid} on `)),
    });
    release();
    expect((await first).status).toBe('completed');
    for (const a of list) expect(server.copiesTo(a)).toBe(1);
    expect((await delivery.ledger.getSend(issue))?.lease).toBeUndefined();
  });

  it.each(storeKinds)('takes over the lease of a send whose process died: claimed deliveries go back to the queue, unknown ones are reported and not re-sent (%s)', async (kind) => {
    const list = addresses(6);
    const delivery = await aDelivery(kind, list);
    // What a send killed mid-way leaves: its lease, two deliveries claimed but not started, one mid-transmission.
    const dead = { pid: 999_999, host: (await import('node:os')).hostname(), startedAt: fixedNow.toISOString() };
    await delivery.ledger.startSend(issue, 'Subject', 'SMTP', { token: 'dead-send', holder: dead, now: new Date(), ttlMs: 60_000, isLive: () => false });
    await delivery.ledger.enqueueActive(issue, fixedNow);
    const claimed = await delivery.ledger.deliveriesFor(issue, 'dead-send').claim(3, fixedNow);
    await delivery.ledger.deliveriesFor(issue, 'dead-send').markTransmitting(claimed[0]!.subscriberId, fixedNow);
    expect(await delivery.ledger.counts(issue)).toMatchObject({ claimed: 2, sending: 1, queued: 3 });

    server = await startSmtpServer();
    transport = new SmtpTransport({ url: server.url, maxConnections: 2, timeoutMs: hangMs });
    const result = await sendIssueWith(delivery, transport, { issue, isProcessAlive: (pid) => pid !== dead.pid });
    expect(result.requeued).toBe(2);
    expect(result.status).toBe('unresolved');
    expect(result.counts).toMatchObject({ sent: 5, sending: 1, claimed: 0, queued: 0 });
    expect(server.copiesTo(claimed[0]!.email)).toBe(0);
    for (const r of claimed.slice(1)) expect(server.copiesTo(r.email)).toBe(1);
    expect((await delivery.ledger.deliveries(issue)).find((d) => d.email === claimed[1]!.email)?.attempts).toBe(1);

    const closed = await sendIssueWith(delivery, transport, { issue, unknown: 'skip' });
    expect(closed.status).toBe('completed');
    expect((await delivery.ledger.deliveries(issue)).find((d) => d.email === claimed[0]!.email)).toMatchObject({ state: 'skipped', lastError: expect.stringContaining('outcome unknown') });
    expect(server.copiesTo(claimed[0]!.email)).toBe(0);
  });

  it('waits for the lease of a live holder on another machine until it expires', async () => {
    const delivery = await aDeliveryDb(addresses(2));
    const elsewhere = { pid: process.pid, host: 'another-machine.example', startedAt: fixedNow.toISOString() };
    // On a test clock: the lease runs out when the clock is moved past it, not after a wait.
    const clock = aClock(fixedNow.toISOString());
    await delivery.ledger.startSend(issue, 'Subject', 'SMTP', { token: 'remote', holder: elsewhere, now: clock.now(), ttlMs: 60_000, isLive: () => false });
    server = await startSmtpServer();
    transport = new SmtpTransport({ url: server.url, maxConnections: 1, timeoutMs: hangMs });
    await expect(sendIssueWith(delivery, transport, { issue, now: clock.now })).rejects.toMatchObject({ code: 'SEND_BUSY', message: expect.stringContaining('another-machine.example') });
    clock.advanceHours(1);
    expect((await sendIssueWith(delivery, transport, { issue, now: clock.now })).status).toBe('completed');
    expect(server.received).toHaveLength(2);
  });
});
