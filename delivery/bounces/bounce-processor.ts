// Room bounces/: what comes back — the mailbox readers (file, Maildir, IMAP), DSN and
// ARF parsing, the email services' events and SNS signatures, and the processor (this
// file) that turns each report into a subscriber change. The processor declares the
// BounceStore it needs; delivery/sqlite/sqlite-bounce-store.ts implements it.
// Turns bounce and complaint reports into subscriber state changes, wherever they come
// from: a message in the bounce mailbox (a file, a Maildir or IMAP) or an email
// service's event (SES through SNS, Resend's webhook). A report acts only on the
// delivery it proves it is about — a signed return path or token, or the Message-ID of
// a message we really sent — and only once: a report is recorded by what it reports
// (the delivery and the kind of outcome), so a replayed, re-read or second report of
// the same thing, by whatever route, changes nothing. A message that is no report, or
// names no delivery of ours, is kept aside with the reason, never dropped; a message is
// told apart from another by its bytes, never by a Message-ID a sender chose.
// The same mailbox receives unsubscribe requests by mail (List-Unsubscribe's mailto,
// the signed token in the subject): a genuine token unsubscribes its subscriber at
// once, with the mail as evidence; a missing or forged one is kept aside and changes nothing.
import type { MailboxReport, ReportKind } from './bounce-report.ts';
import { readMailboxReport } from './bounce-report.ts';
import type { ChangeEvidence } from '../subscribers/subscriber.ts';
import { verifyUnsubscribeToken } from '../signing/tokens.ts';
import { looksLikeReturnPath, readDeliveryToken, readReturnPath, transactionalMail, type DeliveryRef } from '../signing/return-path.ts';

export interface FoundDelivery {
  /** The issue, or transactionalMail (0) for a confirmation or welcome mail. */
  issue: number;
  subscriberId: number;
  email: string;
  /** Which transactional mail, when it is one. */
  mail?: 'confirm' | 'welcome' | undefined;
}

/** One report about one delivery, ready to apply. */
export interface ReportToApply {
  fingerprint: string;
  /** "mailbox:bounces.mbox", "imap", "ses", "resend". */
  source: string;
  reportId: string | undefined;
  kind: ReportKind;
  delivery: FoundDelivery;
  status: string | undefined;
  diagnostic: string | undefined;
  feedbackType?: string | undefined;
}

export type ReportOutcome =
  | { outcome: 'bounced' | 'complained' | 'counted' | 'noted' | 'unchanged'; detail: string; issue: number; subscriberId: number; email: string }
  | { outcome: 'unsubscribed' | 'already-unsubscribed'; detail: string; subscriberId: number; email: string }
  | { outcome: 'duplicate'; detail: string }
  | { outcome: 'set-aside'; detail: string };

export interface SoftBouncePolicy {
  /** This many soft bounces … */
  bounces: number;
  /** … within the subscriber's last this-many sends make the address bounced. */
  sends: number;
}

/** What the processor needs from the delivery database. */
export interface BounceStore {
  /** The delivery, if its message went out (sent, or transmitted with an unknown outcome). */
  findDelivery(ref: DeliveryRef): Promise<FoundDelivery | undefined>;
  findDeliveryByMessageId(messageId: string): Promise<FoundDelivery | undefined>;
  isRecorded(fingerprint: string): Promise<boolean>;
  /** Records the report and makes the state change it calls for, in one transaction; a known fingerprint changes nothing. */
  applyReport(report: ReportToApply, policy: SoftBouncePolicy, now: Date): Promise<ReportOutcome>;
  setAside(item: { fingerprint: string; source: string; reason: string; raw: Buffer }, now: Date): Promise<'kept' | 'duplicate'>;
  /** Unsubscribes the token's subscriber and records the mail, in one transaction; a known fingerprint changes nothing. */
  unsubscribeByMail(request: UnsubscribeByMail, now: Date): Promise<ReportOutcome | { outcome: 'no-subscriber' }>;
}

export interface UnsubscribeByMail {
  fingerprint: string;
  source: string;
  /** From a verified unsubscribe token. */
  subscriberToken: string;
  evidence: ChangeEvidence;
}

/** An email service's event, parsed from its webhook (service-events.ts). */
export interface ServiceEvent {
  fingerprint: string;
  reportId: string | undefined;
  kind: ReportKind;
  /** Our signed delivery token, from the message's tags. */
  token: string | undefined;
  /** The Message-ID header the message went out with, if the event repeats it. */
  messageId: string | undefined;
  status: string | undefined;
  diagnostic: string | undefined;
  feedbackType?: string | undefined;
  /** The event as received, kept when it names no delivery of ours. */
  raw: string;
}

export interface BounceProcessorDeps {
  store: BounceStore;
  secret: string;
  softLimit: SoftBouncePolicy;
  now: () => Date;
}

export class BounceProcessor {
  readonly #deps: BounceProcessorDeps;

  constructor(deps: BounceProcessorDeps) {
    this.#deps = deps;
  }

  /** One message from the bounce mailbox. */
  async processMessage(raw: Buffer, source: string): Promise<ReportOutcome[]> {
    const report = await readMailboxReport(raw);
    if (await this.#deps.store.isRecorded(report.fingerprint)) return [{ outcome: 'duplicate', detail: 'this report was processed before' }];
    if (report.type === 'unrecognised') return [await this.#setAside(report.fingerprint, source, report.reason, raw)];
    if (report.type === 'unsubscribe') return [await this.#unsubscribe(report, source, raw)];
    const located = await this.#locate(report.clues.returnPaths, [], report.clues.messageIds);
    if ('reason' in located) return [await this.#setAside(report.fingerprint, source, located.reason, raw)];
    return this.#applyAll(report, located.delivery, source);
  }

  /** One event from an email service's webhook. */
  async processServiceEvent(event: ServiceEvent, source: string): Promise<ReportOutcome> {
    if (await this.#deps.store.isRecorded(event.fingerprint)) return { outcome: 'duplicate', detail: 'this event was processed before' };
    const located = await this.#locate([], event.token ? [event.token] : [], event.messageId ? [event.messageId] : []);
    if ('reason' in located) return this.#setAside(event.fingerprint, source, located.reason, Buffer.from(event.raw));
    return this.#deps.store.applyReport(
      { fingerprint: reportFingerprint(located.delivery, event.kind), source, reportId: event.reportId, kind: event.kind, delivery: located.delivery, status: event.status, diagnostic: event.diagnostic, feedbackType: event.feedbackType },
      this.#deps.softLimit,
      this.#deps.now(),
    );
  }

  async #applyAll(report: Extract<MailboxReport, { outcomes: unknown }>, delivery: FoundDelivery, source: string): Promise<ReportOutcome[]> {
    // Our messages have one recipient each; a report listing several is about that one,
    // and the most serious outcome in it is the one that counts.
    const rank: Record<ReportKind, number> = { complaint: 4, hard: 3, soft: 2, delayed: 1, delivered: 0 };
    const outcome = [...report.outcomes].sort((a, b) => rank[b.kind] - rank[a.kind])[0]!;
    return [
      await this.#deps.store.applyReport(
        { fingerprint: reportFingerprint(delivery, outcome.kind), source, reportId: report.reportId, kind: outcome.kind, delivery, status: outcome.status, diagnostic: outcome.diagnostic, feedbackType: outcome.feedbackType },
        this.#deps.softLimit,
        this.#deps.now(),
      ),
    ];
  }

  async #locate(returnPaths: string[], tokens: string[], messageIds: string[]): Promise<{ delivery: FoundDelivery } | { reason: string }> {
    const { store, secret } = this.#deps;
    const ref = readReturnPath(returnPaths, secret) ?? tokens.map((t) => readDeliveryToken(t, secret)).find((r) => r !== undefined);
    if (ref) {
      const delivery = await store.findDelivery(ref);
      if (delivery) return { delivery };
      const what = ref.issue === transactionalMail ? 'a confirmation or welcome mail' : `issue #${ref.issue}`;
      return { reason: `its return path names ${what} to subscriber #${ref.subscriberId}, but no such message was sent` };
    }
    for (const id of messageIds) {
      const delivery = await store.findDeliveryByMessageId(`<${id.trim().replace(/^<|>$/g, '')}>`);
      if (delivery) return { delivery };
    }
    if (returnPaths.some(looksLikeReturnPath) || tokens.length > 0) return { reason: 'it carries a delivery token that was not made with this newsletter\'s secret (forged or damaged)' };
    return { reason: 'it names no delivery of ours: no signed return path, and no Message-ID of a message we sent' };
  }

  async #unsubscribe(request: Extract<MailboxReport, { type: 'unsubscribe' }>, source: string, raw: Buffer): Promise<ReportOutcome> {
    if (!request.token) {
      return this.#setAside(request.fingerprint, source, `an unsubscribe request by mail without the token the List-Unsubscribe address puts in its subject; nothing changed (sent by ${request.sender ?? 'an unknown sender'}: unsubscribe that address by hand if the request is genuine)`, raw);
    }
    const verified = verifyUnsubscribeToken(request.token, this.#deps.secret);
    if (!verified) return this.#setAside(request.fingerprint, source, "an unsubscribe request whose token was not made with this newsletter's secret (forged or damaged); nothing changed", raw);
    const result = await this.#deps.store.unsubscribeByMail(
      { fingerprint: request.fingerprint, source, subscriberToken: verified.subscriberToken, evidence: { source, sender: request.sender, report: request.reportId } },
      this.#deps.now(),
    );
    if (result.outcome === 'no-subscriber') return this.#setAside(request.fingerprint, source, 'an unsubscribe request for a subscriber who no longer exists (erased); nothing changed', raw);
    return result;
  }

  async #setAside(fingerprint: string, source: string, reason: string, raw: Buffer): Promise<ReportOutcome> {
    const kept = await this.#deps.store.setAside({ fingerprint, source, reason, raw }, this.#deps.now());
    return kept === 'duplicate' ? { outcome: 'duplicate', detail: 'kept aside before' } : { outcome: 'set-aside', detail: reason };
  }
}

/** What a report says, as the key it is recorded under: one outcome of a kind per delivery (each has one recipient). */
function reportFingerprint(delivery: FoundDelivery, kind: ReportKind): string {
  return `report:${delivery.issue}:${delivery.subscriberId}:${kind}`;
}
