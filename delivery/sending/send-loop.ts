// The send loop: claims deliveries a few at a time from the ledger, sends them through
// the transport at the send's rate and concurrency, and records every outcome. The
// hand-off is recorded before a message can be complete (the transport's onTransmit),
// and a worker's next hand-off waits until its previous message's reply is recorded
// (the next message's envelope goes out meanwhile), so at any instant each worker has
// at most one delivery whose outcome a crash would leave unknown. It declares the
// small interfaces it needs (Ledger, BounceRecorder) so the SQLite adapters can be
// swapped for PostgreSQL ones, and never assumes it is the only sender: a delivery is
// ours only once claim() said so.
import { PauseWindow } from './pause-window.ts';
import { AdaptiveRate, SlotLimiter } from './rate-limiter.ts';
import { retryDelayMs } from './retry-delay.ts';
import { sleep } from '../../core/sleep.ts';
import type { ChangeEvidence } from '../subscribers/subscriber.ts';
import type { ClassifiedFailure, OutgoingMessage, SendResult, Transport } from './transport.ts';
import { classifySendError, HandOffRefused } from './transport.ts';

export interface Recipient {
  subscriberId: number;
  email: string;
  name: string | undefined;
  /** The subscriber's opaque token, for the unsubscribe link and Message-ID. */
  token: string;
  /** Attempts including the one just claimed. */
  attempts: number;
}

/** One issue's deliveries, as the send that holds the issue's lease sees them. */
export interface Ledger {
  /**
   * Atomically moves up to `limit` due, queued deliveries whose subscriber is active
   * *now* to "claimed" and returns them. Two senders never get the same delivery.
   */
  claim(limit: number, now: Date): Promise<Recipient[]>;
  /** Claimed → sending, just before the message leaves. Throws when the delivery is no longer ours. */
  markTransmitting(subscriberId: number, now: Date): Promise<void>;
  /** Gives claimed deliveries that were never attempted back to the queue (on stop). */
  release(subscriberIds: number[]): Promise<void>;
  markSent(subscriberId: number, result: SendResult, now: Date): Promise<void>;
  /** Back to queued, not to be claimed before notBefore. */
  markRetry(subscriberId: number, error: string, notBefore: Date): Promise<void>;
  markFailed(subscriberId: number, error: string, retryable: boolean, now: Date): Promise<void>;
  /**
   * Transmitted, but no reply came back (the connection was lost after the message went
   * out): stays "sending", the state whose outcome is unknown, with the reason recorded.
   * Only a person decides whether it is sent again.
   */
  markUnknown(subscriberId: number, error: string, now: Date): Promise<void>;
  /** When the earliest queued delivery becomes due; undefined when nothing claimable is queued. */
  nextDue(): Promise<Date | undefined>;
  /**
   * True when writes become durable in the order they are asked for (one group commit):
   * the loop then asks for a hand-off without first waiting for the previous reply's
   * record, and the two can share a commit. Otherwise it waits, so a crash never leaves
   * a connection with two deliveries whose outcome is unknown.
   */
  readonly writesInOrder?: boolean;
}

export interface BounceRecorder {
  /** `evidence` lands in the subscriber's history with the change. */
  markBounced(subscriberId: number, actor: string, reason: string, now: Date, evidence?: ChangeEvidence): Promise<void>;
}

export interface SendOptions {
  /** Messages per second for this send, across all its connections (the ceiling when the relay defers). */
  rate: number;
  /** Deliveries in flight at once (= SMTP connections in the pool). */
  concurrency: number;
  maxAttempts: number;
  /** Pause when more than this share of the last `pauseWindow` deliveries failed for good. */
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
  /** Transmitted but unanswered (the connection was lost before the reply): may have arrived, not retried. */
  unknown: number;
  /** Messages per second now (lower than configured while the relay defers). */
  rate: number;
  /** The lowest rate this run slowed down to. */
  lowestRate: number;
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
  ({ status: 'completed' } | { status: 'interrupted'; reason?: string } | { status: 'paused'; reason: string });

/** SMTP replies that mean "not now, slow down" (RFC 5321 421/450/451/452) or a service's throttling: the signal to lower the rate. */
function isDeferral(failure: ClassifiedFailure): boolean {
  return failure.kind === 'transient' && (failure.throttled === true || /^(421|45[012])\b/.test(failure.message));
}

/** A ledger write under way that nobody has waited for yet: never rejects, so its failure waits for whoever settles it. */
type PendingRecord = Promise<{ error: unknown } | undefined>;
const nothingPending: PendingRecord = Promise.resolve(undefined);

async function settle(record: PendingRecord): Promise<void> {
  const failed = await record;
  if (failed) throw failed.error;
}

export async function runSend(deps: SendDeps): Promise<SendOutcome> {
  const { issue, ledger, transport, options, signal } = deps;
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const pace = new AdaptiveRate(options.rate);
  const limiter = new SlotLimiter(options.rate, { now: () => performance.now(), sleep });
  const window = new PauseWindow(options.pauseWindow, options.pauseErrorRate);
  const progress: SendProgress = { sent: 0, failed: 0, bounced: 0, retried: 0, unknown: 0, rate: options.rate, lowestRate: options.rate };
  let lastError = '';
  let stop: { status: 'interrupted'; reason?: string } | { status: 'paused'; reason: string } | undefined;
  let inFlight = 0;
  // Claims are taken a few at a time (no more than can be in flight at once), so what
  // is claimed goes out at once and an unsubscribe still reaches everyone not yet sent.
  const claimBatch = Math.max(1, Math.min(options.concurrency, 32));
  const claimed: Recipient[] = [];
  let claiming: Promise<void> | undefined;
  const next = async (): Promise<Recipient | undefined> => {
    while (claimed.length === 0) {
      if (!claiming) {
        claiming = ledger.claim(claimBatch, now()).then((rs) => void claimed.push(...rs));
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

  const adjustPace = (deferred: boolean) => {
    if (!pace.record(deferred)) return;
    limiter.setRate(pace.rate);
    progress.rate = pace.rate;
    progress.lowestRate = pace.lowest;
  };

  /**
   * Sends one delivery and records its outcome. A failure is recorded before it returns; a
   * reply is handed back as a pending record, which the worker's next hand-off waits for.
   */
  const deliver = async (recipient: Recipient, previous: PendingRecord): Promise<{ pending: PendingRecord }> => {
    let result: SendResult | undefined;
    let failure: ClassifiedFailure | undefined;
    try {
      result = await transport.send(deps.compose(recipient), {
        onTransmit: async () => {
          if (!ledger.writesInOrder) {
            await settle(previous);
            await ledger.markTransmitting(recipient.subscriberId, now());
            return;
          }
          // Asked for together, so both can share one commit: the previous reply's record
          // is durable no later than this hand-off's.
          const handingOff = ledger.markTransmitting(recipient.subscriberId, now());
          handingOff.catch(() => undefined);
          await settle(previous);
          await handingOff;
        },
      });
    } catch (error) {
      if (error instanceof HandOffRefused) {
        // Nothing left; the delivery is still claimed and goes back to the queue.
        stop ??= { status: 'interrupted', reason: error.message };
        await ledger.release([recipient.subscriberId]).catch(() => undefined);
        return { pending: previous };
      }
      failure = classifySendError(error);
    }
    const at = now();
    if (result) {
      adjustPace(false);
      window.record(false);
      const pending = ledger.markSent(recipient.subscriberId, result, at).then(
        () => {
          progress.sent++;
          deps.onProgress?.(progress);
          return undefined;
        },
        (error: unknown) => ({ error }),
      );
      return { pending };
    }
    lastError = failure!.message;
    adjustPace(isDeferral(failure!));
    if (failure!.kind === 'unknown') {
      await ledger.markUnknown(recipient.subscriberId, failure!.message, at);
      progress.unknown++;
      // A relay that keeps hanging up after the message counts towards pausing: the pile of unknowns stops growing.
      window.record(true);
      if (!stop && window.tripped) stop = { status: 'paused', reason: window.describe(lastError) };
    } else if (failure!.kind === 'transient' && recipient.attempts < options.maxAttempts) {
      const delay = retryDelayMs({ baseMs: options.retryBaseMs, maxMs: options.retryMaxMs }, recipient.attempts, random);
      await ledger.markRetry(recipient.subscriberId, failure!.message, new Date(at.getTime() + delay));
      progress.retried++;
    } else {
      await ledger.markFailed(recipient.subscriberId, failure!.message, failure!.kind === 'transient', at);
      progress.failed++;
      if (failure!.kind === 'bounce') {
        await deps.bounces.markBounced(recipient.subscriberId, `send:issue-${issue}`, failure!.message, at, {
          issue,
          status: /\b5\.1\.\d{1,3}\b/.exec(failure!.message)?.[0],
          diagnostic: failure!.message,
          source: 'smtp',
        });
        progress.bounced++;
      }
      // Only final failures say something about the list or the relay; deferrals are retried.
      window.record(true);
      if (!stop && window.tripped) stop = { status: 'paused', reason: window.describe(lastError) };
    }
    deps.onProgress?.(progress);
    return { pending: previous };
  };

  const worker = async () => {
    let pending: PendingRecord = nothingPending;
    try {
      while (!stop) {
        if (signal.aborted) {
          stop ??= { status: 'interrupted' };
          break;
        }
        await limiter.take(signal);
        if (stop || signal.aborted) continue;
        const recipient = await next();
        if (!recipient) {
          // Nothing to hand over now: what this worker sent is recorded before it waits or leaves.
          await settle(pending);
          pending = nothingPending;
          const due = await ledger.nextDue();
          if (due === undefined && inFlight === 0) return;
          // Something is waiting for its retry time, or in flight elsewhere and may come back.
          const wait = due === undefined ? 50 : Math.max(5, Math.min(500, due.getTime() - now().getTime()));
          await sleep(wait, signal);
          continue;
        }
        inFlight++;
        try {
          ({ pending } = await deliver(recipient, pending));
        } finally {
          inFlight--;
        }
      }
    } finally {
      await pending;
    }
    await settle(pending);
  };

  // A worker that fails (the database gone, say) stops the others before the error is passed on,
  // so no message leaves after the send has given up.
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: options.concurrency }, () =>
      worker().catch((error: unknown) => {
        failure ??= { error };
        stop ??= { status: 'interrupted', reason: (error as Error)?.message ?? String(error) };
      }),
    ),
  );
  if (claimed.length > 0) await ledger.release(claimed.splice(0).map((r) => r.subscriberId)).catch(() => undefined);
  if (failure) throw failure.error;
  if (!stop && signal.aborted) stop = { status: 'interrupted' };
  return stop ? { ...progress, ...stop } : { ...progress, status: 'completed' };
}
