// Scheduled sends in PostgreSQL, the twin of sqlite/sqlite-schedule-store.ts: the same rows
// and answers. A due schedule is claimed by one UPDATE whose choice of row takes it
// FOR UPDATE SKIP LOCKED, so of any number of servers sharing the database exactly one
// starts it and none waits on another's claim.
import type { LeaseHolder } from '../sending/ledger.ts';
import type { NewSchedule, Schedule, ScheduleState, ScheduleStore } from '../schedule/scheduler.ts';
import { transaction, type Pool } from './pg-db.ts';

interface ScheduleRow {
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

/** States in which the issue waits for its send (and, by default, stays off the web); as sqlite-schedule-store.ts has them. */
const waitingStates: ReadonlyArray<ScheduleState> = ['scheduled', 'missed', 'refused'];

export class PgScheduleStore implements ScheduleStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async get(issue: number): Promise<Schedule | undefined> {
    const { rows } = await this.#pool.query<ScheduleRow>('SELECT * FROM schedules WHERE issue_number = $1', [issue]);
    return rows[0] && toSchedule(rows[0]);
  }

  /** Every schedule but cancelled ones, soonest first. */
  async list(): Promise<Schedule[]> {
    const { rows } = await this.#pool.query<ScheduleRow>("SELECT * FROM schedules WHERE state != 'cancelled' ORDER BY send_at, issue_number");
    return rows.map(toSchedule);
  }

  /** Creates or replaces the issue's schedule as "scheduled"; returns what it replaced. */
  async put(schedule: NewSchedule, now: Date): Promise<Schedule | undefined> {
    const at = now.toISOString();
    // The CTE reads the row as it was before the upsert in the same statement changed it.
    const { rows } = await this.#pool.query<ScheduleRow>(
      `WITH previous AS (SELECT * FROM schedules WHERE issue_number = $1 FOR UPDATE),
        upsert AS (
          INSERT INTO schedules (issue_number, send_at, time_zone, document_id, revision, state, reason, scheduled_by, created_at, updated_at, claimed_by, claimed_at)
          VALUES ($1, $2, $3, $4, $5, 'scheduled', NULL, $6, $7, $7, NULL, NULL)
          ON CONFLICT (issue_number) DO UPDATE SET send_at = excluded.send_at, time_zone = excluded.time_zone, document_id = excluded.document_id,
            revision = excluded.revision, state = 'scheduled', reason = NULL, scheduled_by = excluded.scheduled_by,
            updated_at = excluded.updated_at, claimed_by = NULL, claimed_at = NULL
          RETURNING 1)
       SELECT * FROM previous`,
      [schedule.issueNumber, schedule.sendAt.getTime(), schedule.timeZone, schedule.documentId, schedule.revision, schedule.scheduledBy, at],
    );
    return rows[0] && toSchedule(rows[0]);
  }

  /** Cancels a schedule that has not started; returns it as it was, or undefined when there was none to cancel. */
  async cancel(issue: number, now: Date): Promise<Schedule | undefined> {
    const { rows } = await this.#pool.query<ScheduleRow>(
      `UPDATE schedules SET state = 'cancelled', reason = NULL, updated_at = $1 WHERE issue_number = $2 AND state IN ('scheduled', 'missed', 'refused') RETURNING *`,
      [now.toISOString(), issue],
    );
    return rows[0] && toSchedule(rows[0]);
  }

  /** Schedules more than `graceMs` overdue wait for the editor instead of starting; returns them. */
  async markMissed(now: Date, graceMs: number, reason: (schedule: Schedule) => string): Promise<Schedule[]> {
    return transaction(this.#pool, async (client) => {
      // Rows another server is claiming or marking right now are its to handle.
      const { rows } = await client.query<ScheduleRow>("SELECT * FROM schedules WHERE state = 'scheduled' AND send_at < $1 ORDER BY send_at, issue_number FOR UPDATE SKIP LOCKED", [
        now.getTime() - graceMs,
      ]);
      const late = rows.map(toSchedule);
      if (late.length === 0) return late;
      await client.query(
        `UPDATE schedules s SET state = 'missed', reason = m.reason, updated_at = $3
         FROM unnest($1::int[], $2::text[]) AS m(issue_number, reason) WHERE s.issue_number = m.issue_number AND s.state = 'scheduled'`,
        [late.map((s) => s.issueNumber), late.map(reason), now.toISOString()],
      );
      return late;
    });
  }

  /** Takes the earliest due schedule for this process; undefined when none is due (or another process has it). */
  async claimDue(now: Date, holder: LeaseHolder): Promise<Schedule | undefined> {
    const { rows } = await this.#pool.query<ScheduleRow>(
      `UPDATE schedules SET state = 'started', claimed_by = $1, claimed_at = $2, updated_at = $3
       WHERE issue_number = (SELECT issue_number FROM schedules WHERE state = 'scheduled' AND send_at <= $2 ORDER BY send_at, issue_number LIMIT 1 FOR UPDATE SKIP LOCKED)
         AND state = 'scheduled'
       RETURNING *`,
      [JSON.stringify(holder), now.getTime(), now.toISOString()],
    );
    return rows[0] && toSchedule(rows[0]);
  }

  /** A started schedule is taken over by this process (its claimer is gone); false when another was quicker. */
  async reclaim(issue: number, previous: Schedule, holder: LeaseHolder, now: Date): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE schedules SET claimed_by = $1, claimed_at = $2, updated_at = $3 WHERE issue_number = $4 AND state = 'started' AND claimed_at IS NOT DISTINCT FROM $5`,
      [JSON.stringify(holder), now.getTime(), now.toISOString(), issue, previous.claimedAt?.getTime() ?? null],
    );
    return rowCount === 1;
  }

  async markRefused(issue: number, reason: string, now: Date): Promise<void> {
    await this.#pool.query("UPDATE schedules SET state = 'refused', reason = $1, updated_at = $2 WHERE issue_number = $3 AND state = 'started'", [reason, now.toISOString(), issue]);
  }

  async nextDue(): Promise<Date | undefined> {
    const { rows } = await this.#pool.query<{ due: number | null }>("SELECT min(send_at) AS due FROM schedules WHERE state = 'scheduled'");
    return rows[0]!.due === null ? undefined : new Date(rows[0]!.due);
  }

  /** Issues waiting for their send: what the site leaves out when the web follows the send. */
  async waitingIssues(): Promise<number[]> {
    const { rows } = await this.#pool.query<{ issue_number: number }>('SELECT issue_number FROM schedules WHERE state = ANY($1)', [waitingStates]);
    return rows.map((r) => r.issue_number);
  }

  /** Whom a send started now would reach. */
  async countActiveSubscribers(): Promise<number> {
    const { rows } = await this.#pool.query<{ n: number }>("SELECT count(*) AS n FROM subscribers WHERE state = 'active'");
    return rows[0]!.n;
  }

  /** What a live report needs beyond the counts: bounced deliveries, and how many finished since `since`. */
  async activity(issue: number, since: Date): Promise<{ bounced: number; finishedSince: number }> {
    const { rows } = await this.#pool.query<{ bounced: number; recent: number }>(
      `SELECT
         (SELECT count(*) FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.issue_number = $1 AND d.state = 'failed' AND s.state = 'bounced') AS bounced,
         (SELECT count(*) FROM deliveries WHERE issue_number = $1 AND state IN ('sent', 'failed') AND finished_at >= $2) AS recent`,
      [issue, since.toISOString()],
    );
    return { bounced: rows[0]!.bounced, finishedSince: rows[0]!.recent };
  }
}

function toSchedule(r: ScheduleRow): Schedule {
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
