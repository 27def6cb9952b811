// Room messages/: what each recipient receives — the issue loaded and rendered once
// (issue-mail.ts), its body encoded once (mime-template.ts), and one message per
// recipient (this file), as the OutgoingMessage the send loop hands to a transport.
// Pure but for issue-mail.ts, which is where the content store is read.
// Turns the issue email, rendered once per send, into one recipient's message: the
// placeholders filled (HTML-escaped in the HTML part), a personal signed unsubscribe
// link, the RFC 2369/8058 list headers, a Message-ID stable per (issue, subscriber)
// and the delivery's own signed return path. Pure: everything it needs is handed in.
import { randomBytes } from 'node:crypto';
import type { Settings } from '../../content/model.ts';
import { fillPlaceholders, toHeaderText, type RenderWarning } from '../../core/render.ts';
import { buildMimeParts, compileMimeTemplate, type MimeTemplate } from './mime-template.ts';
import { createDeliveryToken, returnPathFor } from '../signing/return-path.ts';
import { createMessageId, createUnsubscribeToken } from '../signing/tokens.ts';
import type { OutgoingMessage } from '../sending/transport.ts';

/** What emails/issue-email.ts renderIssueEmail returns. */
export interface RenderedEmail {
  subject: string;
  preheader: string;
  html: string;
  text: string;
  warnings: RenderWarning[];
}

export interface MessageContext {
  issueNumber: number;
  settings: Pick<Settings, 'title' | 'senderName' | 'senderEmail' | 'replyTo'>;
  /** Public site URL without trailing slash; the unsubscribe page lives under it. */
  baseUrl: string;
  secret: string;
  /** Address for mailto: unsubscribes; defaults to the reply-to or sender address. */
  unsubscribeMailto: string | undefined;
  date: Date;
  /** The mailbox bounces come back to; each delivery's envelope sender is a signed variant of it (VERP). */
  bounceAddress?: string | undefined;
}

export interface MessageRecipient {
  email: string;
  name: string | undefined;
  /** The subscriber's opaque token. */
  token: string;
  /** Known for real deliveries (not test copies): names the delivery in its return path and tags. */
  subscriberId?: number | undefined;
}

export function unsubscribeUrl(baseUrl: string, token: string, secret: string): string {
  return unsubscribeLink(baseUrl, createUnsubscribeToken(token, secret));
}

function unsubscribeLink(baseUrl: string, signedToken: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/unsubscribe?token=${encodeURIComponent(signedToken)}`;
}

/** RFC 2919 list identifier: a dot-atom under the site's host, e.g. "newsletter.news.example.org". */
export function listId(title: string, baseUrl: string): string {
  const host = new URL(baseUrl).hostname.toLowerCase();
  const label = listLabel(title);
  return `${toHeaderText(title).replace(/["\\]/g, '')} <${label}.${host}>`.trim();
}

function listLabel(title: string): string {
  return title.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'newsletter';
}

/**
 * Gmail's Feedback-ID ("campaign:list:newsdesk:sender domain"): the Postmaster Tools
 * feedback loop reports complaint rates per issue (or per transactional kind) with it.
 * No field is unique per recipient, as the feedback loop requires.
 */
export function feedbackId(campaign: string, title: string, senderEmail: string): string {
  const domain = senderEmail.slice(senderEmail.lastIndexOf('@') + 1).toLowerCase();
  return `${campaign}:${listLabel(title)}:newsdesk:${domain}`;
}

/** A test copy of an issue: "[Test]" before the subject, and a throwaway token so its unsubscribe link matches nobody. */
export function composeTestCopy(email: RenderedEmail, to: string, ctx: MessageContext): OutgoingMessage {
  return composeIssueMessage({ ...email, subject: `[Test] ${email.subject}` }, { email: to, name: undefined, token: randomBytes(16).toString('base64url') }, ctx);
}

// One send renders one email and composes every recipient's message from it: the
// encoded body is compiled on first use and kept as long as the email object lives.
const templates = new WeakMap<RenderedEmail, MimeTemplate>();

/**
 * One subscriber's RFC 2369/8058 unsubscribe headers: their signed https link (one-click
 * POST) and a mailto whose subject carries the same signed token, so an unsubscribe by
 * mail names the subscriber even when it comes from another address.
 */
export function listUnsubscribeHeaders(
  subscriberToken: string,
  ctx: Pick<MessageContext, 'baseUrl' | 'secret' | 'unsubscribeMailto'> & { settings: Pick<Settings, 'replyTo' | 'senderEmail'> },
): { url: string; headers: { 'List-Unsubscribe': string; 'List-Unsubscribe-Post': string } } {
  const token = createUnsubscribeToken(subscriberToken, ctx.secret);
  const url = unsubscribeLink(ctx.baseUrl, token);
  const mailto = ctx.unsubscribeMailto ?? ctx.settings.replyTo ?? ctx.settings.senderEmail;
  return {
    url,
    headers: {
      'List-Unsubscribe': `<${url}>, <mailto:${mailto}?subject=${encodeURIComponent(`unsubscribe ${token}`)}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  };
}

/** What every recipient's message of one send shares, worked out from these inputs. */
interface SharedFields {
  inputs: readonly [subject: string, senderName: string, senderEmail: string, title: string, baseUrl: string, issueNumber: number];
  fromName: string;
  subject: string;
  domain: string;
  listId: string;
  feedbackId: string;
}

/** Per message context (one per send): its shared fields, made again whenever an input differs from the last call's. */
const sharedFields = new WeakMap<MessageContext, SharedFields>();

function sharedFieldsOf(email: RenderedEmail, ctx: MessageContext): SharedFields {
  const { senderName, senderEmail, title } = ctx.settings;
  const inputs = [email.subject, senderName, senderEmail, title, ctx.baseUrl, ctx.issueNumber] as const;
  const known = sharedFields.get(ctx);
  if (known && known.inputs.every((value, i) => value === inputs[i])) return known;
  const shared: SharedFields = {
    inputs,
    fromName: toHeaderText(senderName),
    subject: toHeaderText(email.subject),
    domain: senderEmail.slice(senderEmail.lastIndexOf('@') + 1).toLowerCase(),
    listId: listId(title, ctx.baseUrl),
    feedbackId: feedbackId(String(ctx.issueNumber), title, senderEmail),
  };
  sharedFields.set(ctx, shared);
  return shared;
}

export function composeIssueMessage(email: RenderedEmail, recipient: MessageRecipient, ctx: MessageContext): OutgoingMessage {
  const unsubscribe = listUnsubscribeHeaders(recipient.token, ctx);
  const values = { unsubscribeUrl: unsubscribe.url, recipientEmail: recipient.email };
  // The same for every recipient of the send: worked out once, not per message.
  const shared = sharedFieldsOf(email, ctx);
  const message: OutgoingMessage = {
    from: { name: shared.fromName, address: ctx.settings.senderEmail },
    to: { name: recipient.name === undefined ? undefined : toHeaderText(recipient.name) || undefined, address: recipient.email },
    replyTo: ctx.settings.replyTo,
    subject: shared.subject,
    text: '',
    html: '',
    messageId: createMessageId(ctx.issueNumber, recipient.token, ctx.secret, shared.domain),
    date: ctx.date,
    headers: { ...unsubscribe.headers, 'List-Id': shared.listId, 'Feedback-ID': shared.feedbackId },
  };
  // The filled parts are only read when something composes the message again (adapters
  // send `mime` as it is), so they are filled on first read rather than per recipient.
  if (recipient.subscriberId !== undefined) {
    const ref = { issue: ctx.issueNumber, subscriberId: recipient.subscriberId };
    message.deliveryToken = createDeliveryToken(ref, ctx.secret);
    if (ctx.bounceAddress) message.returnPath = returnPathFor(ref, ctx.bounceAddress, ctx.secret);
  }
  lazily(message, 'text', () => fillPlaceholders(email.text, values, false));
  lazily(message, 'html', () => fillPlaceholders(email.html, values, true));
  let template = templates.get(email);
  if (!template) templates.set(email, (template = compileMimeTemplate(email)));
  // Joined only if something asks for the whole (DKIM signing, an email service's API): the
  // SMTP pool writes the pieces, so no recipient costs a copy of the whole message.
  const parts = buildMimeParts(template, message, values);
  let mime: Buffer | undefined;
  message.mimeParts = parts;
  Object.defineProperty(message, 'mime', {
    enumerable: true,
    configurable: true,
    get: () => (mime ??= Buffer.concat(parts)),
    // Whoever replaces the message replaces its pieces too.
    set: (v: Buffer | undefined) => void ((mime = v), (message.mimeParts = undefined)),
  });
  return message;
}

function lazily<K extends 'text' | 'html'>(message: OutgoingMessage, key: K, fill: () => string): void {
  let value: string | undefined;
  Object.defineProperty(message, key, { enumerable: true, configurable: true, get: () => (value ??= fill()), set: (v: string) => void (value = v) });
}
