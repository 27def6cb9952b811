// `serve` reading the bounce mailbox over IMAP, against a real IMAP server on loopback
// (hoodiecrow-imap): a report delivered to the mailbox is applied, the message flagged
// seen and moved to the processed folder; the same report delivered again changes
// nothing; a message that is no report is kept aside and moved too.
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { ImapFlow } from 'imapflow';
import { afterEach, describe, expect, it } from 'vitest';
import { aReport, secret, sendToOutbox } from './bounce-kit.ts';
import { startTestServer, type TestServer } from './server-kit.ts';
import { createUnsubscribeToken } from '../delivery/signing/tokens.ts';

interface Hoodiecrow {
  listen(port: number, host: string, done: () => void): void;
  close(done?: () => void): void;
  server: http.Server;
}
const hoodiecrow = createRequire(import.meta.url)('hoodiecrow-imap') as (options: object) => Hoodiecrow;

let imap: Hoodiecrow | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  await new Promise<void>((resolve) => (imap ? imap.close(() => resolve()) : resolve()));
  server = imap = undefined;
});

async function anImapServer(): Promise<number> {
  imap = hoodiecrow({ plugins: ['IDLE', 'UNSELECT', 'ENABLE', 'ID', 'NAMESPACE'], storage: { INBOX: { messages: [] }, '': { separator: '/', folders: { Processed: {} } } } });
  await new Promise<void>((resolve) => imap!.listen(0, '127.0.0.1', resolve));
  return (imap.server.address() as AddressInfo).port;
}

/** Another mail client: delivers to and reads the mailbox as a mail server would show it. */
async function mailbox(port: number) {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user: 'testuser', pass: 'testpass' }, logger: false });
  await client.connect();
  return {
    deliver: (raw: Buffer) => client.append('INBOX', raw),
    count: async (folder: string) => {
      const status = await client.status(folder, { messages: true });
      return status === false ? undefined : status.messages;
    },
    close: () => client.logout(),
  };
}

describe('the bounce mailbox over IMAP inside serve', () => {
  it('applies a report once, flags and moves each processed message, and keeps what is no report aside', async () => {
    const port = await anImapServer();
    server = await startTestServer({
      build: false,
      env: { NEWSDESK_SECRET: secret, NEWSDESK_BOUNCE_IMAP_URL: `imap://testuser:testpass@127.0.0.1:${port}/INBOX`, NEWSDESK_BOUNCE_IMAP_MOVE_TO: 'Processed', NEWSDESK_BOUNCE_IMAP_POLL_SECONDS: '60' },
    });
    const { subscribers, ledger, bounces } = server.delivery;
    for (const email of ['marta@example.org', 'calm@example.org']) await subscribers.add({ email }, 'active', { actor: 'test', now: new Date() });
    const sent = await sendToOutbox({ dir: server.dir, subscribers, ledger }, 7);

    const other = await mailbox(port);
    const report = aReport('postfix-user-unknown.eml', sent.get('marta@example.org')!);
    await other.deliver(report);
    await other.deliver(aReport('out-of-office.eml', sent.get('calm@example.org')!));
    await server.bounceMailbox!.pollNow();

    const marta = (await subscribers.get('marta@example.org'))!;
    expect(marta.state).toBe('bounced');
    expect((await subscribers.history(marta.id)).at(-1)).toMatchObject({ actor: 'bounce:imap', evidence: { issue: 7, status: '5.1.1', source: 'imap' } });
    expect((await bounces.listSetAside()).map((a) => [a.source, a.reason])).toEqual([['imap', 'an automatic reply (out of office or similar), not a delivery report']]);
    expect(await other.count('INBOX')).toBe(0);
    expect(await other.count('Processed')).toBe(2);

    // The same report delivered again (a relay's retry, or someone replaying it).
    await other.deliver(report);
    await server.bounceMailbox!.pollNow();
    expect((await subscribers.history(marta.id)).filter((e) => e.to === 'bounced')).toHaveLength(1);
    expect(await other.count('Processed')).toBe(3);
    expect((await subscribers.get('calm@example.org'))!.state).toBe('active');
    await other.close();
  });

  it("applies an unsubscribe request sent to List-Unsubscribe's mailto from the same mailbox, and keeps a forged one aside", async () => {
    const port = await anImapServer();
    server = await startTestServer({
      build: false,
      env: { NEWSDESK_SECRET: secret, NEWSDESK_BOUNCE_IMAP_URL: `imap://testuser:testpass@127.0.0.1:${port}/INBOX`, NEWSDESK_BOUNCE_IMAP_POLL_SECONDS: '60' },
    });
    const { subscribers, bounces } = server.delivery;
    const leaving = (await subscribers.add({ email: 'leaving@example.org' }, 'active', { actor: 'test', now: new Date() })).subscriber;
    const calm = (await subscribers.add({ email: 'calm@example.org' }, 'active', { actor: 'test', now: new Date() })).subscriber;
    const request = (from: string, token: string, id: string) =>
      Buffer.from([`From: ${from}`, 'To: unsubscribe@news.example.org', `Subject: unsubscribe ${token}`, `Message-ID: <${id}@mail.example.org>`, 'Date: Sat, 14 Mar 2026 10:00:00 +0000', '', 'unsubscribe', ''].join('\r\n'));
    const other = await mailbox(port);
    await other.deliver(request('leaving@example.org', createUnsubscribeToken(leaving.token, secret), 'unsub-imap-1'));
    await other.deliver(request('prankster@elsewhere.example', createUnsubscribeToken(calm.token, 'not-this-newsletters-secret-0123456789'), 'forged-imap-1'));
    await server.bounceMailbox!.pollNow();

    expect((await subscribers.get('leaving@example.org'))!.state).toBe('unsubscribed');
    expect((await subscribers.history(leaving.id)).at(-1)).toMatchObject({ to: 'unsubscribed', actor: 'subscriber', evidence: { source: 'imap', sender: 'leaving@example.org', report: '<unsub-imap-1@mail.example.org>' } });
    expect((await subscribers.get('calm@example.org'))!.state).toBe('active');
    expect((await bounces.listSetAside()).map((a) => [a.source, a.reason])).toEqual([['imap', "an unsubscribe request whose token was not made with this newsletter's secret (forged or damaged); nothing changed"]]);
    await other.close();
  });
});
