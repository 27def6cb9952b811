// Scheduling, re-scheduling, "send now" and cancelling an issue's send, with the rules
// the CLI and the Studio share: only a published issue without problems, never in the
// past, never while it is being sent or once it went to everyone; the published
// revision is recorded so later edits can be pointed out. And the delivery status of
// one issue or all of them, read from the schedule, the ledger and the content store.
import { checkIssueForSend, type SendableIssue } from '../../content/check.ts';
import { loadIssueRevisions, type IssueRevision } from '../../content/load.ts';
import type { ContentStore } from '../../content/store.ts';
import type { Config } from '../../core/config.ts';
import { NewsdeskError } from '../../core/errors.ts';
import { describeDelivery, type DeliveryStatus } from './delivery-status.ts';
import type { Schedule, ScheduleStore } from './scheduler.ts';
import { describeHolder, isHolderLive, isProcessAlive } from '../sending/send-issue.ts';
import { formatSendTime, type SendTime } from './send-time.ts';
import type { SendReads, SendRecord } from '../sending/ledger.ts';

/** What scheduling reads from the ledger. */
export type SendReader = Pick<SendReads, 'getSend' | 'listSends' | 'countUnqueuedActive' | 'countRetryableFailed'>;

export interface SchedulingDeps {
  store: ContentStore;
  schedules: ScheduleStore;
  sends: SendReader;
  now: Date;
  isProcessAlive?: (pid: number) => boolean;
}

export interface ScheduledSend {
  schedule: Schedule;
  /** The schedule this one replaced, if any (a re-schedule). */
  previous: Schedule | undefined;
  issue: SendableIssue;
  activeSubscribers: number;
}

/**
 * Schedules the issue's send at `at` (or now, with `immediately`), replacing a schedule
 * that has not started. Refuses (SEND_REFUSED) a draft, an issue with problems, a time
 * in the past, a send running now, and a send that already reached every active subscriber.
 */
export async function scheduleSend(deps: SchedulingDeps, request: { issueNumber: number; at: SendTime; scheduledBy: string; immediately?: boolean }): Promise<ScheduledSend> {
  const { issueNumber, at } = request;
  if (!request.immediately && at.at.getTime() <= deps.now.getTime()) {
    throw new NewsdeskError('SEND_REFUSED', `${formatSendTime(at.at, at.timeZone)} is in the past`, {
      hint: `Choose a later time, or send it now (\`newsdesk send ${issueNumber} --yes\`, or "Send now" in the Studio).`,
    });
  }
  const issue = await checkIssueForSend(deps.store, issueNumber);
  await refuseWhileBusyOrDone(deps, issueNumber, await deps.schedules.get(issueNumber));
  const previous = await deps.schedules.put(
    { issueNumber, sendAt: request.immediately ? deps.now : at.at, timeZone: at.timeZone, documentId: issue.documentId, revision: issue.revision, scheduledBy: request.scheduledBy },
    deps.now,
  );
  const schedule = (await deps.schedules.get(issueNumber))!;
  return { schedule, previous: previous?.state === 'cancelled' ? undefined : previous, issue, activeSubscribers: await deps.schedules.countActiveSubscribers() };
}

async function refuseWhileBusyOrDone(deps: SchedulingDeps, issueNumber: number, schedule: Schedule | undefined): Promise<void> {
  const send = await deps.sends.getSend(issueNumber);
  const alive = deps.isProcessAlive ?? isProcessAlive;
  if (send?.status === 'running' && send.lease && isHolderLive(send.lease.holder, send.lease.expiresAt, deps.now, alive)) {
    throw new NewsdeskError('SEND_REFUSED', `Issue #${issueNumber} is being sent now by ${describeHolder(send.lease.holder)}`, {
      hint: 'Watch it with `newsdesk sends` or in the Studio\'s Delivery view; pause nothing, it goes on by itself.',
    });
  }
  if (!send && schedule?.state === 'started') {
    throw new NewsdeskError('SEND_REFUSED', `The send of issue #${issueNumber} is starting now`, { hint: 'Watch it with `newsdesk schedule --list` or in the Studio\'s Delivery view.' });
  }
  if (send && (send.status === 'completed' || send.status === 'unresolved')) {
    const left = (await deps.sends.countUnqueuedActive(issueNumber)) + send.counts.queued + send.counts.claimed + (await deps.sends.countRetryableFailed(issueNumber));
    if (left === 0) {
      throw new NewsdeskError('SEND_REFUSED', `Issue #${issueNumber} has already gone to every active subscriber`, {
        hint: send.counts.sending > 0 ? `${send.counts.sending} delivery(ies) have an unknown outcome: see \`newsdesk send ${issueNumber}\`.` : 'Nothing is left to send.',
      });
    }
  }
}

/** Cancels a schedule that has not started; refuses when there is none, or its send has begun. */
export async function cancelSchedule(deps: Pick<SchedulingDeps, 'schedules' | 'now'>, issueNumber: number): Promise<Schedule> {
  const cancelled = await deps.schedules.cancel(issueNumber, deps.now);
  if (cancelled) return cancelled;
  const schedule = await deps.schedules.get(issueNumber);
  if (schedule?.state === 'started') {
    throw new NewsdeskError('SEND_REFUSED', `The send of issue #${issueNumber} has already started; a started send is not cancelled`, {
      hint: 'Stop the server that runs it (Ctrl+C) to interrupt it; what is left is sent when a server runs again.',
    });
  }
  throw new NewsdeskError('NOT_FOUND', `Issue #${issueNumber} is not scheduled`, { hint: '`newsdesk schedule --list` shows the scheduled sends.' });
}

/** How far back the sending rate is measured. */
const rateWindowSeconds = 10;

/** The delivery status of one issue. */
export async function readDeliveryStatus(deps: SchedulingDeps, issueNumber: number, content?: IssueRevision): Promise<DeliveryStatus> {
  const revision = content ?? (await loadIssueRevisions(deps.store, issueNumber)).get(issueNumber);
  const [schedule, activeSubscribers] = await Promise.all([deps.schedules.get(issueNumber), deps.schedules.countActiveSubscribers()]);
  return statusOf(deps, issueNumber, schedule, await deps.sends.getSend(issueNumber), revision, activeSubscribers);
}

/** The delivery status of every issue that has a schedule or a send, newest issue first. */
export async function readDeliveryStatuses(deps: SchedulingDeps): Promise<DeliveryStatus[]> {
  const [schedules, revisions, activeSubscribers] = await Promise.all([deps.schedules.list(), loadIssueRevisions(deps.store), deps.schedules.countActiveSubscribers()]);
  const sends = new Map((await deps.sends.listSends()).map((s) => [s.issueNumber, s] as const));
  const byIssue = new Map(schedules.map((s) => [s.issueNumber, s] as const));
  const numbers = [...new Set([...byIssue.keys(), ...sends.keys()])].sort((a, b) => b - a);
  return Promise.all(numbers.map((n) => statusOf(deps, n, byIssue.get(n), sends.get(n), revisions.get(n), activeSubscribers)));
}

async function statusOf(
  deps: SchedulingDeps,
  issueNumber: number,
  schedule: Schedule | undefined,
  send: SendRecord | undefined,
  content: IssueRevision | undefined,
  activeSubscribers: number,
): Promise<DeliveryStatus> {
  const alive = deps.isProcessAlive ?? isProcessAlive;
  const activity = send ? await deps.schedules.activity(issueNumber, new Date(deps.now.getTime() - rateWindowSeconds * 1000)) : { bounced: 0, finishedSince: 0 };
  return describeDelivery({
    issueNumber,
    schedule,
    send,
    sendLive: Boolean(send?.lease && isHolderLive(send.lease.holder, send.lease.expiresAt, deps.now, alive)),
    content: content ? { revision: content.revision, draftPending: content.draftPending } : undefined,
    activeSubscribers,
    activity,
    windowSeconds: rateWindowSeconds,
    now: deps.now,
  });
}

/** Published issues the site leaves out for now: those waiting for their send, while the web follows the send. */
export async function issuesHeldFromWeb(config: Pick<Config, 'schedule'>, schedules: Pick<ScheduleStore, 'waitingIssues'>): Promise<Set<number>> {
  return new Set(config.schedule.webPublish === 'at-send' ? await schedules.waitingIssues() : []);
}
