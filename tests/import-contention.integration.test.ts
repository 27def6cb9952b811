// A 100,000-row subscriber import (the real CLI, in its own process) running against
// the same database as the server and a send: one-click unsubscribes keep succeeding
// and the send finishes, because the import writes in short transactions and every
// other writer waits its turn instead of failing. 100,000 rows are 400 of the import's
// transactions, as many as the unsubscribes below need to fall between them; the
// 275,000-row import, with its latency, is `npm run bench:subscribers`'s (not asserted here).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpTransport } from '../delivery/transports/smtp-transport.ts';
import { createUnsubscribeToken } from '../delivery/signing/tokens.ts';
import { addresses, fixedNow, type ScriptedServer, sendIssueWith, sqliteDbOf, startSmtpServer } from './delivery-kit.ts';
import { hangMs } from './helpers/hang.ts';
import { runCli } from './helpers/run-cli.ts';
import { startTestServer, tokenSecret, type TestServer } from './server-kit.ts';

let server: TestServer | undefined;
let relay: ScriptedServer | undefined;
let transport: SmtpTransport | undefined;
afterEach(async () => {
  await transport?.close();
  await relay?.close();
  await server?.close();
  server = relay = transport = undefined;
});

/** A CSV of `rows` new people, written as a stream. */
async function aLargeCsv(file: string, rows: number): Promise<void> {
  const out = fs.createWriteStream(file);
  out.write('email,name,company\n');
  for (let i = 0; i < rows; i++) {
    if (!out.write(`person-${i}@imported.example,Person ${i},Company ${i % 997}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

const imports = 100_000;

describe('a large import beside the server and a send', () => {
  it('keeps one-click unsubscribes answering 200 and lets a running send finish while 100,000 rows are imported', { timeout: 4 * hangMs }, async () => {
    server = await startTestServer({ build: false });
    const readers = addresses(120);
    for (const email of readers) await server.delivery.subscribers.add({ email }, 'active', { actor: 'test', now: fixedNow });
    const csv = path.join(server.dir, 'everyone.csv');
    await aLargeCsv(csv, imports);

    // Imported as pending (double opt-in), so the send's list stays the readers above.
    const importing = runCli(['subscribers', 'import', csv, '--pending'], { env: { NEWSDESK_DATA_DIR: server.config.dataDir, NEWSDESK_SECRET: tokenSecret } });
    let imported: Awaited<typeof importing> | undefined;
    void importing.then((r) => (imported = r));
    const count = sqliteDbOf(server.delivery).prepare('SELECT count(*) AS n FROM subscribers');
    const rows = () => (count.get() as { n: number }).n;
    /** Until the import has written `n` rows or ended, looking every 20 ms. */
    const importedRows = async (n: number) => {
      while (rows() < n && !imported) await new Promise((r) => setTimeout(r, 20));
    };
    await importedRows(5_000);

    relay = await startSmtpServer();
    transport = new SmtpTransport({ url: relay.url, maxConnections: 2, timeoutMs: hangMs });
    // Slow enough that the send runs alongside the import rather than before it.
    const sending = sendIssueWith(server.delivery, transport, { issue: 1, rate: 40, concurrency: 2 });

    const answers: Array<{ email: string; status: number; whileImporting: boolean }> = [];
    for (const email of readers) {
      if (imported) break;
      const token = createUnsubscribeToken((await server.delivery.subscribers.get(email))!.token, tokenSecret);
      const response = await fetch(`${server.url}/unsubscribe?token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      answers.push({ email, status: response.status, whileImporting: imported === undefined });
      // The next one once the import has written another 2,000 rows (eight of its
      // transactions): spread over the import however fast either side runs.
      await importedRows(rows() + 2_000);
    }
    const result = await importing;
    const sent = await sending;

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${imports} new subscriber(s) were added (${imports} pending)`);
    // The unsubscribes really ran while the import was writing.
    expect(answers.filter((a) => a.whileImporting).length).toBeGreaterThan(20);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    for (const { email } of answers) expect((await server.delivery.subscribers.get(email))?.state).toBe('unsubscribed');

    expect(sent.status).toBe('completed');
    expect(sent.counts.sent + sent.counts.skipped).toBe(readers.length);
    for (const email of readers) expect(relay.copiesTo(email)).toBeLessThanOrEqual(1);
    expect(relay.received).toHaveLength(sent.counts.sent);
    expect((await server.delivery.subscribers.stats()).total).toBe(imports + readers.length);
  });
});
