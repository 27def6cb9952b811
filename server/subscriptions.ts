// The subscription transactions behind the public forms: subscribe (double opt-in),
// confirm and unsubscribe, over the delivery database's subscriber store. Each state
// change is one SQLite transaction, committed before any mail leaves, so a failed send
// can never leave a half-written row; the mail that follows is best effort and its
// failure is reported to the caller, not hidden.
import { randomBytes } from 'node:crypto';
import type { Settings } from '../content/model.ts';
import { transaction, type Database } from '../delivery/db.ts';
import { listId, listUnsubscribeHeaders, unsubscribeUrl } from '../delivery/message.ts';
import type { SqliteSubscriberStore } from '../delivery/sqlite-subscriber-store.ts';
import { isSuppressed, type Subscriber } from '../delivery/subscriber.ts';
import { createConfirmToken, verifyConfirmToken, verifyUnsubscribeToken } from '../delivery/tokens.ts';
import type { OutgoingMessage, Transport } from '../delivery/transport.ts';
import { toHeaderText } from '../core/render.ts';
import { fillConfirmation, renderConfirmationTemplate, renderWelcomeEmail, type RenderedTransactionalEmail } from '../emails/transactional/render.ts';
import { RateLimiter } from './rate-limit.ts';

export interface SubscriptionDeps {
  db: Database;
  subscribers: SqliteSubscriberStore;
  transport: Transport;
  secret: string;
  confirmTtlHours: number;
  now: () => Date;
  /** The newsletter settings (sender, title) and the public URL links in mails point to. */
  site: () => Promise<{ settings: Settings; baseUrl: string }>;
  /** Address for mailto: unsubscribes in List-Unsubscribe; defaults to reply-to or sender. */
  unsubscribeMailto?: string | undefined;
  log?: (line: string) => void;
}

export type SubscribeOutcome =
  /** A confirmation mail went out (new address, still pending, or a suppressed one asking to come back). */
  | { kind: 'confirmation-sent'; subscriber: Subscriber }
  /** Nothing was sent (already active, complained, or too many mails to this address lately). */
  | { kind: 'nothing-sent'; subscriber: Subscriber; why: 'active' | 'complained' | 'address-throttled' }
  /** The subscriber is stored (pending), but the confirmation mail could not be sent. */
  | { kind: 'mail-failed'; subscriber: Subscriber; error: string };

export type ConfirmOutcome =
  | { kind: 'confirmed'; subscriber: Subscriber; welcome: 'sent' | 'failed' }
  | { kind: 'already-active'; subscriber: Subscriber }
  | { kind: 'used'; active: boolean }
  | { kind: 'expired' }
  | { kind: 'invalid' };

export type UnsubscribeLookup =
  | { kind: 'found'; subscriber: Subscriber }
  /** Genuine token for an address no longer on file (erased): nothing to do, and that is fine. */
  | { kind: 'unknown' }
  | { kind: 'invalid' };

export type UnsubscribeOutcome = { kind: 'unsubscribed'; email: string | undefined; changed: boolean } | { kind: 'invalid' };

/** Confirmation mails to one address: enough for someone retrying, too few to bomb a stranger's inbox. */
const perAddressRate = { count: 3, perMs: 60 * 60_000 };

export class Subscriptions {
  readonly #deps: SubscriptionDeps;
  readonly #addressLimiter: RateLimiter;
  /** The confirmation mail rendered once per settings object (a webhook reload makes a new one). */
  readonly #templates = new WeakMap<Settings, Promise<RenderedTransactionalEmail>>();

  constructor(deps: SubscriptionDeps) {
    this.#deps = deps;
    this.#addressLimiter = new RateLimiter(perAddressRate, { now: () => deps.now().getTime() });
  }

  /** Records the address as pending (once, whatever the concurrency) and sends the confirmation mail. */
  async subscribe(input: { email: string; name: string | undefined }, source = 'form'): Promise<SubscribeOutcome> {
    const now = this.#deps.now();
    const { subscriber } = this.#deps.subscribers.add(
      { email: input.email, name: input.name, source },
      'pending',
      { actor: 'subscriber', reason: 'subscribe form', now },
    );
    if (subscriber.state === 'active') return { kind: 'nothing-sent', subscriber, why: 'active' };
    // Someone who reported us as spam gets no mail from a form anyone can fill in.
    if (subscriber.state === 'complained') return { kind: 'nothing-sent', subscriber, why: 'complained' };
    if (!this.#addressLimiter.take(subscriber.email).allowed) return { kind: 'nothing-sent', subscriber, why: 'address-throttled' };

    const { settings, baseUrl } = await this.#deps.site();
    const token = createConfirmToken(subscriber.token, this.#deps.secret, { now, ttlHours: this.#deps.confirmTtlHours });
    const confirmUrl = `${baseUrl}/confirm?token=${encodeURIComponent(token)}`;
    try {
      const mail = fillConfirmation(await this.#confirmationTemplate(settings), { confirmUrl, email: subscriber.email });
      await this.#deps.transport.send(this.#message(mail, subscriber, settings, now, 'confirm'));
      return { kind: 'confirmation-sent', subscriber };
    } catch (error) {
      const message = oneLine(error);
      this.#deps.log?.(`subscribe: the confirmation mail to subscriber #${subscriber.id} could not be sent: ${message}`);
      return { kind: 'mail-failed', subscriber, error: message };
    }
  }

  /** Checks the link, activates the subscriber in one transaction, then sends the welcome mail. */
  async confirm(token: string): Promise<ConfirmOutcome> {
    const now = this.#deps.now();
    const verified = verifyConfirmToken(token, this.#deps.secret, now);
    if (!verified.ok) return { kind: verified.reason === 'expired' ? 'expired' : 'invalid' };
    const { subscribers, db } = this.#deps;
    const outcome = transaction(db, (): ConfirmOutcome => {
      const subscriber = subscribers.getByToken(verified.subscriberToken);
      if (!subscriber) return { kind: 'invalid' };
      if (!subscribers.consumeConfirmNonce(verified.nonce, now)) return { kind: 'used', active: subscriber.state === 'active' };
      if (subscriber.state === 'active') return { kind: 'already-active', subscriber };
      const by = { actor: 'subscriber', now, as: 'subscriber' as const };
      // Coming back from a suppressed state is a fresh opt-in: recorded as two steps in the history.
      if (isSuppressed(subscriber.state)) subscribers.setState(subscriber.id, 'pending', { ...by, reason: 're-subscribed and confirmed' });
      subscribers.setState(subscriber.id, 'active', { ...by, reason: 'confirmed by link' });
      return { kind: 'confirmed', subscriber: subscribers.getById(subscriber.id)!, welcome: 'sent' };
    });
    if (outcome.kind !== 'confirmed') return outcome;
    return { ...outcome, welcome: await this.#sendWelcome(outcome.subscriber, now) };
  }

  /** Who an unsubscribe link is for, without changing anything (the page with the button). */
  lookupUnsubscribe(token: string): UnsubscribeLookup {
    const verified = verifyUnsubscribeToken(token, this.#deps.secret);
    if (!verified) return { kind: 'invalid' };
    const subscriber = this.#deps.subscribers.getByToken(verified.subscriberToken);
    return subscriber ? { kind: 'found', subscriber } : { kind: 'unknown' };
  }

  /** Unsubscribes at once; doing it again, or for an address already suppressed, is a success. */
  unsubscribe(token: string, how: 'one-click' | 'page'): UnsubscribeOutcome {
    const verified = verifyUnsubscribeToken(token, this.#deps.secret);
    if (!verified) return { kind: 'invalid' };
    const { subscribers, db } = this.#deps;
    return transaction(db, (): UnsubscribeOutcome => {
      const subscriber = subscribers.getByToken(verified.subscriberToken);
      if (!subscriber) return { kind: 'unsubscribed', email: undefined, changed: false };
      if (isSuppressed(subscriber.state)) return { kind: 'unsubscribed', email: subscriber.email, changed: false };
      subscribers.setState(subscriber.id, 'unsubscribed', { actor: 'subscriber', reason: how === 'one-click' ? 'one-click (RFC 8058)' : 'unsubscribe page', now: this.#deps.now() });
      return { kind: 'unsubscribed', email: subscriber.email, changed: true };
    });
  }

  #confirmationTemplate(settings: Settings): Promise<RenderedTransactionalEmail> {
    let template = this.#templates.get(settings);
    if (!template) {
      template = renderConfirmationTemplate(settings, this.#deps.confirmTtlHours);
      // A failed render is not cached: the next sign-up tries again.
      template.catch(() => this.#templates.delete(settings));
      this.#templates.set(settings, template);
    }
    return template;
  }

  async #sendWelcome(subscriber: Subscriber, now: Date): Promise<'sent' | 'failed'> {
    try {
      const { settings, baseUrl } = await this.#deps.site();
      const mail = await renderWelcomeEmail({
        settings,
        name: subscriber.name,
        archiveUrl: `${baseUrl}/`,
        unsubscribeUrl: unsubscribeUrl(baseUrl, subscriber.token, this.#deps.secret),
      });
      await this.#deps.transport.send(this.#message(mail, subscriber, settings, now, 'welcome', baseUrl));
      return 'sent';
    } catch (error) {
      // The subscription stands; a missing welcome mail is worth a log line, not an error page.
      this.#deps.log?.(`confirm: the welcome mail to subscriber #${subscriber.id} could not be sent: ${oneLine(error)}`);
      return 'failed';
    }
  }

  #message(
    mail: RenderedTransactionalEmail,
    subscriber: Subscriber,
    settings: Settings,
    now: Date,
    kind: 'confirm' | 'welcome',
    baseUrl?: string,
  ): OutgoingMessage {
    const domain = settings.senderEmail.slice(settings.senderEmail.lastIndexOf('@') + 1).toLowerCase();
    const headers: Record<string, string> = {};
    if (kind === 'welcome' && baseUrl) {
      // The welcome mail is the first list mail: it carries the same one-click headers as every issue.
      const { secret, unsubscribeMailto } = this.#deps;
      Object.assign(headers, listUnsubscribeHeaders(subscriber.token, { baseUrl, secret, unsubscribeMailto, settings }).headers);
      headers['List-Id'] = listId(settings.title, baseUrl);
    }
    return {
      from: { name: toHeaderText(settings.senderName), address: settings.senderEmail },
      to: { name: subscriber.name ? toHeaderText(subscriber.name) : undefined, address: subscriber.email },
      replyTo: settings.replyTo,
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      messageId: `<${kind}.${randomBytes(12).toString('base64url')}@${domain}>`,
      date: now,
      headers,
    };
  }
}

function oneLine(error: unknown): string {
  return String((error as Error)?.message ?? error).replace(/\s+/g, ' ').trim().slice(0, 300);
}
