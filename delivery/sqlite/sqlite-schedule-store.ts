// Scheduled sends in the delivery database: one row per issue saying when it goes out,
// in which zone the editor chose the time, which published revision was scheduled, and
// what became of it. A due schedule is claimed with one conditional UPDATE … RETURNING
// inside BEGIN IMMEDIATE, so of any number of servers sharing the file exactly one
// starts it; everything after the claim is the send's own lease (delivery/sending/send-issue.ts).
import { retryOnBusy, transaction, type Database } from './db.ts';
import type { LeaseHolder } from '../sending/ledger.ts';
import type { NewSchedule, Schedule, ScheduleStore } from '../schedule/scheduler.ts';
import { scheduleFromRow as toSchedule, waitingStates, type ScheduleRow } from '../schedule/schedule-row.ts';



export class SqliteScheduleStore implements ScheduleStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async get(issue: number): Promise<Schedule | undefined> {
    const row = await retryOnBusy(() => this.#db.prepare('SELECT * FROM schedules WHERE issue_number = ?').get(issue) as ScheduleRow | undefined);
    return row ? toSchedule(row) : undefined;
  }

  /** Every schedule but cancelled ones, soonest first. */
  async list(): Promise<Schedule[]> {
    const rows = await retryOnBusy(() => this.#db.prepare("SELECT * FROM schedules WHERE state != 'cancelled' ORDER BY send_at, issue_number").all() as unknown as ScheduleRow[]);
    return rows.map(toSchedule);
  }

  /** Creates or replaces the issue's schedule as "scheduled"; returns what it replaced. */
  async put(schedule: NewSchedule, now: Date): Promise<Schedule | undefined> {
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const previous = this.#db.prepare('SELECT * FROM schedules WHERE issue_number = ?').get(schedule.issueNumber) as ScheduleRow | undefined;
        const at = now.toISOString();
        this.#db
          .prepare(`INSERT INTO schedules (issue_number, send_at, time_zone, document_id, revision, state, reason, scheduled_by, created_at, updated_at, claimed_by, claimed_at)
            VALUES (?, ?, ?, ?, ?, 'scheduled', NULL, ?, ?, ?, NULL, NULL)
            ON CONFLICT (issue_number) DO UPDATE SET send_at = excluded.send_at, time_zone = excluded.time_zone, document_id = excluded.document_id,
              revision = excluded.revision, state = 'scheduled', reason = NULL, scheduled_by = excluded.scheduled_by,
              updated_at = excluded.updated_at, claimed_by = NULL, claimed_at = NULL`)
          .run(schedule.issueNumber, schedule.sendAt.getTime(), schedule.timeZone, schedule.documentId, schedule.revision, schedule.scheduledBy, at, at);
        return previous ? toSchedule(previous) : undefined;
      }),
    );
  }

  /** Cancels a schedule that has not started; returns it as it was, or undefined when there was none to cancel. */
  async cancel(issue: number, now: Date): Promise<Schedule | undefined> {
    const row = await retryOnBusy(
      () =>
        this.#db
          .prepare(`UPDATE schedules SET state = 'cancelled', reason = NULL, updated_at = ? WHERE issue_number = ? AND state IN ('scheduled', 'missed', 'refused') RETURNING *`)
          .get(now.toISOString(), issue) as ScheduleRow | undefined,
    );
    return row ? toSchedule(row) : undefined;
  }

  /** Schedules more than `graceMs` overdue wait for the editor instead of starting; returns them. */
  async markMissed(now: Date, graceMs: number, reason: (schedule: Schedule) => string): Promise<Schedule[]> {
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const late = (this.#db.prepare("SELECT * FROM schedules WHERE state = 'scheduled' AND send_at < ?").all(now.getTime() - graceMs) as unknown as ScheduleRow[]).map(toSchedule);
        const mark = this.#db.prepare("UPDATE schedules SET state = 'missed', reason = ?, updated_at = ? WHERE issue_number = ? AND state = 'scheduled'");
        for (const s of late) mark.run(reason(s), now.toISOString(), s.issueNumber);
        return late;
      }),
    );
  }

  /** Takes the earliest due schedule for this process; undefined when none is due (or another process took it). */
  async claimDue(now: Date, holder: LeaseHolder): Promise<Schedule | undefined> {
    const row = await retryOnBusy(() =>
      transaction(
        this.#db,
        () =>
          this.#db
            .prepare(`UPDATE schedules SET state = 'started', claimed_by = ?, claimed_at = ?, updated_at = ?
              WHERE issue_number = (SELECT issue_number FROM schedules WHERE state = 'scheduled' AND send_at <= ? ORDER BY send_at, issue_number LIMIT 1)
                AND state = 'scheduled'
              RETURNING *`)
            .get(JSON.stringify(holder), now.getTime(), now.toISOString(), now.getTime()) as ScheduleRow | undefined,
      ),
    );
    return row ? toSchedule(row) : undefined;
  }

  /** A started schedule is taken over by this process (its claimer is gone); false when another was quicker. */
  async reclaim(issue: number, previous: Schedule, holder: LeaseHolder, now: Date): Promise<boolean> {
    const changes = await retryOnBusy(() =>
      Number(
        this.#db
          .prepare(`UPDATE schedules SET claimed_by = ?, claimed_at = ?, updated_at = ? WHERE issue_number = ? AND state = 'started' AND claimed_at IS ?`)
          .run(JSON.stringify(holder), now.getTime(), now.toISOString(), issue, previous.claimedAt?.getTime() ?? null).changes,
      ),
    );
    return changes === 1;
  }

  async markRefused(issue: number, reason: string, now: Date): Promise<void> {
    await retryOnBusy(() => this.#db.prepare("UPDATE schedules SET state = 'refused', reason = ?, updated_at = ? WHERE issue_number = ? AND state = 'started'").run(reason, now.toISOString(), issue));
  }

  async nextDue(): Promise<Date | undefined> {
    const row = await retryOnBusy(() => this.#db.prepare("SELECT min(send_at) AS due FROM schedules WHERE state = 'scheduled'").get() as { due: number | null });
    return row.due === null ? undefined : new Date(row.due);
  }

  /** Issues waiting for their send: what the site leaves out when the web follows the send. */
  async waitingIssues(): Promise<number[]> {
    const rows = await retryOnBusy(
      () => this.#db.prepare(`SELECT issue_number FROM schedules WHERE state IN (${waitingStates.map(() => '?').join(', ')})`).all(...waitingStates) as Array<{ issue_number: number }>,
    );
    return rows.map((r) => r.issue_number);
  }

  /** Whom a send started now would reach. */
  async countActiveSubscribers(): Promise<number> {
    return retryOnBusy(() => (this.#db.prepare("SELECT count(*) AS n FROM subscribers WHERE state = 'active'").get() as { n: number }).n);
  }

  /** What a live report needs beyond the counts: bounced deliveries, and how many finished since `since`. */
  async activity(issue: number, since: Date): Promise<{ bounced: number; finishedSince: number }> {
    return retryOnBusy(() => {
      const bounced = this.#db
        .prepare("SELECT count(*) AS n FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.issue_number = ? AND d.state = 'failed' AND s.state = 'bounced'")
        .get(issue) as { n: number };
      const recent = this.#db
        .prepare("SELECT count(*) AS n FROM deliveries WHERE issue_number = ? AND state IN ('sent', 'failed') AND finished_at >= ?")
        .get(issue, since.toISOString()) as { n: number };
      return { bounced: bounced.n, finishedSince: recent.n };
    });
  }
}
