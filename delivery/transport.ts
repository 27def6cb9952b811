// The transport interface the send loop (and the server's confirmation mails) use:
// anything with send(message). Adapters: smtp-transport.ts (nodemailer pool) and
// outbox-transport.ts (.eml files). Also the one place SMTP failures are sorted into
// "try again later", "never again" and "this address does not exist".

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
   * The complete message, already built from the fields above (see mime-template.ts).
   * When present, adapters send it as it is instead of composing it again.
   */
  mime?: Buffer | undefined;
}

export interface SendResult {
  messageId: string;
  /** What the server (or the outbox) said, e.g. "250 2.0.0 Ok: queued as 4F2". */
  response: string;
}

export interface Transport {
  /** For plans and logs, e.g. "SMTP smtp.example.org:587 (pool of 5)" or "outbox .newsdesk/outbox". */
  readonly description: string;
  send(message: OutgoingMessage): Promise<SendResult>;
  close(): Promise<void>;
}

export type FailureKind =
  /** 4xx, dropped connection, time-out: the same message may succeed later. */
  | 'transient'
  /** 5xx: this message will not be accepted. */
  | 'permanent'
  /** 5.1.x: the address itself is bad; the subscriber is marked bounced. */
  | 'bounce';

export interface ClassifiedFailure {
  kind: FailureKind;
  /** One line, safe to store and print. */
  message: string;
}

const transientCodes = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EDNS', 'ETLS', 'EPROTOCOL', 'ESTREAM', 'EMAXLIMIT']);

/** Sorts an error thrown by a transport. Unknown errors count as transient: retrying is bounded by maxAttempts. */
export function classifySendError(error: unknown): ClassifiedFailure {
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
