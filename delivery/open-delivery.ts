// Opens the delivery database with its two stores, for commands and the server.
import type { Config } from '../core/config.ts';
import { openDatabase, type Database, type OpenOptions } from './db.ts';
import { SqliteLedger } from './sqlite-ledger.ts';
import { SqliteSubscriberStore } from './sqlite-subscriber-store.ts';

export interface Delivery {
  db: Database;
  subscribers: SqliteSubscriberStore;
  ledger: SqliteLedger;
  /** Throws when the database cannot be read. */
  checkHealth(): void;
  close(): void;
}

export function openDelivery(config: Pick<Config, 'dbPath'>, options: OpenOptions = {}): Delivery {
  const db = openDatabase(config.dbPath, options);
  return {
    db,
    subscribers: new SqliteSubscriberStore(db),
    ledger: new SqliteLedger(db),
    checkHealth: () => void db.prepare('SELECT 1').get(),
    close: () => db.close(),
  };
}
