// The composition root of delivery/: the only file in it that picks the stores behind
// the rooms' interfaces (today SQLite, sqlite/) and hands them out. Every other room
// declares what it needs and never imports a store; delivery/rooms.test.ts checks it.
// Opens the delivery database with its stores, for commands and the server.
import fs from 'node:fs';
import type { Config } from '../core/config.ts';
import { openDatabase, type Database, type OpenOptions } from './sqlite/db.ts';
import { SqliteBounceStore } from './sqlite/sqlite-bounce-store.ts';
import { SqliteLedger } from './sqlite/sqlite-ledger.ts';
import { SqliteScheduleStore } from './sqlite/sqlite-schedule-store.ts';
import { SqliteSubscriberStore } from './sqlite/sqlite-subscriber-store.ts';

export interface Delivery {
  db: Database;
  subscribers: SqliteSubscriberStore;
  ledger: SqliteLedger;
  /** Bounce and complaint reports, and the messages kept aside. */
  bounces: SqliteBounceStore;
  /** Throws when the database cannot be read. */
  checkHealth(): void;
  close(): void;
}

export function openDelivery(config: Pick<Config, 'dbPath'>, options: OpenOptions = {}): Delivery {
  const db = openDatabase(config.dbPath, options);
  const subscribers = new SqliteSubscriberStore(db);
  return {
    db,
    subscribers,
    ledger: new SqliteLedger(db),
    bounces: new SqliteBounceStore(db, subscribers),
    checkHealth: () => void db.prepare('SELECT 1').get(),
    close: () => db.close(),
  };
}

/** Published issues the site leaves out for now (issuesHeldFromWeb), for a command without a server: from the delivery database, when there is one. */
export async function readIssuesHeldFromWeb(config: Pick<Config, 'schedule' | 'dbPath'>): Promise<Set<number>> {
  if (config.schedule.webPublish !== 'at-send' || !fs.existsSync(config.dbPath)) return new Set();
  // Loaded only when asked: most commands that open the database never build the site.
  const { issuesHeldFromWeb } = await import('./schedule/scheduling.ts');
  const db = openDatabase(config.dbPath);
  try {
    return await issuesHeldFromWeb(config, new SqliteScheduleStore(db));
  } finally {
    db.close();
  }
}
