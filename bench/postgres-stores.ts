// Benchmark (not a test): the delivery stores on PostgreSQL beside SQLite. A PostgreSQL
// server from the npm binaries (as `newsdesk db start` runs it, durable settings) in a
// temporary folder; the same subscriber import into each store (the chunks the CLI
// writes: one lookup, one multi-row insert, one history insert each), then a mail queue
// drained by three workers at once (claims FOR UPDATE SKIP LOCKED, each mail marked sent).
//
//   npm run bench:postgres                     # 20,000 subscribers, 3,000 mails
//   npm run bench:postgres -- --rows 100000 --mails 10000
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openPostgresDelivery, openSqliteDelivery, type Delivery } from '../delivery/open-delivery.ts';
import { startLocalPostgres } from '../delivery/postgres/local-postgres.ts';
import { importSubscribers, type ImportRow } from '../delivery/subscribers/import-subscribers.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '20000' }, mails: { type: 'string', default: '3000' } } });
const rows = Number(values.rows);
const mails = Number(values.mails);
if (![rows, mails].every((n) => Number.isInteger(n) && n >= 1)) {
  console.error('usage: npm run bench:postgres -- [--rows N] [--mails N]');
  process.exit(2);
}
const target = { importRowsPerSecond: 5000, claimMsPerMail: 2 };

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-bench-pg-'));
// Run as root, the server runs as the postgres user, which must reach the folder.
fs.chmodSync(work, 0o755);
const port = await new Promise<number>((resolve) => {
  const probe = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = probe.address() as net.AddressInfo;
    probe.close(() => resolve(p));
  });
});
const server = await startLocalPostgres({ dir: path.join(work, 'postgres'), port });
const now = new Date();
const list: ImportRow[] = Array.from({ length: rows }, (_, i) => ({ email: `person-${i}@imported.example`, name: `Person ${i}`, line: i + 2, attributes: { company: `Company ${i % 997}` } }));

async function timeImport(delivery: Delivery): Promise<number> {
  const started = performance.now();
  const report = await importSubscribers(list, delivery.subscribers, { state: 'active', source: 'bench', dryRun: false, actor: 'bench', now: () => now });
  if (report.counts.added !== rows) throw new Error(`the import added ${report.counts.added} of ${rows}`);
  return (performance.now() - started) / 1000;
}

try {
  const sqlite = openSqliteDelivery(path.join(work, 'newsdesk.db'));
  const postgres = await openPostgresDelivery(server.url);
  try {
    const sqliteSeconds = await timeImport(sqlite);
    const pgSeconds = await timeImport(postgres);
    console.log(`postgres stores: ${rows.toLocaleString('en')} subscribers imported, ${mails.toLocaleString('en')} mails drained by 3 workers`);
    console.log(`subscriber import, SQLite: ${Math.round(rows / sqliteSeconds)} rows/s (${sqliteSeconds.toFixed(2)} s)`);
    console.log(`subscriber import, PostgreSQL: ${Math.round(rows / pgSeconds)} rows/s (target >= ${target.importRowsPerSecond} rows/s; ${pgSeconds.toFixed(2)} s)`);

    await postgres.pool.query("INSERT INTO mail_queue (kind, subscriber_id, state, created_at) SELECT 'confirm', 1 + (n % $1), 'queued', $2 FROM generate_series(1, $3) AS n", [rows, now.getTime(), mails]);
    const workers = [1, 2, 3].map((pid) => postgres.mailQueue({ claimant: { host: 'bench', pid } }));
    const started = performance.now();
    const drained = await Promise.all(
      workers.map(async (queue) => {
        let n = 0;
        for (let batch = await queue.claimDue(10, now); batch.length > 0; batch = await queue.claimDue(10, now)) {
          for (const mail of batch) await queue.markSent(mail.id, now);
          n += batch.length;
        }
        return n;
      }),
    );
    const ms = performance.now() - started;
    const total = drained.reduce((a, b) => a + b, 0);
    if (total !== mails) throw new Error(`the workers drained ${total} of ${mails} mails`);
    console.log(`mail queue claim and mark, PostgreSQL, 3 workers: ${(ms / mails).toFixed(2)} ms/mail (target <= ${target.claimMsPerMail} ms/mail; split ${drained.join('/')})`);
  } finally {
    await sqlite.close();
    await postgres.close();
  }
} finally {
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
