// The PostgreSQL delivery schema on a real server (the run's embedded PostgreSQL, a new
// database per test): migrations run once however many processes open it at once, the
// constraints the stores rely on hold, values come back in the SQLite stores' forms, and
// transactions roll back on error and run again when they lose a race.
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryTables, migratePostgres, openPostgres, pgMigrations, schemaVersion, transaction, type Pool } from '../delivery/postgres/pg-db.ts';
import { freshDatabase } from './helpers/postgres.ts';

const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end()));
});

async function open(url: string): Promise<Pool> {
  const pool = await openPostgres(url);
  pools.push(pool);
  return pool;
}

const at = '2026-05-04T08:00:00.000Z';

async function addSubscriber(pool: Pool, email: string): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO subscribers (email, email_key, name, state, source, token, attributes, created_at, updated_at)
     VALUES ($1, lower($1), NULL, 'active', 'test', md5($1), '{"city":"Ørsta"}', $2, $2) RETURNING id`,
    [email, at],
  );
  return rows[0]!.id;
}

const errorOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }));

describe('the PostgreSQL delivery schema', () => {
  it('is created once when several processes open a new database at the same moment', async () => {
    const url = await freshDatabase('test');
    const [a] = await Promise.all([open(url), open(url), open(url), open(url)]);
    const { rows } = await a!.query<{ version: number; n: number }>('SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version');
    expect(rows).toEqual(pgMigrations.map((m) => ({ version: m.version, n: 1 })));
    expect(await schemaVersion(a!)).toBe(pgMigrations.at(-1)!.version);
    // Opening again changes nothing.
    await migratePostgres(a!);
    expect((await a!.query('SELECT * FROM schema_migrations')).rowCount).toBe(pgMigrations.length);
    const { rows: tables } = await a!.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
    expect(tables.map((t) => t.name)).toEqual([...deliveryTables, 'schema_migrations', 'send_workers'].sort());
  });

  it('says version 0 for a database nothing was created in', async () => {
    const url = await freshDatabase('test');
    const { createPool } = await import('../delivery/postgres/pg-db.ts');
    const pool = createPool(url);
    pools.push(pool);
    expect(await schemaVersion(pool)).toBe(0);
  });

  it('holds the constraints the stores rely on', async () => {
    const pool = await open(await freshDatabase('test'));
    const id = await addSubscriber(pool, 'Ana@Example.org');
    // One mailbox, one row, whatever the letter case.
    expect(await errorOf(addSubscriber(pool, 'ana@example.org'))).toMatchObject({ code: '23505', message: expect.stringContaining('subscribers_by_email_key') });
    expect(await errorOf(pool.query("UPDATE subscribers SET state = 'gone' WHERE id = $1", [id]))).toMatchObject({ code: '23514' });

    // A report counts once: its fingerprint is unique.
    const report = `INSERT INTO bounce_reports (fingerprint, source, kind, issue_number, subscriber_id, outcome, received_at) VALUES ('fp-1', 'imap', $1, 3, $2, 'bounced', $3)`;
    await pool.query(report, ['hard', id, at]);
    expect(await errorOf(pool.query(report, ['hard', id, at]))).toMatchObject({ code: '23505' });
    expect((await pool.query(`${report} ON CONFLICT (fingerprint) DO NOTHING`, ['hard', id, at])).rowCount).toBe(0);
    expect(await errorOf(pool.query(report.replace('fp-1', 'fp-2'), ['bogus', id, at]))).toMatchObject({ code: '23514' });
    expect(await errorOf(pool.query("INSERT INTO mail_queue (kind, subscriber_id, state, created_at) VALUES ('newsletter', $1, 'queued', 0)", [id]))).toMatchObject({ code: '23514' });
    expect(await errorOf(pool.query("INSERT INTO schedules (issue_number, send_at, time_zone, document_id, revision, state, scheduled_by, created_at, updated_at) VALUES (1, 0, 'UTC', 'd', 'r', 'later', 'x', $1, $1)", [at]))).toMatchObject({ code: '23514' });

    // The history is append-only; deleting the subscriber (erasure) still takes it along.
    await pool.query("INSERT INTO subscriber_events (subscriber_id, from_state, to_state, actor, at) VALUES ($1, NULL, 'active', 'test', $2)", [id, at]);
    expect(await errorOf(pool.query("UPDATE subscriber_events SET actor = 'someone else'"))).toMatchObject({ message: 'subscriber history is append-only' });
    await pool.query('DELETE FROM subscribers WHERE id = $1', [id]);
    expect((await pool.query('SELECT * FROM subscriber_events')).rowCount).toBe(0);
    expect((await pool.query('SELECT * FROM bounce_reports')).rowCount).toBe(0);
  });

  it('gives values back in the forms the SQLite stores use: numbers for ids and epoch milliseconds, text for times and JSON, bytes as bytes', async () => {
    const pool = await open(await freshDatabase('test'));
    const id = await addSubscriber(pool, 'ben@example.org');
    const created = Date.UTC(2026, 4, 4, 8, 0, 0, 123);
    await pool.query("INSERT INTO mail_queue (kind, subscriber_id, state, created_at, claimed_by, claimed_at) VALUES ('confirm', $1, 'sending', $2, 'host:42', $2)", [id, created]);
    await pool.query("INSERT INTO bounce_set_aside (fingerprint, source, reason, raw, received_at) VALUES ('fp', 'imap', 'not a report', $1, $2)", [Buffer.from([0, 255, 10]), at]);
    const subscriber = (await pool.query('SELECT id, attributes, created_at FROM subscribers')).rows[0];
    expect(subscriber).toEqual({ id, attributes: '{"city":"Ørsta"}', created_at: at });
    expect(typeof id).toBe('number');
    const mail = (await pool.query('SELECT id, subscriber_id, attempts, not_before, created_at, claimed_at, finished_at FROM mail_queue')).rows[0];
    expect(mail).toEqual({ id: 1, subscriber_id: id, attempts: 0, not_before: 0, created_at: created, claimed_at: created, finished_at: null });
    expect((await pool.query('SELECT count(*) AS n FROM mail_queue')).rows[0]).toEqual({ n: 1 });
    expect((await pool.query('SELECT raw FROM bounce_set_aside')).rows[0].raw).toEqual(Buffer.from([0, 255, 10]));
  });
});

describe('transaction()', () => {
  it('commits what the function did, and undoes all of it when the function throws', async () => {
    const pool = await open(await freshDatabase('test'));
    await transaction(pool, async (client) => {
      await client.query("INSERT INTO confirm_nonces (nonce, used_at) VALUES ('kept', $1)", [at]);
    });
    const failed = transaction(pool, async (client) => {
      await client.query("INSERT INTO confirm_nonces (nonce, used_at) VALUES ('undone', $1)", [at]);
      throw new Error('the step failed');
    });
    await expect(failed).rejects.toThrow('the step failed');
    expect((await pool.query('SELECT nonce FROM confirm_nonces')).rows).toEqual([{ nonce: 'kept' }]);
  });

  it('runs a transaction that lost a race again, and gives up after its retries', async () => {
    const pool = await open(await freshDatabase('test'));
    // Two serializable transactions that each read what the other writes: one of them must fail with 40001.
    await pool.query("INSERT INTO confirm_nonces (nonce, used_at) VALUES ('a', '0'), ('b', '0')");
    let runs = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((resolve) => (bothRead = resolve));
    let reads = 0;
    const step = (mine: string, other: string) =>
      transaction(
        pool,
        async (client) => {
          runs++;
          await client.query('SELECT used_at FROM confirm_nonces WHERE nonce = $1', [other]);
          if (++reads === 2) bothRead();
          await barrier;
          await client.query('UPDATE confirm_nonces SET used_at = $2 WHERE nonce = $1', [mine, `written by ${mine}`]);
        },
        { isolation: 'serializable', random: () => 0 },
      );
    await Promise.all([step('a', 'b'), step('b', 'a')]);
    expect(runs).toBe(3);
    expect((await pool.query('SELECT nonce, used_at FROM confirm_nonces ORDER BY nonce')).rows).toEqual([
      { nonce: 'a', used_at: 'written by a' },
      { nonce: 'b', used_at: 'written by b' },
    ]);

    let attempts = 0;
    const hopeless = transaction(
      pool,
      async () => {
        attempts++;
        throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      },
      { retries: 2, random: () => 0 },
    );
    await expect(hopeless).rejects.toMatchObject({ code: '40001' });
    expect(attempts).toBe(3);
  });
});
