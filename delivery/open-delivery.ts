// Opens the delivery database with its stores, for commands and the server.
import type { Config } from '../core/config.ts';
import { openDatabase, type Database, type OpenOptions } from './db.ts';
import { SqliteBounceStore } from './sqlite-bounce-store.ts';
import { SqliteLedger } from './sqlite-ledger.ts';
import { SqliteSubscriberStore } from './sqlite-subscriber-store.ts';

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
