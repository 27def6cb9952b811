import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyDeliveryStatus, parseFieldBlocks, readMailboxReport } from './bounce-report.ts';

const fixtures = path.resolve(import.meta.dirname, '../../tests/fixtures/bounces');
const values = {
  'return-path': 'bounces+mfrggzdfmztwq2lknnwg23tpobyxe43u@bounce.news.example.org',
  recipient: 'marta@example.org',
  'message-id': '<issue7.AbC123@news.example.org>',
  subject: 'Ecosystem Tracker #7: Lockfiles everywhere',
};

function fixture(name: string): Buffer {
  let text = fs.readFileSync(path.join(fixtures, name), 'utf8');
  for (const [key, value] of Object.entries(values)) text = text.replaceAll(`{{${key}}}`, value);
  return Buffer.from(text);
}

describe('reading delivery status notifications', () => {
  it("reads Postfix's report of an unknown user as a hard bounce, with the status, diagnostic and the clues to its delivery", async () => {
    const report = await readMailboxReport(fixture('postfix-user-unknown.eml'));
    expect(report).toMatchObject({ type: 'dsn', reporter: 'relay.news.example.org', reportId: '<20260314090112.4Vq2sT1kQzz9sRT@relay.news.example.org>' });
    if (report.type !== 'dsn') throw new Error('not a DSN');
    expect(report.outcomes).toEqual([
      { kind: 'hard', recipient: 'marta@example.org', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 <marta@example.org>: Recipient address rejected: User unknown in virtual mailbox table' },
    ]);
    expect(report.clues.returnPaths).toContain(values['return-path']);
    expect(report.clues.messageIds).toContain(values['message-id']);
  });

  it("reads Exchange's RecipientNotFound (5.1.10) as hard and Gmail's full inbox (5.2.2) as soft", async () => {
    const exchange = await readMailboxReport(fixture('exchange-recipient-not-found.eml'));
    expect(exchange).toMatchObject({ type: 'dsn', outcomes: [{ kind: 'hard', status: '5.1.10', recipient: 'marta@example.org' }] });
    const gmail = await readMailboxReport(fixture('gmail-over-quota.eml'));
    expect(gmail).toMatchObject({ type: 'dsn', reporter: 'googlemail.com', outcomes: [{ kind: 'soft', status: '5.2.2' }] });
    if (gmail.type !== 'dsn') throw new Error('not a DSN');
    expect(gmail.outcomes[0]!.diagnostic).toMatch(/^smtp; 552-5\.2\.2 The recipient's inbox is out of storage space\. Please direct/);
  });

  it('sorts statuses: bad addresses are hard, passing failures soft, delays and successes no bounce', () => {
    expect(classifyDeliveryStatus('failed', '5.1.1')).toBe('hard');
    expect(classifyDeliveryStatus('failed', '5.4.4')).toBe('hard');
    expect(classifyDeliveryStatus('failed', '5.7.1')).toBe('soft');
    expect(classifyDeliveryStatus('failed', '4.4.7')).toBe('soft');
    expect(classifyDeliveryStatus('delayed', '4.4.1')).toBe('delayed');
    expect(classifyDeliveryStatus('delivered', '2.0.0')).toBe('delivered');
  });
});

describe('reading feedback-loop complaints', () => {
  it('reads an ARF abuse report with the original message, and one with only its headers, as complaints', async () => {
    const yahoo = await readMailboxReport(fixture('yahoo-complaint.eml'));
    expect(yahoo).toMatchObject({ type: 'arf', outcomes: [{ kind: 'complaint', feedbackType: 'abuse', recipient: 'marta@example.org' }] });
    if (yahoo.type !== 'arf') throw new Error('not ARF');
    expect(yahoo.clues.returnPaths).toContain(`<${values['return-path']}>`);
    expect(yahoo.clues.messageIds).toEqual([values['message-id']]);
    const headersOnly = await readMailboxReport(fixture('headers-only-complaint.eml'));
    expect(headersOnly).toMatchObject({ type: 'arf', clues: { returnPaths: [values['return-path']], messageIds: [] } });
  });
});

describe('what is neither', () => {
  it('says why an automatic reply is no report', async () => {
    expect(await readMailboxReport(fixture('out-of-office.eml'))).toMatchObject({ type: 'unrecognised', reason: expect.stringContaining('automatic reply') });
  });

  it('gives the same fingerprint to the same report read twice, and another to another report', async () => {
    const a = await readMailboxReport(fixture('postfix-user-unknown.eml'));
    const b = await readMailboxReport(fixture('postfix-user-unknown.eml'));
    const c = await readMailboxReport(fixture('gmail-over-quota.eml'));
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).not.toBe(c.fingerprint);
  });

  it('unfolds continuation lines and keeps the first of repeated fields', () => {
    expect(parseFieldBlocks('A: one\n  two\nA: three\n\nB: x')).toEqual([new Map([['a', 'one two']]), new Map([['b', 'x']])]);
  });
});
