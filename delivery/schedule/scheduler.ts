// Room schedule/: sends at a chosen time — the scheduler inside `serve` (this file),
// the shared scheduling rules, send times in a zone and each issue's delivery status.
// It declares the ScheduleStore it needs (here) and what it reads of sends
// (scheduling.ts); delivery/sqlite/sqlite-schedule-store.ts implements the store.
// The scheduler inside `serve`: it watches the schedules in the delivery database and
// starts each send when it is due, through the same send session `newsdesk send --yes`
// uses (lease, ledger, resume and unknown rules). A due schedule is claimed atomically,
// so of several servers on one database exactly one starts it; one found later than the
// grace period (the server was down at its time) waits for the editor instead. A send
// that stopped without finishing (the server was stopped or crashed) is resumed when a
// server finds it with nobody holding it; a paused one waits for the editor.
import { isNewsdeskError } from '../../core/errors.ts';
import { describeHolder, isHolderLive, isProcessAlive, sendIssue, thisProcess, defaultLeaseTtlMs, type SendStore } from '../sending/send-issue.ts';
import type { BounceRecorder, Recipient, SendOptions } from '../sending/send-loop.ts';
import { formatSendTime } from './send-time.ts';
import type { LeaseHolder, SendReads } from '../sending/ledger.ts';
import type { OutgoingMessage, Transport } from '../sending/transport.ts';

export type ScheduleState = 'scheduled' | 'started' | 'missed' | 'refused' | 'cancelled';

export interface Schedule {
  issueNumber: number;
  sendAt: Date;
  /** The zone the editor chose the time in, for showing it back. */
  timeZone: string;
  /** The published document and its revision when the send was scheduled. */
  documentId: string;
  revision: string;
  state: ScheduleState;
  /** Why a schedule was missed or refused. */
  reason: string | undefined;
  scheduledBy: string;
  createdAt: string;
  updatedAt: string;
  /** The server that claimed it, and when. */
  claimedBy: LeaseHolder | undefined;
  claimedAt: Date | undefined;
}

export type NewSchedule = Pick<Schedule, 'issueNumber' | 'sendAt' | 'timeZone' | 'documentId' | 'revision' | 'scheduledBy'>;

/** What the scheduler (and scheduling) needs from the schedule table. */
export interface ScheduleStore {
  get(issue: number): Promise<Schedule | undefined>;
  list(): Promise<Schedule[]>;
  put(schedule: NewSchedule, now: Date): Promise<Schedule | undefined>;
  cancel(issue: number, now: Date): Promise<Schedule | undefined>;
  markMissed(now: Date, graceMs: number, reason: (schedule: Schedule) => string): Promise<Schedule[]>;
  claimDue(now: Date, holder: LeaseHolder): Promise<Schedule | undefined>;
  reclaim(issue: number, previous: Schedule, holder: LeaseHolder, now: Date): Promise<boolean>;
  markRefused(issue: number, reason: string, now: Date): Promise<void>;
  nextDue(): Promise<Date | undefined>;
  waitingIssues(): Promise<number[]>;
  activity(issue: number, since: Date): Promise<{ bounced: number; finishedSince: number }>;
  /** Whom a send started now would reach. */
  countActiveSubscribers(): Promise<number>;
}

/** The issue as published at send time, checked and rendered once. */
export interface PreparedSend {
  subject: string;
  compose: (recipient: Recipient) => OutgoingMessage;
}

export interface SchedulerDeps {
  schedules: ScheduleStore;
  sends: SendStore & Pick<SendReads, 'getSend'>;
  bounces: BounceRecorder;
  transport: Transport;
  /** Loads, checks and renders the published issue; throws SEND_REFUSED when it may not be sent. */
  prepare: (issue: number) => Promise<PreparedSend>;
  /**
   * Told when the issues waiting for their send change (scheduled, cancelled, started,
   * by this process or another), and once at start when any wait: the site follows.
   */
  onWaitingChanged?: (issues: number[]) => void;
  options: SendOptions;
  /** How late a due schedule may still start. */
  graceMs: number;
  /** How often the database is looked at for schedules other processes wrote (default 1 s). */
  pollMs?: number;
  leaseTtlMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
  holder?: LeaseHolder;
  isProcessAlive?: (pid: number) => boolean;
}

export class SendScheduler {
  readonly #deps: SchedulerDeps;
  readonly #now: () => Date;
  readonly #log: (line: string) => void;
  readonly #holder: LeaseHolder;
  readonly #stop = new AbortController();
  readonly #running = new Map<number, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #again = false;
  #waiting: string | undefined;

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#log = deps.log ?? (() => undefined);
    this.#holder = deps.holder ?? thisProcess(this.#now());
  }

  start(): void {
    this.wake();
  }

  /** Looks at the schedules now (a schedule was just written). */
  wake(): void {
    if (this.#stop.signal.aborted) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#ticking = this.#tick().finally(() => {
      this.#ticking = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  /** Issues this process is sending now. */
  get sending(): number[] {
    return [...this.#running.keys()];
  }

  /** Resolves once no send started here is running (tests). */
  async idle(): Promise<void> {
    while (this.#ticking || this.#running.size > 0) await Promise.all([this.#ticking, ...this.#running.values()]);
  }

  /** Stops looking; running sends finish what is in flight and record themselves interrupted, to be resumed later. */
  async stop(): Promise<void> {
    this.#stop.abort();
    if (this.#timer) clearTimeout(this.#timer);
    await this.#ticking;
    await Promise.all(this.#running.values());
  }

  async #tick(): Promise<void> {
    const { schedules } = this.#deps;
    const pollMs = this.#deps.pollMs ?? 1000;
    try {
      const now = this.#now();
      const graceMinutes = Math.round(this.#deps.graceMs / 60_000);
      const missed = await schedules.markMissed(now, this.#deps.graceMs, (s) =>
        `no server was running at ${formatSendTime(s.sendAt, s.timeZone)}; found ${describeDelay(now.getTime() - s.sendAt.getTime())} late, more than the ${graceMinutes}-minute grace period (NEWSDESK_SCHEDULE_GRACE_MINUTES). Send it now or schedule it again.`,
      );
      for (const s of missed) this.#log(`schedule: issue #${s.issueNumber} missed its time (${formatSendTime(s.sendAt, s.timeZone)}); it waits for the editor`);
      for (;;) {
        if (this.#stop.signal.aborted) return;
        const claimed = await schedules.claimDue(now, this.#holder);
        if (!claimed) break;
        this.#launch(claimed.issueNumber, `scheduled for ${formatSendTime(claimed.sendAt, claimed.timeZone)}`);
      }
      await this.#resumeAbandoned(now);
      await this.#noticeWaiting();
    } catch (error) {
      this.#log(`schedule: ${(error as Error)?.message ?? String(error)}`);
    } finally {
      if (!this.#stop.signal.aborted) {
        const next = await schedules.nextDue().catch(() => undefined);
        const delay = next ? Math.min(pollMs, Math.max(0, next.getTime() - this.#now().getTime())) : pollMs;
        this.#timer = setTimeout(() => this.wake(), delay);
        this.#timer.unref?.();
      }
    }
  }

  async #noticeWaiting(): Promise<void> {
    if (!this.#deps.onWaitingChanged) return;
    const issues = (await this.#deps.schedules.waitingIssues()).sort((a, b) => a - b);
    const key = issues.join(',');
    const first = this.#waiting === undefined;
    if (key === this.#waiting) return;
    this.#waiting = key;
    if (!first || issues.length > 0) this.#deps.onWaitingChanged(issues);
  }

  /** Started schedules whose send stopped (or never began) with nobody holding it are taken over. */
  async #resumeAbandoned(now: Date): Promise<void> {
    const { schedules, sends } = this.#deps;
    const ttlMs = this.#deps.leaseTtlMs ?? defaultLeaseTtlMs;
    const alive = this.#deps.isProcessAlive ?? isProcessAlive;
    for (const schedule of (await schedules.list()).filter((s) => s.state === 'started' && !this.#running.has(s.issueNumber))) {
      const send = await sends.getSend(schedule.issueNumber);
      if (send && (send.status === 'completed' || send.status === 'unresolved' || send.status === 'paused')) continue;
      if (send?.lease && isHolderLive(send.lease.holder, send.lease.expiresAt, now, alive)) continue;
      // Claimed but not yet begun: the claimer is still loading and rendering the issue.
      if (!send && schedule.claimedBy && schedule.claimedAt && isHolderLive(schedule.claimedBy, schedule.claimedAt.getTime() + ttlMs, now, alive)) continue;
      if (this.#stop.signal.aborted) return;
      if (!(await schedules.reclaim(schedule.issueNumber, schedule, this.#holder, now))) continue;
      const by = send?.lease ? `; ${describeHolder(send.lease.holder)} stopped` : '';
      this.#launch(schedule.issueNumber, `resuming a send that stopped before it finished${by}`);
    }
  }

  #launch(issue: number, why: string): void {
    const run = this.#run(issue, why).finally(() => {
      this.#running.delete(issue);
    });
    this.#running.set(issue, run);
  }

  async #run(issue: number, why: string): Promise<void> {
    const { schedules } = this.#deps;
    this.#log(`schedule: starting the send of issue #${issue} (${why})`);
    let prepared: PreparedSend;
    try {
      prepared = await this.#deps.prepare(issue);
    } catch (error) {
      if (isNewsdeskError(error, 'SEND_REFUSED')) {
        await schedules.markRefused(issue, `${error.message}${error.hint ? ` ${error.hint}` : ''}`, this.#now()).catch(() => undefined);
        this.#log(`schedule: issue #${issue} was not sent: ${error.message}`);
      } else {
        // Left claimed: once the claim is older than the lease time, the next look tries again.
        this.#log(`schedule: issue #${issue} could not be prepared (will try again): ${(error as Error)?.message ?? String(error)}`);
      }
      return;
    }
    try {
      const result = await sendIssue({
        issue,
        subject: prepared.subject,
        store: this.#deps.sends,
        bounces: this.#deps.bounces,
        transport: this.#deps.transport,
        compose: prepared.compose,
        options: this.#deps.options,
        signal: this.#stop.signal,
        unknown: 'leave',
        now: this.#now,
        holder: this.#holder,
        ...(this.#deps.leaseTtlMs ? { leaseTtlMs: this.#deps.leaseTtlMs } : {}),
        ...(this.#deps.isProcessAlive ? { isProcessAlive: this.#deps.isProcessAlive } : {}),
      });
      const { counts, outcome } = result;
      this.#log(
        `schedule: issue #${issue} ${result.status}: ${outcome.sent} sent, ${outcome.failed} failed in this run; ledger ${counts.sent} sent, ${counts.failed} failed, ${counts.sending} unknown${result.status === 'paused' ? ` (${outcome.status === 'paused' ? outcome.reason : ''})` : ''}`,
      );
    } catch (error) {
      // Another process holds the send (it took it over first): it is that process's now.
      if (isNewsdeskError(error, 'SEND_BUSY')) this.#log(`schedule: issue #${issue}: ${error.message}`);
      else this.#log(`schedule: the send of issue #${issue} failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }
}

function describeDelay(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minute(s)`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hour(s)` : `${Math.round(hours / 24)} day(s)`;
}
