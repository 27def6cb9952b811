import { describe, expect, it } from 'vitest';
import { canTransition, emailKey, mailboxParts, normalizeEmail, subscriberInputSchema } from './subscriber.ts';

describe('an address as an email program copies it', () => {
  it('gives the address and the name before it, quoted or not', () => {
    expect(mailboxParts('Ada Okafor <ada@example.org>')).toEqual({ email: 'ada@example.org', name: 'Ada Okafor' });
    expect(mailboxParts(' "Okafor, Ada \\"AO\\"" <ada@example.org> ')).toEqual({ email: 'ada@example.org', name: 'Okafor, Ada "AO"' });
    expect(mailboxParts('<ada@example.org>')).toEqual({ email: 'ada@example.org', name: undefined });
  });

  it('takes anything else as the address alone, for the address check to judge', () => {
    for (const text of ['ada@example.org', 'Ada <ada@example.org', 'Ada <ada@example.org> <bo@example.org>', '<ada @example.org>']) {
      expect(mailboxParts(text)).toEqual({ email: text, name: undefined });
    }
    expect(subscriberInputSchema.safeParse({ email: mailboxParts('Ada <ada@example.org').email }).success).toBe(false);
  });
});

describe('normalising addresses', () => {
  it('trims and lower-cases the domain but keeps the local part as written', () => {
    expect(normalizeEmail('  Ada.Lovelace@Example.ORG \n')).toBe('Ada.Lovelace@example.org');
  });

  it('identifies a mailbox by the whole address in any letter case', () => {
    expect(emailKey(' Carol@X.org')).toBe(emailKey('carol@x.org'));
    expect(emailKey('CAROL@x.ORG')).toBe('carol@x.org');
    expect(emailKey('carol@x.org')).not.toBe(emailKey('caro1@x.org'));
  });

  it('says an empty address is empty, and only that', () => {
    for (const email of ['', '   ']) {
      const result = subscriberInputSchema.safeParse({ email });
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((i) => i.message)).toEqual(['is empty']);
    }
    expect(subscriberInputSchema.safeParse({ email: 'ab' }).error?.issues.map((i) => i.message)).toEqual(['is not a valid email address']);
  });

  it('refuses an address with a line break, even one that would otherwise parse', () => {
    const result = subscriberInputSchema.safeParse({ email: 'eve@example.org\r\nBcc: x@example.org' });
    expect(result.success).toBe(false);
  });

  it('folds a name with line breaks into one line', () => {
    expect(subscriberInputSchema.parse({ email: 'a@example.org', name: 'Eve\r\nBcc: x@example.org' }).name).toBe('Eve Bcc: x@example.org');
  });
});

describe('state changes', () => {
  it('never lets the system lift an address out of unsubscribed, bounced or complained', () => {
    for (const from of ['unsubscribed', 'bounced', 'complained'] as const) {
      expect(canTransition(from, 'active', 'system')).toBe(false);
      expect(canTransition(from, 'pending', 'system')).toBe(false);
    }
  });

  it('lets a spam report move an unsubscribed or bounced address to complained, and nothing else move them', () => {
    expect(canTransition('unsubscribed', 'complained', 'system')).toBe(true);
    expect(canTransition('bounced', 'complained', 'system')).toBe(true);
    expect(canTransition('unsubscribed', 'bounced', 'system')).toBe(false);
    expect(canTransition('complained', 'bounced', 'system')).toBe(false);
  });

  it('lets a person re-subscribe through a fresh opt-in only (back to pending, not straight to active)', () => {
    expect(canTransition('unsubscribed', 'pending', 'subscriber')).toBe(true);
    expect(canTransition('unsubscribed', 'active', 'subscriber')).toBe(false);
  });

  it('moves pending to active and active to any suppressed state', () => {
    expect(canTransition('pending', 'active', 'system')).toBe(true);
    expect(canTransition('active', 'bounced', 'system')).toBe(true);
    expect(canTransition('active', 'pending', 'system')).toBe(false);
  });
});
