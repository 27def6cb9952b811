// Where one issue's delivery stands, in one shape for `schedule --list`, the server and
// the Studio's Delivery view and Issues list: scheduled (when, in which zone, edited
// since?), missed or refused (why), sending (live counts, rate, time left), paused,
// interrupted, sent (the final report). Pure: the caller reads the rows and the clock.
import type { Schedule } from './scheduler.ts';
import { formatSendTime, formatTimeUntil } from './send-time.ts';
import type { SendRecord } from '../sending/ledger.ts';
import { formatDuration } from '../sending/progress.ts';

export const deliveryPhases = ['none', 'scheduled', 'missed', 'refused', 'starting', 'sending', 'paused', 'interrupted', 'sent', 'unresolved'] as const;
export type DeliveryPhase = (typeof deliveryPhases)[number];

export interface DeliveryCountsReport {
  /** Deliveries in the ledger: every active subscriber once the send has queued them. */
  total: number;
  queued: number;
  sent: number;
  failed: number;
  /** Failed deliveries whose subscriber is now bounced. */
  bounced: number;
  skipped: number;
  /** Transmission started when a run stopped abruptly; never re-sent unless asked. */
  unknown: number;
}

export interface DeliveryStatus {
  issueNumber: number;
  phase: DeliveryPhase;
  /** One line for people, e.g. "Scheduled for Fri 4 Dec 2026, 08:00 Europe/Berlin (07:00 UTC)". */
  summary: string;
  schedule:
    | {
        sendAt: string;
        timeZone: string;
        /** The time as the editor chose it, and in UTC. */
        when: string;
        scheduledBy: string;
        /** Why it was missed or refused. */
        reason: string | undefined;
      }
    | undefined;
  /** The published issue changed after it was scheduled: the send takes the version published at send time. */
  changedSinceScheduled: boolean;
  /** There are unpublished changes, which a send leaves out. */
  unpublishedChanges: boolean;
  published: boolean;
  activeSubscribers: number;
  counts: DeliveryCountsReport;
  /** Messages per second over the last few seconds, while sending. */
  ratePerSecond: number | undefined;
  secondsLeft: number | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  pauseReason: string | undefined;
  /** Who is sending, while a send runs. */
  sender: string | undefined;
}

export interface DeliveryFacts {
  issueNumber: number;
  schedule: Schedule | undefined;
  send: SendRecord | undefined;
  /** Whether the send's lease holder is alive now. */
  sendLive: boolean;
  /** The published revision now (undefined: not published) and whether a draft waits. */
  content: { revision: string | undefined; draftPending: boolean } | undefined;
  activeSubscribers: number;
  /** Bounced deliveries, and deliveries finished within the last `windowSeconds`. */
  activity: { bounced: number; finishedSince: number };
  windowSeconds: number;
  now: Date;
}

export function describeDelivery(facts: DeliveryFacts): DeliveryStatus {
  const { schedule, send, content } = facts;
  const c = send?.counts;
  const counts: DeliveryCountsReport = {
    total: c ? c.queued + c.claimed + c.sending + c.sent + c.failed + c.skipped : 0,
    queued: c ? c.queued + c.claimed : 0,
    sent: c?.sent ?? 0,
    failed: c?.failed ?? 0,
    bounced: facts.activity.bounced,
    skipped: c?.skipped ?? 0,
    unknown: c?.sending ?? 0,
  };
  const phase = phaseOf(facts, counts);
  const sending = phase === 'sending';
  const ratePerSecond = sending ? facts.activity.finishedSince / facts.windowSeconds : undefined;
  const secondsLeft = sending && ratePerSecond && ratePerSecond > 0 ? Math.ceil(counts.queued / ratePerSecond) : undefined;
  const when = schedule ? formatSendTime(schedule.sendAt, schedule.timeZone) : undefined;
  const status: DeliveryStatus = {
    issueNumber: facts.issueNumber,
    phase,
    summary: '',
    schedule:
      schedule && schedule.state !== 'cancelled'
        ? { sendAt: schedule.sendAt.toISOString(), timeZone: schedule.timeZone, when: when!, scheduledBy: schedule.scheduledBy, reason: schedule.reason }
        : undefined,
    changedSinceScheduled: Boolean(schedule && isWaiting(schedule) && content?.revision !== undefined && content.revision !== schedule.revision),
    unpublishedChanges: content?.draftPending ?? false,
    published: content?.revision !== undefined,
    activeSubscribers: facts.activeSubscribers,
    counts,
    ratePerSecond,
    secondsLeft,
    startedAt: send?.createdAt,
    finishedAt: send?.completedAt,
    pauseReason: send?.status === 'paused' ? send.pauseReason : undefined,
    sender: sending && send?.lease ? `process ${send.lease.holder.pid} on ${send.lease.holder.host}` : undefined,
  };
  status.summary = summarise(status, facts.now);
  return status;
}

function isWaiting(schedule: Schedule): boolean {
  return schedule.state === 'scheduled' || schedule.state === 'missed' || schedule.state === 'refused';
}

function phaseOf(facts: DeliveryFacts, counts: DeliveryCountsReport): DeliveryPhase {
  const { schedule, send } = facts;
  if (schedule && isWaiting(schedule)) return schedule.state as 'scheduled' | 'missed' | 'refused';
  if (send) {
    switch (send.status) {
      case 'running':
        return facts.sendLive ? 'sending' : 'interrupted';
      case 'completed':
        return counts.unknown > 0 ? 'unresolved' : 'sent';
      default:
        return send.status;
    }
  }
  return schedule?.state === 'started' ? 'starting' : 'none';
}

function summarise(s: DeliveryStatus, now: Date): string {
  const { counts } = s;
  const of = `${counts.sent} of ${counts.total}`;
  switch (s.phase) {
    case 'none':
      return 'Not scheduled';
    case 'scheduled': {
      const ms = new Date(s.schedule!.sendAt).getTime() - now.getTime();
      return `Scheduled for ${s.schedule!.when}${ms > 0 ? `, in ${formatTimeUntil(ms)}` : ', starting now'}`;
    }
    case 'missed':
      return `Missed its time (${s.schedule!.when}): waiting for the editor`;
    case 'refused':
      return `Not sent at ${s.schedule!.when}: ${s.schedule!.reason ?? 'it could not be sent'}`;
    case 'starting':
      return 'Starting the send';
    case 'sending':
      return `Sending: ${of} sent${s.secondsLeft !== undefined ? `, about ${formatDuration(s.secondsLeft * 1000)} left` : ''}`;
    case 'paused':
      return `Paused after ${of}: ${s.pauseReason ?? 'no reason recorded'}`;
    case 'interrupted':
      return `Interrupted after ${of}; it resumes when a server picks it up`;
    case 'sent':
      return `Sent to ${counts.sent} subscriber(s)${counts.failed > 0 ? `, ${counts.failed} failed` : ''}${counts.skipped > 0 ? `, ${counts.skipped} skipped` : ''}`;
    case 'unresolved':
      return `Sent to ${counts.sent}; ${counts.unknown} delivery(ies) with an unknown outcome`;
  }
}
