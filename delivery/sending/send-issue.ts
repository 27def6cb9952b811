// Room sending/: one send of one issue — the service (this file), the send loop, what
// the ledger records (ledger.ts), the lease, and the pace (rate-limiter.ts,
// pause-window.ts, retry-delay.ts). It owns the interfaces it consumes: SendStore here,
// Ledger and BounceRecorder in send-loop.ts, Transport in transport.ts; the stores in
// delivery/sqlite/ and the adapters in delivery/transports/ import them.
// One send of one issue, start to finish: take the issue's lease (one send per issue
// at a time; a dead holder's lease is taken over), queue every active subscriber not
// yet queued, put back what an earlier run left (claimed but never started, failed
// for a passing reason, and — only when asked — unknown), run the send loop while
// renewing the lease, then record how it ended. The `send` command calls it; so can
// a scheduler inside `serve`: everything it touches is handed in.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { NewsdeskError } from '../../core/errors.ts';
import type { DeliveryCounts, LeaseHolder, SendStatus } from './ledger.ts';
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

/** What a send session needs from the ledger beyond the loop's own Ledger. */
export interface SendStore {
  startSend(issue: number, subject: string, transport: string, lease: LeaseRequest): Promise<{ ok: true } | { ok: false; holder: LeaseHolder; expiresAt: number }>;
  renewLease(issue: number, token: string, expiresAt: number): Promise<boolean>;
  releaseLease(issue: number, token: string): Promise<void>;
  setStatus(issue: number, status: SendStatus, reason: string | undefined, now: Date): Promise<void>;
  enqueueActive(issue: number, now: Date): Promise<number>;
  requeueAbandoned(issue: number): Promise<number>;
  requeueRetryable(issue: number): Promise<number>;
  requeueUnknown(issue: number): Promise<number>;
  skipUnknown(issue: number, now: Date): Promise<number>;
  skipInactive(issue: number, now: Date): Promise<number>;
  countsNow(issue: number): Promise<DeliveryCounts>;
  deliveriesFor(issue: number, leaseToken: string): Ledger;
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

export async function sendIssue(request: SendIssueRequest): Promise<SendIssueResult> {
  const { issue, store } = request;
  const now = request.now ?? (() => new Date());
  const ttlMs = request.leaseTtlMs ?? defaultLeaseTtlMs;
  const alive = request.isProcessAlive ?? isProcessAlive;
  const token = randomBytes(16).toString('base64url');
  const holder = request.holder ?? thisProcess(now());
  const started = await store.startSend(issue, request.subject, request.transport.description, {
    token,
    holder,
    now: now(),
    ttlMs,
    isLive: (h, expiresAt) => isHolderLive(h, expiresAt, now(), alive),
  });
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

  let status: SendStatus = 'interrupted';
  let reason: string | undefined;
  try {
    const requeued = await store.requeueAbandoned(issue);
    await store.enqueueActive(issue, now());
    await store.requeueRetryable(issue);
    if (request.unknown === 'resend') await store.requeueUnknown(issue);
    if (request.unknown === 'skip') await store.skipUnknown(issue, now());
    request.onStart?.((await store.countsNow(issue)).queued);

    const outcome = await runSend({
      issue,
      ledger: store.deliveriesFor(issue, token),
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
    const counts = await store.countsNow(issue);
    status = outcome.status === 'completed' && counts.sending > 0 ? 'unresolved' : outcome.status;
    reason = outcome.status === 'paused' ? outcome.reason : status === 'unresolved' ? `${counts.sending} delivery(ies) with an unknown outcome` : undefined;
    return { outcome, status, counts, requeued };
  } finally {
    clearInterval(heartbeat);
    await store.setStatus(issue, status, reason, now()).catch(() => undefined);
    await store.releaseLease(issue, token).catch(() => undefined);
  }
}
