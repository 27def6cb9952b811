// PostgreSQL for tests: freshDatabase() gives a test file (or a test) its own new, empty
// database on the run's one server (tests/helpers/postgres-global.ts starts it on first
// use) and drops it afterwards, so tests never see each other's rows.
import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, inject, onTestFinished } from 'vitest';

let adminUrl: Promise<string> | undefined;

/** The maintenance database's URL on the run's server (started on the first call of the run). */
export function postgresAdminUrl(): Promise<string> {
  adminUrl ??= (async () => {
    const res = await fetch(inject('postgresControlUrl'), { method: 'POST' });
    if (!res.ok) throw new Error(`the test PostgreSQL server did not start: ${await res.text()}`);
    return ((await res.json()) as { adminUrl: string }).adminUrl;
  })();
  return adminUrl;
}

/**
 * A new empty database, its URL returned; dropped after the file (scope 'file', the
 * default: call it in beforeAll) or after the test it is called in ('test').
 */
export async function freshDatabase(scope: 'file' | 'test' = 'file'): Promise<string> {
  const admin = await postgresAdminUrl();
  const name = `newsdesk_${crypto.randomBytes(6).toString('hex')}`;
  await withAdmin(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  (scope === 'test' ? onTestFinished : afterAll)(async () => {
    await withAdmin(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
