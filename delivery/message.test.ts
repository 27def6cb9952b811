import { describe, expect, it } from 'vitest';
import { placeholders } from '../core/render.ts';
import { composeIssueMessage, listId } from './message.ts';
import { toNodemailerMessage } from './nodemailer-message.ts';
import { classifySendError } from './transport.ts';

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

describe('composing one recipient\'s message', () => {
  const message = composeIssueMessage(email, { email: 'o\'brien+news@example.org', name: 'Pat\nBcc: y@evil.example', token: 'DDDDDDDDDDDDDDDDDDDDDD' }, ctx);

  it('fills the placeholders, HTML-escaped only in the HTML part', () => {
    expect(message.text).toMatch(/^https:\/\/news\.example\.org\/unsubscribe\?token=DDDDDDDDDDDDDDDDDDDDDD\.[\w-]+ o'brien\+news@example\.org$/);
    expect(message.html).toContain('o&#39;brien+news@example.org');
  });

  it('keeps every header on one line whatever the subject, names or settings contain', () => {
    const m = toNodemailerMessage(message);
    for (const value of [m.subject, JSON.stringify(m.from), JSON.stringify(m.to), ...Object.values(m.headers as Record<string, string>)]) {
      expect(value).not.toMatch(/[\r\n]/);
    }
    expect(m.subject).toBe('Issue 3 Bcc: victim@example.org');
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
