// `newsdesk bounces process` on real-shaped reports about a real send: Postfix,
// Exchange and Gmail notifications and Yahoo and JMRP complaints, written to an mbox
// and a Maildir. Subscriber states and their history (with the evidence) change as
// the reports say; forged, misdirected and replayed reports change nothing; what is no
// report is kept aside with the reason.
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { BounceProcessor } from '../delivery/bounces/bounce-processor.ts';
import { openDatabase } from '../delivery/sqlite/db.ts';
import { readMailbox } from '../delivery/bounces/mailbox-reader.ts';
import { returnPathFor } from '../delivery/signing/return-path.ts';
import { SqliteBounceStore } from '../delivery/sqlite/sqlite-bounce-store.ts';
import { SqliteSubscriberStore } from '../delivery/sqlite/sqlite-subscriber-store.ts';
import { aReport, bounceAddress, secret, sendToOutbox, writeMaildir, writeMbox } from './bounce-kit.ts';
import { aDeliveryDb } from './delivery-kit.ts';
import { bouncesCommand } from '../scripts/bounces.ts';
import { sendsCommand } from '../scripts/sends.ts';
import { subscribersCommand } from '../scripts/subscribers.ts';
import { runCli } from './helpers/run-cli.ts';
import { runCommand } from './helpers/run-command.ts';

const env = (file: string, dir: string) => ({ NEWSDESK_DATA_DIR: dir, NEWSDESK_DB: file, NEWSDESK_SECRET: secret });

function reopen(file: string) {
  const db = openDatabase(file);
  const subscribers = new SqliteSubscriberStore(db);
  return { db, subscribers, bounces: new SqliteBounceStore(db, subscribers) };
}

describe('processing the bounce mailbox', () => {
  it('applies hard bounces, soft bounces and complaints from an mbox, keeps the rest aside, and a second run changes nothing', async () => {
    const readers = ['marta@example.org', 'ines@example.org', 'gus@example.org', 'yuki@example.org', 'pat@example.org', 'calm@example.org'];
    const delivery = await aDeliveryDb(readers);
    const sent = await sendToOutbox(delivery, 7);
    const about = (email: string) => sent.get(email)!;
    const calmId = (await delivery.subscribers.get('calm@example.org'))!.id;
    // Reports about calm@ that no real send caused, each with its own report id.
    const madeUp = (about: Parameters<typeof aReport>[1], id: string) => Buffer.from(aReport('postfix-user-unknown.eml', about).toString().replace('4Vq2sT1kQzz9sRT@', `${id}@`));
    const forged = madeUp({ ...about('calm@example.org'), 'return-path': `bounces+${'k'.repeat(26)}@bounce.news.example.org`, 'message-id': '<issue7.made-up@news.example.org>' }, 'forged1');
    const neverSent = madeUp({ ...about('calm@example.org'), 'return-path': returnPathFor({ issue: 99, subscriberId: calmId }, bounceAddress, secret), 'message-id': '<issue99.unknown@news.example.org>' }, 'stale1');
    const mbox = path.join(delivery.dir, 'bounces.mbox');
    writeMbox(mbox, [
      aReport('postfix-user-unknown.eml', about('marta@example.org')),
      aReport('exchange-recipient-not-found.eml', about('ines@example.org')),
      aReport('gmail-over-quota.eml', about('gus@example.org')),
      aReport('yahoo-complaint.eml', about('yuki@example.org')),
      aReport('headers-only-complaint.eml', about('pat@example.org')),
      aReport('out-of-office.eml', about('calm@example.org')),
      forged,
      neverSent,
    ]);
    delivery.db.close();

    const first = await runCli(['bounces', 'process', mbox], { env: env(delivery.file, delivery.dir) });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('bounces.mbox#1: bounced marta@example.org (issue #7): hard bounce: 5.1.1 smtp; 550 5.1.1');
    expect(first.stdout).toContain('8 message(s) read from');
    expect(first.stdout).toContain('2 bounced, 2 complained, 1 counted, 3 set-aside');

    const { db, subscribers, bounces } = reopen(delivery.file);
    const state = async (email: string) => (await subscribers.get(email))!.state;
    expect(await Promise.all(readers.map(async (r) => [r, await state(r)]))).toEqual([
      ['marta@example.org', 'bounced'],
      ['ines@example.org', 'bounced'],
      ['gus@example.org', 'active'],
      ['yuki@example.org', 'complained'],
      ['pat@example.org', 'complained'],
      ['calm@example.org', 'active'],
    ]);
    const last = async (email: string) => (await subscribers.history((await subscribers.get(email))!.id)).at(-1)!;
    expect(await last('marta@example.org')).toMatchObject({
      from: 'active',
      to: 'bounced',
      actor: 'bounce:mailbox:bounces.mbox',
      evidence: {
        issue: 7,
        status: '5.1.1',
        diagnostic: expect.stringContaining('User unknown in virtual mailbox table'),
        source: 'mailbox:bounces.mbox',
        report: '<20260314090112.4Vq2sT1kQzz9sRT@relay.news.example.org>',
      },
    });
    expect((await last('ines@example.org')).evidence).toMatchObject({ issue: 7, status: '5.1.10', diagnostic: expect.stringContaining('RESOLVER.ADR.RecipientNotFound') });
    expect(await last('yuki@example.org')).toMatchObject({ to: 'complained', actor: 'complaint:mailbox:bounces.mbox', evidence: { issue: 7, feedbackType: 'abuse', diagnostic: 'abuse report by Yahoo!-Mail-Feedback/2.0' } });
    expect(await subscribers.history((await subscribers.get('calm@example.org'))!.id)).toHaveLength(1);
    expect(await bounces.countsFor(7)).toEqual({ hard: 2, soft: 1, complained: 2 });
    const aside = await bounces.listSetAside();
    expect(aside.map((a) => a.reason)).toEqual([
      'its return path names issue #99 to subscriber #6, but no such message was sent',
      "it carries a delivery token that was not made with this newsletter's secret (forged or damaged)",
      'an automatic reply (out of office or similar), not a delivery report',
    ]);
    expect(aside[1]!.raw.toString()).toContain('issue7.made-up@news.example.org');
    const eventsBefore = db.prepare('SELECT count(*) AS n FROM subscriber_events').get();
    db.close();

    // The rest in this process (the same commands, without a process each).
    const again = await runCommand(bouncesCommand, ['process', mbox], { env: env(delivery.file, delivery.dir) });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('8 message(s) read from');
    expect(again.stdout).toContain(': 8 duplicate.');
    const after = reopen(delivery.file);
    expect(after.db.prepare('SELECT count(*) AS n FROM subscriber_events').get()).toEqual(eventsBefore);
    expect(await after.bounces.countsFor(7)).toEqual({ hard: 2, soft: 1, complained: 2 });
    after.db.close();

    const listed = await runCommand(bouncesCommand, ['aside', '--out', path.join(delivery.dir, 'aside')], { env: env(delivery.file, delivery.dir) });
    expect(listed.stdout).toContain('an automatic reply (out of office or similar)');
    expect(fs.readdirSync(path.join(delivery.dir, 'aside'))).toHaveLength(3);

    const report = await runCommand(sendsCommand, ['7', '--json'], { env: env(delivery.file, delivery.dir) });
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ issue: 7, status: 'completed', sent: 6, delivered: 3, bounced: { hard: 2, soft: 1 }, complained: 2, failed: 0, unknown: 0 });

    const history = await runCommand(subscribersCommand, ['history', 'marta@example.org'], { env: env(delivery.file, delivery.dir) });
    expect(history.stdout).toMatch(/active → bounced {2}by bounce:mailbox:bounces\.mbox: hard bounce: 5\.1\.1 smtp; 550 5\.1\.1/);
    expect(history.stdout).toMatch(/evidence: issue=7; status=5\.1\.1; diagnostic=smtp; 550 .*; source=mailbox:bounces\.mbox; report=<20260314090112\.4Vq2sT1kQzz9sRT@relay\.news\.example\.org>/);

    const stats = await runCommand(subscribersCommand, ['stats'], { env: env(delivery.file, delivery.dir) });
    expect(stats.stdout).toMatch(/#7\s+6\s+2\s+33\.33%\s+2\s+33\.33%/);
    expect(stats.stdout).toContain('warning: the complaint rate 33.33% is above 0.30%');
    expect(stats.stdout).toContain('warning: the bounce rate 33.33% is above 2.00%');
  });

  it('makes an address bounced after soft bounces in three of its last five sends, counting one per issue, and marks each Maildir message seen', async () => {
    const delivery = await aDeliveryDb(['gus@example.org', 'calm@example.org']);
    const sends = new Map<number, Awaited<ReturnType<typeof sendToOutbox>>>();
    for (const issue of [7, 8, 9]) sends.set(issue, await sendToOutbox(delivery, issue));
    // Each report Gmail sends has its own Message-ID.
    const soft = (issue: number, copy = 'first') =>
      Buffer.from(aReport('gmail-over-quota.eml', sends.get(issue)!.get('gus@example.org')!).toString().replace('<67d3f0a0.5d0a0220.1c8a2f.4e21.GMR@mx.google.com>', `<gmr-${issue}-${copy}@mx.google.com>`));
    const maildir = path.join(delivery.dir, 'Maildir');
    // Issue 7 bounced twice (a retry's report), then issue 8: two issues, not yet three.
    writeMaildir(maildir, [soft(7), soft(7, 'second-report'), soft(8)]);
    // The first pass in this process, through the same reader and processor the command uses.
    const processor = new BounceProcessor({ store: new SqliteBounceStore(delivery.db, delivery.subscribers), secret, softLimit: { bounces: 3, sends: 5 }, now: () => new Date() });
    const results = [];
    for await (const message of readMailbox(maildir)) {
      results.push(...(await processor.processMessage(message.raw, 'mailbox:Maildir')));
      await message.done();
    }
    delivery.db.close();
    // The second report of issue 7's soft bounce reports nothing new: it counts once.
    expect(results.map((r) => r.outcome)).toEqual(['counted', 'duplicate', 'counted']);
    expect(results[2]!.detail).toContain('2 soft bounce(s) within the last 5 send(s)');
    expect(fs.readdirSync(path.join(maildir, 'new'))).toEqual([]);
    expect(fs.readdirSync(path.join(maildir, 'cur')).every((f) => f.endsWith(':2,S'))).toBe(true);

    writeMaildir(maildir, [soft(9)]);
    const second = await runCli(['bounces', 'process', maildir], { env: env(delivery.file, delivery.dir) });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/new\/1773478872\.M0P4242\.mx1: bounced gus@example\.org \(issue #9\): 3 soft bounces within the last 5 sends \(issues #7, #8, #9\)/);
    expect(second.stdout).toContain('3 duplicate');
    const { db, subscribers } = reopen(delivery.file);
    const gus = (await subscribers.get('gus@example.org'))!;
    expect(gus.state).toBe('bounced');
    expect((await subscribers.history(gus.id)).at(-1)!.evidence).toMatchObject({ issue: 9, status: '5.2.2', softBounceIssues: [7, 8, 9] });
    expect((await subscribers.get('calm@example.org'))!.state).toBe('active');
    db.close();
  });

  it('applies a real hard bounce that arrives after junk with the same Message-ID, keeps the junk aside, and counts a second report of the same bounce once', async () => {
    const delivery = await aDeliveryDb(['marta@example.org', 'calm@example.org']);
    const sent = await sendToOutbox(delivery, 7);
    const bounce = aReport('postfix-user-unknown.eml', sent.get('marta@example.org')!);
    const reportId = '<20260314090112.4Vq2sT1kQzz9sRT@relay.news.example.org>';
    // Anyone can send to the bounce address, with whatever Message-ID they like.
    const junk = Buffer.from(
      ['From: someone@elsewhere.example', `To: ${bounceAddress}`, 'Subject: hello', `Message-ID: ${reportId}`, 'Date: Sat, 14 Mar 2026 08:59:00 +0000', '', 'Not a report at all.', ''].join('\r\n'),
    );
    // The same bounce again, as another relay on the way reported it (its own Message-ID).
    const sameBounceAgain = Buffer.from(bounce.toString().replace(reportId, '<second-relay.7781@mx2.relay.example>'));
    const mbox = path.join(delivery.dir, 'bounces.mbox');
    writeMbox(mbox, [junk, bounce, sameBounceAgain]);
    delivery.db.close();

    const run = await runCli(['bounces', 'process', mbox], { env: env(delivery.file, delivery.dir) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('bounces.mbox#2: bounced marta@example.org (issue #7)');
    expect(run.stdout).toContain('1 bounced, 1 duplicate, 1 set-aside');
    const { db, subscribers, bounces } = reopen(delivery.file);
    const marta = (await subscribers.get('marta@example.org'))!;
    expect(marta.state).toBe('bounced');
    expect((await subscribers.history(marta.id)).at(-1)).toMatchObject({ to: 'bounced', evidence: { issue: 7, status: '5.1.1', report: reportId } });
    expect(await bounces.countsFor(7)).toEqual({ hard: 1, soft: 0, complained: 0 });
    const aside = await bounces.listSetAside();
    expect(aside.map((a) => a.reason)).toEqual(['neither a delivery status notification (RFC 3464) nor a feedback report (RFC 5965)']);
    expect(aside[0]!.raw.toString()).toContain('Not a report at all.');
    expect((await subscribers.get('calm@example.org'))!.state).toBe('active');
    db.close();
  });

  it('applies unsubscribe requests sent to the List-Unsubscribe mailto from the same mailbox, with the mail as evidence; a forged or missing token changes nothing and is kept aside', async () => {
    const delivery = await aDeliveryDb(['leaving@example.org', 'calm@example.org']);
    await sendToOutbox(delivery, 7);
    // What a mail program makes of the issue's mailto: the address and the subject it names.
    const outbox = path.join(delivery.dir, 'outbox-7');
    const mailtoOf = async (email: string) => {
      for (const file of fs.readdirSync(outbox)) {
        const parsed = await simpleParser(fs.readFileSync(path.join(outbox, file)));
        if (parsed.to && !Array.isArray(parsed.to) && parsed.to.value[0]?.address === email) {
          const list = parsed.headers.get('list') as { unsubscribe: { mail: string } };
          const url = new URL(`mailto:${list.unsubscribe.mail}`);
          return { to: url.pathname, subject: url.searchParams.get('subject')! };
        }
      }
      throw new Error(`no message to ${email}`);
    };
    const mail = (from: string, to: string, subject: string, id: string) =>
      Buffer.from([`From: ${from}`, `To: ${to}`, `Subject: ${subject}`, `Message-ID: <${id}@mail.example.org>`, 'Date: Sat, 14 Mar 2026 10:00:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Please take me off the list.', ''].join('\r\n'));
    const leaving = await mailtoOf('leaving@example.org');
    const calm = await mailtoOf('calm@example.org');
    expect(leaving.subject).toMatch(/^unsubscribe \S+\.\S+$/);
    const calmToken = calm.subject.split(' ')[1]!;
    const forgedToken = `${calmToken.split('.')[0]}.${'A'.repeat(calmToken.split('.')[1]!.length)}`;
    const maildir = path.join(delivery.dir, 'Maildir');
    writeMaildir(maildir, [
      mail('Leaving Reader <leaving@example.org>', leaving.to, leaving.subject, 'unsub-1'),
      // Someone who knows calm@'s subscriber token but not the signature.
      mail('prankster@elsewhere.example', calm.to, `unsubscribe ${forgedToken}`, 'forged-1'),
      mail('calm@example.org', calm.to, 'Re: unsubscribe', 'no-token-1'),
    ]);
    delivery.db.close();

    const run = await runCli(['bounces', 'process', maildir], { env: env(delivery.file, delivery.dir) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('new/1773478872.M0P4242.mx1: unsubscribed leaving@example.org: unsubscribe by mail (List-Unsubscribe mailto)');
    expect(run.stdout).toContain('3 message(s) read from');
    expect(run.stdout).toContain('1 unsubscribed, 2 set-aside');
    const { db, subscribers, bounces } = reopen(delivery.file);
    const left = (await subscribers.get('leaving@example.org'))!;
    expect(left.state).toBe('unsubscribed');
    expect((await subscribers.history(left.id)).at(-1)).toMatchObject({
      from: 'active',
      to: 'unsubscribed',
      actor: 'subscriber',
      reason: 'unsubscribe by mail (List-Unsubscribe mailto), read from mailbox:Maildir',
      evidence: { source: 'mailbox:Maildir', sender: 'leaving@example.org', report: '<unsub-1@mail.example.org>' },
    });
    const stayed = (await subscribers.get('calm@example.org'))!;
    expect(stayed.state).toBe('active');
    expect(await subscribers.history(stayed.id)).toHaveLength(1);
    expect((await bounces.listSetAside()).map((a) => a.reason)).toEqual([
      expect.stringMatching(/^an unsubscribe request by mail without the token .*sent by calm@example\.org/),
      "an unsubscribe request whose token was not made with this newsletter's secret (forged or damaged); nothing changed",
    ]);

    // Subscribed again since: reading the same mail once more must not unsubscribe them again.
    for (const to of ['pending', 'active'] as const) expect(await subscribers.setState(left.id, to, { actor: 'subscriber', as: 'subscriber', reason: 'signed up again', now: new Date() })).toBe(true);
    db.close();
    fs.renameSync(path.join(maildir, 'cur', fs.readdirSync(path.join(maildir, 'cur'))[0]!), path.join(maildir, 'new', 'again'));
    const again = await runCli(['bounces', 'process', maildir], { env: env(delivery.file, delivery.dir) });
    expect(again.stdout).toContain('3 duplicate');
    const after = reopen(delivery.file);
    expect((await after.subscribers.get('leaving@example.org'))!.state).toBe('active');
    after.db.close();
  });
});
