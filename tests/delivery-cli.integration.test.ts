// The delivery commands as a newcomer uses them, on the shipped sample dataset in a
// temp data dir: import a CSV with good and bad rows, look at the plan, send to the
// outbox, and open what would have gone out.
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../delivery/sqlite/db.ts';
import { SqliteLedger } from '../delivery/sqlite/sqlite-ledger.ts';
import { SqliteSubscriberStore } from '../delivery/sqlite/sqlite-subscriber-store.ts';
import { verifyUnsubscribeToken } from '../delivery/signing/tokens.ts';
import { addresses, fixedNow, type ScriptedServer, startSmtpServer, type Verdict } from './delivery-kit.ts';
import { hangAfter } from './helpers/hang.ts';
import { runCli } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';

const fixture = path.resolve(import.meta.dirname, 'fixtures/subscribers.csv');

// Each test runs the CLI in child processes, one after another: its limit counts them.
describe('newsdesk subscribers import, then newsdesk send', { timeout: hangAfter(5) }, () => {
  it('sends a test copy with --to: "[Test]" before the subject, a Feedback-ID for the issue, and nothing in the ledger', async () => {
    const dataDir = await makeTempDir('newsdesk-cli-test-copy-');
    const env = { NEWSDESK_DATA_DIR: dataDir };
    const sent = await runCli(['send', '1', '--to', 'editor@example.org'], { env });
    expect(sent.code, sent.stderr).toBe(0);
    const files = fs.readdirSync(path.join(dataDir, 'outbox')).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(1);
    const m = await simpleParser(fs.readFileSync(path.join(dataDir, 'outbox', files[0]!)));
    expect(m.subject).toMatch(/^\[Test\] .*#1: /);
    expect(m.headerLines.find((h) => h.key === 'feedback-id')?.line).toMatch(/^Feedback-ID: 1:[a-z0-9-]+:newsdesk:[a-z0-9.-]+$/);
  });

  it('refuses to send a draft, saying it is one, and a number no issue has', async () => {
    const dataDir = await makeTempDir('newsdesk-cli-draft-');
    const env = { NEWSDESK_DATA_DIR: dataDir };
    // The sample's issue 5 is a draft.
    const draft = await runCli(['send', '5', '--yes'], { env });
    expect(draft.code).toBe(1);
    expect(draft.stderr).toContain('Issue #5 ("Election week") is a draft, not published yet');
    expect(draft.stderr).toContain('Publish it first');
    const none = await runCli(['send', '99', '--to', 'editor@example.org'], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('There is no published issue number 99');
  });

  it('imports the good rows, reports the bad ones by line, and writes one complete .eml per active subscriber to the outbox', async () => {
    const dataDir = await makeTempDir('newsdesk-cli-send-');
    const env = { NEWSDESK_DATA_DIR: dataDir };

    const imported = await runCli(['subscribers', 'import', fixture], { env });
    expect(imported.code).toBe(1);
    expect(imported.stderr).toContain('subscribers.csv:4: email: is not a valid email address');
    expect(imported.stderr).toMatch(/subscribers\.csv:9: email: /);
    expect(imported.stderr).toMatch(/subscribers\.csv:10: state: must be one of pending, active/);
    expect(imported.stdout).toContain('5 new subscriber(s) were added (4 active, 1 unsubscribed)');
    expect(imported.stdout).toContain('1 duplicate row(s) in the file ignored');
    expect(imported.stdout).toContain('3 bad row(s) were skipped');

    const plan = await runCli(['send', '1'], { env });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('Recipients: 4 to send');
    expect(plan.stdout).toContain('Nothing sent. Run again with --yes to send.');
    expect(fs.existsSync(path.join(dataDir, 'outbox'))).toBe(false);

    const sent = await runCli(['send', '1', '--yes'], { env });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('Issue #1: completed. This run: 4 sent, 0 failed');

    const files = fs.readdirSync(path.join(dataDir, 'outbox')).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(4);
    const secret = fs.readFileSync(path.join(dataDir, 'secret'), 'utf8').trim();
    expect(fs.statSync(path.join(dataDir, 'secret')).mode & 0o777).toBe(0o600);
    const recipients: string[] = [];
    for (const file of files) {
      const raw = fs.readFileSync(path.join(dataDir, 'outbox', file));
      const m = await simpleParser(raw);
      const to = (m.to as { value: Array<{ address: string }> }).value[0]!.address;
      recipients.push(to);
      const keys = m.headerLines.map((h) => h.key);
      expect(keys).not.toContain('bcc');
      expect(m.subject).toMatch(/^(?!\[Test\]).*#1: /);
      expect(m.headerLines.find((h) => h.key === 'feedback-id')?.line).toMatch(/^Feedback-ID: 1:[a-z0-9-]+:newsdesk:[a-z0-9.-]+$/);
      expect(m.messageId).toMatch(/^<issue1\.[A-Za-z0-9_-]+@/);
      expect(m.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      const list = m.headers.get('list') as { unsubscribe: { url: string; mail: string }; id: { id: string } };
      expect(list.unsubscribe.mail).toMatch(/\?subject=unsubscribe/);
      expect(list.id.id).toBeTruthy();
      const token = new URL(list.unsubscribe.url).searchParams.get('token')!;
      expect(verifyUnsubscribeToken(token, secret)).toBeDefined();
      expect(m.text).toContain(list.unsubscribe.url);
      expect(m.html).toContain(list.unsubscribe.url);
      expect(`${m.text}${m.html}`).not.toContain('{{newsdesk:');
      expect(raw.toString()).toMatch(/Content-Type: multipart\/alternative/);
    }
    expect(recipients.sort()).toEqual(['ada@example.org', 'grace@example.org', 'mallory@example.org', 'margaret@example.org']);

    const sends = await runCli(['sends'], { env });
    expect(sends.stdout).toMatch(/^1\s+completed\s+4\s+0\s+0\s+0\s+0/m);
  });

  it('exports CSV that imports back with the same states, unsubscribes included', async () => {
    const first = await makeTempDir('newsdesk-cli-export-');
    const second = await makeTempDir('newsdesk-cli-reimport-');
    await runCli(['subscribers', 'import', fixture], { env: { NEWSDESK_DATA_DIR: first } });
    const exportFile = path.join(first, 'export.csv');
    const exported = await runCli(['subscribers', 'export', '--out', exportFile], { env: { NEWSDESK_DATA_DIR: first } });
    expect(exported.stdout).toContain('Wrote 5 subscriber(s)');
    const reimported = await runCli(['subscribers', 'import', exportFile], { env: { NEWSDESK_DATA_DIR: second } });
    expect(reimported.code, reimported.stderr).toBe(0);
    const states = async (dir: string) => {
      const db = openDatabase(path.join(dir, 'newsdesk.db'));
      const store = new SqliteSubscriberStore(db);
      const out: string[] = [];
      for await (const s of store.iterate()) out.push(`${s.email} ${s.state} ${s.name ?? ''}`);
      db.close();
      return out;
    };
    expect(await states(second)).toEqual(await states(first));
    expect(await states(second)).toContain('linus@example.org unsubscribed ');
    expect(await new SqliteLedger(openDatabase(path.join(second, 'newsdesk.db'))).listSends()).toEqual([]);
  });
});

describe('subscriber lists from people and spreadsheets', { timeout: hangAfter(5) }, () => {
  it('treats an address in any letter case as one subscriber: remove, import and stats all agree', async () => {
    const dataDir = await makeTempDir('newsdesk-cli-case-');
    const env = { NEWSDESK_DATA_DIR: dataDir };
    expect((await runCli(['subscribers', 'add', 'Carol@x.org'], { env })).code).toBe(0);
    const removed = await runCli(['subscribers', 'remove', 'carol@X.ORG'], { env });
    expect(removed.code, removed.stderr).toBe(0);
    const csv = path.join(dataDir, 'again.csv');
    fs.writeFileSync(csv, 'email\ncarol@x.org\nCAROL@x.org\n');
    const imported = await runCli(['subscribers', 'import', csv], { env });
    expect(imported.stdout).toContain('1 unsubscribed/bounced/complained address(es) left as they are');
    expect(imported.stdout).toContain('1 duplicate row(s) in the file ignored');
    const stats = await runCli(['subscribers', 'stats'], { env });
    expect(stats.stdout).toMatch(/active\s+0/);
    expect(stats.stdout).toMatch(/unsubscribed\s+1/);
    expect(stats.stdout).toContain('1 in total');
  });

  it('exports a name that is a spreadsheet formula as text, and imports it back unchanged', async () => {
    const first = await makeTempDir('newsdesk-cli-formula-');
    const second = await makeTempDir('newsdesk-cli-formula-back-');
    const formula = '=HYPERLINK("http://evil.example","x")';
    const csv = path.join(first, 'in.csv');
    fs.writeFileSync(csv, `email,name\nmallory@example.org,"${formula.replaceAll('"', '""')}"\nplain@example.org,-5\n`);
    await runCli(['subscribers', 'import', csv], { env: { NEWSDESK_DATA_DIR: first } });
    const out = path.join(first, 'out.csv');
    await runCli(['subscribers', 'export', '--out', out], { env: { NEWSDESK_DATA_DIR: first } });
    const exported = fs.readFileSync(out, 'utf8');
    expect(exported).toContain(`mallory@example.org,"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(exported).toContain("plain@example.org,'-5,");
    expect(exported).not.toMatch(/,=HYPERLINK/);
    expect((await runCli(['subscribers', 'export', '--help'])).stdout).toContain('spreadsheets do not run them as formulas');
    await runCli(['subscribers', 'import', out], { env: { NEWSDESK_DATA_DIR: second } });
    const db = openDatabase(path.join(second, 'newsdesk.db'));
    const store = new SqliteSubscriberStore(db);
    expect([(await store.get('mallory@example.org'))?.name, (await store.get('plain@example.org'))?.name]).toEqual([formula, '-5']);
    db.close();
  });

  it('refuses a row that is not UTF-8 with its line number instead of importing mangled text', async () => {
    const dataDir = await makeTempDir('newsdesk-cli-utf8-');
    const csv = path.join(dataDir, 'latin1.csv');
    fs.writeFileSync(csv, Buffer.concat([Buffer.from('email,name\nada@example.org,Ada\nzoe@example.org,Zo'), Buffer.from([0xeb]), Buffer.from('\n')]));
    const imported = await runCli(['subscribers', 'import', csv], { env: { NEWSDESK_DATA_DIR: dataDir } });
    expect(imported.code).toBe(1);
    expect(imported.stderr).toContain('latin1.csv:3: name: is not valid UTF-8');
    expect(imported.stdout).toContain('1 new subscriber(s) were added');
  });
});

describe('sending over SMTP from the command line', { timeout: hangAfter(2) }, () => {
  let server: ScriptedServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function aListAndRelay(count: number, script: Parameters<typeof startSmtpServer>[0]) {
    const dataDir = await makeTempDir('newsdesk-cli-smtp-');
    const db = openDatabase(path.join(dataDir, 'newsdesk.db'));
    const store = new SqliteSubscriberStore(db);
    const list = addresses(count);
    for (const email of list) store.add({ email }, 'active', { actor: 'test', now: fixedNow });
    db.close();
    server = await startSmtpServer(script);
    return { list, server, env: { NEWSDESK_DATA_DIR: dataDir, NEWSDESK_SECRET: 'cli-smtp-secret-0123456789', SMTP_URL: server.url, NEWSDESK_SEND_RATE: '1000' } };
  }

  it('goes on through a quarter of deliveries deferred once (greylisting), with the default auto-pause, and delivers each exactly once', async () => {
    const { list, server, env } = await aListAndRelay(60, {
      onMessage: (to, before): Verdict => (before === 0 && Number(/(\d+)@/.exec(to)![1]) % 4 === 0 ? { code: 451, message: '4.7.1 Greylisted, try again later' } : 'accept'),
    });
    const sent = await runCli(['send', '1', '--yes'], { env });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain('Issue #1: completed. This run: 60 sent, 0 failed (0 bounced), 15 retries.');
    for (const email of list) expect(server.copiesTo(email)).toBe(1);
  });

  it('runs one send of an issue at a time: a second one started alongside is refused, naming the process that holds it', async () => {
    // The relay holds its first reply until the second send has given up, so the first
    // holds the send throughout however slowly either process starts.
    let firstArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (firstArrived = resolve));
    let releaseRelay!: () => void;
    const released = new Promise<void>((resolve) => (releaseRelay = resolve));
    const { list, server, env } = await aListAndRelay(20, {
      onMessage: async () => {
        firstArrived();
        await released;
        return 'accept' as const;
      },
    });
    const sendEnv = { ...env, NEWSDESK_SEND_CONCURRENCY: '2' };
    const first = runCli(['send', '1', '--yes'], { env: sendEnv });
    const endedEarly = first.then((r) => {
      throw new Error(`the first send ended before its first message: ${r.stderr}`);
    });
    endedEarly.catch(() => undefined);
    await Promise.race([arrived, endedEarly]);
    const second = await runCli(['send', '1', '--yes'], { env: sendEnv });
    releaseRelay();
    const winner = await first;
    expect(winner.code, winner.stderr).toBe(0);
    expect(winner.stdout).toContain('Issue #1: completed. This run: 20 sent');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/Issue #1 is already being sent by process \d+ on /);
    for (const email of list) expect(server.copiesTo(email)).toBe(1);
  });
});
