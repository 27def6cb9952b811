// Two `serve` instances on one PostgreSQL behind one address, as an operator runs them on
// two machines behind a load balancer: a proxy on port 0 hands requests to them in turn,
// so the sign-up, the confirmation page, the confirming POST and the one-click
// unsubscribe each land on a different server than the step before. Both mail workers
// drain the one queue: each mail goes out exactly once, and the history is whole.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createUnsubscribeToken } from '../delivery/signing/tokens.ts';
import { startSmtpServer, type ScriptedServer } from './delivery-kit.ts';
import { hangAfter, until } from './helpers/hang.ts';
import { freshDatabase } from './helpers/postgres.ts';
import { confirmVia, jsonPost, startTestServer, tokenSecret, type TestServer } from './server-kit.ts';

let relay: ScriptedServer | undefined;
const servers: TestServer[] = [];
let proxy: http.Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  for (const server of servers.splice(0)) await server.close();
  await relay?.close();
  relay = proxy = undefined;
});

/** A round-robin proxy on port 0: request n goes to backend n mod their number (backends may be added after it starts). */
async function roundRobin(backends: string[]): Promise<{ url: string; answeredBy: number[] }> {
  const answeredBy: number[] = [];
  let next = 0;
  proxy = http.createServer((req, res) => {
    const which = next++ % backends.length;
    answeredBy.push(which);
    const target = new URL(req.url ?? '/', backends[which]);
    const forward = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(proxy.address() as import('node:net').AddressInfo).port}`, answeredBy };
}

describe('two servers on one PostgreSQL behind one address', { timeout: hangAfter(4) }, () => {
  it('take a reader through sign-up, confirmation and one-click unsubscribe across both, each mail sent once', async () => {
    const url = await freshDatabase('test');
    relay = await startSmtpServer();
    const mailWorker = { baseMs: 40, maxMs: 150, pollMs: 100 };
    const backends: string[] = [];
    const front = await roundRobin(backends);
    for (let i = 0; i < 2; i++) {
      // Both know the public address is the proxy's: links in mail point there, and forms posted through it pass the origin check.
      servers.push(await startTestServer({ build: false, env: { NEWSDESK_DATABASE_URL: url, SMTP_URL: relay.url, NEWSDESK_BASE_URL: front.url }, mailWorker }));
      backends.push(servers[i]!.url);
    }

    const signup = await jsonPost(`${front.url}/subscribe`, { email: 'Reader@Example.org', name: 'Ada' });
    expect(signup.status).toBe(202);
    // Either server's worker may send it, exactly once.
    for (const server of servers) server.mail.wake();
    const confirmation = await until('the confirmation mail', () => relay!.received.find((m) => m.parsed.subject?.match(/confirm/i)));
    const link = /https?:\/\/\S+\/confirm\?token=[^\s"<>]+/.exec(confirmation.parsed.text ?? '')?.[0];
    expect(link, confirmation.parsed.text).toBeDefined();
    const confirmed = await confirmVia(link!);
    expect(link!.startsWith(front.url)).toBe(true);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('Subscription confirmed');
    for (const server of servers) server.mail.wake();
    await until('the welcome mail', () => relay!.received.find((m) => m.parsed.subject?.match(/welcome/i)));

    const subscriber = (await servers[1]!.delivery.subscribers.get('reader@example.org'))!;
    expect(subscriber.state).toBe('active');
    const unsubscribe = await fetch(`${front.url}/unsubscribe?token=${encodeURIComponent(createUnsubscribeToken(subscriber.token, tokenSecret))}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(unsubscribe.status).toBe(200);

    // Each step landed on the other server than the one before.
    expect(new Set(front.answeredBy)).toEqual(new Set([0, 1]));
    expect((await servers[0]!.delivery.subscribers.get('reader@example.org'))!.state).toBe('unsubscribed');
    expect((await servers[0]!.delivery.subscribers.history(subscriber.id)).map((e) => `${e.from ?? '-'}→${e.to}`)).toEqual(['-→pending', 'pending→active', 'active→unsubscribed']);
    for (const server of servers) await server.mail.idle();
    expect(relay.received.map((m) => m.parsed.subject?.match(/confirm|welcome/i)?.[0].toLowerCase())).toEqual(['confirm', 'welcome']);
    expect(await servers[0]!.delivery.mailQueue().counts()).toMatchObject({ sent: 2, queued: 0, sending: 0 });
  });
});
