// Room signing/: what proves a link or a message is ours — signed tokens (this file),
// the per-delivery return path, DKIM signatures and the secret behind them (secret.ts
// finds or makes it, dkim-signer.ts loads its key). Any room may use them; they use
// no other room.
// Signed tokens for links in emails. Unsubscribe tokens never expire (an old issue's
// link must still work) and carry only the subscriber's opaque random token, so no
// database id or address can be read out of one. Confirmation tokens expire and carry
// a nonce that the store records on use, which makes them single-use. Each kind is
// signed under its own label, so one can never be passed off as the other.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const sigLength = 22; // 128 bits of HMAC-SHA256, base64url

function sign(secret: string, label: string, payload: string): string {
  return createHmac('sha256', secret).update(`${label}\0${payload}`).digest('base64url').slice(0, sigLength);
}

function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const tokenPart = /^[A-Za-z0-9_-]{8,128}$/;

// Random bytes drawn a few kilobytes at a time: one system call per 256 tokens instead of
// one per token matters when an import creates hundreds of thousands of subscribers.
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** A fresh opaque per-subscriber token (stored with the subscriber): 128 random bits. */
export function createSubscriberToken(): string {
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const token = pool.toString('base64url', poolOffset, poolOffset + 16);
  // Used bytes are wiped, so no token can be read back out of the pool later.
  pool.fill(0, poolOffset, poolOffset + 16);
  poolOffset += 16;
  return token;
}

export function createUnsubscribeToken(subscriberToken: string, secret: string): string {
  if (!tokenPart.test(subscriberToken)) throw new Error('subscriber token must be base64url');
  return `${subscriberToken}.${sign(secret, 'unsubscribe', subscriberToken)}`;
}

/** The subscriber token inside a genuine unsubscribe token, or undefined. */
export function verifyUnsubscribeToken(token: string, secret: string): { subscriberToken: string } | undefined {
  const [subscriberToken, sig, extra] = token.split('.');
  if (extra !== undefined || !subscriberToken || !sig || !tokenPart.test(subscriberToken)) return undefined;
  return sameSignature(sig, sign(secret, 'unsubscribe', subscriberToken)) ? { subscriberToken } : undefined;
}

export interface ConfirmClaims {
  subscriberToken: string;
  /** Recorded by the store on first use; a second use of the same nonce is refused. */
  nonce: string;
  expiresAt: Date;
}

export function createConfirmToken(
  subscriberToken: string,
  secret: string,
  options: { now: Date; ttlHours: number; nonce?: string },
): string {
  if (!tokenPart.test(subscriberToken)) throw new Error('subscriber token must be base64url');
  const nonce = options.nonce ?? randomBytes(12).toString('base64url');
  const expires = Math.floor(options.now.getTime() / 1000) + Math.round(options.ttlHours * 3600);
  const payload = `${subscriberToken}.${nonce}.${expires.toString(36)}`;
  return `${payload}.${sign(secret, 'confirm', payload)}`;
}

export type ConfirmVerification =
  | ({ ok: true } & ConfirmClaims)
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' };

/** Checks signature and expiry; single use is the caller's job (SubscriberStore.consumeConfirmNonce). */
export function verifyConfirmToken(token: string, secret: string, now: Date): ConfirmVerification {
  const parts = token.split('.');
  if (parts.length !== 4) return { ok: false, reason: 'malformed' };
  const [subscriberToken, nonce, expires36, sig] = parts as [string, string, string, string];
  if (!tokenPart.test(subscriberToken) || !tokenPart.test(nonce) || !/^[0-9a-z]{1,12}$/.test(expires36)) {
    return { ok: false, reason: 'malformed' };
  }
  if (!sameSignature(sig, sign(secret, 'confirm', `${subscriberToken}.${nonce}.${expires36}`))) {
    return { ok: false, reason: 'bad-signature' };
  }
  const expiresAt = new Date(parseInt(expires36, 36) * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, subscriberToken, nonce, expiresAt };
}

/** A Message-ID stable per (issue, subscriber) that reveals neither. */
export function createMessageId(issueNumber: number, subscriberToken: string, secret: string, domain: string): string {
  return `<issue${issueNumber}.${sign(secret, 'message-id', `${issueNumber}:${subscriberToken}`)}@${domain}>`;
}
