// Opens the delivery database with its two stores, for commands and the server.
import type { Config } from '../core/config.ts';
import { openDatabase, type Database } from './db.ts';
import { SqliteLedger } from './sqlite-ledger.ts';
import { SqliteSubscriberStore } from './sqlite-subscriber-store.ts';

export interface Delivery {
  db: Database;
  subscribers: SqliteSubscriberStore;
  ledger: SqliteLedger;
  close(): void;
}

export function openDelivery(config: Pick<Config, 'dbPath'>): Delivery {
  const db = openDatabase(config.dbPath);
  return { db, subscribers: new SqliteSubscriberStore(db), ledger: new SqliteLedger(db), close: () => db.close() };
}
