// `newsdesk db copy --to postgres://…` as an operator moving to PostgreSQL runs it: a
// lived-in SQLite delivery database (subscribers in every state with their history and
// evidence, merged tokens, a send's ledger, bounce reports, a message kept aside with
// its raw bytes, a schedule, the mail queue, sign-ups, nonces) arrives row for row; new
// rows in PostgreSQL get ids after the copied ones; a database that already holds data
// is refused; and a row PostgreSQL cannot take leaves it empty, naming the table.
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { deliveryTables } from '../delivery/postgres/pg-db.ts';
import { openDatabase } from '../delivery/sqlite/db.ts';
import { SqliteBounceStore } from '../delivery/sqlite/sqlite-bounce-store.ts';
import { SqliteScheduleStore } from '../delivery/sqlite/sqlite-schedule-store.ts';
import { sendToOutbox } from './bounce-kit.ts';
import { aDeliveryDb, addresses, fixedNow } from './delivery-kit.ts';
import { hangAfter } from './helpers/hang.ts';
import { freshDatabase } from './helpers/postgres.ts';
import { runCli } from './helpers/run-cli.ts';

/** A delivery database with a row in every table, as a few months of use leave it. */
async function aLivedInDatabase() {
  const delivery = await aDeliveryDb(addresses(40));
  const { db, subscribers } = delivery;
  await sendToOutbox(delivery, 7);
  const [first, second, third] = [1, 2, 3].map((i) => `reader${String(i).padStart(3, '0')}@example.org`);
  await subscribers.unsubscribe(first!, { actor: 'subscriber', reason: 'one-click', now: fixedNow });
  const bounced = (await subscribers.get(second!))!;
  await subscribers.markBounced(bounced.id, 'send:issue-7', '550 5.1.1 no such user', fixedNow, { issue: 7, status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 user unknown' });
  db.prepare('INSERT INTO subscriber_aliases (token, subscriber_id) VALUES (?, ?)').run('merged-token-of-a-case-variant', (await subscribers.get(third!))!.id);
  // A sign-up admitted (its confirmation queued), one still waiting, and a confirmed one with its nonce used.
  await subscribers.recordSignup({ email: 'new.reader@example.org', name: 'Noor', source: 'form', at: fixedNow });
  await subscribers.admitSignups(10, { count: 3, perMs: 3_600_000 }, fixedNow);
  await subscribers.recordSignup({ email: 'later@example.org', name: undefined, source: 'form', at: fixedNow });
  const pending = (await subscribers.get('new.reader@example.org'))!;
  await subscribers.confirmSubscription(pending.token, 'nonce-used-once', fixedNow);
  const bounces = new SqliteBounceStore(db, subscribers);
  await bounces.setAside({ fingerprint: 'aside-1', source: 'imap', reason: 'an automatic reply', raw: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) }, fixedNow);
  db.prepare("INSERT INTO mailbox_unsubscribes (fingerprint, source, subscriber_id, outcome, received_at) VALUES ('unsub-1', 'imap', ?, 'unsubscribed', ?)").run(bounced.id, fixedNow.toISOString());
  await new SqliteScheduleStore(db).put({ issueNumber: 8, sendAt: new Date('2026-03-20T07:00:00Z'), timeZone: 'Europe/Lisbon', documentId: 'issue-8', revision: 'rev-8', scheduledBy: 'cli' }, fixedNow);
  return delivery;
}

/** Every row of a table in primary-key order, values as plain JSON-able data. */
function orderBy(table: string): string {
  return { deliveries: 'issue_number, subscriber_id', confirm_nonces: 'nonce', subscriber_aliases: 'token', sends: 'issue_number', schedules: 'issue_number' }[table] ?? 'id';
}

function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v]));
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  // BIGINT as numbers, as the delivery stores read them.
  client.setTypeParser(20, (v: string) => Number(v));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('newsdesk db copy', { timeout: hangAfter(4) }, () => {
  it('copies every table row for row into an empty PostgreSQL database, and new rows there follow the copied ids', async () => {
    const delivery = await aLivedInDatabase();
    const url = await freshDatabase('test');
    const copied = await runCli(['db', 'copy', '--to', url, '--from', delivery.file]);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).not.toContain(new URL(url).password);
    expect(copied.stdout).toMatch(/^subscribers\s+41\s+41$/m);
    expect(copied.stdout).toMatch(/^deliveries\s+40\s+40$/m);

    const source = openDatabase(delivery.file);
    await withClient(url, async (client) => {
      for (const table of deliveryTables) {
        const columns = (source.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as Array<{ name: string }>).map((c) => c.name).join(', ');
        const sqliteRows = (source.prepare(`SELECT ${columns} FROM ${table} ORDER BY ${orderBy(table)}`).all() as Array<Record<string, unknown>>).map(plain);
        const pgRows = (await client.query(`SELECT ${columns} FROM ${table} ORDER BY ${orderBy(table)}`)).rows.map(plain);
        expect(sqliteRows.length, table).toBeGreaterThan(0);
        expect(pgRows, table).toEqual(sqliteRows);
      }
      const { rows } = await client.query(
        "INSERT INTO subscribers (email, email_key, state, source, token, created_at, updated_at) VALUES ('after@example.org', 'after@example.org', 'active', 'cli', 'after-token', $1, $1) RETURNING id",
        [fixedNow.toISOString()],
      );
      const { n } = source.prepare('SELECT max(id) AS n FROM subscribers').get() as { n: number };
      expect(rows[0].id).toBe(n + 1);
    });
    source.close();
  });

  it('refuses a database that already holds delivery data and changes nothing in it', async () => {
    const delivery = await aLivedInDatabase();
    const url = await freshDatabase('test');
    expect((await runCli(['db', 'copy', '--to', url, '--from', delivery.file])).code).toBe(0);
    const again = await runCli(['db', 'copy', '--to', url, '--from', delivery.file]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already holds delivery data \(subscribers: 41/);
    expect(again.stderr).toMatch(/empty database/);
    const subscribers = await withClient(url, async (client) => (await client.query('SELECT count(*) AS n FROM subscribers')).rows[0].n);
    expect(subscribers).toBe(41);
  });

  it('leaves PostgreSQL empty when a row cannot go in (a value of the wrong type, which SQLite keeps), and names the table and rows', async () => {
    const delivery = await aLivedInDatabase();
    // SQLite keeps whatever a tool wrote into a column; PostgreSQL holds to the column's type.
    delivery.db.prepare("UPDATE schedules SET send_at = 'next tuesday' WHERE issue_number = 8").run();
    const url = await freshDatabase('test');
    const failed = await runCli(['db', 'copy', '--to', url, '--from', delivery.file]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/PostgreSQL refused the schedules rows with issue_number 8 to 8: invalid input syntax for type bigint/);
    expect(failed.stderr).toMatch(/Nothing was copied/);
    const counts = await withClient(url, async (client) => (await client.query('SELECT (SELECT count(*) FROM subscribers) AS s, (SELECT count(*) FROM deliveries) AS d')).rows[0]);
    expect(counts).toEqual({ s: 0, d: 0 });
  });

  it('says what is wrong with a missing --to, a URL that is not PostgreSQL, and a missing SQLite file', async () => {
    const dir = path.dirname((await aDeliveryDb([])).file);
    const noTo = await runCli(['db', 'copy'], { env: { NEWSDESK_DATA_DIR: dir } });
    expect(noTo.stderr).toMatch(/needs --to postgres:\/\//);
    const mysql = await runCli(['db', 'copy', '--to', 'mysql://u:pw@host/db'], { env: { NEWSDESK_DATA_DIR: dir } });
    expect(mysql.stderr).toMatch(/--to must be a postgres:\/\/ or postgresql:\/\/ address/);
    expect(mysql.stderr).not.toContain(':pw@');
    const missing = await runCli(['db', 'copy', '--to', 'postgres://u@127.0.0.1:1/x', '--from', 'nowhere.db'], { env: { NEWSDESK_DATA_DIR: dir } });
    expect(missing.stderr).toMatch(/There is no SQLite delivery database at nowhere\.db/);
  });
});
