// Room mail-queue/: the transactional mails (confirmation and welcome) between the
// subscription step that causes one and its hand-off to the transport. This file holds
// what the mail worker needs from the queue, declared here by its user; the queue in
// the delivery database (delivery/sqlite/sqlite-mail-queue.ts) implements it. The worker
// (mail-worker.ts) drains it, transactional-message.ts composes each mail.
import type { Subscriber } from '../subscribers/subscriber.ts';

export type MailKind = 'confirm' | 'welcome';
export type MailState = 'queued' | 'sending' | 'sent' | 'failed' | 'skipped';

export interface QueuedMail {
  id: number;
  kind: MailKind;
  /** Attempts including the one just claimed. */
  attempts: number;
  /** Undefined when the subscriber was erased after the mail was queued. */
  subscriber: Subscriber | undefined;
}

/** What the mail worker needs from the queue. */
export interface MailQueue {
  /** Puts back mails left mid-attempt by a worker that is gone, or by this one (`ownOnly`). */
  requeueInterrupted(now: Date, ownOnly?: boolean): Promise<number>;
  /** Moves up to `limit` due mails to "sending" and returns them, oldest first. */
  claimDue(limit: number, now: Date): Promise<QueuedMail[]>;
  markSent(id: number, now: Date): Promise<void>;
  markRetry(id: number, error: string, notBefore: Date): Promise<void>;
  markFinal(id: number, state: 'failed' | 'skipped', reason: string, now: Date): Promise<void>;
  /** When the earliest queued mail is due; undefined when none is queued. */
  nextDue(): Promise<Date | undefined>;
  counts(): Promise<Record<MailState, number>>;
}
