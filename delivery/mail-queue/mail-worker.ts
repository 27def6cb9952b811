// Drains the transactional mail queue (confirmation and welcome mails) inside
// `serve` (first letting the caller admit recorded sign-ups, which queues their mail):
// claims due mails, composes and sends each through the transport, and on a
// transient failure (relay down, 4xx) puts it back with a growing delay, so an outage
// of the relay delays these mails instead of losing them. Wakes at once when a request
// queues mail, and otherwise when the next retry is due.
import type { MailQueue, QueuedMail } from './mail-queue.ts';
import { retryDelayMs, type RetryPolicy } from '../sending/retry-delay.ts';
import { sleep } from '../../core/sleep.ts';
import { classifySendError, type OutgoingMessage, type Transport } from '../sending/transport.ts';

/** A message to send, or why this mail is no longer wanted (e.g. the subscriber left meanwhile). */
export type Composed = { message: OutgoingMessage } | { skip: string };

export interface MailWorkerOptions extends RetryPolicy {
  /** Attempts for transient failures before a mail is given up as failed. */
  maxAttempts: number;
  /** Mails sent at once. */
  concurrency: number;
  /** Longest sleep between looks at the queue (another process may have queued mail). */
  pollMs: number;
}

/** About 8 hours of retries, at most 10 minutes apart: a relay outage of an afternoon loses nothing. */
export const defaultMailWorkerOptions: MailWorkerOptions = { baseMs: 5_000, maxMs: 10 * 60_000, maxAttempts: 50, concurrency: 4, pollMs: 5_000 };

export interface MailWorkerDeps {
  queue: MailQueue;
  /** Runs before each look at the queue, e.g. admitting recorded sign-ups (which queues their mail). */
  beforeEachLook?: () => Promise<unknown>;
  transport: Transport;
  compose: (mail: QueuedMail) => Promise<Composed>;
  now: () => Date;
  options?: Partial<MailWorkerOptions>;
  log?: (line: string) => void;
  random?: () => number;
}

export class MailWorker {
  readonly #deps: MailWorkerDeps;
  readonly #options: MailWorkerOptions;
  readonly #stop = new AbortController();
  #wake: AbortController = new AbortController();
  #running: Promise<void> | undefined;
  /** Resolvers waiting for a moment with nothing due and nothing in flight. */
  #idleWaiters: Array<() => void> = [];

  constructor(deps: MailWorkerDeps) {
    this.#deps = deps;
    this.#options = { ...defaultMailWorkerOptions, ...deps.options };
  }

  start(): void {
    this.#running ??= this.#loop().catch((error: unknown) => {
      this.#deps.log?.(`mail worker stopped: ${(error as Error)?.stack ?? String(error)}`);
    });
  }

  /** Looks at the queue now (called after a request queued mail). */
  wake(): void {
    this.#wake.abort();
  }

  /** Resolves once nothing is due now and nothing is being sent (mail scheduled for a later retry does not count). */
  idle(): Promise<void> {
    const promise = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    this.wake();
    return promise;
  }

  /** Stops after the mails in flight; whatever is still queued stays queued for the next start. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.wake();
    await this.#running;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  async #loop(): Promise<void> {
    const { queue, now } = this.#deps;
    const interrupted = await queue.requeueInterrupted(now());
    if (interrupted > 0) this.#deps.log?.(`mail: ${interrupted} mail(s) left mid-attempt by an earlier run are queued again`);
    while (!this.#stop.signal.aborted) {
      // Renewed before each look: a wake-up from here on cuts the sleep below short.
      this.#wake = new AbortController();
      let wait: number;
      try {
        await this.#deps.beforeEachLook?.();
        const batch = await queue.claimDue(this.#options.concurrency, now());
        if (batch.length > 0) {
          const results = await Promise.allSettled(batch.map((mail) => this.#send(mail)));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          // A mail whose outcome could not be recorded is still "sending": nothing of ours is in flight now, so it goes back.
          if (failed) {
            await queue.requeueInterrupted(now(), true);
            throw failed.reason;
          }
          continue;
        }
        for (const resolve of this.#idleWaiters.splice(0)) resolve();
        const due = await queue.nextDue();
        wait = due === undefined ? this.#options.pollMs : Math.min(this.#options.pollMs, Math.max(0, due.getTime() - now().getTime()));
      } catch (error) {
        // The database busy past every retry, say: the mail stays queued; look again later.
        this.#deps.log?.(`mail: ${(error as Error)?.message ?? String(error)}; trying again in ${Math.round(this.#options.pollMs / 1000)} s`);
        wait = this.#options.pollMs;
      }
      await sleep(wait, AbortSignal.any([this.#stop.signal, this.#wake.signal]));
    }
  }

  async #send(mail: QueuedMail): Promise<void> {
    const { queue, transport, now } = this.#deps;
    let composed: Composed;
    try {
      composed = await this.#deps.compose(mail);
    } catch (error) {
      // Rendering failed (e.g. the settings cannot be loaded): worth another try later.
      return this.#retryOrFail(mail, `could not compose: ${oneLine(error)}`, true);
    }
    if ('skip' in composed) return queue.markFinal(mail.id, 'skipped', composed.skip, now());
    try {
      await transport.send(composed.message);
      await queue.markSent(mail.id, now());
    } catch (error) {
      const failure = classifySendError(error);
      // An unknown outcome is tried again here, unlike an issue delivery: a second
      // confirmation or welcome mail is harmless, a missing one loses the subscriber.
      await this.#retryOrFail(mail, failure.message, failure.kind === 'transient' || failure.kind === 'unknown');
    }
  }

  async #retryOrFail(mail: QueuedMail, error: string, transient: boolean): Promise<void> {
    const { queue, now } = this.#deps;
    if (transient && mail.attempts < this.#options.maxAttempts) {
      const delay = retryDelayMs(this.#options, mail.attempts, this.#deps.random);
      await queue.markRetry(mail.id, error, new Date(now().getTime() + delay));
      return;
    }
    this.#deps.log?.(`mail: the ${mail.kind} mail to subscriber #${mail.subscriber?.id ?? '?'} failed for good after ${mail.attempts} attempt(s): ${error}`);
    await queue.markFinal(mail.id, 'failed', error, now());
  }
}

function oneLine(error: unknown): string {
  return String((error as Error)?.message ?? error).replace(/\s+/g, ' ').trim().slice(0, 300);
}
