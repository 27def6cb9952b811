import { describe, expect, it } from 'vitest';
import {
  createConfirmToken,
  createMessageId,
  createSubscriberToken,
  createUnsubscribeToken,
  verifyConfirmToken,
  verifyUnsubscribeToken,
} from './tokens.ts';

const secret = 'unit-test-secret-0123456789abcdef';
const now = new Date('2026-03-14T09:00:00Z');
const hours = (h: number) => new Date(now.getTime() + h * 3600_000);

describe('unsubscribe tokens', () => {
  it('verify with the secret they were made with and give back the subscriber token', () => {
    const subscriberToken = createSubscriberToken();
    expect(verifyUnsubscribeToken(createUnsubscribeToken(subscriberToken, secret), secret)).toEqual({ subscriberToken });
  });

  it('are refused when signed with another secret or altered', () => {
    const token = createUnsubscribeToken('AAAAAAAAAAAAAAAAAAAAAA', secret);
    expect(verifyUnsubscribeToken(token, 'another-secret-0123456789abcdef')).toBeUndefined();
    expect(verifyUnsubscribeToken(token.replace(/^A/, 'B'), secret)).toBeUndefined();
    expect(verifyUnsubscribeToken(`${token}.extra`, secret)).toBeUndefined();
    expect(verifyUnsubscribeToken('', secret)).toBeUndefined();
  });

  it('are URL-safe and stable for the same subscriber, so old issues keep working links', () => {
    const a = createUnsubscribeToken('s0meOpaqueToken_-x', secret);
    expect(a).toBe(createUnsubscribeToken('s0meOpaqueToken_-x', secret));
    expect(encodeURIComponent(a)).toBe(a);
  });

  it('cannot be used as a confirmation token', () => {
    const token = createUnsubscribeToken('AAAAAAAAAAAAAAAAAAAAAA', secret);
    expect(verifyConfirmToken(token, secret, now).ok).toBe(false);
  });
});

describe('confirmation tokens', () => {
  it('verify before they expire and carry the subscriber token and a nonce', () => {
    const token = createConfirmToken('BBBBBBBBBBBBBBBBBBBBBB', secret, { now, ttlHours: 48, nonce: 'nonce-123456' });
    expect(verifyConfirmToken(token, secret, hours(47))).toEqual({
      ok: true,
      subscriberToken: 'BBBBBBBBBBBBBBBBBBBBBB',
      nonce: 'nonce-123456',
      expiresAt: hours(48),
    });
  });

  it('are refused once expired', () => {
    const token = createConfirmToken('BBBBBBBBBBBBBBBBBBBBBB', secret, { now, ttlHours: 48 });
    expect(verifyConfirmToken(token, secret, hours(48))).toEqual({ ok: false, reason: 'expired' });
  });

  it('are refused when the expiry is tampered with', () => {
    const token = createConfirmToken('BBBBBBBBBBBBBBBBBBBBBB', secret, { now, ttlHours: 1 });
    const parts = token.split('.');
    parts[2] = (parseInt(parts[2]!, 36) + 86_400).toString(36);
    expect(verifyConfirmToken(parts.join('.'), secret, now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyConfirmToken('not.a.token', secret, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('get a fresh nonce each time, so each can be used once', () => {
    const a = verifyConfirmToken(createConfirmToken('BBBBBBBBBBBBBBBBBBBBBB', secret, { now, ttlHours: 1 }), secret, now);
    const b = verifyConfirmToken(createConfirmToken('BBBBBBBBBBBBBBBBBBBBBB', secret, { now, ttlHours: 1 }), secret, now);
    expect(a.ok && b.ok && a.nonce !== b.nonce).toBe(true);
  });
});

describe('Message-IDs', () => {
  it('are stable per (issue, subscriber) and reveal neither the address nor an id', () => {
    const id = createMessageId(12, 'CCCCCCCCCCCCCCCCCCCCCC', secret, 'news.example.org');
    expect(id).toBe(createMessageId(12, 'CCCCCCCCCCCCCCCCCCCCCC', secret, 'news.example.org'));
    expect(id).not.toBe(createMessageId(13, 'CCCCCCCCCCCCCCCCCCCCCC', secret, 'news.example.org'));
    expect(id).toMatch(/^<issue12\.[A-Za-z0-9_-]{22}@news\.example\.org>$/);
    expect(id).not.toContain('CCCC');
  });
});
