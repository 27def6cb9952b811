// Resend's HTTP API with batch sending: messages handed in by the send loop's workers
// are gathered into POST /emails/batch requests of up to 100, at most
// RESEND_REQUESTS_PER_SECOND requests a second (Resend's limit is per team). A batch
// is handed off as a whole: every message's hand-off is recorded just before the
// request leaves, and a message whose hand-off is refused is left out of it. Each
// batch carries an Idempotency-Key made from its messages' ids, so when a request's
// answer is lost or throttled the same batch is posted again here and Resend sends it
// once. Validation is permissive: one bad message fails alone, not its whole batch.
// Resend composes the MIME itself (and signs it with the domain's DKIM); the delivery
// token rides in a tag, which Resend hands back in its bounce and complaint events.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../core/config.ts';
import { SlotLimiter } from '../sending/rate-limiter.ts';
import { retryDelayMs } from '../sending/retry-delay.ts';
import { sleep } from '../../core/sleep.ts';
import { HandOffRefused, mayHaveBeenSent, OutcomeUnknown, ServiceError, type ClassifiedFailure, type OutgoingMessage, type SendResult, type TransmitHooks, type Transport } from '../sending/transport.ts';

export interface ResendTransportOptions {
  apiKey: string;
  /** https://api.resend.com, or a stand-in. */
  apiUrl: string;
  requestsPerSecond: number;
  /** Messages per request; Resend takes up to 100. */
  batchSize?: number;
  /** How long a batch that is not full waits for more messages. */
  lingerMs?: number;
  /** Posts of one batch before its messages are handed back to the send loop as failed for now. */
  maxRequestAttempts?: number;
  fetch?: typeof fetch;
  random?: () => number;
}

/** The tag that carries a delivery's signed token into Resend's events. */
export const resendDeliveryTag = 'newsdesk_delivery';

interface Pending {
  message: OutgoingMessage;
  hooks: TransmitHooks;
  resolve: (result: SendResult) => void;
  reject: (error: unknown) => void;
}

const batchResponse = z.object({
  data: z.array(z.object({ id: z.string() })),
  errors: z.array(z.object({ index: z.number().int(), message: z.string() })).optional(),
});
const errorResponse = z.looseObject({ name: z.string().optional(), message: z.string().optional() });

export class ResendTransport implements Transport {
  readonly description: string;
  readonly #options: Required<Omit<ResendTransportOptions, 'fetch' | 'random'>> & Pick<ResendTransportOptions, 'fetch' | 'random'>;
  readonly #limiter: SlotLimiter;
  #pending: Pending[] = [];
  #pumping = false;
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(options: ResendTransportOptions) {
    this.#options = { batchSize: 100, lingerMs: 20, maxRequestAttempts: 3, ...options };
    this.#options.batchSize = Math.min(100, Math.max(1, this.#options.batchSize));
    this.#limiter = new SlotLimiter(options.requestsPerSecond, { now: () => performance.now(), sleep });
    this.description = `Resend ${new URL(options.apiUrl).host} (batches of up to ${this.#options.batchSize}, ${options.requestsPerSecond} request(s)/s)`;
  }

  static fromConfig(config: { transport: Extract<Config['transport'], { kind: 'resend' }> }): ResendTransport {
    const { apiKey, apiUrl, requestsPerSecond } = config.transport;
    return new ResendTransport({ apiKey, apiUrl, requestsPerSecond });
  }

  send(message: OutgoingMessage, hooks: TransmitHooks = {}): Promise<SendResult> {
    if (this.#closed) return Promise.reject(Object.assign(new Error('The Resend transport is closed'), { code: 'ECONNECTION' }));
    return new Promise((resolve, reject) => {
      this.#pending.push({ message, hooks, resolve, reject });
      void this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
  }

  /** One loop at a time takes request slots and fills each request with what is waiting then. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#pending.length > 0) {
        await this.#limiter.take();
        if (this.#pending.length < this.#options.batchSize) await sleep(this.#options.lingerMs);
        const batch = this.#pending.splice(0, this.#options.batchSize);
        const request = this.#post(batch).finally(() => this.#inFlight.delete(request));
        this.#inFlight.add(request);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #post(batch: Pending[]): Promise<void> {
    const handedOff = await Promise.all(
      batch.map(async (item) => {
        try {
          await item.hooks.onTransmit?.();
          return item;
        } catch (error) {
          item.reject(new HandOffRefused(error));
          return undefined;
        }
      }),
    );
    const items = handedOff.filter((item): item is Pending => item !== undefined);
    if (items.length === 0) return;
    const key = `newsdesk/${createHash('sha256').update(items.map((i) => i.message.messageId).join('\n')).digest('base64url')}`;
    const body = JSON.stringify(items.map((i) => toResendEmail(i.message)));
    let failure: ClassifiedFailure = { kind: 'transient', message: 'not sent' };
    // Once a post may have reached Resend, only its own answer under this key can say; a later
    // retry by the send loop goes out in another batch, under another key, and could send twice.
    let mayHaveArrived = false;
    for (let attempt = 1; attempt <= this.#options.maxRequestAttempts; attempt++) {
      const answer = await this.#request(body, key);
      if (answer.ok) return settle(items, answer.body);
      failure = answer.failure;
      mayHaveArrived ||= answer.mayHaveArrived === true;
      if (failure.kind !== 'transient' || !answer.retry || attempt === this.#options.maxRequestAttempts) break;
      // The same batch under the same key: Resend sends it once even if an earlier post got through.
      await sleep(answer.retryAfterMs ?? retryDelayMs({ baseMs: 500, maxMs: 10_000 }, attempt, this.#options.random ?? Math.random));
    }
    const error = mayHaveArrived && failure.kind === 'transient' ? new OutcomeUnknown(new Error(failure.message)) : new ServiceError(failure);
    for (const item of items) item.reject(error);
  }

  async #request(body: string, idempotencyKey: string): Promise<{ ok: true; body: z.infer<typeof batchResponse> } | { ok: false; failure: ClassifiedFailure; retry: boolean; retryAfterMs?: number; mayHaveArrived?: boolean }> {
    let response: Response;
    try {
      response = await (this.#options.fetch ?? fetch)(`${this.#options.apiUrl}/emails/batch`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.#options.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
          'x-batch-validation': 'permissive',
        },
        body,
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { ok: false, failure: { kind: 'transient', message: `Resend unreachable: ${cause ?? (error as Error).message}` }, retry: true, mayHaveArrived: mayHaveBeenSent(error) };
    }
    const text = await response.text().catch(() => '');
    if (response.ok) {
      const parsed = batchResponse.safeParse(safeJson(text));
      if (parsed.success) return { ok: true, body: parsed.data };
      // Accepted, but in words we cannot read: retrying under the same key returns the same answer.
      return { ok: false, failure: { kind: 'transient', message: `Resend answered ${response.status} with an unexpected body: ${text.slice(0, 200)}` }, retry: false, mayHaveArrived: true };
    }
    const error = errorResponse.safeParse(safeJson(text));
    const name = error.success ? error.data.name : undefined;
    const failure = classifyResendError(response.status, name, (error.success && error.data.message) || text.slice(0, 300));
    const retryAfter = Number(response.headers.get('retry-after'));
    const retry = response.status === 429 ? name === undefined || name === 'rate_limit_exceeded' : response.status >= 500 || name === 'concurrent_idempotent_requests';
    return { ok: false, failure, retry, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: Math.min(retryAfter, 30) * 1000 } : {}) };
  }
}

/** Hands each message its id, or its own validation error (the errors name indexes into the request). */
function settle(items: Pending[], body: z.infer<typeof batchResponse>): void {
  const failed = new Map((body.errors ?? []).map((e) => [e.index, e.message]));
  let next = 0;
  items.forEach((item, index) => {
    const error = failed.get(index);
    if (error !== undefined) return item.reject(new ServiceError({ kind: 'permanent', message: `422 validation_error: ${error}` }));
    const created = body.data[next++];
    if (!created) return item.reject(new ServiceError({ kind: 'transient', message: 'Resend did not return an id for this message' }));
    item.resolve({ messageId: item.message.messageId, response: `Resend accepted it as ${created.id}` });
  });
}

/** Sorts a Resend error by status and name: throttling and quotas are "later", a refused message is final. */
export function classifyResendError(status: number, name: string | undefined, detail: string): ClassifiedFailure {
  const message = `${status} ${name ?? 'error'}: ${detail.replace(/\s+/g, ' ').trim()}`.slice(0, 500);
  if (status === 429) return { kind: 'transient', message, throttled: true };
  if (status === 400 || status === 422) return { kind: 'permanent', message };
  // 401/403 (a key problem), 409 (an idempotency clash) and 5xx: worth trying again once fixed.
  return { kind: 'transient', message };
}

function toResendEmail(m: OutgoingMessage) {
  const name = m.from.name.replace(/["\\]/g, '');
  return {
    from: name ? `"${name}" <${m.from.address}>` : m.from.address,
    to: [m.to.address],
    subject: m.subject,
    html: m.html,
    text: m.text,
    ...(m.replyTo ? { reply_to: m.replyTo } : {}),
    headers: { ...m.headers, 'Message-ID': m.messageId },
    ...(m.deliveryToken ? { tags: [{ name: resendDeliveryTag, value: m.deliveryToken }] } : {}),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
