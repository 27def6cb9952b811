// The PostgreSQL stores behave as the SQLite ones: one script of subscriber, sign-up,
// mail-queue, bounce and schedule steps runs on a new database of each kind, and every
// answer and every row left in every table must be the same (random tokens named by
// their subscriber). Then what only several servers sharing PostgreSQL can do: claim
// from one queue, one schedule and one sign-up list at the same moment without taking
// anything twice.
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../delivery/open-delivery.ts';
import { openPostgresDelivery } from '../delivery/open-delivery.ts';
import { readIssuesHeldFromWeb } from '../delivery/held-from-web.ts';
import { deliveryTables } from '../delivery/postgres/pg-db.ts';
import { transactionalMail } from '../delivery/signing/return-path.ts';
import { importSubscribers } from '../delivery/subscribers/import-subscribers.ts';
import { aDelivery, fixedNow, rowsOf } from './delivery-kit.ts';
import { freshDatabase } from './helpers/postgres.ts';

const at = fixedNow;
const later = (minutes: number) => new Date(at.getTime() + minutes * 60_000);
const by = { actor: 'test', now: at };
const holder = { pid: 4242, host: 'press-1', startedAt: at.toISOString() };
const policy = { bounces: 2, sends: 5 };

/** Every step's answer, in order. */
async function runScript(d: Delivery): Promise<unknown[]> {
  const { subscribers: s, bounces: b, schedules } = d;
  const queue = d.mailQueue({ claimant: { host: 'press-1', pid: 7 }, isProcessAlive: () => false });
  const out: unknown[] = [];
  const step = async (value: unknown) => void out.push(await value);

  await step(s.add({ email: 'Ana@Example.org', name: 'Ana', attributes: { city: 'Ørsta', note: 'a "quoted" line' } }, 'active', by));
  await step(s.add({ email: 'ana@example.org' }, 'pending', by));
  await step(s.add({ email: 'ben@example.org' }, 'pending', by));
  await step(
    importSubscribers(
      [
        { email: 'ben@example.org', line: 2 },
        { email: 'Cleo@example.org', name: 'Cleo', line: 3, attributes: { plan: 'paid' } },
        { email: 'dov@example.org', line: 4, state: 'unsubscribed' },
        { email: 'ANA@example.org', line: 5, state: 'complained' },
        { email: 'cleo@example.org', line: 6 },
      ],
      s,
      { state: 'active', source: 'import:list.csv', dryRun: false, actor: 'import:list.csv', now: () => at },
    ),
  );

  // The public forms: sign-ups admitted (one throttled), a confirmation used twice, an unsubscribe.
  for (const email of ['eve@example.org', 'cleo@example.org', 'eve@example.org', 'dov@example.org']) await s.recordSignup({ email, name: undefined, source: 'form', at });
  await step(s.admitSignups(10, { count: 1, perMs: 3_600_000 }, later(1)));
  const eve = (await s.get('EVE@example.org'))!;
  await step(s.confirmSubscription(eve.token, 'nonce-1', later(2)));
  await step(s.confirmSubscription(eve.token, 'nonce-1', later(3)));
  await step(s.confirmSubscription('no-such-token', 'nonce-2', later(3)));
  await step(s.unsubscribeByToken(eve.token, 'unsubscribe link', later(4)));
  await step(s.unsubscribeByToken(eve.token, 'unsubscribe link', later(5)));
  await step(s.findByToken(eve.token));

  // The mail queue: claimed, sent, retried, given up; put back when its worker is gone.
  await step(queue.claimDue(2, later(6)));
  await step(queue.claimDue(5, later(6)));
  await step(queue.markSent(1, later(7)));
  await step(queue.markRetry(2, 'relay said 451', later(30)));
  await step(queue.markFinal(3, 'skipped', 'unsubscribed since', later(7)));
  await step(queue.nextDue());
  await step(queue.counts());
  await step(queue.requeueInterrupted(later(8)));
  await step(queue.claimDue(5, later(31)));
  await step(queue.requeueInterrupted(later(32), true));

  // Bounces: a hard bounce of the confirmation mail, counted once; a set-aside message; an unsubscribe by mail.
  const dov = (await s.get('dov@example.org'))!;
  const found = await b.findDelivery({ issue: transactionalMail, subscriberId: eve.id });
  await step(found);
  await step(b.findDelivery({ issue: transactionalMail, subscriberId: dov.id }));
  const report = { fingerprint: 'report-1', source: 'mailbox:bounces.mbox', reportId: '<r1@mx>', status: '5.1.1', diagnostic: 'user unknown' };
  if (found) {
    await step(b.applyReport({ ...report, kind: 'hard', delivery: found }, policy, later(9)));
    await step(b.applyReport({ ...report, kind: 'hard', delivery: found }, policy, later(9)));
    await step(b.applyReport({ ...report, fingerprint: 'report-2', kind: 'delayed', delivery: found }, policy, later(10)));
  }
  await step(b.isRecorded('report-1'));
  await step(b.isRecorded('report-9'));
  await step(b.setAside({ fingerprint: 'aside-1', source: 'imap', reason: 'an out-of-office reply', raw: Buffer.from('Subject: away\r\n\r\n\u00ff') }, later(11)));
  await step(b.setAside({ fingerprint: 'aside-1', source: 'imap', reason: 'an out-of-office reply', raw: Buffer.from('again') }, later(11)));
  await step(b.listSetAside());
  const ben = (await s.get('ben@example.org'))!;
  await step(b.unsubscribeByMail({ fingerprint: 'unsub-1', source: 'imap', subscriberToken: ben.token, evidence: { source: 'imap', report: '<u1@mx>' } }, later(12)));
  await step(b.unsubscribeByMail({ fingerprint: 'unsub-1', source: 'imap', subscriberToken: ben.token, evidence: { source: 'imap' } }, later(12)));
  const cleo = (await s.get('cleo@example.org'))!;
  await step(s.markBounced(cleo.id, 'send:3', 'refused: 550 no such user', later(13), { issue: 3, status: '5.1.1', diagnostic: '550 no such user' }));
  await step(s.markBounced(cleo.id, 'send:3', 'refused again', later(13), { issue: 3, status: '5.1.1' }));
  await step(b.countsFor(3));
  await step(b.reputation(5));

  // Schedules: put, replaced, claimed once, reclaimed, refused, missed, cancelled.
  const plan = (issueNumber: number, minutes: number) => ({ issueNumber, sendAt: later(minutes), timeZone: 'Europe/Oslo', documentId: `issue-${issueNumber}`, revision: `rev-${issueNumber}`, scheduledBy: 'editor' });
  await step(schedules.put(plan(5, 60), at));
  await step(schedules.put({ ...plan(5, 90), revision: 'rev-5b' }, later(1)));
  await step(schedules.put(plan(6, 100), later(1)));
  await step(schedules.put(plan(7, 10), later(1)));
  await step(schedules.put(plan(8, 500), later(1)));
  await step(schedules.nextDue());
  await step(schedules.waitingIssues().then((issues) => issues.sort()));
  await step(schedules.markMissed(later(120), 60 * 60_000, (x) => `missed #${x.issueNumber} by more than an hour`));
  const claimed = await schedules.claimDue(later(120), holder);
  await step(claimed);
  await step(schedules.claimDue(later(120), holder));
  await step(schedules.reclaim(5, claimed!, { ...holder, pid: 4243 }, later(201)));
  await step(schedules.reclaim(5, claimed!, { ...holder, pid: 4244 }, later(202)));
  await step(schedules.markRefused(5, 'the issue has problems', later(203)));
  await step(schedules.cancel(7, later(204)));
  await step(schedules.cancel(7, later(205)));
  await step(schedules.list());
  await step(schedules.get(5));
  await step(schedules.activity(3, at));

  // Reads, then erasure.
  for (const email of ['ana@example.org', 'ben@example.org', 'cleo@example.org', 'dov@example.org', 'eve@example.org']) {
    const subscriber = (await s.get(email))!;
    await step(s.history(subscriber.id));
  }
  await step(s.stats());
  const listed: unknown[] = [];
  for await (const subscriber of s.iterate({ state: 'active' }, 1)) listed.push(subscriber);
  await step(listed);
  await step(s.setState(ben.id, 'active', { ...by, as: 'system' }));
  await step(s.setState(dov.id, 'pending', { ...by, as: 'subscriber' }));
  await step(s.unsubscribe('nobody@example.org', by));
  await step(s.erase('DOV@example.org'));
  await step(s.erase('dov@example.org'));
  return out;
}

/** Each table's rows, in key order. */
async function tables(d: Delivery): Promise<Record<string, unknown[]>> {
  const order: Record<string, string> = { confirm_nonces: 'nonce', subscriber_aliases: 'token', sends: 'issue_number', deliveries: 'issue_number, subscriber_id', schedules: 'issue_number' };
  const out: Record<string, unknown[]> = {};
  for (const table of deliveryTables) out[table] = await rowsOf(d, `SELECT * FROM ${table} ORDER BY ${order[table] ?? 'id'}`);
  return out;
}

/** Random tokens named by their subscriber, bytes as Buffers: the same run gives the same value on both. */
function comparable(value: unknown, tokens: Map<string, string>): unknown {
  if (typeof value === 'string') return tokens.has(value) ? `<token of ${tokens.get(value)}>` : value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map((v) => comparable(v, tokens));
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v, tokens)]));
  return value;
}

async function run(d: Delivery) {
  const tokens = new Map<string, string>();
  const answers = await runScript(d);
  for (const r of await rowsOf<{ token: string; email: string }>(d, 'SELECT token, email FROM subscribers')) tokens.set(r.token, r.email);
  const rows = await tables(d);
  // The erased subscriber's token appears in answers only.
  for (const answer of answers.flat(3)) {
    const subscriber = (answer as { subscriber?: { token?: string; email?: string } })?.subscriber;
    if (subscriber?.token && subscriber.email) tokens.set(subscriber.token, subscriber.email);
  }
  return { answers: comparable(answers, tokens), rows: comparable(rows, tokens) };
}

describe('the PostgreSQL stores', () => {
  it('answer every step as the SQLite stores do and leave the same rows in every table', async () => {
    const sqlite = await run(await aDelivery('sqlite'));
    const postgres = await run(await aDelivery('postgres'));
    // The script reaches every table it should (a sanity check that it ran at all).
    expect(Object.entries(sqlite.rows as Record<string, unknown[]>).filter(([, r]) => r.length > 0).map(([t]) => t)).toEqual([
      'subscribers',
      'subscriber_events',
      'confirm_nonces',
      'mail_queue',
      'bounce_reports',
      'bounce_set_aside',
      'schedules',
      'mailbox_unsubscribes',
    ]);
    expect(postgres.answers).toEqual(sqlite.answers);
    expect(postgres.rows).toEqual(sqlite.rows);
  });
});

describe('several servers on one PostgreSQL database', () => {
  it('claim queued mails, a due schedule and recorded sign-ups side by side, each exactly once', async () => {
    const url = await freshDatabase('test');
    const servers = await Promise.all([openPostgresDelivery(url), openPostgresDelivery(url), openPostgresDelivery(url)]);
    try {
      const [first] = servers;
      const { subscriber } = await first!.subscribers.add({ email: 'many@example.org' }, 'pending', by);
      await first!.pool.query(
        "INSERT INTO mail_queue (kind, subscriber_id, state, created_at) SELECT 'confirm', $1, 'queued', $2 FROM generate_series(1, 60)",
        [subscriber.id, at.getTime()],
      );
      for (let i = 0; i < 30; i++) await first!.subscribers.recordSignup({ email: `reader${i}@example.org`, name: undefined, source: 'form', at });
      await first!.schedules.put({ issueNumber: 9, sendAt: at, timeZone: 'UTC', documentId: 'issue-9', revision: 'r', scheduledBy: 'editor' }, at);

      const queues = servers.map((d, i) => d.mailQueue({ claimant: { host: `server-${i}`, pid: 1 } }));
      const claimedBy = await Promise.all(
        queues.map(async (queue) => {
          const ids: number[] = [];
          for (let batch = await queue.claimDue(4, later(1)); batch.length > 0; batch = await queue.claimDue(4, later(1))) ids.push(...batch.map((m) => m.id));
          return ids;
        }),
      );
      const claimed = claimedBy.flat();
      expect(claimed).toHaveLength(60);
      expect(new Set(claimed).size).toBe(60);

      const schedules = await Promise.all(servers.map((d, i) => d.schedules.claimDue(later(1), { ...holder, host: `server-${i}` })));
      expect(schedules.filter(Boolean)).toHaveLength(1);

      const admitted = await Promise.all(
        servers.map(async (d) => {
          const emails: string[] = [];
          for (let batch = await d.subscribers.admitSignups(3, { count: 3, perMs: 3_600_000 }, later(2)); batch.length > 0; batch = await d.subscribers.admitSignups(3, { count: 3, perMs: 3_600_000 }, later(2))) {
            emails.push(...batch.map((a) => a.subscriber.email));
          }
          return emails;
        }),
      );
      expect(admitted.flat().sort()).toEqual(Array.from({ length: 30 }, (_, i) => `reader${i}@example.org`).sort());
      expect((await first!.pool.query("SELECT count(*) AS n FROM mail_queue WHERE state = 'queued'")).rows[0]).toEqual({ n: 30 });
    } finally {
      await Promise.all(servers.map((d) => d.close()));
    }
  });

  it('tell a command without a server which issues wait for their send, from NEWSDESK_DATABASE_URL', async () => {
    const url = await freshDatabase('test');
    const delivery = await openPostgresDelivery(url);
    await delivery.schedules.put({ issueNumber: 4, sendAt: later(60), timeZone: 'UTC', documentId: 'issue-4', revision: 'r', scheduledBy: 'editor' }, at);
    await delivery.close();
    const schedule = { graceMinutes: 60, timeZone: undefined };
    // No SQLite file exists at dbPath: the answer comes from PostgreSQL.
    const config = { dbPath: '/nonexistent/newsdesk.db', databaseUrl: url };
    expect(await readIssuesHeldFromWeb({ ...config, schedule: { ...schedule, webPublish: 'at-send' } })).toEqual(new Set([4]));
    expect(await readIssuesHeldFromWeb({ ...config, schedule: { ...schedule, webPublish: 'on-publish' } })).toEqual(new Set());
  });
});

describe('a command without a server, on a SQLite file', () => {
  it('is told which issues wait for their send, and nothing when the file is missing', async () => {
    const delivery = await aDelivery('sqlite');
    await delivery.schedules.put({ issueNumber: 4, sendAt: later(60), timeZone: 'UTC', documentId: 'issue-4', revision: 'r', scheduledBy: 'editor' }, at);
    const schedule = { graceMinutes: 60, timeZone: undefined };
    expect(await readIssuesHeldFromWeb({ dbPath: delivery.location, schedule: { ...schedule, webPublish: 'at-send' } })).toEqual(new Set([4]));
    expect(await readIssuesHeldFromWeb({ dbPath: delivery.location, schedule: { ...schedule, webPublish: 'on-publish' } })).toEqual(new Set());
    expect(await readIssuesHeldFromWeb({ dbPath: `${delivery.location}.missing`, schedule: { ...schedule, webPublish: 'at-send' } })).toEqual(new Set());
  });
});
