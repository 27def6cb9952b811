// SMTP pipelining (RFC 2920) against a real smtp-server on port 0 that watches the bytes
// it reads: with PIPELINING offered, a message's MAIL FROM, RCPT TO and DATA arrive
// before the relay has answered any of them, and a refusal inside that batch fails its
// own delivery only; without the offer, each command waits for the reply to the one before.
import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpTransport } from '../delivery/transports/smtp-transport.ts';
import { aDeliveryDb, addresses, sendIssueWith, someSendOptions } from './delivery-kit.ts';
import { hangAfter, hangMs } from './helpers/hang.ts';

interface WatchingRelay {
  url: string;
  /** Connections opened to the relay. */
  connections: number;
  /** Recipients whose messages arrived whole. */
  received: string[];
  /** For each MAIL FROM, whether the relay had already read the commands that follow it before it answered. */
  mailFromWithRest: boolean[];
  close(): Promise<void>;
}

/**
 * A relay that answers MAIL FROM only once it has read DATA on the same connection when
 * `waitForData` is set: a client that waits for each reply before the next command never
 * gets past it (the test hangs), so a send that completes proves the commands were pipelined.
 */
async function startWatchingRelay(options: { pipelining: boolean; waitForData: boolean; refuse?: (to: string, attempt: number) => { code: number; message: string } | undefined }): Promise<WatchingRelay> {
  const read = new Map<number, { text: string; socket: Socket }>();
  const attempts = new Map<string, number>();
  const relay: WatchingRelay = { url: '', connections: 0, received: [], mailFromWithRest: [], close: async () => undefined };
  /** What the relay has read on this connection since its last MAIL FROM. */
  const sinceMailFrom = (port: number) => {
    const text = read.get(port)?.text ?? '';
    return text.slice(text.lastIndexOf('MAIL FROM:'));
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    hidePIPELINING: !options.pipelining,
    logger: false,
    onMailFrom(_address, session, callback) {
      // The parser can see a command before this connection's own 'data' listener has; look once that has run.
      const answer = () => {
        const rest = sinceMailFrom(session.remotePort);
        if (options.waitForData && !rest.includes('\r\nDATA\r\n')) return void read.get(session.remotePort)?.socket.once('data', () => setImmediate(answer));
        relay.mailFromWithRest.push(rest.includes('RCPT TO:'));
        callback();
      };
      setImmediate(answer);
    },
    onRcptTo(address, _session, callback) {
      const attempt = (attempts.get(address.address) ?? 0) + 1;
      attempts.set(address.address, attempt);
      const refusal = options.refuse?.(address.address, attempt);
      callback(refusal ? Object.assign(new Error(refusal.message), { responseCode: refusal.code }) : undefined);
    },
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        relay.received.push(session.envelope.rcptTo[0]?.address ?? '');
        callback(null, 'Ok: queued');
      });
    },
  });
  server.on('error', () => undefined);
  const net = (server as unknown as { server: import('node:net').Server }).server;
  net.on('connection', (socket: Socket) => {
    relay.connections++;
    const entry = { text: '', socket };
    read.set(socket.remotePort ?? 0, entry);
    socket.on('data', (chunk: Buffer) => (entry.text += chunk.toString('latin1')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.url = `smtp://127.0.0.1:${(net.address() as import('node:net').AddressInfo).port}`;
  relay.close = () =>
    new Promise<void>((resolve) => {
      for (const { socket } of read.values()) socket.destroy();
      server.close(() => resolve());
    });
  return relay;
}

let relay: WatchingRelay | undefined;
let transport: SmtpTransport | undefined;
afterEach(async () => {
  await transport?.close();
  await relay?.close();
  transport = relay = undefined;
});

describe('SMTP pipelining', { timeout: hangAfter(1) }, () => {
  it('sends MAIL FROM, RCPT TO and DATA without waiting for the replies when the relay offers PIPELINING', async () => {
    const list = addresses(6);
    const delivery = await aDeliveryDb(list);
    relay = await startWatchingRelay({ pipelining: true, waitForData: true });
    transport = new SmtpTransport({ url: relay.url, maxConnections: 2, timeoutMs: hangMs });
    const { outcome } = await sendIssueWith(delivery, transport, someSendOptions({ concurrency: 2 }));
    expect(outcome).toMatchObject({ status: 'completed', sent: 6, failed: 0, retried: 0 });
    expect(relay.received.sort()).toEqual(list);
    expect(relay.mailFromWithRest).toEqual(list.map(() => true));
  });

  it('waits for each reply before the next command when the relay does not offer it', async () => {
    const list = addresses(3);
    const delivery = await aDeliveryDb(list);
    relay = await startWatchingRelay({ pipelining: false, waitForData: false });
    transport = new SmtpTransport({ url: relay.url, maxConnections: 1, timeoutMs: hangMs });
    const { outcome } = await sendIssueWith(delivery, transport, someSendOptions({ concurrency: 1 }));
    expect(outcome).toMatchObject({ status: 'completed', sent: 3 });
    expect(relay.received).toEqual(list);
    expect(relay.mailFromWithRest).toEqual([false, false, false]);
  });

  it('a recipient refused inside a pipelined batch fails that delivery alone, for the reason RCPT TO gave, and the connection carries on', async () => {
    const list = addresses(8);
    const [gone, deferred] = [list[2]!, list[5]!];
    const delivery = await aDeliveryDb(list);
    relay = await startWatchingRelay({
      pipelining: true,
      waitForData: true,
      refuse: (to, attempt) =>
        to === gone ? { code: 550, message: '5.1.1 No such mailbox here' } : to === deferred && attempt === 1 ? { code: 451, message: '4.3.0 Try again later' } : undefined,
    });
    transport = new SmtpTransport({ url: relay.url, maxConnections: 2, timeoutMs: hangMs });
    const { outcome } = await sendIssueWith(delivery, transport, someSendOptions({ concurrency: 2 }));

    // The relay also refused the DATA that followed in the same batch (503, no valid
    // recipients); what counts is RCPT TO's reply: a 5.1.1 bounce, a 4xx retried.
    expect(outcome).toMatchObject({ status: 'completed', sent: 7, failed: 1, bounced: 1, retried: 1 });
    expect(relay.received.filter((to) => to === deferred)).toHaveLength(1);
    expect(relay.received.sort()).toEqual(list.filter((to) => to !== gone));
    // awaited: the stores' reads may answer with a promise
    const rows = await delivery.ledger.deliveries(7);
    expect(rows.find((d) => d.email === gone)).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringContaining('550 5.1.1 No such mailbox here') });
    expect(rows.find((d) => d.email === deferred)).toMatchObject({ state: 'sent', attempts: 2 });
    expect((await delivery.subscribers.get(gone))?.state).toBe('bounced');
    // Each refusal was followed by RSET on the same session: no connection beyond the two of the pool.
    expect(relay.connections).toBeLessThanOrEqual(2);
  });
});
