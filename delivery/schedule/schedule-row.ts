// A scheduled send as both stores keep its row (sqlite/ and postgres/ hold the same columns
// in the same forms) and the Schedule it stands for; which states still wait for the send.
import type { LeaseHolder } from '../sending/ledger.ts';
import type { Schedule, ScheduleState } from './scheduler.ts';

export interface ScheduleRow {
  issue_number: number;
  send_at: number;
  time_zone: string;
  document_id: string;
  revision: string;
  state: ScheduleState;
  reason: string | null;
  scheduled_by: string;
  created_at: string;
  updated_at: string;
  claimed_by: string | null;
  claimed_at: number | null;
}

/** States in which the issue waits for its send (and, by default, stays off the web). */
export const waitingStates: ReadonlyArray<ScheduleState> = ['scheduled', 'missed', 'refused'];

export function scheduleFromRow(r: ScheduleRow): Schedule {
  return {
    issueNumber: r.issue_number,
    sendAt: new Date(r.send_at),
    timeZone: r.time_zone,
    documentId: r.document_id,
    revision: r.revision,
    state: r.state,
    reason: r.reason ?? undefined,
    scheduledBy: r.scheduled_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    claimedBy: r.claimed_by ? (JSON.parse(r.claimed_by) as LeaseHolder) : undefined,
    claimedAt: r.claimed_at === null ? undefined : new Date(r.claimed_at),
  };
}
