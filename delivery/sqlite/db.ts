// Room sqlite/: the stores behind the other rooms' interfaces, in one SQLite file —
// this file (opening, migrations, transactions) and one sqlite-<role>.ts per store. A
// store imports the interface it implements from the room that uses it, never the
// other way; only delivery/open-delivery.ts, the composition root, imports them.
// The delivery database: one SQLite file (node:sqlite) holding subscribers, their
// state history, the send ledger and the transactional mail queue. WAL lets readers
// go on while one process writes; a short busy timeout plus asynchronous retries make
// concurrent writers wait their turn instead of failing; the schema moves forward
// through numbered migrations recorded in the file itself.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { DatabaseSync as DatabaseSyncType, StatementSync } from 'node:sqlite';
import { isNewsdeskError, NewsdeskError } from '../../core/errors.ts';
import { mergeCaseVariants } from './merge-subscribers.ts';

// node:sqlite prints an ExperimentalWarning on load in Node 22 that every command would
// otherwise show; it is filtered for this one load only, every other warning still shows.
const { DatabaseSync } = loadSqliteQuietly();
type DatabaseSync = DatabaseSyncType;

function loadSqliteQuietly(): typeof import('node:sqlite') {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return createRequire(import.meta.url)('node:sqlite') as typeof import('node:sqlite');
  } finally {
    process.emitWarning = emit;
  }
}

export type Database = DatabaseSync;

export interface Migration {
  version: number;
  name: string;
  /** SQL, or a function for steps SQL alone cannot express (merging rows). */
  up: string | ((db: Database) => void);
  /**
   * Rebuilding a table others reference (SQLite cannot change a CHECK constraint in
   * place) needs foreign keys off for the copy; they are checked before the commit.
   */
  rebuildsTables?: boolean;
}

/** Append only: a shipped migration is never edited, a new one is added. */
export const migrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'subscribers, history, ledger',
    up: `
      CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT,
        state TEXT NOT NULL CHECK (state IN ('pending','active','unsubscribed','bounced','complained')),
        source TEXT NOT NULL,
        token TEXT NOT NULL UNIQUE,
        attributes TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX subscribers_by_state ON subscribers(state, id);

      CREATE TABLE subscriber_events (
        id INTEGER PRIMARY KEY,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        from_state TEXT,
        to_state TEXT NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT,
        at TEXT NOT NULL
      );
      CREATE INDEX subscriber_events_by_subscriber ON subscriber_events(subscriber_id, id);
      CREATE TRIGGER subscriber_events_append_only BEFORE UPDATE ON subscriber_events
      BEGIN SELECT RAISE(ABORT, 'subscriber history is append-only'); END;

      CREATE TABLE confirm_nonces (
        nonce TEXT PRIMARY KEY,
        used_at TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE sends (
        issue_number INTEGER PRIMARY KEY,
        subject TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running','paused','interrupted','completed')),
        pause_reason TEXT,
        transport TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        completed_at TEXT
      );

      CREATE TABLE deliveries (
        issue_number INTEGER NOT NULL REFERENCES sends(issue_number),
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','failed','skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        retryable INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        message_id TEXT,
        not_before INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        claimed_at TEXT,
        finished_at TEXT,
        PRIMARY KEY (issue_number, subscriber_id)
      ) WITHOUT ROWID;
      -- Claims walk this index in subscriber order, so claiming stays O(batch) at any list size.
      CREATE INDEX deliveries_by_state ON deliveries(issue_number, state, subscriber_id);
    `,
  },
  {
    version: 2,
    name: 'one subscriber per mailbox: case-insensitive address key, case variants merged',
    up: (db) => {
      db.exec(`
        ALTER TABLE subscribers ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
        -- Unsubscribe links carry a subscriber's token; those of merged rows must keep working.
        CREATE TABLE subscriber_aliases (
          token TEXT PRIMARY KEY,
          subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE
        ) WITHOUT ROWID;
      `);
      mergeCaseVariants(db);
      db.exec('CREATE UNIQUE INDEX subscribers_by_email_key ON subscribers(email_key)');
    },
  },
  {
    version: 3,
    name: 'sign-up requests and the transactional mail queue',
    up: `
      -- A sign-up is recorded as it came, the same single write whoever the address
      -- belongs to; the mail worker admits it (subscriber, limits, confirmation) later.
      CREATE TABLE signup_requests (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT,
        source TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE mail_queue (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('confirm','welcome')),
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','failed','skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX mail_queue_due ON mail_queue(state, not_before);
      CREATE INDEX mail_queue_by_subscriber ON mail_queue(subscriber_id, kind, created_at);
    `,
  },
  {
    version: 4,
    name: 'send leases, claimed deliveries, unresolved sends',
    rebuildsTables: true,
    up: `
      CREATE TABLE sends_new (
        issue_number INTEGER PRIMARY KEY,
        subject TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running','paused','interrupted','completed','unresolved')),
        pause_reason TEXT,
        transport TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        completed_at TEXT,
        -- One send per issue at a time: the holder renews the lease while it runs.
        lease_token TEXT,
        lease_holder TEXT,
        lease_expires_at INTEGER
      );
      INSERT INTO sends_new (issue_number, subject, status, pause_reason, transport, created_at, updated_at, completed_at)
        SELECT issue_number, subject, status, pause_reason, transport, created_at, updated_at, completed_at FROM sends;
      DROP TABLE sends;
      ALTER TABLE sends_new RENAME TO sends;

      -- claimed: taken by a running send, not yet on the wire (goes back to the queue if that send dies);
      -- sending: transmission started, reply not yet recorded (the only state whose outcome can be unknown).
      CREATE TABLE deliveries_new (
        issue_number INTEGER NOT NULL REFERENCES sends(issue_number),
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('queued','claimed','sending','sent','failed','skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        retryable INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        message_id TEXT,
        not_before INTEGER NOT NULL DEFAULT 0,
        queued_at TEXT NOT NULL,
        claimed_at TEXT,
        transmitted_at TEXT,
        finished_at TEXT,
        PRIMARY KEY (issue_number, subscriber_id)
      ) WITHOUT ROWID;
      INSERT INTO deliveries_new (issue_number, subscriber_id, state, attempts, retryable, last_error, message_id, not_before, queued_at, claimed_at, finished_at)
        SELECT issue_number, subscriber_id, state, attempts, retryable, last_error, message_id, not_before, queued_at, claimed_at, finished_at FROM deliveries;
      DROP TABLE deliveries;
      ALTER TABLE deliveries_new RENAME TO deliveries;
      -- Claims walk this index in subscriber order, so claiming stays O(batch) at any list size.
      CREATE INDEX deliveries_by_state ON deliveries(issue_number, state, subscriber_id);
    `,
  },
  {
    version: 5,
    name: 'who claimed a transactional mail',
    up: `
      -- Several serve processes may share one database: a starting worker puts back only
      -- the mails whose claimant is gone, never another live worker's.
      ALTER TABLE mail_queue ADD COLUMN claimed_by TEXT;
      ALTER TABLE mail_queue ADD COLUMN claimed_at INTEGER;
    `,
  },
  {
    version: 6,
    name: 'bounce and complaint reports, evidence in the subscriber history',
    up: `
      -- What a state change rests on (status code, diagnostic, issue, report), as JSON.
      ALTER TABLE subscriber_events ADD COLUMN evidence TEXT;

      -- Every bounce, complaint or delay report read, from a mailbox, a webhook or the
      -- relay's own refusal. The fingerprint makes a report count once: a replayed or
      -- re-read report finds its row here and changes nothing.
      CREATE TABLE bounce_reports (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('hard','soft','complaint','delayed','delivered')),
        issue_number INTEGER,
        subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE CASCADE,
        status TEXT,
        diagnostic TEXT,
        outcome TEXT NOT NULL,
        received_at TEXT NOT NULL
      );
      CREATE INDEX bounce_reports_by_issue ON bounce_reports(issue_number, kind, subscriber_id);
      CREATE INDEX bounce_reports_by_subscriber ON bounce_reports(subscriber_id, kind, issue_number);

      -- Messages in the bounce mailbox that are no bounce or complaint we can act on,
      -- kept whole with the reason, never dropped.
      CREATE TABLE bounce_set_aside (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        reason TEXT NOT NULL,
        raw BLOB NOT NULL,
        received_at TEXT NOT NULL
      );

      -- A report that quotes the original Message-ID finds its delivery through this.
      CREATE INDEX deliveries_by_message_id ON deliveries(message_id);
    `,
  },
  {
    version: 7,
    name: 'scheduled sends',
    up: `
      -- One schedule per issue. scheduled → started (claimed by one server, which runs the
      -- send) | missed (found later than the grace period) | refused (not sendable at its
      -- time) | cancelled. The published revision at scheduling time tells later edits apart.
      CREATE TABLE schedules (
        issue_number INTEGER PRIMARY KEY,
        send_at INTEGER NOT NULL,
        time_zone TEXT NOT NULL,
        document_id TEXT NOT NULL,
        revision TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('scheduled','started','missed','refused','cancelled')),
        reason TEXT,
        scheduled_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_at INTEGER
      );
      CREATE INDEX schedules_due ON schedules(state, send_at);
    `,
  },
  {
    version: 8,
    name: 'unsubscribe requests read from the bounce mailbox',
    up: `
      -- Each unsubscribe mail (List-Unsubscribe's mailto) is applied once, by its bytes:
      -- re-reading a mailbox never unsubscribes someone who has subscribed again since.
      CREATE TABLE mailbox_unsubscribes (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE SET NULL,
        outcome TEXT NOT NULL,
        received_at TEXT NOT NULL
      );
    `,
  },
];

export interface OpenOptions {
  /**
   * How long one statement waits for another writer's lock before failing. Kept short:
   * a wait blocks the whole process (the server's event loop too); the writers that
   * matter retry asynchronously around it (retryOnBusy).
   */
  busyTimeoutMs?: number;
}

export const defaultBusyTimeoutMs = 1000;

/** WAL pages between automatic checkpoints (see openDatabase). */
export const walPagesPerCheckpoint = 10_000;

export function openDatabase(file: string, options: OpenOptions = {}): Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
  } catch (error) {
    throw new NewsdeskError('SEND_FAILED', `Could not open the delivery database ${file}: ${(error as Error).message}`, {
      hint: 'Check NEWSDESK_DB / NEWSDESK_DATA_DIR and that the folder is writable.',
      cause: error,
    });
  }
  db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? defaultBusyTimeoutMs}`);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL in WAL mode loses at most the last transactions on power loss, never integrity.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  // A send commits as it hands messages over (GroupCommit), each commit a few pages of the
  // WAL, and SQLite's default copies the WAL into the database file every 1,000 pages, with
  // an fsync: every ~130 messages. Every 10,000 pages (a WAL of up to ~40 MB), a page that
  // many neighbouring deliveries touched is copied once: sending 30,000 messages made 34
  // fsyncs instead of 319 and read 31,600 pages back instead of 45,700, and its commits took
  // 2.3 s of CPU instead of 3.0 s. What a commit guarantees is unchanged.
  db.exec(`PRAGMA wal_autocheckpoint = ${walPagesPerCheckpoint}`);
  migrate(db);
  return db;
}

export function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    // PRAGMA foreign_keys is a no-op inside a transaction, so it is switched around it.
    if (migration.rebuildsTables) db.exec('PRAGMA foreign_keys = OFF');
    try {
      // IMMEDIATE takes the write lock first, so two processes opening a new file do not both migrate.
      transaction(db, () => {
        const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
        if (done) return;
        if (typeof migration.up === 'string') db.exec(migration.up);
        else migration.up(db);
        if (migration.rebuildsTables) {
          const broken = db.prepare('PRAGMA foreign_key_check').all();
          if (broken.length > 0) throw new Error(`migration ${migration.version} would break ${broken.length} reference(s)`);
        }
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          migration.version,
          migration.name,
          new Date().toISOString(),
        );
      });
    } finally {
      if (migration.rebuildsTables) db.exec('PRAGMA foreign_keys = ON');
    }
  }
}

// BEGIN and COMMIT prepared once per connection: a send runs thousands of short transactions.
const transactionStatements = new WeakMap<Database, { begin: StatementSync; commit: StatementSync; rollback: StatementSync }>();

/** Runs fn inside BEGIN IMMEDIATE … COMMIT, rolling back on any error. Not re-entrant. */
export function transaction<T>(db: Database, fn: () => T): T {
  let statements = transactionStatements.get(db);
  if (!statements) {
    statements = { begin: db.prepare('BEGIN IMMEDIATE'), commit: db.prepare('COMMIT'), rollback: db.prepare('ROLLBACK') };
    transactionStatements.set(db, statements);
  }
  statements.begin.run();
  try {
    const result = fn();
    statements.commit.run();
    return result;
  } catch (error) {
    if (db.isTransaction) statements.rollback.run();
    throw error;
  }
}

/** SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock; trying again later is the answer. */
export function isBusyError(error: unknown): boolean {
  const code = (error as { errcode?: unknown })?.errcode;
  return typeof code === 'number' && ((code & 0xff) === 5 || (code & 0xff) === 6);
}

export interface RetryOptions {
  /** Give up (with DATABASE_BUSY) after waiting this long in total. */
  maxWaitMs?: number;
  signal?: AbortSignal | undefined;
  random?: () => number;
}

/**
 * Runs a database step, and when another writer holds the lock past the busy timeout,
 * waits without blocking the event loop and tries again (backoff with jitter), so a
 * long import or a send next door delays a write instead of failing it.
 */
export async function retryOnBusy<T>(step: () => T, options: RetryOptions = {}): Promise<T> {
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const random = options.random ?? Math.random;
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return step();
    } catch (error) {
      if (!isBusyError(error)) throw error;
      if (waited >= maxWaitMs || options.signal?.aborted) {
        throw new NewsdeskError('DATABASE_BUSY', `The delivery database stayed locked by another process for ${Math.round(waited / 1000)} s`, {
          hint: 'Another newsdesk process is writing (an import, a send or the server); try again when it has finished.',
          cause: error,
        });
      }
      const cap = Math.min(200, 5 * 2 ** Math.min(attempt, 6));
      const delay = cap / 2 + random() * (cap / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
      waited += delay;
    }
  }
}

/**
 * Group commit: writes handed in during one turn of the event loop are committed
 * together in one transaction, each resolved once that transaction is durable. Every
 * commit appends the pages it touched to the WAL, and neighbouring deliveries share
 * pages, so a send recording each hand-off and reply as it happens writes a fraction of
 * what one commit per write would. Should a step throw, the batch is undone and its
 * steps are run again one transaction each, so only that step's caller sees the error.
 */
export class GroupCommit {
  readonly #db: Database;
  #pending: Array<{ step: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }> = [];
  /** The flush to come: on the next turn of the event loop, or after a short wait for company. */
  #soon: NodeJS.Immediate | undefined;
  #later: NodeJS.Timeout | undefined;
  /** Flushes run one after another, so batches commit in the order their writes were handed in, even when one waits for a lock. */
  #flushing: Promise<void> = Promise.resolve();
  #commits = 0;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Transactions this group commit has committed (or tried to) so far. */
  get commits(): number {
    return this.#commits;
  }

  run<T>(step: () => T): Promise<T> {
    return this.#add(step, () => (this.#soon ??= setImmediate(() => this.#kick())));
  }

  /**
   * Like run, but the write does not ask for a commit of its own: it joins the next one
   * that another write asks for (writes commit in the order they were handed in), or one
   * after `laterMs` when none does. For records nothing waits on soon.
   */
  runLater<T>(step: () => T, laterMs = 20): Promise<T> {
    return this.#add(step, () => {
      if (!this.#soon) this.#later ??= setTimeout(() => this.#kick(), laterMs);
    });
  }

  #add<T>(step: () => T, schedule: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ step, resolve: resolve as (value: unknown) => void, reject });
      schedule();
    });
  }

  #kick(): void {
    this.#flushing = this.#flushing.then(() => this.#flush()).catch(() => undefined);
  }

  async #flush(): Promise<void> {
    if (this.#soon) clearImmediate(this.#soon);
    if (this.#later) clearTimeout(this.#later);
    this.#soon = this.#later = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    this.#commits++;
    try {
      const values = await retryOnBusy(() => transaction(this.#db, () => batch.map(({ step }) => step())));
      batch.forEach(({ resolve }, i) => resolve(values[i]));
    } catch (error) {
      if (batch.length === 1 || isNewsdeskError(error, 'DATABASE_BUSY')) {
        for (const { reject } of batch) reject(error);
        return;
      }
      for (const { step, resolve, reject } of batch) await retryOnBusy(() => transaction(this.#db, step)).then(resolve, reject);
    }
  }
}
