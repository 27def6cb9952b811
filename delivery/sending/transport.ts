// The transport interface the send loop and the transactional mail worker use:
// anything with send(message). It lives with the loop that owns it; the adapters in
// delivery/transports/ (a pool of SMTP connections, Amazon SES, Resend's batch API and
// the .eml outbox) import it. Also the one place failures are sorted into "try again
// later", "never again" and "this address does not exist".

export interface OutgoingMessage {
  from: { name: string; address: string };
  to: { name?: string | undefined; address: string };
  replyTo?: string | undefined;
  subject: string;
  text: string;
  html: string;
  /** With angle brackets: "<issue12.abc@news.example.org>". */
  messageId: string;
  date: Date;
  /** Extra headers (List-Unsubscribe, List-Id …); values are already single-line. */
  headers: Record<string, string>;
  /**
   * The complete message, already built from the fields above (see delivery/messages/mime-template.ts).
   * When present, adapters send it as it is instead of composing it again.
   */
  mime?: Buffer | undefined;
  /**
   * The same bytes as `mime`, in the pieces they were built from (most of them the body
   * encoded once per send and shared by every message), for a transport that can write
   * them as they are rather than join them into one buffer per recipient.
   */
  mimeParts?: readonly Buffer[] | undefined;
  /**
   * The envelope sender (SMTP MAIL FROM) when it is not the From address: the
   * delivery's own return path (delivery/signing/return-path.ts). The From header is never changed.
   */
  returnPath?: string | undefined;
  /** The delivery's signed token, for services that hand tags back in their events. */
  deliveryToken?: string | undefined;
}

export interface SendResult {
  messageId: string;
  /** What the server (or the outbox) said, e.g. "250 2.0.0 Ok: queued as 4F2". */
  response: string;
}

export interface TransmitHooks {
  /**
   * Called once, before the message can be complete at the other end. Over SMTP: after
   * the server accepted DATA; the message may already be leaving while it runs, but its
   * final "." is written only once it has resolved. Over HTTP: before the request. If it
   * throws, the transport makes sure the message cannot arrive (over SMTP it closes the
   * connection without the final dot). The send loop records the hand-off here, so a
   * delivery counts as "outcome unknown" only once it may really have arrived. Not called
   * when the send fails earlier (connection, MAIL FROM, RCPT TO, DATA refused).
   */
  onTransmit?: () => void | Promise<void>;
}

export interface Transport {
  /** For plans and logs, e.g. "SMTP smtp.example.org:587 (pool of 5)" or "outbox .newsdesk/outbox". */
  readonly description: string;
  send(message: OutgoingMessage, hooks?: TransmitHooks): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * The message was transmitted in full (over SMTP: the final "." was written; over HTTP:
 * the request was sent) and the connection was lost before the reply: the relay may
 * have accepted it. Never retried by itself, since a retry could deliver it twice.
 */
export class OutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super(`outcome unknown: the connection was lost after the message was transmitted, before the reply (${oneLine(cause)})`, { cause });
    this.name = 'OutcomeUnknown';
  }
}

/** The hand-off hook refused (e.g. the send lost its lease): the message was not sent. */
export class HandOffRefused extends Error {
  constructor(cause: unknown) {
    super(`not sent: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'HandOffRefused';
  }
}

export type FailureKind =
  /** 4xx, dropped connection, time-out: the same message may succeed later. */
  | 'transient'
  /** 5xx: this message will not be accepted. */
  | 'permanent'
  /** 5.1.x: the address itself is bad; the subscriber is marked bounced. */
  | 'bounce'
  /** Transmitted, no reply: it may have arrived. Left for a person to resolve, never retried by itself. */
  | 'unknown';

export interface ClassifiedFailure {
  kind: FailureKind;
  /** One line, safe to store and print. */
  message: string;
  /** The service asked us to slow down (HTTP 429, a throttling error): the send lowers its pace. */
  throttled?: boolean;
}

/** A refusal by an email service, already sorted by its adapter (which knows the service's codes). */
export class ServiceError extends Error {
  readonly failure: ClassifiedFailure;

  constructor(failure: ClassifiedFailure, cause?: unknown) {
    super(failure.message, cause === undefined ? undefined : { cause });
    this.name = 'ServiceError';
    this.failure = failure;
  }
}

const transientCodes = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EDNS', 'ETLS', 'EPROTOCOL', 'ESTREAM', 'EMAXLIMIT']);

/** Sorts an error thrown by a transport. Unknown errors count as transient: retrying is bounded by maxAttempts. */
export function classifySendError(error: unknown): ClassifiedFailure {
  if (error instanceof HandOffRefused) return { kind: 'transient', message: error.message };
  if (error instanceof ServiceError) return error.failure;
  if (error instanceof OutcomeUnknown) return { kind: 'unknown', message: error.message };
  const e = (error ?? {}) as { responseCode?: unknown; response?: unknown; code?: unknown; message?: unknown };
  const text = String(e.response ?? e.message ?? error).replace(/\s+/g, ' ').trim().slice(0, 500);
  const code = typeof e.responseCode === 'number' ? e.responseCode : Number(/^([2-5]\d\d)[ -]/.exec(text)?.[1] ?? NaN);
  if (code >= 500 && code < 600) {
    // Enhanced status 5.1.x (RFC 3463): bad destination mailbox or address.
    return { kind: /\b5\.1\.\d{1,3}\b/.test(text) ? 'bounce' : 'permanent', message: text };
  }
  if (code >= 400 && code < 500) return { kind: 'transient', message: text };
  const errno = typeof e.code === 'string' ? e.code : '';
  if (errno === 'EENVELOPE' || errno === 'EMESSAGE') return { kind: 'permanent', message: `${errno}: ${text}` };
  return { kind: 'transient', message: errno && !transientCodes.has(errno) ? `${errno}: ${text}` : text };
}

/** Failures that happen before a connection exists: whatever was to be sent never left. */
const notConnected = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
/** Failures of a connection that was open: a request written to it may have been taken. */
const lostConnection = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED']);

/**
 * For the HTTP services (SES, Resend): whether a request that got no answer may still
 * have been acted on, i.e. the connection broke or timed out after the request was
 * written. An answered request (any HTTP status) or one that never connected was not.
 */
export function mayHaveBeenSent(error: unknown): boolean {
  for (let e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; $metadata?: { httpStatusCode?: number } } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.$metadata?.httpStatusCode) return false;
    const code = typeof e.code === 'string' ? e.code : '';
    if (notConnected.has(code)) return false;
    if (lostConnection.has(code)) return true;
    const message = String(e.message ?? '');
    if (e.name === 'TimeoutError') return !/without establishing a connection/i.test(message);
    if (/socket hang up|other side closed/i.test(message)) return true;
  }
  return false;
}

function oneLine(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const text = String(e?.message ?? error).replace(/\s+/g, ' ').trim().slice(0, 300);
  return typeof e?.code === 'string' && !text.startsWith(e.code) ? `${e.code}: ${text}` : text;
}
