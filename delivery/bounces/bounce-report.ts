// Reads one message from the bounce mailbox (parsed with mailparser) and says what it
// reports: a delivery status notification (RFC 3464), a feedback-loop complaint
// (RFC 5965 ARF), an unsubscribe request sent to List-Unsubscribe's mailto (its
// subject "unsubscribe <token>"), or none of them, with the reason. What it reports is sorted here too: a
// failed delivery is a hard bounce when the address itself is bad and a soft one when
// the failure may pass (a full mailbox, a policy or a network refusal); a delayed or
// delivered notice changes nothing. Which delivery a report is about is left to the
// caller, from the return paths and Message-IDs found in it.
import { createHash } from 'node:crypto';
import type { Attachment } from 'mailparser';

export type ReportKind = 'hard' | 'soft' | 'complaint' | 'delayed' | 'delivered';

/** Where the delivery a report is about may be named: signed return paths, and our Message-IDs. */
export interface DeliveryClues {
  returnPaths: string[];
  messageIds: string[];
}

export interface ReportedOutcome {
  kind: ReportKind;
  /** The failed recipient as the report names it. */
  recipient: string | undefined;
  /** Enhanced status code (RFC 3463), e.g. "5.1.1". */
  status: string | undefined;
  /** The remote server's words, one line. */
  diagnostic: string | undefined;
  feedbackType?: string | undefined;
}

export type MailboxReport =
  | { type: 'dsn' | 'arf'; fingerprint: string; reportId: string | undefined; reporter: string | undefined; outcomes: ReportedOutcome[]; clues: DeliveryClues }
  | { type: 'unsubscribe'; fingerprint: string; reportId: string | undefined; token: string | undefined; sender: string | undefined }
  | { type: 'unrecognised'; fingerprint: string; reportId: string | undefined; reason: string };

/** Feedback types that are a reader's complaint (RFC 5965 §7.3); not-spam and auth-failure are not. */
const complaintTypes = new Set(['abuse', 'fraud', 'virus', 'other']);

export async function readMailboxReport(raw: Buffer): Promise<MailboxReport> {
  const reportId = headerValue(raw, 'message-id');
  // The same message is the same bytes. Never its Message-ID alone: anyone can send a
  // message with a real report's Message-ID first. Reports themselves are told apart by
  // what they report (bounce-processor.ts), whatever message carried them.
  const fingerprint = `mail:${createHash('sha256').update(raw).digest('base64url')}`;
  // Loaded on first use: commands that read no mail start without it.
  const { simpleParser } = await import('mailparser');
  let parsed: Awaited<ReturnType<typeof simpleParser>>;
  try {
    parsed = await simpleParser(raw, { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  } catch (error) {
    return { type: 'unrecognised', fingerprint, reportId, reason: `not a readable email message (${(error as Error).message})` };
  }
  const part = (type: string) => parsed.attachments.find((a) => a.contentType === type);
  const original = part('message/rfc822') ?? part('text/rfc822-headers');
  const originalHeaders = original ? parseFieldBlocks(headerSection(textOf(original)))[0] ?? new Map<string, string>() : new Map<string, string>();
  const own = (name: string) => headerValue(raw, name);

  const status = part('message/delivery-status');
  if (status) {
    const [perMessage = new Map<string, string>(), ...perRecipient] = parseFieldBlocks(textOf(status));
    const outcomes = perRecipient.filter((f) => f.has('final-recipient') || f.has('action') || f.has('status')).map(toOutcome);
    if (outcomes.length === 0) return { type: 'unrecognised', fingerprint, reportId, reason: 'delivery status notification without a recipient block' };
    return {
      type: 'dsn',
      fingerprint,
      reportId,
      reporter: stripType(perMessage.get('reporting-mta')),
      outcomes,
      clues: {
        returnPaths: compact([own('to'), own('delivered-to'), own('x-original-to'), stripType(perMessage.get('x-postfix-sender')), originalHeaders.get('return-path')]),
        messageIds: compact([originalHeaders.get('message-id'), perMessage.get('x-original-message-id'), own('in-reply-to'), ...(own('references') ?? '').split(/\s+/)]),
      },
    };
  }

  const feedback = part('message/feedback-report');
  if (feedback) {
    const fields = parseFieldBlocks(textOf(feedback))[0] ?? new Map<string, string>();
    const feedbackType = (fields.get('feedback-type') ?? '').toLowerCase();
    if (!complaintTypes.has(feedbackType)) {
      return { type: 'unrecognised', fingerprint, reportId, reason: feedbackType ? `feedback report of type "${feedbackType}", which is not a reader's complaint` : 'feedback report without a Feedback-Type' };
    }
    return {
      type: 'arf',
      fingerprint,
      reportId,
      reporter: fields.get('user-agent'),
      outcomes: [{ kind: 'complaint', recipient: stripAngles(fields.get('original-rcpt-to')), status: undefined, diagnostic: `${feedbackType} report${fields.get('user-agent') ? ` by ${fields.get('user-agent')}` : ''}`, feedbackType }],
      clues: {
        returnPaths: compact([fields.get('original-mail-from'), originalHeaders.get('return-path')]),
        messageIds: compact([originalHeaders.get('message-id')]),
      },
    };
  }

  // A mail program answering the mailto writes the subject as given; a reply or forward may prefix it.
  const request = /^(?:(?:re|fwd?|aw|sv|tr)\s*:\s*)*unsubscribe(?:\s+(\S+))?\s*$/i.exec((parsed.subject ?? '').trim());
  if (request && !/auto-replied|auto-generated/i.test(own('auto-submitted') ?? '')) {
    return { type: 'unsubscribe', fingerprint, reportId, token: request[1], sender: parsed.from?.value[0]?.address };
  }

  const type = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const reason =
    type?.value === 'multipart/report'
      ? `a multipart/report of type "${type.params?.['report-type'] ?? 'unknown'}" without a delivery-status or feedback-report part`
      : /auto-replied|auto-generated/i.test(own('auto-submitted') ?? '')
        ? 'an automatic reply (out of office or similar), not a delivery report'
        : 'neither a delivery status notification (RFC 3464) nor a feedback report (RFC 5965)';
  return { type: 'unrecognised', fingerprint, reportId, reason };
}

function toOutcome(fields: Map<string, string>): ReportedOutcome {
  const action = (fields.get('action') ?? '').toLowerCase().trim();
  const diagnostic = fields.get('diagnostic-code');
  const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(fields.get('status') ?? '')?.[1] ?? /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(diagnostic ?? '')?.[1];
  return { kind: classifyDeliveryStatus(action, status), recipient: stripType(fields.get('final-recipient') ?? fields.get('original-recipient')), status, diagnostic };
}

/**
 * Hard: the address itself is bad or gone — 5.1.x (no such mailbox, bad domain), 5.2.1
 * (mailbox disabled), 5.4.4 (no mail host for the domain). Soft: every other failure,
 * which may pass — 5.2.2 (mailbox full), 5.3.x (their system), 5.7.x (policy, spam
 * filtering), 4.x.x given up on. Delayed and delivered notices are no bounce at all.
 */
export function classifyDeliveryStatus(action: string, status: string | undefined): ReportKind {
  if (action === 'delayed') return 'delayed';
  if (action === 'delivered' || action === 'relayed' || action === 'expanded') return 'delivered';
  if (!status) return 'soft';
  if (/^5\.1\.\d+$/.test(status) || status === '5.2.1' || status === '5.4.4') return 'hard';
  return 'soft';
}

/** "Name: value" blocks separated by blank lines, continuation lines unfolded; names lower-cased. */
export function parseFieldBlocks(text: string): Array<Map<string, string>> {
  const blocks: Array<Map<string, string>> = [];
  let current: Map<string, string> | undefined;
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      current = undefined;
      last = undefined;
      continue;
    }
    if (/^[ \t]/.test(line) && current && last) {
      current.set(last, `${current.get(last)} ${line.trim()}`);
      continue;
    }
    const match = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (!match) continue;
    if (!current) blocks.push((current = new Map()));
    last = match[1]!.toLowerCase();
    // The first occurrence wins: a relay adds its lines on top, the original is further down.
    if (!current.has(last)) current.set(last, match[2]!.trim());
    else last = undefined;
  }
  return blocks;
}

/** One header of the message itself (the top block), unfolded, or undefined. */
function headerValue(raw: Buffer, name: string): string | undefined {
  const end = raw.indexOf('\n\n') >= 0 ? raw.indexOf('\n\n') : raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end < 0 ? Math.min(raw.length, 64 * 1024) : end).toString('utf8');
  return parseFieldBlocks(head)[0]?.get(name);
}

function headerSection(text: string): string {
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

function textOf(attachment: Attachment): string {
  return attachment.content.toString('utf8');
}

/** "rfc822; someone@example.org" → "someone@example.org" */
function stripType(value: string | undefined): string | undefined {
  return stripAngles(value?.replace(/^[\w-]+;\s*/, ''));
}

function stripAngles(value: string | undefined): string | undefined {
  const v = value?.trim().replace(/^<|>$/g, '').trim();
  return v || undefined;
}

function compact(values: Array<string | undefined>): string[] {
  return values.map((v) => v?.trim()).filter((v): v is string => Boolean(v));
}
