// The subscriber store on SQLite and on PostgreSQL (each test once per store), the SQLite
// ledger and database file, and the outbox, on real files in temp folders.
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { migrations, openDatabase, walPagesPerCheckpoint } from '../delivery/sqlite/db.ts';
import { importSubscribers, type ImportRow } from '../delivery/subscribers/import-subscribers.ts';
import { composeIssueMessage } from '../delivery/messages/message.ts';
import { OutboxTransport } from '../delivery/transports/outbox-transport.ts';
import { resolveSecret } from '../delivery/signing/secret.ts';
import { SqliteLedger } from '../delivery/sqlite/sqlite-ledger.ts';
import { SqliteSubscriberStore } from '../delivery/sqlite/sqlite-subscriber-store.ts';
import type { SubscriberStore } from '../delivery/subscribers/subscriber-store.ts';
import { aDelivery, aDeliveryDb, addresses, aMessageContext, aRenderedEmail, anotherLedger, fixedNow, rowsOf, storeKinds } from './delivery-kit.ts';
import { makeTempDir } from './helpers/temp.ts';

const row = (email: string, line = 2, extra: { state?: 'unsubscribed' | 'bounced' | 'complained' } = {}) => ({ email, line, ...extra });
const importRows = (store: SubscriberStore, rows: ImportRow[], options: { state?: 'active' | 'pending'; dryRun?: boolean } = {}) =>
  importSubscribers(rows, store, { state: options.state ?? 'active', source: 'import:list.csv', dryRun: options.dryRun ?? false, actor: 'import:list.csv', now: () => fixedNow });

describe.each(storeKinds)('importing subscribers (%s)', (kind) => {
  it('never re-activates an address that unsubscribed, bounced or complained', async () => {
    const { subscribers } = await aDelivery(kind, ['left@example.org', 'bounced@example.org', 'angry@example.org']);
    await subscribers.unsubscribe('left@example.org', { actor: 'subscriber', now: fixedNow });
    await subscribers.setState((await subscribers.get('bounced@example.org'))!.id, 'bounced', { actor: 'send:issue-1', now: fixedNow });
    await subscribers.setState((await subscribers.get('angry@example.org'))!.id, 'complained', { actor: 'fbl', now: fixedNow });

    const report = await importRows(subscribers, [row('left@example.org'), row('bounced@example.org'), row('angry@example.org')]);
    expect(report.counts.suppressed).toBe(3);
    expect((await subscribers.get('left@example.org'))?.state).toBe('unsubscribed');
    expect((await subscribers.get('bounced@example.org'))?.state).toBe('bounced');
    expect((await subscribers.get('angry@example.org'))?.state).toBe('complained');
  });

  it('activates pending addresses, adds new ones, de-duplicates, and records who did it in the history', async () => {
    const { subscribers } = await aDelivery(kind, []);
    await subscribers.add({ email: 'waiting@example.org' }, 'pending', { actor: 'subscriber', now: fixedNow });
    const report = await importRows(subscribers, [row('waiting@example.org', 2), row('new@example.org', 3), row('new@example.org', 4)]);
    expect(report.counts).toMatchObject({ activated: 1, added: 1, duplicate: 1 });
    const waiting = (await subscribers.get('waiting@example.org'))!;
    expect((await subscribers.history(waiting.id)).map((e) => [e.from, e.to, e.actor])).toEqual([
      [undefined, 'pending', 'subscriber'],
      ['pending', 'active', 'import:list.csv'],
    ]);
  });

  it('with --pending adds new addresses as pending, and a dry run changes nothing', async () => {
    const { subscribers } = await aDelivery(kind, []);
    const dry = await importRows(subscribers, [row('a@example.org')], { state: 'pending', dryRun: true });
    expect(dry.counts.added).toBe(1);
    expect(await subscribers.get('a@example.org')).toBeUndefined();
    await importRows(subscribers, [row('a@example.org')], { state: 'pending' });
    expect((await subscribers.get('a@example.org'))?.state).toBe('pending');
  });

  it('moves an existing active address into a suppressed state the file gives it', async () => {
    const { subscribers } = await aDelivery(kind, ['moving@example.org']);
    const report = await importRows(subscribers, [row('moving@example.org', 2, { state: 'unsubscribed' })]);
    expect(report.counts['newly-suppressed']).toBe(1);
    expect((await subscribers.get('moving@example.org'))?.state).toBe('unsubscribed');
  });
});

describe.each(storeKinds)('the subscriber store (%s)', (kind) => {
  it('uses a confirmation link once and refuses it the second time', async () => {
    const delivery = await aDelivery(kind);
    const { subscribers } = delivery;
    const { subscriber } = await subscribers.add({ email: 'new@example.org' }, 'pending', { actor: 'test', now: fixedNow });
    expect(await subscribers.confirmSubscription(subscriber.token, 'n-1', fixedNow)).toMatchObject({ kind: 'confirmed' });
    expect(await subscribers.confirmSubscription(subscriber.token, 'n-1', fixedNow)).toEqual({ kind: 'used', active: true });
    expect(await rowsOf(delivery, 'SELECT kind, state FROM mail_queue')).toEqual([{ kind: 'welcome', state: 'queued' }]);
  });
});

describe.each(storeKinds)('the send ledger (%s)', (kind) => {
  const holder = { pid: 1, host: 'h', startedAt: '' };
  it('never hands the same delivery to two workers of a send claiming at once from separate connections', async () => {
    const delivery = await aDelivery(kind, addresses(50));
    const { ledger } = delivery;
    const other = await anotherLedger(delivery);
    // SQLite: one send, two connections under its lease; PostgreSQL: two workers, each with a lease of its own.
    const tokens = kind === 'sqlite' ? ['lease', 'lease'] : ['first', 'second'];
    await ledger.startSend(1, 'Subject', 'test', { token: tokens[0]!, holder, now: fixedNow, ttlMs: 60_000, isLive: () => false });
    if (kind === 'postgres') await other.startSend(1, 'Subject', 'test', { token: tokens[1]!, holder, now: fixedNow, ttlMs: 60_000, isLive: () => true });
    await ledger.enqueueActive(1, fixedNow, 7);
    const claimAll = async (worker: ReturnType<typeof ledger.deliveriesFor>, size: number) => {
      const mine: number[] = [];
      for (;;) {
        const got = await worker.claim(size, fixedNow);
        if (got.length === 0) return mine;
        mine.push(...got.map((r) => r.subscriberId));
      }
    };
    const [a, b] = await Promise.all([claimAll(ledger.deliveriesFor(1, tokens[0]!), 3), claimAll(other.deliveriesFor(1, tokens[1]!), 4)]);
    const claimed = [...a, ...b];
    expect(claimed).toHaveLength(50);
    expect(new Set(claimed).size).toBe(50);
  });

  it('gives nothing to a send that does not hold the lease', async () => {
    const { ledger } = await aDelivery(kind, addresses(3));
    await ledger.startSend(1, 'Subject', 'test', { token: 'holder', holder, now: fixedNow, ttlMs: 60_000, isLive: () => false });
    await ledger.enqueueActive(1, fixedNow);
    expect(await ledger.deliveriesFor(1, 'not-the-holder').claim(3, fixedNow)).toEqual([]);
    const [first] = await ledger.deliveriesFor(1, 'holder').claim(1, fixedNow);
    await expect(ledger.deliveriesFor(1, 'not-the-holder').markTransmitting(first!.subscriberId, fixedNow)).rejects.toThrow(/no longer held by this send/);
  });
});

describe('the delivery database', () => {
  it('keeps the state history append-only', async () => {
    const { db } = await aDeliveryDb(['a@example.org']);
    expect(() => db.exec("UPDATE subscriber_events SET actor = 'someone else'")).toThrow(/append-only/);
  });

  it('opens an existing file again without re-running migrations, in WAL mode', async () => {
    const { file, db } = await aDeliveryDb(['a@example.org']);
    db.close();
    const again = openDatabase(file);
    expect(again.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(again.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: migrations.length });
    expect(again.prepare('SELECT count(*) AS n FROM subscribers').get()).toEqual({ n: 1 });
  });

  it('keeps thousands of small commits in the WAL before copying them into the database', async () => {
    const { db } = await aDeliveryDb([]);
    const insert = db.prepare("INSERT INTO subscribers (email, email_key, state, source, token, created_at, updated_at) VALUES (?, ?, 'active', 'test', ?, '2026-01-01', '2026-01-01')");
    // One commit each, as a send's hand-offs commit: SQLite's default would have copied the WAL back after 1,000 pages.
    for (let i = 0; i < 1500; i++) insert.run(`r${i}@example.org`, `r${i}@example.org`, `token-${i}`);
    const { log } = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number };
    expect(log).toBeGreaterThanOrEqual(1500);
    expect(log).toBeLessThan(walPagesPerCheckpoint);
  });

});

describe('the secret', () => {
  it('is generated once into the data dir with mode 0600 and reused after', async () => {
    const dataDir = await makeTempDir();
    const first = resolveSecret({ secret: undefined, dataDir });
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(path.join(dataDir, 'secret')).mode & 0o777).toBe(0o600);
    expect(resolveSecret({ secret: undefined, dataDir })).toBe(first);
    expect(resolveSecret({ secret: 'from-the-environment-1234', dataDir })).toBe('from-the-environment-1234');
  });
});

describe('the outbox transport', () => {
  it('writes each message as an .eml file a mail reader can open', async () => {
    const dir = path.join(await makeTempDir(), 'outbox');
    const outbox = new OutboxTransport({ dir });
    const message = composeIssueMessage(aRenderedEmail(), { email: 'reader@example.org', name: 'Reader', token: 'EEEEEEEEEEEEEEEEEEEEEE' }, aMessageContext());
    const result = await outbox.send(message);
    const files = fs.readdirSync(dir);
    expect(files).toEqual([path.basename(outbox.fileFor(message.messageId))]);
    expect(result.response).toContain(files[0]);
    const parsed = await simpleParser(fs.readFileSync(path.join(dir, files[0]!)));
    expect(parsed.messageId).toBe(message.messageId);
    expect(parsed.text).toContain('Hello reader@example.org');
    expect(parsed.html).toContain('Hello <span dir="ltr" style="unicode-bidi:isolate">reader@example.org</span>');
  });
});

describe.each(storeKinds)('one mailbox, one subscriber (%s)', (kind) => {
  it('treats an address in any letter case as the same subscriber, keeping it as first typed', async () => {
    const { subscribers } = await aDelivery(kind, []);
    const first = await subscribers.add({ email: 'Carol@x.org' }, 'active', { actor: 'test', now: fixedNow });
    const again = await subscribers.add({ email: 'carol@X.ORG' }, 'active', { actor: 'test', now: fixedNow });
    expect(again).toEqual({ subscriber: first.subscriber, created: false });
    expect((await subscribers.get('CAROL@x.org'))?.email).toBe('Carol@x.org');
    expect(await subscribers.unsubscribe('cArOl@x.org', { actor: 'cli:remove', now: fixedNow })).toBe(true);
    expect((await subscribers.stats()).total).toBe(1);
  });

  it('never re-subscribes an unsubscribed reader through an import that writes the address in other letter case', async () => {
    const { subscribers } = await aDelivery(kind, ['Carol@x.org']);
    await subscribers.unsubscribe('Carol@x.org', { actor: 'subscriber', now: fixedNow });
    const report = await importRows(subscribers, [row('carol@x.org', 2), row('CAROL@X.ORG', 3)]);
    expect(report.counts).toMatchObject({ suppressed: 1, duplicate: 1, added: 0 });
    expect((await subscribers.stats()).byState).toMatchObject({ active: 0, unsubscribed: 1 });
  });

});

describe('one mailbox, one subscriber: SQLite files from before', () => {
  it('merges case variants stored before, keeping the strictest state, all history, the deliveries and working unsubscribe links', async () => {
    const dir = await makeTempDir('newsdesk-merge-');
    const file = path.join(dir, 'newsdesk.db');
    // A database as the first schema left it, with one mailbox stored three times.
    const old = new DatabaseSync(file);
    old.exec(migrations[0]!.up as string);
    old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL); INSERT INTO schema_migrations VALUES (1, 'v1', '2026-01-01')");
    const insert = old.prepare("INSERT INTO subscribers (id, email, name, state, source, token, created_at, updated_at) VALUES (?, ?, ?, ?, 'test', ?, '2026-01-01', '2026-01-01')");
    insert.run(1, 'Carol@x.org', null, 'active', 'token-one-aaaa');
    insert.run(2, 'carol@x.org', 'Carol', 'unsubscribed', 'token-two-bbbb');
    insert.run(3, 'CAROL@x.org', null, 'pending', 'token-three-cc');
    insert.run(4, 'dan@x.org', null, 'active', 'token-four-ddd');
    const event = old.prepare("INSERT INTO subscriber_events (subscriber_id, from_state, to_state, actor, at) VALUES (?, ?, ?, 'test', ?)");
    event.run(1, null, 'active', '2026-01-01');
    event.run(2, null, 'active', '2026-01-02');
    event.run(2, 'active', 'unsubscribed', '2026-01-03');
    event.run(3, null, 'pending', '2026-01-04');
    old.exec("INSERT INTO sends (issue_number, subject, status, transport, created_at, updated_at) VALUES (3, 's', 'completed', 't', 'x', 'x'), (4, 's', 'completed', 't', 'x', 'x')");
    const delivery = old.prepare("INSERT INTO deliveries (issue_number, subscriber_id, state, queued_at) VALUES (?, ?, ?, 'x')");
    delivery.run(3, 1, 'queued');
    delivery.run(3, 2, 'sent');
    delivery.run(4, 2, 'sent');
    delivery.run(4, 3, 'skipped');
    old.close();

    const db = openDatabase(file);
    const subscribers = new SqliteSubscriberStore(db);
    const carol = (await subscribers.get('carol@x.org'))!;
    expect(carol).toMatchObject({ id: 1, email: 'Carol@x.org', name: 'Carol', state: 'unsubscribed' });
    expect((await subscribers.stats()).total).toBe(2);
    expect((await subscribers.history(1)).map((e) => `${e.from ?? '-'}→${e.to} ${e.actor}`)).toEqual([
      '-→active test',
      '-→active test',
      'active→unsubscribed test',
      '-→pending test',
      'active→unsubscribed migration',
    ]);
    expect((await subscribers.history(1)).at(-1)?.reason).toContain('carol@x.org, CAROL@x.org');
    const ledger = new SqliteLedger(db);
    expect(await ledger.deliveries(3)).toMatchObject([{ email: 'Carol@x.org', state: 'sent' }]);
    expect(await ledger.deliveries(4)).toMatchObject([{ email: 'Carol@x.org', state: 'sent' }]);
    // Unsubscribe links already sent to the merged rows still find the subscriber.
    expect((await subscribers.getByToken('token-three-cc'))?.id).toBe(1);
    expect(() => db.exec("INSERT INTO subscribers (email, email_key, state, source, token, created_at, updated_at) VALUES ('cArol@x.org', 'carol@x.org', 'active', 't', 'tok-x-12345678', 'x', 'x')")).toThrow(/UNIQUE/);
    expect(() => db.exec("UPDATE subscriber_events SET actor = 'x'")).toThrow(/append-only/);
  });
});
