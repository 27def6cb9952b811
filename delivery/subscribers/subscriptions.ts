// The subscription steps behind the public forms: subscribe (double opt-in), confirm
// and unsubscribe. A sign-up is only recorded while the request waits (one insert,
// whoever the address belongs to) and admitted afterwards by the mail worker: then the
// subscriber is stored as pending and the confirmation queued, in one transaction. So
// a sign-up costs the same, answers the same and survives a relay outage whatever the
// address. Confirm and unsubscribe are one transaction each, queueing any mail they cause.
import { verifyConfirmToken, verifyUnsubscribeToken } from '../signing/tokens.ts';
import type { Subscriber } from './subscriber.ts';

export interface SignupRequest {
  email: string;
  name: string | undefined;
  source: string;
  at: Date;
}

export type AdmittedSignup = { subscriber: Subscriber; queued: true } | { subscriber: Subscriber; queued: false; why: 'active' | 'complained' | 'address-throttled' };

export type ConfirmResult =
  | { kind: 'confirmed'; subscriber: Subscriber }
  | { kind: 'already-active'; subscriber: Subscriber }
  | { kind: 'used'; active: boolean }
  | { kind: 'invalid' };

export interface UnsubscribeResult {
  /** Undefined for a genuine token of an address no longer on file (erased). */
  subscriber: Subscriber | undefined;
  changed: boolean;
}

/** What the subscription steps need from storage; each method is one transaction. */
export interface SubscriptionStore {
  /** Records a sign-up as it came; nothing is looked up. */
  recordSignup(request: SignupRequest): Promise<void>;
  /**
   * Admits up to `max` recorded sign-ups, oldest first: each address is stored as
   * pending unless known, and a confirmation mail queued when its state and the
   * per-mailbox limit (`limit.count` within `limit.perMs` of `at`) allow.
   */
  admitSignups(max: number, limit: { count: number; perMs: number }, at: Date): Promise<AdmittedSignup[]>;
  /** Uses up the nonce, activates the subscriber (through pending when it was suppressed) and queues the welcome mail. */
  confirmSubscription(subscriberToken: string, nonce: string, at: Date): Promise<ConfirmResult>;
  findByToken(subscriberToken: string): Promise<Subscriber | undefined>;
  unsubscribeByToken(subscriberToken: string, reason: string, at: Date): Promise<UnsubscribeResult>;
}

export type ConfirmOutcome = ConfirmResult | { kind: 'expired' };

export type UnsubscribeLookup = { kind: 'found'; subscriber: Subscriber } | { kind: 'unknown' } | { kind: 'invalid' };

export type UnsubscribeOutcome = { kind: 'unsubscribed'; email: string | undefined; changed: boolean } | { kind: 'invalid' };

/** Confirmation mails to one mailbox: enough for someone retrying, too few to bomb a stranger's inbox. */
export const confirmationLimit = { count: 3, perMs: 60 * 60_000 } as const;

export interface SubscriptionDeps {
  store: SubscriptionStore;
  secret: string;
  now: () => Date;
  /** Told when mail was queued, so the worker sends it now rather than at its next poll. */
  onMailQueued?: () => void;
}

export class Subscriptions {
  readonly #deps: SubscriptionDeps;

  constructor(deps: SubscriptionDeps) {
    this.#deps = deps;
  }

  /** Records the sign-up; the mail worker admits it moments later (see admitSignups). */
  async subscribe(input: { email: string; name: string | undefined }, source = 'form'): Promise<void> {
    await this.#deps.store.recordSignup({ ...input, source, at: this.#deps.now() });
    this.#deps.onMailQueued?.();
  }

  /**
   * Admits recorded sign-ups a batch at a time: one subscriber per mailbox whatever the
   * letter case or concurrency, pending until confirmed, with its confirmation queued.
   */
  async admitSignups(max = 200): Promise<AdmittedSignup[]> {
    return this.#deps.store.admitSignups(max, confirmationLimit, this.#deps.now());
  }

  /** Whether a confirmation link is genuine and unexpired, changing nothing (the page with the button). */
  checkConfirmLink(token: string): 'valid' | 'expired' | 'invalid' {
    const verified = verifyConfirmToken(token, this.#deps.secret, this.#deps.now());
    return verified.ok ? 'valid' : verified.reason === 'expired' ? 'expired' : 'invalid';
  }

  /** Checks the link, activates the subscriber and queues the welcome mail, in one transaction. */
  async confirm(token: string): Promise<ConfirmOutcome> {
    const now = this.#deps.now();
    const verified = verifyConfirmToken(token, this.#deps.secret, now);
    if (!verified.ok) return { kind: verified.reason === 'expired' ? 'expired' : 'invalid' };
    const outcome = await this.#deps.store.confirmSubscription(verified.subscriberToken, verified.nonce, now);
    if (outcome.kind === 'confirmed') this.#deps.onMailQueued?.();
    return outcome;
  }

  /** Who an unsubscribe link is for, without changing anything (the page with the button). */
  async lookupUnsubscribe(token: string): Promise<UnsubscribeLookup> {
    const verified = verifyUnsubscribeToken(token, this.#deps.secret);
    if (!verified) return { kind: 'invalid' };
    const subscriber = await this.#deps.store.findByToken(verified.subscriberToken);
    return subscriber ? { kind: 'found', subscriber } : { kind: 'unknown' };
  }

  /** Unsubscribes at once; doing it again, or for an address already suppressed, is a success. */
  async unsubscribe(token: string, how: 'one-click' | 'page'): Promise<UnsubscribeOutcome> {
    const verified = verifyUnsubscribeToken(token, this.#deps.secret);
    if (!verified) return { kind: 'invalid' };
    const result = await this.#deps.store.unsubscribeByToken(verified.subscriberToken, how === 'one-click' ? 'one-click (RFC 8058)' : 'unsubscribe page', this.#deps.now());
    return { kind: 'unsubscribed', email: result.subscriber?.email, changed: result.changed };
  }
}
