// Benchmark (not a test): how soon a scheduled send starts. Runs N real servers
// (scheduler inside) on one fresh data folder and one delivery database, schedules an
// issue a few seconds ahead, and measures from its send time to the claim, to the first
// message in the outbox and to the end of the send; then clears that send and does it
// again. Also counts which server started each send (exactly one must).
//
//   npm run bench:schedule
//   npm run bench:schedule -- --rounds 10 --servers 3 --subscribers 2000
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildSite } from '../build/build-site.ts';
import { openContentStore } from '../content/open-store.ts';
import { loadConfig } from '../core/config.ts';
import { openSqliteDelivery } from '../delivery/open-delivery.ts';
import { scheduleSend } from '../delivery/schedule/scheduling.ts';
import { SqliteScheduleStore } from '../delivery/sqlite/sqlite-schedule-store.ts';
import { startServer } from '../server/server.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, servers: { type: 'string', default: '2' }, subscribers: { type: 'string', default: '500' } } });
const [rounds, servers, subscribers] = [values.rounds, values.servers, values.subscribers].map(Number) as [number, number, number];
if (![rounds, servers, subscribers].every((n) => Number.isInteger(n) && n >= 1)) {
  console.error('usage: npm run bench:schedule -- [--rounds N] [--servers N] [--subscribers N]');
  process.exit(2);
}

const target = { startMs: 3000 };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-bench-schedule-'));
const config = loadConfig({ NEWSDESK_DATA_DIR: path.join(work, 'data'), NEWSDESK_OUT_DIR: path.join(work, 'dist'), NEWSDESK_PORT: '0', NEWSDESK_SEND_RATE: '2000', NEWSDESK_SECRET: 'bench-secret-0123456789abcdef' }, work);
const store = openContentStore(config.content);
await buildSite({ config, store, threads: 1 });
const delivery = openSqliteDelivery(config.dbPath);
for (let i = 0; i < subscribers; i++) await delivery.subscribers.add({ email: `reader${i}@example.org` }, 'active', { actor: 'bench', now: new Date() });
const schedules = new SqliteScheduleStore(delivery.db);
const logs: string[][] = [];
const running = await Promise.all(
  Array.from({ length: servers }, (_, i) => {
    logs[i] = [];
    return startServer({ config, log: (line) => logs[i]!.push(line) });
  }),
);

const issue = 2;
const rows: Array<{ claim: number; first: number; done: number; starters: number }> = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const l of logs) l.length = 0;
    const now = new Date();
    const at = new Date(Math.ceil((now.getTime() + 2000) / 1000) * 1000);
    await scheduleSend({ store, schedules, sends: delivery.ledger, now }, { issueNumber: issue, at: { at, timeZone: 'UTC' }, scheduledBy: 'bench' });
    for (;;) {
      const send = await delivery.ledger.getSend(issue);
      if (send?.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const schedule = (await schedules.get(issue))!;
    const first = delivery.db.prepare("SELECT min(finished_at) AS at FROM deliveries WHERE issue_number = ? AND state = 'sent'").get(issue) as { at: string };
    const send = (await delivery.ledger.getSend(issue))!;
    rows.push({
      claim: schedule.claimedAt!.getTime() - at.getTime(),
      first: new Date(first.at).getTime() - at.getTime(),
      done: new Date(send.completedAt!).getTime() - at.getTime(),
      starters: logs.filter((l) => l.some((line) => line.startsWith(`schedule: starting the send of issue #${issue}`))).length,
    });
    await Promise.all(running.map((s) => s.scheduler?.idle()));
    // Clear the send, so the next round sends the same issue to the same list again.
    delivery.db.exec(`DELETE FROM deliveries WHERE issue_number = ${issue}; DELETE FROM sends WHERE issue_number = ${issue}; DELETE FROM schedules WHERE issue_number = ${issue};`);
  }
} finally {
  await Promise.all(running.map((s) => s.close()));
  delivery.close();
  fs.rmSync(work, { recursive: true, force: true });
}

const sorted = (k: 'claim' | 'first' | 'done') => rows.map((r) => r[k]).sort((a, b) => a - b);
const p50 = (k: 'claim' | 'first' | 'done') => sorted(k)[Math.floor((rows.length - 1) / 2)]!;
const max = (k: 'claim' | 'first' | 'done') => sorted(k).at(-1)!;
console.log(`Scheduled sends: ${rounds} round(s), ${servers} server(s) on one database, ${subscribers} subscriber(s), outbox transport`);
console.log(`  claimed after its time:        p50 ${p50('claim')} ms, max ${max('claim')} ms`);
console.log(`  first message sent after:      p50 ${p50('first')} ms, max ${max('first')} ms (target ≤ ${target.startMs} ms)`);
console.log(`  whole send done after:         p50 ${p50('done')} ms, max ${max('done')} ms`);
console.log(`  servers that started each send: ${rows.map((r) => r.starters).join(', ')} (must be 1 each)`);
if (rows.some((r) => r.starters !== 1)) process.exitCode = 1;
