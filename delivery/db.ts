// The delivery database: one SQLite file (node:sqlite) holding subscribers, their
// state history and the send ledger. WAL lets the server answer unsubscribes while a
// send writes; the busy timeout makes concurrent writers wait instead of failing; the
// schema moves forward through numbered migrations recorded in the file itself.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { DatabaseSync as DatabaseSyncType } from 'node:sqlite';
import { NewsdeskError } from '../core/errors.ts';

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

/** Append only: a shipped migration is never edited, a new one is added. */
export const migrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'subscribers, history, ledger',
    sql: `
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
];

export interface OpenOptions {
  busyTimeoutMs?: number;
}

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
  db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL in WAL mode loses at most the last transactions on power loss, never integrity.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  migrate(db);
  return db;
}

export function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  for (const migration of migrations) {
    // IMMEDIATE takes the write lock first, so two processes opening a new file do not both migrate.
    transaction(db, () => {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (done) return;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    });
  }
}

/** Runs fn inside BEGIN IMMEDIATE … COMMIT, rolling back on any error. Not re-entrant. */
export function transaction<T>(db: Database, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
