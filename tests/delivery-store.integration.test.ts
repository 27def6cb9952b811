// The SQLite subscriber store, ledger and outbox on real files in temp folders.
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../delivery/db.ts';
import { composeIssueMessage } from '../delivery/message.ts';
import { OutboxTransport } from '../delivery/outbox-transport.ts';
import { resolveSecret } from '../delivery/secret.ts';
import { SqliteLedger } from '../delivery/sqlite-ledger.ts';
import { SqliteSubscriberStore } from '../delivery/sqlite-subscriber-store.ts';
import { aDeliveryDb, addresses, aMessageContext, aRenderedEmail, fixedNow } from './delivery-kit.ts';
import { makeTempDir } from './helpers/temp.ts';

const by = { actor: 'import:list.csv', now: fixedNow };
const row = (email: string, line = 2, extra: { state?: 'unsubscribed' | 'bounced' | 'complained' } = {}) => ({ email, line, ...extra });

describe('importing subscribers', () => {
  it('never re-activates an address that unsubscribed, bounced or complained', async () => {
    const { subscribers } = await aDeliveryDb(['left@example.org', 'bounced@example.org', 'angry@example.org']);
    subscribers.unsubscribe('left@example.org', { actor: 'subscriber', now: fixedNow });
    subscribers.setState(subscribers.get('bounced@example.org')!.id, 'bounced', { actor: 'send:issue-1', now: fixedNow });
    subscribers.setState(subscribers.get('angry@example.org')!.id, 'complained', { actor: 'fbl', now: fixedNow });

    const report = subscribers.import([row('left@example.org'), row('bounced@example.org'), row('angry@example.org')], {
      state: 'active',
      source: 'import:list.csv',
      dryRun: false,
      by,
    });
    expect(report.counts.suppressed).toBe(3);
    expect(subscribers.get('left@example.org')?.state).toBe('unsubscribed');
    expect(subscribers.get('bounced@example.org')?.state).toBe('bounced');
    expect(subscribers.get('angry@example.org')?.state).toBe('complained');
  });

  it('activates pending addresses, adds new ones, de-duplicates, and records who did it in the history', async () => {
    const { subscribers } = await aDeliveryDb([]);
    subscribers.add({ email: 'waiting@example.org' }, 'pending', { actor: 'subscriber', now: fixedNow });
    const report = subscribers.import([row('waiting@example.org', 2), row('new@example.org', 3), row('new@example.org', 4)], { state: 'active', source: 'import:list.csv', dryRun: false, by });
    expect(report.counts).toMatchObject({ activated: 1, added: 1, duplicate: 1 });
    const waiting = subscribers.get('waiting@example.org')!;
    expect(subscribers.history(waiting.id).map((e) => [e.from, e.to, e.actor])).toEqual([
      [undefined, 'pending', 'subscriber'],
      ['pending', 'active', 'import:list.csv'],
    ]);
  });

  it('with --pending adds new addresses as pending, and a dry run changes nothing', async () => {
    const { subscribers } = await aDeliveryDb([]);
    const dry = subscribers.import([row('a@example.org')], { state: 'pending', source: 's', dryRun: true, by });
    expect(dry.counts.added).toBe(1);
    expect(subscribers.get('a@example.org')).toBeUndefined();
    subscribers.import([row('a@example.org')], { state: 'pending', source: 's', dryRun: false, by });
    expect(subscribers.get('a@example.org')?.state).toBe('pending');
  });

  it('moves an existing active address into a suppressed state the file gives it', async () => {
    const { subscribers } = await aDeliveryDb(['moving@example.org']);
    const report = subscribers.import([row('moving@example.org', 2, { state: 'unsubscribed' })], { state: 'active', source: 's', dryRun: false, by });
    expect(report.counts['newly-suppressed']).toBe(1);
    expect(subscribers.get('moving@example.org')?.state).toBe('unsubscribed');
  });
});

describe('the delivery database', () => {
  it('keeps the state history append-only', async () => {
    const { db } = await aDeliveryDb(['a@example.org']);
    expect(() => db.exec("UPDATE subscriber_events SET actor = 'someone else'")).toThrow(/append-only/);
  });

  it('opens an existing file again without re-running migrations, in WAL mode', async () => {
    const { file, db } = await aDeliveryDb(['a@example.org']);
    db.close();
    const again = openDatabase(file);
    expect(again.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(again.prepare('SELECT count(*) AS n FROM schema_migrations').get()).toEqual({ n: 1 });
    expect(again.prepare('SELECT count(*) AS n FROM subscribers').get()).toEqual({ n: 1 });
  });

  it('never hands the same delivery to two senders claiming from separate connections', async () => {
    const { file, ledger } = await aDeliveryDb(addresses(50));
    ledger.startSend(1, 'Subject', 'test', fixedNow);
    ledger.enqueueActive(1, fixedNow, 7);
    const other = new SqliteLedger(openDatabase(file));
    const claimed: number[] = [];
    for (;;) {
      const a = await ledger.claim(1, 3, fixedNow);
      const b = await other.claim(1, 4, fixedNow);
      if (a.length === 0 && b.length === 0) break;
      claimed.push(...a.map((r) => r.subscriberId), ...b.map((r) => r.subscriberId));
    }
    expect(claimed).toHaveLength(50);
    expect(new Set(claimed).size).toBe(50);
  });

  it('records a confirmation nonce once and refuses it the second time', async () => {
    const { subscribers } = await aDeliveryDb([]);
    expect(subscribers.consumeConfirmNonce('n-1', fixedNow)).toBe(true);
    expect(subscribers.consumeConfirmNonce('n-1', fixedNow)).toBe(false);
  });
});

describe('the secret', () => {
  it('is generated once into the data dir with mode 0600 and reused after', async () => {
    const dataDir = await makeTempDir();
    const first = resolveSecret({ secret: undefined, dataDir });
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(path.join(dataDir, 'secret')).mode & 0o777).toBe(0o600);
    expect(resolveSecret({ secret: undefined, dataDir })).toBe(first);
    expect(resolveSecret({ secret: 'from-the-environment-1234', dataDir })).toBe('from-the-environment-1234');
  });
});

describe('the outbox transport', () => {
  it('writes each message as an .eml file a mail reader can open', async () => {
    const dir = path.join(await makeTempDir(), 'outbox');
    const outbox = new OutboxTransport({ dir });
    const message = composeIssueMessage(aRenderedEmail(), { email: 'reader@example.org', name: 'Reader', token: 'EEEEEEEEEEEEEEEEEEEEEE' }, aMessageContext());
    const result = await outbox.send(message);
    const files = fs.readdirSync(dir);
    expect(files).toEqual([path.basename(outbox.fileFor(message.messageId))]);
    expect(result.response).toContain(files[0]);
    const parsed = await simpleParser(fs.readFileSync(path.join(dir, files[0]!)));
    expect(parsed.messageId).toBe(message.messageId);
    expect(parsed.text).toContain('Hello reader@example.org');
    expect(parsed.html).toContain('Hello reader@example.org');
  });
});
