// `newsdesk db`: the delivery database. `db start` runs a PostgreSQL server on this machine
// from the binaries npm installed, in the foreground like `serve`, and prints the
// NEWSDESK_DATABASE_URL to use it with; `db status` says which database is in use (the
// SQLite file, or NEWSDESK_DATABASE_URL), its schema version and the rows in each table;
// `db copy --to postgres://…` moves an SQLite delivery database into an empty PostgreSQL one.
import fs from 'node:fs';
import path from 'node:path';
import { NewsdeskError } from '../core/errors.ts';
import { deliveryDatabaseStatus } from '../delivery/open-delivery.ts';
import { type Command, type CommandContext, formatTable, parseOptions } from './cli.ts';

export const dbCommand: Command = {
  name: 'db',
  summary: 'run a local PostgreSQL for the delivery database; show the database in use, its schema version and rows; copy SQLite into PostgreSQL',
  usage: 'db start [--port 5433] [--dir DIR] | db status | db copy --to postgres://… [--from FILE]',
  options: [
    ['--to <URL>', 'db copy: the empty PostgreSQL database to copy into'],
    ['--from <FILE>', 'db copy: the SQLite delivery database to copy (default: the one in use, $NEWSDESK_DB)'],
    ['--port <N>', 'db start: the port on 127.0.0.1 (default 5433)'],
    ['--dir <DIR>', 'db start: the data folder, created on first start (default $NEWSDESK_DATA_DIR/postgres)'],
  ],
  examples: [
    'newsdesk db start',
    'newsdesk db start --port 5440 --dir /var/lib/newsdesk/postgres',
    'newsdesk db status',
    'newsdesk db copy --to postgres://newsdesk:secret@127.0.0.1:5433/newsdesk',
    'NEWSDESK_DATABASE_URL=postgres://newsdesk:secret@db.example.org/newsdesk newsdesk db status',
  ],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, { port: { type: 'string' }, dir: { type: 'string' }, to: { type: 'string' }, from: { type: 'string' } });
    const [action, ...extra] = positionals;
    if (extra.length > 0 || (action !== 'start' && action !== 'status' && action !== 'copy')) {
      throw new NewsdeskError('USAGE', action === undefined ? 'newsdesk db needs an action' : `newsdesk db: unknown action "${[action, ...extra].join(' ')}"`, {
        hint: 'Use `newsdesk db start`, `newsdesk db status` or `newsdesk db copy --to postgres://…`.',
      });
    }
    if ((values.to !== undefined || values.from !== undefined) && action !== 'copy') throw new NewsdeskError('USAGE', '--to and --from belong to `newsdesk db copy`');
    if (action === 'copy') {
      if (values.port !== undefined || values.dir !== undefined) throw new NewsdeskError('USAGE', '--port and --dir belong to `newsdesk db start`');
      return copy(ctx, values.to, values.from);
    }
    if (action === 'status') {
      if (values.port !== undefined || values.dir !== undefined) throw new NewsdeskError('USAGE', '--port and --dir belong to `newsdesk db start`');
      return status(ctx);
    }
    return start(ctx, values.port === undefined ? 5433 : port(values.port), values.dir);
  },
};

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new NewsdeskError('USAGE', `--port must be a port number from 1 to 65535, not "${value}"`);
  return Number(value);
}

async function status(ctx: CommandContext): Promise<number> {
  const s = await deliveryDatabaseStatus(ctx.config());
  const where = s.kind === 'sqlite' ? path.relative(ctx.cwd, s.where) || s.where : s.where;
  ctx.out(s.kind === 'sqlite' ? `Delivery database: SQLite, ${where} (set NEWSDESK_DATABASE_URL to use PostgreSQL)` : `Delivery database: PostgreSQL, ${where}`);
  if (s.version === 0) {
    ctx.out(`Schema: not created yet (it is, at version ${s.latest}, on first use)`);
    return 0;
  }
  ctx.out(`Schema: version ${s.version}${s.version === s.latest ? ' (current)' : s.version < s.latest ? ` (version ${s.latest} on next use)` : ` (newer than this newsdesk, which knows ${s.latest}: update it)`}`);
  ctx.out('');
  ctx.out(formatTable(['table', 'rows'], s.tables.map((t) => [t.table, String(t.rows)])));
  return 0;
}

async function copy(ctx: CommandContext, to: string | undefined, from: string | undefined): Promise<number> {
  const { isPostgresUrl, redactUrl } = await import('../delivery/postgres/pg-db.ts');
  if (to === undefined || !isPostgresUrl(to)) {
    throw new NewsdeskError('USAGE', to === undefined ? 'newsdesk db copy needs --to postgres://…' : `--to must be a postgres:// or postgresql:// address, not "${redactUrl(to)}"`, {
      hint: 'e.g. `newsdesk db copy --to postgres://newsdesk:secret@127.0.0.1:5433/newsdesk` (`newsdesk db start` runs a local server).',
    });
  }
  const file = from === undefined ? ctx.config().dbPath : path.resolve(ctx.cwd, from);
  if (!fs.existsSync(file)) throw new NewsdeskError('NOT_FOUND', `There is no SQLite delivery database at ${path.relative(ctx.cwd, file) || file}`, { hint: 'Give its path with --from, or set NEWSDESK_DB / NEWSDESK_DATA_DIR.' });
  const { copySqliteToPostgres } = await import('../delivery/postgres/copy-from-sqlite.ts');
  let shown = '';
  const copied = await copySqliteToPostgres(file, to, {
    onProgress: ({ table, copied: n, total }) => {
      // One line per table, and one per 100,000 rows of the big ones.
      if (n === total || (n > 0 && n % 100_000 === 0)) {
        const line = `${table}: ${n} of ${total}`;
        if (line !== shown) ctx.err(line);
        shown = line;
      }
    },
  });
  ctx.out(`Copied ${path.relative(ctx.cwd, file) || file} into ${redactUrl(to)}; every table's rows counted on both sides:`);
  ctx.out(formatTable(['table', 'SQLite', 'PostgreSQL'], copied.map((t) => [t.table, String(t.source), String(t.target)])));
  ctx.out(`\nSet NEWSDESK_DATABASE_URL=${redactUrl(to)} (with its password) for \`serve\`, \`send\` and the other commands to use it.`);
  return 0;
}

async function start(ctx: CommandContext, portNumber: number, dirOption: string | undefined): Promise<number> {
  const config = ctx.config();
  const dir = dirOption === undefined ? path.join(config.dataDir, 'postgres') : path.resolve(ctx.cwd, dirOption);
  // Loaded only here: the server runner and the pg client.
  const { startLocalPostgres } = await import('../delivery/postgres/local-postgres.ts');
  const { openPostgres } = await import('../delivery/postgres/pg-db.ts');
  const server = await startLocalPostgres({ dir, port: portNumber, onLog: (line) => /FATAL|PANIC|ERROR/.test(line) && ctx.err(line) });
  try {
    const pool = await openPostgres(server.url, { max: 1 });
    await pool.end();
  } catch (error) {
    await server.stop();
    throw error;
  }
  // Relative only below the working folder: "../../var/lib/…" reads worse than the path itself.
  const below = path.relative(ctx.cwd, dir);
  const rel = below && !below.startsWith('..') && !path.isAbsolute(below) ? below : path.resolve(dir);
  ctx.out(`PostgreSQL is running on 127.0.0.1:${portNumber}, its data in ${rel}/${server.created ? ' (created now)' : ''}; the delivery schema is up to date.`);
  ctx.out('Use it with:');
  ctx.out(`NEWSDESK_DATABASE_URL=${server.url}`);
  ctx.out('  Press Ctrl+C to stop.');
  const crashed = await new Promise<boolean>((resolve) => {
    if (ctx.signal.aborted) return resolve(false);
    ctx.signal.addEventListener('abort', () => resolve(false), { once: true });
    void server.exited.then(() => resolve(true));
  });
  await server.stop();
  if (crashed && !ctx.signal.aborted) {
    ctx.err('PostgreSQL stopped by itself; see its messages above.');
    return 1;
  }
  ctx.out('PostgreSQL stopped.');
  return 0;
}
