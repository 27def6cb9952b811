// The subscription steps behind the public forms: subscribe (double opt-in), confirm
// and unsubscribe. Each is one transaction in the store that also queues the mail it
// causes; no mail is sent here. The mail worker (mail-worker.ts) sends it afterwards,
// with retries. So a sign-up costs the same, answers the same and survives a relay
// outage whatever the address: nothing about the reply depends on the mail.
import { verifyConfirmToken, verifyUnsubscribeToken } from './tokens.ts';
import type { Subscriber } from './subscriber.ts';

export interface SubscriptionRequest {
  email: string;
  name: string | undefined;
  source: string;
  at: Date;
  /** Confirmation mails to one mailbox: enough for someone retrying, too few to bomb a stranger's inbox. */
  limit: { count: number; perMs: number };
}

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
  /** Records the address as pending unless known, and queues a confirmation mail when its state and the per-mailbox limit allow. */
  requestConfirmation(request: SubscriptionRequest): Promise<{ subscriber: Subscriber; queued: boolean; why?: 'active' | 'complained' | 'address-throttled' }>;
  /** Uses up the nonce, activates the subscriber (through pending when it was suppressed) and queues the welcome mail. */
  confirmSubscription(subscriberToken: string, nonce: string, at: Date): Promise<ConfirmResult>;
  findByToken(subscriberToken: string): Promise<Subscriber | undefined>;
  unsubscribeByToken(subscriberToken: string, reason: string, at: Date): Promise<UnsubscribeResult>;
}

export type SubscribeOutcome =
  | { kind: 'confirmation-queued'; subscriber: Subscriber }
  /** Nothing queued: already active, complained, or too many mails to this mailbox lately. */
  | { kind: 'nothing-queued'; subscriber: Subscriber; why: 'active' | 'complained' | 'address-throttled' };

export type ConfirmOutcome = ConfirmResult | { kind: 'expired' };

export type UnsubscribeLookup = { kind: 'found'; subscriber: Subscriber } | { kind: 'unknown' } | { kind: 'invalid' };

export type UnsubscribeOutcome = { kind: 'unsubscribed'; email: string | undefined; changed: boolean } | { kind: 'invalid' };

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

  /** Records the address as pending (once, whatever the letter case or concurrency) and queues the confirmation mail. */
  async subscribe(input: { email: string; name: string | undefined }, source = 'form'): Promise<SubscribeOutcome> {
    const result = await this.#deps.store.requestConfirmation({ ...input, source, at: this.#deps.now(), limit: confirmationLimit });
    if (!result.queued) return { kind: 'nothing-queued', subscriber: result.subscriber, why: result.why ?? 'active' };
    this.#deps.onMailQueued?.();
    return { kind: 'confirmation-queued', subscriber: result.subscriber };
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
