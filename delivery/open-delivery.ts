// The composition root of delivery/: the only file in it that picks the stores behind
// the rooms' interfaces (SQLite in sqlite/, the embedded default; PostgreSQL in
// postgres/ when NEWSDESK_DATABASE_URL names one) and hands them out. Every other room
// declares what it needs and never imports a store; delivery/rooms.test.ts checks it.
import fs from 'node:fs';
import { NewsdeskError } from '../core/errors.ts';
import type { Config } from '../core/config.ts';
import type { BounceStore } from './bounces/bounce-processor.ts';
import type { BounceReads } from './bounces/report-counts.ts';
import type { MailQueue } from './mail-queue/mail-queue.ts';
import type { ScheduleStore } from './schedule/scheduler.ts';
import type { SendReads } from './sending/ledger.ts';
import type { SendStore } from './sending/send-issue.ts';
import type { BounceRecorder } from './sending/send-loop.ts';
import { migrations, openDatabase, type Database, type OpenOptions } from './sqlite/db.ts';
import { SqliteBounceStore } from './sqlite/sqlite-bounce-store.ts';
import { SqliteLedger } from './sqlite/sqlite-ledger.ts';
import type { MailQueueOptions } from './mail-queue/claims.ts';
import { SqliteMailQueue } from './sqlite/sqlite-mail-queue.ts';
import { SqliteScheduleStore } from './sqlite/sqlite-schedule-store.ts';
import { SqliteSubscriberStore } from './sqlite/sqlite-subscriber-store.ts';
import type { SubscriberStore } from './subscribers/subscriber-store.ts';
import type { Pool } from './postgres/pg-db.ts';

export type { MailQueueOptions };

/** The delivery stores, whichever database holds them. */
export interface DeliveryStores {
  subscribers: SubscriberStore & BounceRecorder;
  /** The send ledger: sends, their deliveries and leases. */
  ledger: SendStore & SendReads;
  /** Bounce and complaint reports, and the messages kept aside. */
  bounces: BounceStore & BounceReads;
  schedules: ScheduleStore;
  /** The transactional mail queue, as one worker (host:pid) claims from it. */
  mailQueue(options?: MailQueueOptions): MailQueue;
  /** Where the data lives, for messages: the SQLite file, or the PostgreSQL address without its password. */
  location: string;
  /** Rejects when the database cannot be read. */
  checkHealth(): Promise<void>;
  close(): Promise<void>;
}

export interface SqliteDelivery extends DeliveryStores {
  kind: 'sqlite';
  /** The SQLite connection, for the SQLite-only tools (migrate, benches) and tests that look at rows. */
  db: Database;
}

export interface PostgresDelivery extends DeliveryStores {
  kind: 'postgres';
  /** The connection pool, for tests that look at rows. */
  pool: Pool;
}

export type Delivery = SqliteDelivery | PostgresDelivery;

/** Opens the delivery database the configuration names, migrating it forward first. */
export async function openDelivery(config: Pick<Config, 'dbPath'> & Partial<Pick<Config, 'databaseUrl'>>, options: OpenOptions = {}): Promise<Delivery> {
  return config.databaseUrl ? openPostgresDelivery(config.databaseUrl) : openSqliteDelivery(config.dbPath, options);
}

/** Several servers sharing one database: PostgreSQL at NEWSDESK_DATABASE_URL. */
export async function openPostgresDelivery(url: string): Promise<PostgresDelivery> {
  // Loaded only here: SQLite users never load the pg client.
  const [{ openPostgres, redactUrl }, { PgSubscriberStore }, { PgBounceStore }, { PgScheduleStore }, { PgMailQueue }, { PgLedger }] = await Promise.all([
    import('./postgres/pg-db.ts'),
    import('./postgres/pg-subscriber-store.ts'),
    import('./postgres/pg-bounce-store.ts'),
    import('./postgres/pg-schedule-store.ts'),
    import('./postgres/pg-mail-queue.ts'),
    import('./postgres/pg-ledger.ts'),
  ]);
  const pool = await openPostgres(url);
  return {
    kind: 'postgres',
    pool,
    subscribers: new PgSubscriberStore(pool),
    ledger: new PgLedger(pool),
    bounces: new PgBounceStore(pool),
    schedules: new PgScheduleStore(pool),
    mailQueue: (queueOptions) => new PgMailQueue(pool, queueOptions),
    location: redactUrl(url),
    checkHealth: async () => void (await pool.query('SELECT 1')),
    close: () => pool.end(),
  };
}

/** The embedded default: one SQLite file. */
export function openSqliteDelivery(file: string, options: OpenOptions = {}): SqliteDelivery {
  const db = openDatabase(file, options);
  const subscribers = new SqliteSubscriberStore(db);
  return {
    kind: 'sqlite',
    db,
    subscribers,
    ledger: new SqliteLedger(db),
    bounces: new SqliteBounceStore(db, subscribers),
    schedules: new SqliteScheduleStore(db),
    mailQueue: (queueOptions) => new SqliteMailQueue(db, queueOptions),
    location: file,
    checkHealth: async () => void db.prepare('SELECT 1').get(),
    close: async () => db.close(),
  };
}

export interface DeliveryDatabaseStatus {
  kind: 'sqlite' | 'postgres';
  /** The file, or the URL without its password. */
  where: string;
  /** The schema version the database records (0: not created yet). */
  version: number;
  /** The version this newsdesk would bring it to. */
  latest: number;
  tables: Array<{ table: string; rows: number }>;
}

/** Which delivery database the configuration points at, its schema version and rows per table; changes nothing. */
export async function deliveryDatabaseStatus(config: Pick<Config, 'dbPath' | 'databaseUrl'>): Promise<DeliveryDatabaseStatus> {
  if (config.databaseUrl) {
    // Loaded only when asked: the pg client is not worth loading for SQLite.
    const { countRows, createPool, latestVersion, redactUrl, schemaVersion, unreachable } = await import('./postgres/pg-db.ts');
    const url = config.databaseUrl;
    const pool = createPool(url, { max: 1 });
    try {
      return { kind: 'postgres', where: redactUrl(url), version: await schemaVersion(pool), latest: latestVersion(), tables: await countRows(pool) };
    } catch (error) {
      throw unreachable(url, error);
    } finally {
      await pool.end().catch(() => {});
    }
  }
  const latest = migrations[migrations.length - 1]!.version;
  if (!fs.existsSync(config.dbPath)) return { kind: 'sqlite', where: config.dbPath, version: 0, latest, tables: [] };
  const db = openDatabase(config.dbPath);
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('schema_migrations') AND name NOT LIKE 'sqlite_%' ORDER BY rowid").all() as Array<{ name: string }>).map(
      ({ name }) => ({ table: name, rows: (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n }),
    );
    const { version } = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number };
    return { kind: 'sqlite', where: config.dbPath, version, latest, tables };
  } finally {
    db.close();
  }
}
