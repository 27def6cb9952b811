// `newsdesk db` as an operator uses it: `db status` on the SQLite file and on PostgreSQL
// (schema version, rows per table), a clear error for a NEWSDESK_DATABASE_URL that is no
// PostgreSQL URL, and `db start` running a real server from the npm binaries in the
// foreground, reachable at the URL it prints, stopping cleanly on SIGTERM and finding its
// data again on the next start.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { latestVersion, openPostgres } from '../delivery/postgres/pg-db.ts';
import { openDatabase } from '../delivery/sqlite/db.ts';
import { aFreePort } from './delivery-kit.ts';
import { hangAfter } from './helpers/hang.ts';
import { freshDatabase } from './helpers/postgres.ts';
import { binPath, cleanEnv, runCli } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';

const at = '2026-05-04T08:00:00.000Z';

describe('newsdesk db status', { timeout: hangAfter(3) }, () => {
  it('names the SQLite file in use, its schema version and rows per table', async () => {
    const dataDir = await makeTempDir('newsdesk-db-status-');
    const env = { NEWSDESK_DATA_DIR: dataDir };
    const empty = await runCli(['db', 'status'], { env });
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain('Delivery database: SQLite');
    expect(empty.stdout).toContain('newsdesk.db');
    expect(empty.stdout).toMatch(/Schema: not created yet/);

    const db = openDatabase(path.join(dataDir, 'newsdesk.db'));
    db.prepare('INSERT INTO confirm_nonces (nonce, used_at) VALUES (?, ?), (?, ?)').run('n1', at, 'n2', at);
    db.close();
    const status = await runCli(['db', 'status'], { env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/Schema: version 8 \(current\)/);
    expect(status.stdout).toMatch(/^confirm_nonces\s+2$/m);
    expect(status.stdout).toMatch(/^subscribers\s+0$/m);
  });

  it('names the PostgreSQL database without its password, its schema version and rows per table', async () => {
    const url = await freshDatabase();
    const pool = await openPostgres(url);
    await pool.query("INSERT INTO confirm_nonces (nonce, used_at) VALUES ('n1', $1)", [at]);
    await pool.end();
    const status = await runCli(['db', 'status'], { env: { NEWSDESK_DATABASE_URL: url } });
    expect(status.code, status.stderr).toBe(0);
    const password = new URL(url).password;
    expect(status.stdout).not.toContain(password);
    expect(status.stdout).toContain(`Delivery database: PostgreSQL, postgres://postgres:***@127.0.0.1:${new URL(url).port}${new URL(url).pathname}`);
    expect(status.stdout).toMatch(new RegExp(`Schema: version ${latestVersion()} \\(current\\)`));
    expect(status.stdout).toMatch(/^confirm_nonces\s+1$/m);
    expect(status.stdout).toMatch(/^mailbox_unsubscribes\s+0$/m);
  });

  it('refuses a NEWSDESK_DATABASE_URL that is no PostgreSQL URL, and names a server it cannot reach', async () => {
    const wrong = await runCli(['db', 'status'], { env: { NEWSDESK_DATABASE_URL: 'mysql://db.example.org/newsdesk' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('NEWSDESK_DATABASE_URL must be a postgres:// or postgresql:// URL');

    const port = await aFreePort();
    const gone = await runCli(['db', 'status'], { env: { NEWSDESK_DATABASE_URL: `postgresql://newsdesk:hush@127.0.0.1:${port}/newsdesk` } });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`Could not open the PostgreSQL delivery database postgresql://newsdesk:***@127.0.0.1:${port}/newsdesk`);
    expect(gone.stderr).toContain('Check NEWSDESK_DATABASE_URL');
    expect(gone.stderr).not.toContain('hush');
  });
});

describe('newsdesk db start', { timeout: hangAfter(4) }, () => {
  it('runs PostgreSQL in the foreground at the URL it prints, stops on SIGTERM, and keeps its data for the next start', async () => {
    const dataDir = await makeTempDir('newsdesk-db-start-');
    // Run as root, the server runs as the postgres user, which must reach the folder.
    fs.chmodSync(dataDir, 0o755);
    const port = await aFreePort();

    const first = startServer(dataDir, port);
    const url = await first.url;
    expect(await first.stdout()).toContain('(created now)');
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    // The schema is there already, and what is written stays.
    expect((await client.query('SELECT max(version) AS v FROM schema_migrations')).rows[0].v).toBe(latestVersion());
    await client.query("INSERT INTO confirm_nonces (nonce, used_at) VALUES ('kept', $1)", [at]);
    await client.end();
    expect(await first.stop()).toBe(0);
    expect(await first.stdout()).toContain('PostgreSQL stopped.');

    const second = startServer(dataDir, port);
    expect(await second.url).toBe(url);
    expect(await second.stdout()).not.toContain('(created now)');
    const again = new pg.Client({ connectionString: url });
    await again.connect();
    expect((await again.query('SELECT nonce FROM confirm_nonces')).rows).toEqual([{ nonce: 'kept' }]);
    await again.end();
    expect(await second.stop()).toBe(0);
  });
});

/** `newsdesk db start` in a child process: the URL it prints, and a SIGTERM that resolves with its exit code. */
function startServer(dataDir: string, port: number) {
  const child = spawn(process.execPath, [binPath, 'db', 'start', '--port', String(port)], {
    cwd: dataDir,
    env: { ...cleanEnv(), NEWSDESK_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      const match = /^NEWSDESK_DATABASE_URL=(\S+)$/m.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`db start exited with ${code} before printing its URL:\n${stdout}\n${stderr}`)));
  });
  return {
    url,
    stdout: async () => stdout,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
