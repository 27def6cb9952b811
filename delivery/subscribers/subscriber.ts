// Room subscribers/: who is on the list and how they get on and off it — the subscriber
// model (this file), the subscription steps behind the public forms, imports and CSV.
// It declares what it needs from storage (SubscriptionStore in subscriptions.ts,
// SubscriberImporter in import-subscribers.ts); delivery/sqlite/ implements them.
// What a subscriber is, independent of where subscribers are stored: the states and
// which moves between them are allowed, how an address is normalised, and the zod
// schema every row from outside (CSV import, CLI, HTTP form) goes through.
import { z } from 'zod';
import { toHeaderText } from '../../core/render.ts';

export const subscriberStates = ['pending', 'active', 'unsubscribed', 'bounced', 'complained'] as const;
export type SubscriberState = (typeof subscriberStates)[number];

/** States an address never leaves by import or re-subscription: the law and the inbox providers say so. */
export const suppressedStates: ReadonlySet<SubscriberState> = new Set(['unsubscribed', 'bounced', 'complained']);

export function isSuppressed(state: SubscriberState): boolean {
  return suppressedStates.has(state);
}

/**
 * Whether `from → to` is a move newsdesk makes on its own authority. Leaving a
 * suppressed state is never automatic; only a fresh, confirmed opt-in by the person
 * (the server's confirm flow, actor "subscriber") may do that.
 */
export function canTransition(from: SubscriberState, to: SubscriberState, actor: 'subscriber' | 'system'): boolean {
  if (from === to) return false;
  // A spam report outranks an unsubscribe or a bounce: it also keeps the form from mailing them.
  if (isSuppressed(from)) return (actor === 'subscriber' && to === 'pending') || (actor === 'system' && to === 'complained');
  if (from === 'pending') return true;
  // active → pending makes no sense: consent was already given.
  return to !== 'pending';
}

/**
 * How an address is shown and mailed: trimmed, the domain lower-cased, the local part
 * as the person typed it.
 */
export function normalizeEmail(raw: string): string {
  const trimmed = raw.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0) return trimmed;
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}

/**
 * Who an address is: the whole address lower-cased. RFC 5321 lets a local part be
 * case-sensitive, but no mailbox provider in use treats Carol@ and carol@ as two
 * people, and treating them as two re-subscribes the unsubscribed and doubles mail.
 */
export function emailKey(raw: string): string {
  return normalizeEmail(raw).normalize('NFC').toLowerCase();
}

/**
 * An address as an email program copies it, `Ada Okafor <ada@example.org>` or
 * `"Okafor, Ada" <ada@example.org>`: its address and the name before it. Anything else is
 * taken as the address alone (and checked as one).
 */
export function mailboxParts(text: string): { email: string; name: string | undefined } {
  const match = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^"<>]*?))\s*<([^<>\s]+)>\s*$/.exec(text);
  if (!match) return { email: text, name: undefined };
  const name = (match[1]?.replace(/\\(.)/g, '$1') ?? match[2] ?? '').trim();
  return { email: match[3]!, name: name || undefined };
}

/** How restrictive a state is, for merging two records of one mailbox: the stricter one wins. */
export const stateStrictness: Readonly<Record<SubscriberState, number>> = { pending: 0, active: 1, unsubscribed: 2, bounced: 3, complained: 4 };

export const emailSchema = z
  .string()
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters or line breaks')
  .transform(normalizeEmail)
  .pipe(z.string().min(1, { message: 'is empty', abort: true }).max(254, 'is longer than 254 characters').email('is not a valid email address'));

const nameSchema = z
  .string()
  .max(200, 'is longer than 200 characters')
  // Names reach the To: header; no line break may survive into it.
  .transform((v) => toHeaderText(v))
  .transform((v) => (v === '' ? undefined : v));

export const subscriberInputSchema = z.object({
  email: emailSchema,
  name: nameSchema.optional(),
  /** Only the suppressed states may be imported as such (moving a suppression list in). */
  state: z
    .string()
    .trim()
    .toLowerCase()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.enum(subscriberStates, { error: `must be one of ${subscriberStates.join(', ')}` }).optional())
    .optional(),
  source: z
    .string()
    .trim()
    .max(100)
    .transform((v) => (v === '' ? undefined : v))
    .optional(),
});
export type SubscriberInput = z.infer<typeof subscriberInputSchema>;

export interface Subscriber {
  id: number;
  email: string;
  name: string | undefined;
  state: SubscriberState;
  source: string;
  /** Opaque random value that unsubscribe links carry (signed); says nothing about the person. */
  token: string;
  attributes: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** What a change made by a report rests on: kept with the change in the history. */
export interface ChangeEvidence {
  /** The issue whose delivery the report is about. */
  issue?: number | undefined;
  /** Or the transactional mail it is about: "confirm", "welcome". */
  mail?: string | undefined;
  /** Enhanced status code (RFC 3463), e.g. "5.1.1"; or the service's bounce type. */
  status?: string | undefined;
  /** The receiving server's words, e.g. "smtp; 550 5.1.1 user unknown". */
  diagnostic?: string | undefined;
  /** ARF Feedback-Type (RFC 5965), e.g. "abuse". */
  feedbackType?: string | undefined;
  /** Where the report came from: "mailbox:bounces.mbox", "imap", "ses", "resend", "smtp". */
  source?: string | undefined;
  /** The From address of an unsubscribe mail (the token, not this address, says who is unsubscribed). */
  sender?: string | undefined;
  /** The report's own id: a DSN's Message-ID, an SNS MessageId, a webhook id, an unsubscribe mail's Message-ID. */
  report?: string | undefined;
  /** Issues with a soft bounce that added up to this change. */
  softBounceIssues?: number[] | undefined;
}

export interface SubscriberEvent {
  subscriberId: number;
  from: SubscriberState | undefined;
  to: SubscriberState;
  /** Who or what made the change, e.g. "import:list.csv", "send:issue-12", "subscriber", "admin". */
  actor: string;
  reason: string | undefined;
  at: string;
  evidence?: ChangeEvidence | undefined;
}
