// The send loop: claims deliveries one at a time from the ledger, sends them through
// the transport at the configured rate and concurrency, and records every outcome
// before taking more work. It declares the small interfaces it needs (Ledger,
// BounceRecorder) so the SQLite adapters can be swapped for PostgreSQL ones, and it
// never assumes it is the only sender: a delivery is ours only once claim() said so.
import type { ClassifiedFailure, OutgoingMessage, SendResult, Transport } from './transport.ts';
import { classifySendError } from './transport.ts';

export interface Recipient {
  subscriberId: number;
  email: string;
  name: string | undefined;
  /** The subscriber's opaque token, for the unsubscribe link and Message-ID. */
  token: string;
  /** Attempts including the one just claimed. */
  attempts: number;
}

export interface Ledger {
  /**
   * Atomically moves up to `limit` due, queued deliveries whose subscriber is active
   * *now* to "sending" and returns them. Two senders never get the same delivery.
   */
  claim(issue: number, limit: number, now: Date): Promise<Recipient[]>;
  /** Gives claimed deliveries that were never attempted back to the queue (on stop). */
  release(issue: number, subscriberIds: number[]): Promise<void>;
  /** Records several accepted messages in one write. */
  markSent(issue: number, sent: Array<{ subscriberId: number; result: SendResult }>, now: Date): Promise<void>;
  /** Back to queued, not to be claimed before notBefore. */
  markRetry(issue: number, subscriberId: number, error: string, notBefore: Date, now: Date): Promise<void>;
  markFailed(issue: number, subscriberId: number, error: string, retryable: boolean, now: Date): Promise<void>;
  /** When the earliest queued delivery becomes due; undefined when nothing claimable is queued. */
  nextDue(issue: number): Promise<Date | undefined>;
}

export interface BounceRecorder {
  markBounced(subscriberId: number, actor: string, reason: string, now: Date): Promise<void>;
}

export interface SendOptions {
  /** Messages per second across all connections. */
  rate: number;
  /** Deliveries in flight at once (= SMTP connections in the pool). */
  concurrency: number;
  maxAttempts: number;
  /** Pause when more than this share of the last `pauseWindow` outcomes failed. */
  pauseErrorRate: number;
  pauseWindow: number;
  /** First retry delay; doubles per attempt, with jitter. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const defaultRetry = { retryBaseMs: 2_000, retryMaxMs: 5 * 60_000 } as const;

export interface SendProgress {
  sent: number;
  failed: number;
  bounced: number;
  retried: number;
}

export interface SendDeps {
  issue: number;
  ledger: Ledger;
  bounces: BounceRecorder;
  transport: Transport;
  /** Builds the message for one recipient (placeholders filled, headers set). */
  compose: (recipient: Recipient) => OutgoingMessage;
  options: SendOptions;
  signal: AbortSignal;
  now?: () => Date;
  random?: () => number;
  onProgress?: (progress: SendProgress) => void;
}

export type SendOutcome = SendProgress &
  ({ status: 'completed' } | { status: 'interrupted' } | { status: 'paused'; reason: string });

export async function runSend(deps: SendDeps): Promise<SendOutcome> {
  const { issue, ledger, transport, options, signal } = deps;
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const progress: SendProgress = { sent: 0, failed: 0, bounced: 0, retried: 0 };
  const recent: boolean[] = [];
  let recentFailures = 0;
  let lastError = '';
  let stop: { status: 'interrupted' } | { status: 'paused'; reason: string } | undefined;
  let inFlight = 0;
  const limiter = new RateLimiter(options.rate);
  // Claims are taken a few at a time (no more than can be in flight at once), so what
  // is claimed goes out at once and an unsubscribe still reaches everyone not yet sent.
  const claimBatch = Math.max(1, Math.min(options.concurrency, 32));
  const claimed: Recipient[] = [];
  let claiming: Promise<void> | undefined;
  const next = async (): Promise<Recipient | undefined> => {
    while (claimed.length === 0) {
      if (!claiming) {
        claiming = ledger.claim(issue, claimBatch, now()).then((rs) => void claimed.push(...rs));
        try {
          await claiming;
        } finally {
          claiming = undefined;
        }
        break;
      }
      await claiming;
    }
    return claimed.shift();
  };
  // Accepted messages are recorded in small batches: a crash before a batch is written
  // leaves those deliveries "sending", i.e. reported as unknown and never re-sent blindly.
  let sentBatch: Array<{ subscriberId: number; result: SendResult }> = [];
  let writing: Promise<void> = Promise.resolve();
  const flushSent = (): Promise<void> => {
    if (sentBatch.length > 0) {
      const batch = sentBatch;
      sentBatch = [];
      writing = writing.then(() => ledger.markSent(issue, batch, now()));
    }
    return writing;
  };
  const flushTimer = setInterval(() => void flushSent().catch(() => undefined), 100);

  const record = (failed: boolean) => {
    recent.push(failed);
    if (failed) recentFailures++;
    if (recent.length > options.pauseWindow && recent.shift()) recentFailures--;
    if (!stop && recent.length >= options.pauseWindow && recentFailures / recent.length > options.pauseErrorRate) {
      stop = {
        status: 'paused',
        reason: `${recentFailures} of the last ${recent.length} deliveries failed (more than ${Math.round(options.pauseErrorRate * 100)}%); last error: ${lastError}`,
      };
    }
    deps.onProgress?.(progress);
  };

  const deliver = async (recipient: Recipient) => {
    let failure: ClassifiedFailure | undefined;
    let result: SendResult | undefined;
    try {
      result = await transport.send(deps.compose(recipient));
    } catch (error) {
      failure = classifySendError(error);
    }
    const at = now();
    if (result) {
      sentBatch.push({ subscriberId: recipient.subscriberId, result });
      if (sentBatch.length >= 64) await flushSent();
      progress.sent++;
      record(false);
      return;
    }
    lastError = failure!.message;
    if (failure!.kind === 'transient' && recipient.attempts < options.maxAttempts) {
      const cap = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (recipient.attempts - 1));
      const delay = cap / 2 + (random() * cap) / 2;
      await ledger.markRetry(issue, recipient.subscriberId, failure!.message, new Date(at.getTime() + delay), at);
      progress.retried++;
    } else {
      await ledger.markFailed(issue, recipient.subscriberId, failure!.message, failure!.kind === 'transient', at);
      progress.failed++;
      if (failure!.kind === 'bounce') {
        await deps.bounces.markBounced(recipient.subscriberId, `send:issue-${issue}`, failure!.message, at);
        progress.bounced++;
      }
    }
    record(true);
  };

  const worker = async () => {
    while (!stop) {
      if (signal.aborted) {
        stop ??= { status: 'interrupted' };
        break;
      }
      await limiter.take(signal);
      if (stop || signal.aborted) continue;
      const recipient = await next();
      if (!recipient) {
        const due = await ledger.nextDue(issue);
        if (due === undefined && inFlight === 0) return;
        // Something is waiting for its retry time, or in flight elsewhere and may come back.
        const wait = due === undefined ? 50 : Math.max(5, Math.min(500, due.getTime() - now().getTime()));
        await sleep(wait, signal);
        continue;
      }
      inFlight++;
      try {
        await deliver(recipient);
      } finally {
        inFlight--;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    clearInterval(flushTimer);
    await flushSent();
    if (claimed.length > 0) await ledger.release(issue, claimed.splice(0).map((r) => r.subscriberId));
  }
  if (!stop && signal.aborted) stop = { status: 'interrupted' };
  return stop ? { ...progress, ...stop } : { ...progress, status: 'completed' };
}

/** Evenly spaced slots at `rate` per second shared by all workers. */
class RateLimiter {
  readonly #intervalMs: number;
  #next = 0;

  constructor(rate: number) {
    this.#intervalMs = 1000 / rate;
  }

  async take(signal: AbortSignal): Promise<void> {
    const t = performance.now();
    const slot = Math.max(t, this.#next);
    // Slots left unused while idle are not banked, so an idle spell is never followed by a burst.
    this.#next = slot + this.#intervalMs;
    const wait = slot - t;
    if (wait >= 1) await sleep(wait, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
