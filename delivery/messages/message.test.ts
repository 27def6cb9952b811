import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { placeholders } from '../../core/render.ts';
import { composeIssueMessage, listId } from './message.ts';
import { classifySendError } from '../sending/transport.ts';

const ctx = {
  issueNumber: 3,
  settings: { title: 'Ecosystem "Tracker"', senderName: 'Tracker\r\nBcc: x@evil.example', senderEmail: 'tracker@News.Example.org', replyTo: undefined },
  baseUrl: 'https://news.example.org/',
  secret: 'unit-test-secret-0123456789abcdef',
  unsubscribeMailto: undefined,
  date: new Date('2026-03-14T09:00:00Z'),
};
const email = {
  subject: 'Issue 3\r\nBcc: victim@example.org',
  preheader: '',
  html: `<a href="${placeholders.unsubscribeUrl}">x</a> ${placeholders.recipientEmail}`,
  text: `${placeholders.unsubscribeUrl} ${placeholders.recipientEmail}`,
  warnings: [],
};

describe('composing one send\'s messages, one after another', () => {
  it('gives each recipient their own headers, and follows settings changed between messages', async () => {
    const send = { ...ctx, settings: { ...ctx.settings } };
    const recipients = ['a@example.org', 'b@example.org', 'b@example.org', 'c@example.org'].map((address, i) => ({ email: address, name: i === 2 ? 'Bee' : undefined, token: `${'T'.repeat(21)}${i}` }));
    const parsed = await Promise.all(recipients.map((r) => simpleParser(composeIssueMessage(email, r, send).mime!)));
    expect(parsed.map((p) => (p.to as { value: Array<{ address: string; name: string }> }).value[0])).toEqual(recipients.map((r) => ({ address: r.email, name: r.name ?? '' })));
    expect(new Set(parsed.map((p) => p.messageId)).size).toBe(4);
    const line = (p: (typeof parsed)[number], key: string) => p.headerLines.find((h) => h.key === key)?.line;
    expect(new Set(parsed.map((p) => line(p, 'list-unsubscribe'))).size).toBe(4);
    expect(new Set(parsed.map((p) => p.from?.text))).toEqual(new Set(['"Tracker Bcc: x@evil.example" <tracker@News.Example.org>']));
    // The same context object, its settings changed in place (the Studio saved new ones): the next message has them.
    send.settings.senderName = 'The Tracker';
    send.settings.title = 'Weekly';
    const next = await simpleParser(composeIssueMessage({ ...email, subject: 'Issue 3 again' }, recipients[0]!, send).mime!);
    expect(next.from?.value).toEqual([{ name: 'The Tracker', address: 'tracker@News.Example.org' }]);
    expect(next.subject).toBe('Issue 3 again');
    expect(line(next, 'list-id')).toBe('List-Id: Weekly <weekly.news.example.org>');
  });
});

describe('composing one recipient\'s message', () => {
  const message = composeIssueMessage(email, { email: 'o\'brien+news@example.org', name: 'Pat\nBcc: y@evil.example', token: 'DDDDDDDDDDDDDDDDDDDDDD' }, ctx);

  it('fills the placeholders, HTML-escaped only in the HTML part', () => {
    expect(message.text).toMatch(/^https:\/\/news\.example\.org\/unsubscribe\?token=DDDDDDDDDDDDDDDDDDDDDD\.[\w-]+ o'brien\+news@example\.org$/);
    expect(message.html).toContain('o&#39;brien+news@example.org');
  });

  it('keeps every header on one line whatever the subject, names or settings contain', async () => {
    const parsed = await simpleParser(message.mime!);
    expect(parsed.headerLines.map((h) => h.key)).not.toContain('bcc');
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.subject).toBe('Issue 3 Bcc: victim@example.org');
    expect(parsed.from?.value).toEqual([{ name: 'Tracker Bcc: x@evil.example', address: 'tracker@News.Example.org' }]);
    expect((parsed.to as { value: unknown[] }).value).toEqual([{ name: 'Pat Bcc: y@evil.example', address: "o'brien+news@example.org" }]);
  });

  it('offers https and mailto unsubscribes and one-click POST', () => {
    expect(message.headers['List-Unsubscribe']).toMatch(/^<https:\/\/news\.example\.org\/unsubscribe\?token=[^>]+>, <mailto:tracker@News\.Example\.org\?subject=unsubscribe%20DDDD[^>]+>$/);
    expect(message.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(message.messageId).toMatch(/@news\.example\.org>$/);
  });

  it('makes a List-Id from the title under the site host', () => {
    expect(listId('Ecosystem "Tracker"', 'https://news.example.org')).toBe('Ecosystem Tracker <ecosystem-tracker.news.example.org>');
  });
});

describe('sorting SMTP failures', () => {
  it('treats 4xx and dropped connections as transient, 5xx as permanent, and 5.1.x as a bounce', () => {
    expect(classifySendError({ responseCode: 451, response: '451 4.3.2 later' }).kind).toBe('transient');
    expect(classifySendError({ code: 'ECONNECTION', message: 'Connection closed' }).kind).toBe('transient');
    expect(classifySendError({ code: 'ETIMEDOUT', message: 'Timeout' }).kind).toBe('transient');
    expect(classifySendError({ responseCode: 552, response: '552 5.3.4 Message too big' }).kind).toBe('permanent');
    expect(classifySendError({ responseCode: 550, response: '550 5.1.1 No such user' }).kind).toBe('bounce');
  });
});

describe('the message built from the once-encoded body', () => {
  const long = 'x'.repeat(300);
  const cases = {
    'placeholders at the very start and end': `${placeholders.unsubscribeUrl} middle ${placeholders.recipientEmail}`,
    'long unbroken lines and non-ASCII text': `${long} “quoted” — ünïcödé ${placeholders.unsubscribeUrl}${long}\n= sign = and trailing space \nnext`,
    'a placeholder inside a long line': `${'word '.repeat(40)}${placeholders.recipientEmail}${'tail '.repeat(40)}`,
  };
  for (const [name, template] of Object.entries(cases)) {
    it(`decodes to exactly the filled-in parts: ${name}`, async () => {
      const rendered = { ...email, subject: 'Ünïcödé subject — with a dash', text: template, html: `<p>${template}</p>` };
      const m = composeIssueMessage(rendered, { email: 'x=y@example.org', name: 'Zoë', token: 'FFFFFFFFFFFFFFFFFFFFFF' }, ctx);
      const [head, ...body] = m.mime!.toString('utf8').split('\r\n\r\n');
      for (const line of head!.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
      for (const line of body.join('\r\n\r\n').split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
      const parsed = await simpleParser(m.mime!);
      expect(parsed.text?.replace(/\r?\n$/, '')).toBe(m.text);
      expect(String(parsed.html).replace(/\r?\n$/, '')).toBe(m.html);
      expect(parsed.subject).toBe('Ünïcödé subject — with a dash');
      expect((parsed.to as { value: unknown[] }).value).toEqual([{ name: 'Zoë', address: 'x=y@example.org' }]);
    });
  }
});
