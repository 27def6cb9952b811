import { describe, expect, it } from 'vitest';
import type { Settings } from '../../content/model.ts';
import { placeholderHtml } from '../../core/render.ts';
import { textWidth } from '../issue-text.ts';
import { fillConfirmation, renderConfirmationEmail, renderConfirmationTemplate, renderWelcomeEmail } from './render.ts';

function someSettings(overrides: Partial<Settings> = {}): Settings {
  return {
    title: 'Tidepool Notes',
    description: 'A fortnightly look at what moved in the ecosystem.',
    siteUrl: 'https://news.example.org',
    senderName: 'Tidepool Notes',
    senderEmail: 'hello@news.example.org',
    replyTo: undefined,
    postalAddress: '12 Harbour Row\nPortsmouth PO1 2AB',
    accentColor: '#1d6b5f',
    logoUrl: undefined,
    logoPath: undefined,
    language: 'en',
    defaultSectionHeadings: [],
    ...overrides,
  };
}

describe('transactional emails', () => {
  it('puts the confirmation link in both the HTML and the plain-text part, with how long it lasts', async () => {
    const url = 'https://news.example.org/confirm?token=abc.def.ghi.jkl';
    const mail = await renderConfirmationEmail({ settings: someSettings(), email: 'reader@example.com', confirmUrl: url, ttlHours: 48 });
    expect(mail.subject).toBe('Confirm your subscription to Tidepool Notes');
    expect(mail.html).toContain(`href="${url}"`);
    expect(mail.text).toContain(url);
    expect(mail.text).toContain('2 days');
    expect(mail.text).toContain('12 Harbour Row, Portsmouth PO1 2AB');
  });

  it('escapes what the reader typed instead of letting it become markup', async () => {
    const mail = await renderWelcomeEmail({
      settings: someSettings(),
      name: '<img src=x onerror=alert(1)>',
      archiveUrl: 'https://news.example.org/',
      unsubscribeUrl: 'https://news.example.org/unsubscribe?token=t.s',
    });
    expect(mail.html).not.toContain('<img src=x');
    expect(mail.html).toContain('&lt;img');
    expect(mail.text).toContain('https://news.example.org/unsubscribe?token=t.s');
  });

  it('keeps a line break in the newsletter title out of the subject header', async () => {
    const mail = await renderWelcomeEmail({ settings: someSettings({ title: 'Tide\r\nBcc: x@evil.test' }), name: undefined, archiveUrl: 'https://a/', unsubscribeUrl: 'https://a/u' });
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('gives the same confirmation mail from the once-rendered template as from a fresh render', async () => {
    const values = { confirmUrl: 'https://news.example.org/confirm?token=a.b.c.d&x=<1>', email: 'o\'neil+news@example.com' };
    const fresh = await renderConfirmationEmail({ settings: someSettings(), ttlHours: 48, ...values });
    const filled = fillConfirmation(await renderConfirmationTemplate(someSettings(), 48), values);
    expect(filled).toEqual(fresh);
  });

  it('isolates what the reader typed with a span mail clients keep, never <bdi> (dropped by Gmail, Outlook and Yahoo)', async () => {
    const confirmation = await renderConfirmationEmail({ settings: someSettings(), email: 'reader@example.com', confirmUrl: 'https://news.example.org/confirm?token=a', ttlHours: 48 });
    const welcome = await renderWelcomeEmail({ settings: someSettings(), name: 'Mallory \u202Etxet', archiveUrl: 'https://a/', unsubscribeUrl: 'https://a/u' });
    for (const html of [confirmation.html, welcome.html, placeholderHtml('recipientEmail', 'reader@example.com')]) expect(html).not.toMatch(/<bdi/i);
    expect(confirmation.html).toContain('<span dir="ltr" style="unicode-bidi:isolate">reader@example.com</span>');
    expect(welcome.html).toContain('<span dir="auto" style="unicode-bidi:isolate">Mallory \u202Etxet</span>');
    expect(placeholderHtml('recipientEmail', 'a<b@example.com')).toBe('<span dir="ltr" style="unicode-bidi:isolate">a&lt;b@example.com</span>');
  });

  it('wraps the plain-text parts like the issue text, keeping a long link whole on its own line', async () => {
    const settings = someSettings({ description: 'A fortnightly look at what moved in the ecosystem, written for people who maintain the packages everyone else depends on.' });
    const longUrl = `https://news.example.org/confirm?token=${'x'.repeat(90)}`;
    const confirmation = fillConfirmation(await renderConfirmationTemplate(settings, 48), { confirmUrl: longUrl, email: 'a-rather-long-address@example.com' });
    const welcome = await renderWelcomeEmail({ settings, name: 'Rae', archiveUrl: 'https://news.example.org/', unsubscribeUrl: 'https://news.example.org/unsubscribe?token=t.s' });
    for (const text of [confirmation.text, welcome.text]) {
      const tooWide = text.split('\n').filter((line) => line.length > textWidth && line.includes(' '));
      expect(tooWide).toEqual([]);
    }
    expect(confirmation.text.split('\n')).toContain(longUrl);
    expect(welcome.text.replace(/\s+/g, ' ')).toContain('written for people who maintain');
  });
});
