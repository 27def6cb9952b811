// Room sending/: one send of one issue — the service (this file), the send loop, what
// the ledger records (ledger.ts), the lease, and the pace (rate-limiter.ts,
// pause-window.ts, retry-delay.ts). It owns the interfaces it consumes: SendStore here,
// Ledger and BounceRecorder in send-loop.ts, Transport in transport.ts; the stores in
// delivery/sqlite/ and the adapters in delivery/transports/ import them.
// One send of one issue, start to finish: take the issue's lease (one send per issue
// at a time in SQLite, a dead holder's lease taken over; in PostgreSQL several workers
// may share one send, each with its own lease), queue every active subscriber not
// yet queued, put back what an earlier run left (claimed but never started, failed
// for a passing reason, and — only when asked — unknown), run the send loop while
// renewing the lease, then record how it ended. The `send` command calls it; so can
// a scheduler inside `serve`: everything it touches is handed in.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { NewsdeskError } from '../../core/errors.ts';
import type { DeliveryCounts, LeaseHolder, SendRecord, SendStatus } from './ledger.ts';
import { runSend, type BounceRecorder, type Ledger, type Recipient, type SendOptions, type SendOutcome, type SendProgress } from './send-loop.ts';
import type { OutgoingMessage, Transport } from './transport.ts';

export interface LeaseRequest {
  token: string;
  holder: LeaseHolder;
  now: Date;
  ttlMs: number;
  /** Whether a current holder still counts (its lease unexpired and, on this host, its process alive). */
  isLive: (holder: LeaseHolder, expiresAt: number) => boolean;
}

/** How the send stands when a worker leaves it. */
export interface SendState {
  status: SendStatus;
  reason: string | undefined;
}

/**
 * What a leaving worker records, given the counts and the send's status as they are under
 * the send's lock and whether it is the last live worker; undefined leaves the record as it is.
 */
export type SettleSend = (counts: DeliveryCounts, current: SendState, last: boolean) => SendState | undefined;

/** What a send session needs from the ledger beyond the loop's own Ledger. */
export interface SendStore {
  /**
   * Starts the send or joins it. SQLite has one worker per send: another live holder's
   * lease refuses it (ok: false). PostgreSQL lets a worker join a send other live workers
   * run, each with its own lease; dead workers' leases are dropped.
   */
  startSend(issue: number, subject: string, transport: string, lease: LeaseRequest): Promise<{ ok: true } | { ok: false; holder: LeaseHolder; expiresAt: number }>;
  renewLease(issue: number, token: string, expiresAt: number): Promise<boolean>;
  /**
   * Ends this worker's part, in one transaction under the send's lock: its lease is
   * dropped and `settle` decides what the send's record says (only the last live worker
   * records how the send ended). Returns the status as recorded then.
   */
  finishWorker(
    issue: number,
    token: string,
    now: Date,
    isLive: LeaseRequest['isLive'],
    settle: SettleSend,
  ): Promise<SendState & { last: boolean; counts: DeliveryCounts }>;
  /** Queues every active subscriber not yet queued, `batchSize` at a time (each store has its default). */
  enqueueActive(issue: number, now: Date, batchSize?: number): Promise<number>;
  requeueAbandoned(issue: number): Promise<number>;
  requeueRetryable(issue: number): Promise<number>;
  requeueUnknown(issue: number): Promise<number>;
  skipUnknown(issue: number, now: Date): Promise<number>;
  skipInactive(issue: number, now: Date): Promise<number>;
  countsNow(issue: number): Promise<DeliveryCounts>;
  /** The loop's view of the deliveries, bound to this worker's lease; isLive tells a dead co-worker, whose claims may be taken back. */
  deliveriesFor(issue: number, leaseToken: string, isLive?: LeaseRequest['isLive']): Ledger;
}

export interface SendIssueRequest {
  issue: number;
  subject: string;
  store: SendStore;
  bounces: BounceRecorder;
  transport: Transport;
  compose: (recipient: Recipient) => OutgoingMessage;
  options: SendOptions;
  signal: AbortSignal;
  /** What to do with deliveries an earlier run left with an unknown outcome (default: leave them, and say so). */
  unknown?: 'leave' | 'resend' | 'skip';
  now?: () => Date;
  random?: () => number;
  /** Lease time-to-live; renewed every third of it. */
  leaseTtlMs?: number;
  holder?: LeaseHolder;
  isProcessAlive?: (pid: number) => boolean;
  /** Called once the deliveries are queued, with how many are due in this run. */
  onStart?: (queued: number) => void;
  onProgress?: (progress: SendProgress) => void;
}

export interface SendIssueResult {
  outcome: SendOutcome;
  /** The send's status as recorded: never "completed" while a delivery's outcome is unknown. */
  status: SendStatus;
  counts: DeliveryCounts;
  /** Deliveries an earlier run had claimed but never started, put back in the queue. */
  requeued: number;
  /** Other workers (PostgreSQL) still run the send: they record how it ends. */
  workersLeft: boolean;
}

export const defaultLeaseTtlMs = 30_000;

export function thisProcess(now: Date): LeaseHolder {
  return { pid: process.pid, host: os.hostname(), startedAt: now.toISOString() };
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a holder's claim still counts: unexpired and, on this host, its process alive. */
export function isHolderLive(holder: LeaseHolder, expiresAt: number, now: Date, alive: (pid: number) => boolean = isProcessAlive): boolean {
  return expiresAt > now.getTime() && !(holder.host === os.hostname() && !alive(holder.pid));
}

export function describeHolder(holder: LeaseHolder): string {
  return `process ${holder.pid} on ${holder.host} (started ${holder.startedAt.slice(0, 19).replace('T', ' ')} UTC)`;
}

/**
 * How a worker that ran the loop to `ended` leaves the send: a pause is recorded at once
 * (it stops every worker's claims); otherwise only the last live worker records the end —
 * never "completed" while a delivery's outcome is unknown, and a send a co-worker paused
 * stays paused while work is left.
 */
export function settleAfter(ended: SendState & { status: 'completed' | 'interrupted' | 'paused' }): SettleSend {
  return (counts, current, last) => {
    if (ended.status === 'paused') return ended;
    if (!last) return undefined;
    if (current.status === 'paused' && counts.queued + counts.claimed > 0) return current;
    if (ended.status === 'completed' && counts.sending > 0) return { status: 'unresolved', reason: `${counts.sending} delivery(ies) with an unknown outcome` };
    return ended;
  };
}

/** Other workers sharing a send (PostgreSQL), after the first one named: " and 2 more worker(s)". */
export function moreWorkers(send: Pick<SendRecord, 'workers'>): string {
  const more = (send.workers ?? 1) - 1;
  return more > 0 ? ` and ${more} more worker(s)` : '';
}

export async function sendIssue(request: SendIssueRequest): Promise<SendIssueResult> {
  const { issue, store } = request;
  const now = request.now ?? (() => new Date());
  const ttlMs = request.leaseTtlMs ?? defaultLeaseTtlMs;
  const alive = request.isProcessAlive ?? isProcessAlive;
  const token = randomBytes(16).toString('base64url');
  const holder = request.holder ?? thisProcess(now());
  const isLive: LeaseRequest['isLive'] = (h, expiresAt) => isHolderLive(h, expiresAt, now(), alive);
  const started = await store.startSend(issue, request.subject, request.transport.description, { token, holder, now: now(), ttlMs, isLive });
  if (!started.ok) {
    throw new NewsdeskError('SEND_BUSY', `Issue #${issue} is already being sent by ${describeHolder(started.holder)}`, {
      hint: `Wait for that send to finish (\`newsdesk sends\` shows its progress), or stop it. If that process is gone, its claim runs out within ${Math.ceil(ttlMs / 1000)} s and the next \`newsdesk send ${issue} --yes\` takes over.`,
    });
  }

  // The lease is renewed while the loop runs; losing it (this process stalled past the
  // time-to-live and another send took over) stops the loop before anything else leaves.
  const lost = new AbortController();
  const heartbeat = setInterval(() => {
    store.renewLease(issue, token, now().getTime() + ttlMs).then(
      (held) => held || lost.abort(new Error('the lease was taken over by another send')),
      () => undefined,
    );
  }, Math.max(50, Math.floor(ttlMs / 3)));

  let ended: SendState & { status: 'completed' | 'interrupted' | 'paused' } = { status: 'interrupted', reason: undefined };
  let finished = false;
  try {
    const requeued = await store.requeueAbandoned(issue);
    await store.enqueueActive(issue, now());
    await store.requeueRetryable(issue);
    if (request.unknown === 'resend') await store.requeueUnknown(issue);
    if (request.unknown === 'skip') await store.skipUnknown(issue, now());
    request.onStart?.((await store.countsNow(issue)).queued);

    const outcome = await runSend({
      issue,
      ledger: store.deliveriesFor(issue, token, isLive),
      bounces: request.bounces,
      transport: request.transport,
      compose: request.compose,
      options: request.options,
      signal: AbortSignal.any([request.signal, lost.signal]),
      now,
      ...(request.random ? { random: request.random } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    });
    if (outcome.status === 'interrupted' && lost.signal.aborted && !request.signal.aborted) outcome.reason ??= (lost.signal.reason as Error).message;
    if (outcome.status === 'completed') await store.skipInactive(issue, now());
    ended = { status: outcome.status, reason: outcome.status === 'completed' ? undefined : outcome.reason };
    clearInterval(heartbeat);
    finished = true;
    const recorded = await store.finishWorker(issue, token, now(), isLive, settleAfter(ended));
    // Out of work because a co-worker paused the send: this worker paused too.
    const settled: SendOutcome = recorded.status === 'paused' && outcome.status !== 'paused' ? { ...outcome, status: 'paused', reason: recorded.reason ?? 'paused by another worker' } : outcome;
    return { outcome: settled, status: recorded.status, counts: recorded.counts, requeued, workersLeft: !recorded.last };
  } finally {
    clearInterval(heartbeat);
    if (!finished) await store.finishWorker(issue, token, now(), isLive, settleAfter(ended)).catch(() => undefined);
  }
}
