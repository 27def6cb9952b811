// Shared parts of the delivery integration tests: a real SMTP server (smtp-server on
// port 0) whose behaviour each test scripts per recipient, messages read back with
// mailparser, and builders for a rendered email and a seeded delivery database.
import net, { type Socket } from 'node:net';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { onTestFinished } from 'vitest';
import { placeholders } from '../core/render.ts';
import { openDatabase, type Database } from '../delivery/sqlite/db.ts';
import { composeIssueMessage, type MessageContext, type RenderedEmail } from '../delivery/messages/message.ts';
import { sendIssue, type SendIssueRequest } from '../delivery/sending/send-issue.ts';
import type { Transport } from '../delivery/sending/transport.ts';
import type { SendOptions } from '../delivery/sending/send-loop.ts';
import { SqliteLedger } from '../delivery/sqlite/sqlite-ledger.ts';
import { openPostgresDelivery, openSqliteDelivery, type Delivery, type DeliveryStores } from '../delivery/open-delivery.ts';
import { SqliteSubscriberStore } from '../delivery/sqlite/sqlite-subscriber-store.ts';
import { freshDatabase } from './helpers/postgres.ts';
import { makeTempDir } from './helpers/temp.ts';

export interface ReceivedMessage {
  to: string;
  /** The envelope sender (MAIL FROM). */
  from: string;
  raw: Buffer;
  parsed: ParsedMail;
}

/**
 * What the server does with one message: accept, answer with an SMTP error, or hang up
 * without a reply, either refusing it ('drop') or after taking it ('accept-then-drop':
 * the relay queued it and the 250 is lost, so it counts as received). At RCPT TO,
 * 'drop' hangs up before any of the message is sent.
 */
export type Verdict = 'accept' | 'drop' | 'accept-then-drop' | { code: number; message: string };

export interface ScriptedServer {
  port: number;
  url: string;
  received: ReceivedMessage[];
  /** Recipients whose message transmission began (DATA accepted), once per attempt. */
  transmissions: string[];
  copiesTo(address: string): number;
  /** Hangs up every open connection at once, without a word. */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startSmtpServer(
  options: {
    /** Called for each complete message, with how many times this recipient has been seen before. */
    onMessage?: (to: string, seenBefore: number) => Verdict | Promise<Verdict>;
    /** Rejects a recipient at RCPT TO. */
    onRecipient?: (to: string) => Verdict;
    /** Called as each message's transmission begins (DATA accepted), after it is counted in `transmissions`. */
    onTransmission?: (to: string) => void;
    /** Hangs up as soon as the first part of this recipient's message arrives (mid-DATA). */
    hangUpMidMessage?: (to: string) => boolean;
    delayMs?: number;
    /** Listen on this port (to bring a relay back where it was); 0 picks a free one. */
    port?: number;
  } = {},
): Promise<ScriptedServer> {
  const received: ReceivedMessage[] = [];
  const transmissions: string[] = [];
  const seen = new Map<string, number>();
  const sockets = new Map<number, Socket>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, session, callback) {
      const verdict = options.onRecipient?.(address.address) ?? 'accept';
      if (verdict === 'drop') return void sockets.get(session.remotePort)?.destroy();
      if (verdict === 'accept' || verdict === 'accept-then-drop') return callback();
      callback(Object.assign(new Error(verdict.message), { responseCode: verdict.code }));
    },
    onData(stream, session: SMTPServerSession, callback) {
      transmissions.push(session.envelope.rcptTo[0]?.address ?? '');
      options.onTransmission?.(session.envelope.rcptTo[0]?.address ?? '');
      const chunks: Buffer[] = [];
      if (options.hangUpMidMessage?.(session.envelope.rcptTo[0]?.address ?? '')) {
        stream.once('data', () => sockets.get(session.remotePort)?.destroy());
        return;
      }
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const to = session.envelope.rcptTo[0]?.address ?? '';
        const before = seen.get(to) ?? 0;
        seen.set(to, before + 1);
        const verdict = (await options.onMessage?.(to, before)) ?? 'accept';
        if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
        if (verdict === 'drop' || verdict === 'accept-then-drop') {
          if (verdict === 'accept-then-drop') received.push({ to, from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', raw, parsed: await simpleParser(raw) });
          sockets.get(session.remotePort)?.destroy();
          return;
        }
        if (verdict !== 'accept') return callback(Object.assign(new Error(verdict.message), { responseCode: verdict.code }));
        received.push({ to, from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', raw, parsed: await simpleParser(raw) });
        callback(null, 'Ok: queued');
      });
    },
  });
  // A client killed mid-session resets its connection; that is the point of some tests, not an error.
  server.on('error', () => undefined);
  // smtp-server keeps its sockets private; the "drop" verdict needs them.
  (server as unknown as { server: import('node:net').Server }).server.on('connection', (socket: Socket) => {
    const port = socket.remotePort ?? 0;
    sockets.set(port, socket);
    socket.on('close', () => sockets.delete(port));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = ((server as unknown as { server: import('node:net').Server }).server.address() as import('node:net').AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    transmissions,
    copiesTo: (address) => received.filter((m) => m.to === address).length,
    dropAll: () => {
      for (const s of sockets.values()) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets.values()) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A free loopback port, for a relay that is down now and comes up later on the same address. */
export async function aFreePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export function aRenderedEmail(overrides: Partial<RenderedEmail> = {}): RenderedEmail {
  return {
    subject: 'Ecosystem Tracker #7: Lockfiles everywhere',
    preheader: 'What moved this fortnight',
    html: `<html><body><p>Hello ${placeholders.recipientEmail}</p><p><a href="${placeholders.unsubscribeUrl}">Unsubscribe</a></p></body></html>`,
    text: `Hello ${placeholders.recipientEmail}\n\nUnsubscribe: ${placeholders.unsubscribeUrl}\n`,
    warnings: [],
    ...overrides,
  };
}

export function aMessageContext(overrides: Partial<MessageContext> = {}): MessageContext {
  return {
    issueNumber: 7,
    settings: { title: 'Ecosystem Tracker', senderName: 'Ecosystem Tracker', senderEmail: 'tracker@news.example.org', replyTo: 'editors@news.example.org' },
    baseUrl: 'https://news.example.org',
    secret: 'test-secret-test-secret-0123456789',
    unsubscribeMailto: 'unsubscribe@news.example.org',
    date: new Date('2026-03-14T09:00:00Z'),
    ...overrides,
  };
}

export function someSendOptions(overrides: Partial<SendOptions> = {}): SendOptions {
  return { rate: 1000, concurrency: 2, maxAttempts: 4, pauseErrorRate: 0.5, pauseWindow: 50, retryBaseMs: 5, retryMaxMs: 20, ...overrides };
}

export const fixedNow = new Date('2026-03-14T09:00:00Z');

/** A delivery database in a temp folder with `addresses` active subscribers. */
export async function aDeliveryDb(addresses: string[]): Promise<DeliveryDb> {
  const dir = await makeTempDir('newsdesk-delivery-');
  const file = path.join(dir, 'newsdesk.db');
  const db = openDatabase(file);
  const subscribers = new SqliteSubscriberStore(db);
  for (const email of addresses) await subscribers.add({ email }, 'active', { actor: 'test', now: fixedNow });
  return { dir, file, db, subscribers, ledger: new SqliteLedger(db) };
}

/** The databases the delivery stores run on; store tests run once for each (describe.each(storeKinds)). */
export const storeKinds = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof storeKinds)[number];

/**
 * The delivery stores on a new, empty database of that kind with `addresses` active
 * subscribers: a SQLite file in a temp folder, or a new database on the run's PostgreSQL
 * server. Closed (and the database dropped) when the test ends.
 */
export async function aDelivery(kind: StoreKind, addresses: string[] = []): Promise<Delivery> {
  const delivery = kind === 'sqlite' ? openSqliteDelivery(path.join(await makeTempDir('newsdesk-delivery-'), 'newsdesk.db')) : await openPostgresDelivery(await freshDatabase('test'));
  onTestFinished(() => delivery.close());
  for (const email of addresses) await delivery.subscribers.add({ email }, 'active', { actor: 'test', now: fixedNow });
  return delivery;
}

/** The address of a delivery's database, for a second connection or a `newsdesk` child process (NEWSDESK_DATABASE_URL); a SQLite file's path. */
export function databaseOf(delivery: Delivery): string {
  return delivery.kind === 'sqlite' ? delivery.location : (delivery.pool as unknown as { options: { connectionString: string } }).options.connectionString;
}

/** The same database's ledger through a connection of its own (another worker's, say); closed when the test ends. */
export async function anotherLedger(delivery: Delivery): Promise<DeliveryStores['ledger']> {
  const other = delivery.kind === 'sqlite' ? openSqliteDelivery(delivery.location) : await openPostgresDelivery(databaseOf(delivery));
  onTestFinished(() => other.close());
  return other.ledger;
}

/** Rows of a query on either database; write it with ? placeholders. */
export async function rowsOf<T = Record<string, unknown>>(delivery: Delivery, sql: string, ...params: unknown[]): Promise<T[]> {
  if (delivery.kind === 'sqlite') return delivery.db.prepare(sql).all(...(params as Array<string | number | null>)) as T[];
  let n = 0;
  return (await delivery.pool.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as T[];
}

/** The SQLite connection of a delivery that must be on SQLite (tests that reach into the file). */
export function sqliteDbOf(delivery: Delivery): Database {
  if (delivery.kind !== 'sqlite') throw new Error(`this test reads the SQLite file, but the delivery is on ${delivery.kind}`);
  return delivery.db;
}

export interface DeliveryDb {
  dir: string;
  file: string;
  db: Database;
  subscribers: SqliteSubscriberStore;
  ledger: SqliteLedger;
}

/** Sends one issue through the send service, as `newsdesk send N --yes` does. */
export function sendIssueWith(
  delivery: Pick<DeliveryStores, 'ledger' | 'subscribers'>,
  transport: Transport,
  options: Partial<SendOptions> & {
    issue?: number;
    signal?: AbortSignal;
    unknown?: SendIssueRequest['unknown'];
    isProcessAlive?: (pid: number) => boolean;
    leaseTtlMs?: number;
    /** The send's clock (leases, claims); real time unless a test moves it. */
    now?: () => Date;
    context?: Partial<MessageContext>;
    email?: RenderedEmail;
  } = {},
) {
  const { issue = 7, signal, unknown, isProcessAlive, leaseTtlMs, now, context, email = aRenderedEmail(), ...sendOptions } = options;
  const ctx = aMessageContext({ issueNumber: issue, ...context });
  return sendIssue({
    issue,
    subject: email.subject,
    store: delivery.ledger,
    bounces: delivery.subscribers,
    transport,
    compose: (r) => composeIssueMessage(email, r, ctx),
    options: someSendOptions(sendOptions),
    signal: signal ?? new AbortController().signal,
    ...(unknown ? { unknown } : {}),
    ...(isProcessAlive ? { isProcessAlive } : {}),
    ...(leaseTtlMs ? { leaseTtlMs } : {}),
    ...(now ? { now } : {}),
  });
}

export function addresses(n: number, prefix = 'reader'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}@example.org`);
}
