// `newsdesk db`: the delivery database. `db start` runs a PostgreSQL server on this machine
// from the binaries npm installed, in the foreground like `serve`, and prints the
// NEWSDESK_DATABASE_URL to use it with; `db status` says which database is in use (the
// SQLite file, or NEWSDESK_DATABASE_URL), its schema version and the rows in each table.
import path from 'node:path';
import { NewsdeskError } from '../core/errors.ts';
import { deliveryDatabaseStatus } from '../delivery/open-delivery.ts';
import { type Command, type CommandContext, formatTable, parseOptions } from './cli.ts';

export const dbCommand: Command = {
  name: 'db',
  summary: 'run a local PostgreSQL for the delivery database; show the database in use, its schema version and rows',
  usage: 'db start [--port 5433] [--dir DIR] | db status',
  options: [
    ['--port <N>', 'db start: the port on 127.0.0.1 (default 5433)'],
    ['--dir <DIR>', 'db start: the data folder, created on first start (default $NEWSDESK_DATA_DIR/postgres)'],
  ],
  examples: [
    'newsdesk db start',
    'newsdesk db start --port 5440 --dir /var/lib/newsdesk/postgres',
    'newsdesk db status',
    'NEWSDESK_DATABASE_URL=postgres://newsdesk:secret@db.example.org/newsdesk newsdesk db status',
  ],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, { port: { type: 'string' }, dir: { type: 'string' } });
    const [action, ...extra] = positionals;
    if (extra.length > 0 || (action !== 'start' && action !== 'status')) {
      throw new NewsdeskError('USAGE', action === undefined ? 'newsdesk db needs an action' : `newsdesk db: unknown action "${[action, ...extra].join(' ')}"`, {
        hint: 'Use `newsdesk db start` or `newsdesk db status`.',
      });
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
  const rel = path.relative(ctx.cwd, dir) || dir;
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
