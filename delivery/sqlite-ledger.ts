// The send ledger in SQLite: one row per (issue, subscriber) saying what happened to
// that delivery. Claims are a conditional UPDATE … RETURNING inside a write
// transaction that also checks the subscriber is active, the SQLite counterpart of
// PostgreSQL's SELECT … FOR UPDATE SKIP LOCKED.
import type { Database } from './db.ts';
import { transaction } from './db.ts';
import type { Ledger, Recipient } from './send-loop.ts';
import type { SendResult } from './transport.ts';

export const deliveryStates = ['queued', 'sending', 'sent', 'failed', 'skipped'] as const;
export type DeliveryState = (typeof deliveryStates)[number];
export type DeliveryCounts = Record<DeliveryState, number>;

export type SendStatus = 'running' | 'paused' | 'interrupted' | 'completed';

export interface SendRecord {
  issueNumber: number;
  subject: string;
  status: SendStatus;
  pauseReason: string | undefined;
  transport: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | undefined;
  counts: DeliveryCounts;
}

export interface DeliveryRow {
  email: string;
  state: DeliveryState;
  attempts: number;
  lastError: string | undefined;
  messageId: string | undefined;
}

const emptyCounts = (): DeliveryCounts => ({ queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0 });

export class SqliteLedger implements Ledger {
  readonly #db: Database;
  readonly #claim;
  readonly #recipient;
  readonly #sent;
  readonly #retry;
  readonly #failed;
  readonly #nextDue;

  constructor(db: Database) {
    this.#db = db;
    // INDEXED BY: without statistics the planner walks the primary key and re-reads every
    // already-sent row on each claim, which makes a send quadratic in the list size.
    this.#claim = db.prepare(`
      UPDATE deliveries SET state = 'sending', attempts = attempts + 1, claimed_at = :now
      WHERE issue_number = :issue AND state = 'queued' AND subscriber_id IN (
        SELECT d.subscriber_id FROM deliveries d INDEXED BY deliveries_by_state JOIN subscribers s ON s.id = d.subscriber_id
        WHERE d.issue_number = :issue AND d.state = 'queued' AND d.not_before <= :nowMs AND s.state = 'active'
        ORDER BY d.subscriber_id LIMIT :limit)
      RETURNING subscriber_id, attempts`);
    this.#recipient = db.prepare('SELECT email, name, token FROM subscribers WHERE id = ?');
    this.#sent = db.prepare(`UPDATE deliveries SET state = 'sent', message_id = ?, last_error = NULL, finished_at = ?
      WHERE issue_number = ? AND subscriber_id = ? AND state = 'sending'`);
    this.#retry = db.prepare(`UPDATE deliveries SET state = 'queued', retryable = 1, last_error = ?, not_before = ?
      WHERE issue_number = ? AND subscriber_id = ? AND state = 'sending'`);
    this.#failed = db.prepare(`UPDATE deliveries SET state = 'failed', retryable = ?, last_error = ?, finished_at = ?
      WHERE issue_number = ? AND subscriber_id = ? AND state = 'sending'`);
    this.#nextDue = db.prepare(`SELECT min(d.not_before) AS due FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
      WHERE d.issue_number = ? AND d.state = 'queued' AND s.state = 'active'`);
  }

  async claim(issue: number, limit: number, now: Date): Promise<Recipient[]> {
    return transaction(this.#db, () => {
      const rows = this.#claim.all({ now: now.toISOString(), issue, nowMs: now.getTime(), limit }) as Array<{ subscriber_id: number; attempts: number }>;
      return rows.map((r) => {
        const s = this.#recipient.get(r.subscriber_id) as { email: string; name: string | null; token: string };
        return { subscriberId: r.subscriber_id, email: s.email, name: s.name ?? undefined, token: s.token, attempts: r.attempts };
      });
    });
  }

  async release(issue: number, subscriberIds: number[]): Promise<void> {
    const release = this.#db.prepare(`UPDATE deliveries SET state = 'queued', attempts = attempts - 1, claimed_at = NULL
      WHERE issue_number = ? AND subscriber_id = ? AND state = 'sending'`);
    transaction(this.#db, () => {
      for (const id of subscriberIds) release.run(issue, id);
    });
  }

  async markSent(issue: number, sent: Array<{ subscriberId: number; result: SendResult }>, now: Date): Promise<void> {
    const at = now.toISOString();
    transaction(this.#db, () => {
      for (const { subscriberId, result } of sent) this.#sent.run(result.messageId, at, issue, subscriberId);
    });
  }

  async markRetry(issue: number, subscriberId: number, error: string, notBefore: Date, _now: Date): Promise<void> {
    this.#retry.run(error, notBefore.getTime(), issue, subscriberId);
  }

  async markFailed(issue: number, subscriberId: number, error: string, retryable: boolean, now: Date): Promise<void> {
    this.#failed.run(retryable ? 1 : 0, error, now.toISOString(), issue, subscriberId);
  }

  async nextDue(issue: number): Promise<Date | undefined> {
    const row = this.#nextDue.get(issue) as { due: number | null };
    return row.due === null ? undefined : new Date(row.due);
  }

  // ── Around the loop: starting, resuming, reporting ─────────────────────────

  getSend(issue: number): SendRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM sends WHERE issue_number = ?').get(issue) as SendRow | undefined;
    return row ? toSendRecord(row, this.counts(issue)) : undefined;
  }

  listSends(): SendRecord[] {
    const rows = this.#db.prepare('SELECT * FROM sends ORDER BY issue_number DESC').all() as unknown as SendRow[];
    return rows.map((r) => toSendRecord(r, this.counts(r.issue_number)));
  }

  /** Creates the send or marks an existing one running again. */
  startSend(issue: number, subject: string, transport: string, now: Date): void {
    const at = now.toISOString();
    this.#db
      .prepare(`INSERT INTO sends (issue_number, subject, status, transport, created_at, updated_at) VALUES (?, ?, 'running', ?, ?, ?)
        ON CONFLICT (issue_number) DO UPDATE SET status = 'running', pause_reason = NULL, subject = excluded.subject,
          transport = excluded.transport, updated_at = excluded.updated_at`)
      .run(issue, subject, transport, at, at);
  }

  setStatus(issue: number, status: SendStatus, reason: string | undefined, now: Date): void {
    const at = now.toISOString();
    this.#db
      .prepare('UPDATE sends SET status = ?, pause_reason = ?, updated_at = ?, completed_at = CASE WHEN ? = \'completed\' THEN ? ELSE completed_at END WHERE issue_number = ?')
      .run(status, reason ?? null, at, status, at, issue);
  }

  /**
   * Queues every active subscriber who has no delivery for this issue yet, in batches
   * so memory stays flat and the write lock is released between batches.
   */
  enqueueActive(issue: number, now: Date, batchSize = 5000): number {
    const select = this.#db.prepare(`SELECT id FROM subscribers s WHERE s.state = 'active' AND s.id > ?
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.issue_number = ? AND d.subscriber_id = s.id) ORDER BY s.id LIMIT ?`);
    const insert = this.#db.prepare(`INSERT INTO deliveries (issue_number, subscriber_id, state, queued_at) VALUES (?, ?, 'queued', ?)
      ON CONFLICT DO NOTHING`);
    const at = now.toISOString();
    let after = 0;
    let queued = 0;
    for (;;) {
      const ids = (select.all(after, issue, batchSize) as Array<{ id: number }>).map((r) => r.id);
      if (ids.length === 0) return queued;
      transaction(this.#db, () => {
        for (const id of ids) queued += Number(insert.run(issue, id, at).changes);
      });
      after = ids[ids.length - 1]!;
    }
  }

  /** Active subscribers who would be queued by enqueueActive, without queuing them. */
  countUnqueuedActive(issue: number): number {
    const row = this.#db
      .prepare(`SELECT count(*) AS n FROM subscribers s WHERE s.state = 'active'
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.issue_number = ? AND d.subscriber_id = s.id)`)
      .get(issue) as { n: number };
    return row.n;
  }

  /** Deliveries that failed for a passing reason in an earlier run get a fresh set of attempts. */
  requeueRetryable(issue: number): number {
    return Number(
      this.#db
        .prepare(`UPDATE deliveries SET state = 'queued', attempts = 0, not_before = 0, finished_at = NULL
          WHERE issue_number = ? AND state = 'failed' AND retryable = 1`)
        .run(issue).changes,
    );
  }

  /** Only on request: these may already have been delivered. */
  requeueUnknown(issue: number): number {
    return Number(
      this.#db.prepare(`UPDATE deliveries SET state = 'queued', not_before = 0 WHERE issue_number = ? AND state = 'sending'`).run(issue).changes,
    );
  }

  /** Queued deliveries whose subscriber left meanwhile are closed as skipped, with the reason. */
  skipInactive(issue: number, now: Date): number {
    return Number(
      this.#db
        .prepare(`UPDATE deliveries SET state = 'skipped', finished_at = ?,
            last_error = 'subscriber is ' || (SELECT state FROM subscribers s WHERE s.id = deliveries.subscriber_id)
          WHERE issue_number = ? AND state = 'queued'
            AND subscriber_id IN (SELECT id FROM subscribers WHERE state != 'active')`)
        .run(now.toISOString(), issue).changes,
    );
  }

  counts(issue: number): DeliveryCounts {
    const counts = emptyCounts();
    const rows = this.#db.prepare('SELECT state, count(*) AS n FROM deliveries WHERE issue_number = ? GROUP BY state').all(issue) as Array<{
      state: DeliveryState;
      n: number;
    }>;
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }

  deliveries(issue: number, state?: DeliveryState, limit = 1_000_000): DeliveryRow[] {
    const rows = this.#db
      .prepare(`SELECT s.email, d.state, d.attempts, d.last_error, d.message_id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
        WHERE d.issue_number = ? AND (? IS NULL OR d.state = ?) ORDER BY d.subscriber_id LIMIT ?`)
      .all(issue, state ?? null, state ?? null, limit) as Array<{ email: string; state: DeliveryState; attempts: number; last_error: string | null; message_id: string | null }>;
    return rows.map((r) => ({ email: r.email, state: r.state, attempts: r.attempts, lastError: r.last_error ?? undefined, messageId: r.message_id ?? undefined }));
  }
}

interface SendRow {
  issue_number: number;
  subject: string;
  status: SendStatus;
  pause_reason: string | null;
  transport: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

function toSendRecord(r: SendRow, counts: DeliveryCounts): SendRecord {
  return {
    issueNumber: r.issue_number,
    subject: r.subject,
    status: r.status,
    pauseReason: r.pause_reason ?? undefined,
    transport: r.transport,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at ?? undefined,
    counts,
  };
}
