// Moving over: copies an SQLite delivery database (subscribers and their history, tokens,
// sends and ledgers, bounce reports, schedules, the mail queue) into an empty PostgreSQL
// one, table by table in reference order, all in one transaction, then counts both
// sides. The SQLite side is read inside one read transaction, so what is copied is one
// moment's state even if a server writes meanwhile; the PostgreSQL side commits whole or
// not at all, and a database that already holds rows is refused rather than merged into.
import type { DatabaseSync } from 'node:sqlite';
import { NewsdeskError } from '../../core/errors.ts';
import { openDatabase } from '../sqlite/db.ts';
import { countRows, deliveryTables, openPostgres, redactUrl, transaction, type PoolClient } from './pg-db.ts';

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface TableCopy {
  table: string;
  /** Rows in the SQLite file. */
  source: number;
  /** Rows in PostgreSQL after the commit. */
  target: number;
}

export interface CopyOptions {
  /** Rows sent in one INSERT (default 5,000). */
  batchSize?: number;
  onProgress?: (progress: CopyProgress) => void;
}

interface Column {
  name: string;
  /** PostgreSQL's name for the column's type, as arrays of it are spelled (int8, text, bytea…). */
  udt: string;
}

/** Copies the SQLite delivery database `file` into the (empty) PostgreSQL database at `url`; resolves with the counts of both sides. */
export async function copySqliteToPostgres(file: string, url: string, options: CopyOptions = {}): Promise<TableCopy[]> {
  const batchSize = options.batchSize ?? 5000;
  // Opening the file also brings an older one up to the latest SQLite schema, which the PostgreSQL one mirrors.
  const source = openDatabase(file);
  const pool = await openPostgres(url, { max: 2 });
  try {
    const occupied = (await countRows(pool)).filter((t) => t.rows > 0);
    if (occupied.length > 0) {
      throw new NewsdeskError('USAGE', `The PostgreSQL database ${redactUrl(url)} already holds delivery data (${occupied.map((t) => `${t.table}: ${t.rows}`).join(', ')})`, {
        hint: 'Copy into an empty database (create a new one), so nothing there is overwritten or mixed with the copy.',
      });
    }
    source.exec('BEGIN');
    try {
      // Tables only PostgreSQL has (the workers sharing a send) start empty.
      const present = new Set((source.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name));
      const tables = deliveryTables.filter((table) => present.has(table));
      const sourceCounts = new Map(tables.map((table) => [table, count(source, table)]));
      await transaction(pool, async (client) => {
        for (const table of tables) {
          const total = sourceCounts.get(table)!;
          const columns = await sharedColumns(client, source, table);
          let copied = 0;
          options.onProgress?.({ table, copied, total });
          for (const batch of batches(source, table, columns, batchSize)) {
            await insertBatch(client, table, columns, batch);
            copied += batch.length;
            options.onProgress?.({ table, copied, total });
          }
          await advanceIdentity(client, table);
        }
      }, { retries: 0 });
      const targetCounts = new Map((await countRows(pool)).map((t) => [t.table, t.rows]));
      const result = tables.map((table) => ({ table, source: sourceCounts.get(table)!, target: targetCounts.get(table) ?? 0 }));
      const differing = result.filter((r) => r.source !== r.target);
      if (differing.length > 0) {
        throw new NewsdeskError('SEND_FAILED', `The copy does not match: ${differing.map((r) => `${r.table} ${r.source} in SQLite, ${r.target} in PostgreSQL`).join('; ')}`, {
          hint: 'Nothing uses the PostgreSQL database yet; drop it, create it again and repeat the copy with no server writing to it.',
        });
      }
      return result;
    } finally {
      source.exec('COMMIT');
    }
  } finally {
    source.close();
    await pool.end().catch(() => {});
  }
}

function count(db: DatabaseSync, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
}

/** The columns both sides have (PostgreSQL may have newer ones, left to their defaults), with PostgreSQL's types. */
async function sharedColumns(client: PoolClient, source: DatabaseSync, table: string): Promise<Column[]> {
  const inSqlite = new Set((source.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as Array<{ name: string }>).map((c) => c.name));
  const { rows } = await client.query<{ name: string; udt: string }>(
    `SELECT column_name AS name, udt_name AS udt FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  const missing = [...inSqlite].filter((name) => !rows.some((r) => r.name === name));
  if (missing.length > 0) {
    throw new NewsdeskError('SEND_FAILED', `PostgreSQL's ${table} table lacks the column(s) ${missing.join(', ')} the SQLite file has`, {
      hint: 'Update newsdesk on the machine running the copy so both schemas are current.',
    });
  }
  return rows.filter((r) => inSqlite.has(r.name));
}

/** The table's rows in primary-key order, a batch at a time, as column arrays are built from them. */
function* batches(source: DatabaseSync, table: string, columns: Column[], size: number): Generator<Array<Record<string, unknown>>> {
  const rows = source.prepare(`SELECT ${columns.map((c) => `"${c.name}"`).join(', ')} FROM "${table}"`).iterate() as Iterable<Record<string, unknown>>;
  let batch: Array<Record<string, unknown>> = [];
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** One INSERT per batch: each column travels as one array parameter, unnested back into rows. */
async function insertBatch(client: PoolClient, table: string, columns: Column[], rows: Array<Record<string, unknown>>): Promise<void> {
  const arrays = columns.map((c) => rows.map((r) => toPostgres(r[c.name], c.udt)));
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  const unnest = columns.map((c, i) => `$${i + 1}::${c.udt}[]`).join(', ');
  try {
    await client.query(`INSERT INTO "${table}" (${names}) OVERRIDING SYSTEM VALUE SELECT * FROM unnest(${unnest})`, arrays);
  } catch (error) {
    const key = columns[0]!.name;
    const range = `${key} ${String(rows[0]![key])} to ${String(rows[rows.length - 1]![key])}`;
    throw new NewsdeskError('SEND_FAILED', `PostgreSQL refused the ${table} rows with ${range}: ${(error as Error).message}`, {
      hint: 'Nothing was copied (the copy is one transaction). Correct that row in the SQLite file (e.g. with the sqlite3 shell), then copy again.',
      cause: error,
    });
  }
}

function toPostgres(value: unknown, udt: string): unknown {
  if (value === null || value === undefined) return null;
  if (udt === 'bytea') return Buffer.from(value as Uint8Array);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Identity columns continue after the highest copied id, so new rows never collide with copied ones. */
async function advanceIdentity(client: PoolClient, table: string): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'`,
    [table],
  );
  for (const { name } of rows) {
    await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max("${name}") FROM "${table}"), 1), (SELECT max("${name}") FROM "${table}") IS NOT NULL)`, [
      table,
      name,
    ]);
  }
}
