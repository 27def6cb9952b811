// The send ledger in SQLite: one row per (issue, subscriber) saying what happened to
// that delivery, and one row per send with its status and lease. A delivery moves
// queued → claimed (taken by the send holding the lease) → sending (its message has
// started to leave) → sent | failed | skipped. Claims are a conditional UPDATE …
// RETURNING that also checks the subscriber is active now, the SQLite counterpart of
// PostgreSQL's SELECT … FOR UPDATE SKIP LOCKED. Every write waits out another
// writer's lock asynchronously (retryOnBusy), so a busy database slows a send down
// instead of stopping it.
import type { Database } from './db.ts';
import { GroupCommit, retryOnBusy, transaction } from './db.ts';
import type { DeliveryCounts, DeliveryRow, DeliveryState, LeaseHolder, SendReads, SendRecord, SendStatus } from '../sending/ledger.ts';
import type { LeaseRequest, SendState, SendStore, SettleSend } from '../sending/send-issue.ts';
import type { Ledger, Recipient } from '../sending/send-loop.ts';
import type { SendResult } from '../sending/transport.ts';
import { sendRecordFrom, type SendRow } from '../sending/send-row.ts';

const emptyCounts = (): DeliveryCounts => ({ queued: 0, claimed: 0, sending: 0, sent: 0, failed: 0, skipped: 0 });

export class SqliteLedger implements SendStore, SendReads {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The deliveries of one issue as the send holding `leaseToken` sees them: what the send loop works on. */
  deliveriesFor(issue: number, leaseToken: string): Ledger {
    return new SqliteIssueLedger(this.#db, issue, leaseToken);
  }

  // ── Starting, leasing, resuming, reporting ─────────────────────────────────

  async getSend(issue: number): Promise<SendRecord | undefined> {
    return retryOnBusy(() => {
      const row = this.#db.prepare('SELECT * FROM sends WHERE issue_number = ?').get(issue) as SqliteSendRow | undefined;
      return row ? toSendRecord(row, this.#counts(issue)) : undefined;
    });
  }

  async listSends(): Promise<SendRecord[]> {
    return retryOnBusy(() => {
      const rows = this.#db.prepare('SELECT * FROM sends ORDER BY issue_number DESC').all() as unknown as SqliteSendRow[];
      return rows.map((r) => toSendRecord(r, this.#counts(r.issue_number)));
    });
  }

  /**
   * Creates the send or marks an existing one running again, taking its lease, unless
   * another live holder has it: then nothing changes and that holder is returned.
   */
  async startSend(issue: number, subject: string, transport: string, request: LeaseRequest): Promise<{ ok: true } | { ok: false; holder: LeaseHolder; expiresAt: number }> {
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const current = this.#db.prepare('SELECT lease_token, lease_holder, lease_expires_at FROM sends WHERE issue_number = ?').get(issue) as
          | Pick<SqliteSendRow, 'lease_token' | 'lease_holder' | 'lease_expires_at'>
          | undefined;
        if (current?.lease_token && current.lease_holder && current.lease_expires_at !== null) {
          const holder = JSON.parse(current.lease_holder) as LeaseHolder;
          if (request.isLive(holder, current.lease_expires_at)) return { ok: false as const, holder, expiresAt: current.lease_expires_at };
        }
        const at = request.now.toISOString();
        this.#db
          .prepare(`INSERT INTO sends (issue_number, subject, status, transport, created_at, updated_at, lease_token, lease_holder, lease_expires_at)
            VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)
            ON CONFLICT (issue_number) DO UPDATE SET status = 'running', pause_reason = NULL, subject = excluded.subject,
              transport = excluded.transport, updated_at = excluded.updated_at, lease_token = excluded.lease_token,
              lease_holder = excluded.lease_holder, lease_expires_at = excluded.lease_expires_at`)
          .run(issue, subject, transport, at, at, request.token, JSON.stringify(request.holder), request.now.getTime() + request.ttlMs);
        return { ok: true as const };
      }),
    );
  }

  /** Extends the lease; false when it is no longer ours (another send took it over). */
  async renewLease(issue: number, token: string, expiresAt: number): Promise<boolean> {
    return retryOnBusy(
      () => Number(this.#db.prepare('UPDATE sends SET lease_expires_at = ? WHERE issue_number = ? AND lease_token = ?').run(expiresAt, issue, token).changes) === 1,
    );
  }

  /**
   * One worker per send here: the one leaving is the last, unless its lease was taken
   * over meanwhile (then the new holder records how the send ends).
   */
  async finishWorker(issue: number, token: string, now: Date, _isLive: LeaseRequest['isLive'], settle: SettleSend): Promise<SendState & { last: boolean; counts: DeliveryCounts }> {
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const row = this.#db.prepare('SELECT status, pause_reason, lease_token FROM sends WHERE issue_number = ?').get(issue) as Pick<SqliteSendRow, 'status' | 'pause_reason' | 'lease_token'>;
        const current: SendState = { status: row.status, reason: row.pause_reason ?? undefined };
        const last = row.lease_token === null || row.lease_token === token;
        const counts = this.#counts(issue);
        const decided = settle(counts, current, last);
        if (decided) this.#setStatus(issue, decided.status, decided.reason, now);
        this.#db.prepare('UPDATE sends SET lease_token = NULL, lease_holder = NULL, lease_expires_at = NULL WHERE issue_number = ? AND lease_token = ?').run(issue, token);
        return { ...(decided ?? current), last, counts };
      }),
    );
  }

  async releaseLease(issue: number, token: string): Promise<void> {
    await retryOnBusy(() =>
      this.#db.prepare('UPDATE sends SET lease_token = NULL, lease_holder = NULL, lease_expires_at = NULL WHERE issue_number = ? AND lease_token = ?').run(issue, token),
    );
  }

  async setStatus(issue: number, status: SendStatus, reason: string | undefined, now: Date): Promise<void> {
    await retryOnBusy(() => this.#setStatus(issue, status, reason, now));
  }

  #setStatus(issue: number, status: SendStatus, reason: string | undefined, now: Date): void {
    const at = now.toISOString();
    this.#db
      .prepare("UPDATE sends SET status = ?, pause_reason = ?, updated_at = ?, completed_at = CASE WHEN ? = 'completed' THEN ? ELSE completed_at END WHERE issue_number = ?")
      .run(status, reason ?? null, at, status, at, issue);
  }

  /**
   * Queues every active subscriber who has no delivery for this issue yet, in batches
   * so memory stays flat and the write lock is released between batches.
   */
  async enqueueActive(issue: number, now: Date, batchSize = 2000): Promise<number> {
    const select = this.#db.prepare(`SELECT id FROM subscribers s WHERE s.state = 'active' AND s.id > ?
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.issue_number = ? AND d.subscriber_id = s.id) ORDER BY s.id LIMIT ?`);
    const insert = this.#db.prepare(`INSERT INTO deliveries (issue_number, subscriber_id, state, queued_at) VALUES (?, ?, 'queued', ?)
      ON CONFLICT DO NOTHING`);
    const at = now.toISOString();
    let after = 0;
    let queued = 0;
    for (;;) {
      const ids = (await retryOnBusy(() => select.all(after, issue, batchSize) as Array<{ id: number }>)).map((r) => r.id);
      if (ids.length === 0) return queued;
      queued += await retryOnBusy(() =>
        transaction(this.#db, () => {
          let n = 0;
          for (const id of ids) n += Number(insert.run(issue, id, at).changes);
          return n;
        }),
      );
      after = ids[ids.length - 1]!;
    }
  }

  /** Active subscribers who would be queued by enqueueActive, without queuing them. */
  async countUnqueuedActive(issue: number): Promise<number> {
    const row = this.#db
      .prepare(`SELECT count(*) AS n FROM subscribers s WHERE s.state = 'active'
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.issue_number = ? AND d.subscriber_id = s.id)`)
      .get(issue) as { n: number };
    return row.n;
  }

  async countRetryableFailed(issue: number): Promise<number> {
    return (this.#db.prepare("SELECT count(*) AS n FROM deliveries WHERE issue_number = ? AND state = 'failed' AND retryable = 1").get(issue) as { n: number }).n;
  }

  /** Deliveries a send that died had claimed but not started go back to the queue, their attempt not counted. */
  async requeueAbandoned(issue: number): Promise<number> {
    return this.#update(`UPDATE deliveries SET state = 'queued', attempts = max(0, attempts - 1), claimed_at = NULL
      WHERE issue_number = ? AND state = 'claimed'`, issue);
  }

  /** Deliveries that failed for a passing reason in an earlier run get a fresh set of attempts. */
  async requeueRetryable(issue: number): Promise<number> {
    return this.#update(`UPDATE deliveries SET state = 'queued', attempts = 0, not_before = 0, finished_at = NULL
      WHERE issue_number = ? AND state = 'failed' AND retryable = 1`, issue);
  }

  /** Only on request: these may already have been delivered. */
  async requeueUnknown(issue: number): Promise<number> {
    return this.#update(`UPDATE deliveries SET state = 'queued', not_before = 0 WHERE issue_number = ? AND state = 'sending'`, issue);
  }

  /** Only on request: closes unknown deliveries without sending again, so the send can complete. */
  async skipUnknown(issue: number, now: Date): Promise<number> {
    return this.#update(
      `UPDATE deliveries SET state = 'skipped', finished_at = ?, last_error = 'outcome unknown after an interrupted transmission; not sent again'
        WHERE issue_number = ? AND state = 'sending'`,
      now.toISOString(),
      issue,
    );
  }

  /** Queued deliveries whose subscriber left meanwhile are closed as skipped, with the reason. */
  async skipInactive(issue: number, now: Date): Promise<number> {
    return this.#update(
      `UPDATE deliveries SET state = 'skipped', finished_at = ?,
          last_error = 'subscriber is ' || (SELECT state FROM subscribers s WHERE s.id = deliveries.subscriber_id)
        WHERE issue_number = ? AND state = 'queued'
          AND subscriber_id IN (SELECT id FROM subscribers WHERE state != 'active')`,
      now.toISOString(),
      issue,
    );
  }

  async counts(issue: number): Promise<DeliveryCounts> {
    return retryOnBusy(() => this.#counts(issue));
  }

  #counts(issue: number): DeliveryCounts {
    const counts = emptyCounts();
    const rows = this.#db.prepare('SELECT state, count(*) AS n FROM deliveries WHERE issue_number = ? GROUP BY state').all(issue) as Array<{
      state: DeliveryState;
      n: number;
    }>;
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }

  async countsNow(issue: number): Promise<DeliveryCounts> {
    return this.counts(issue);
  }

  async deliveries(issue: number, state?: DeliveryState, limit = 1_000_000): Promise<DeliveryRow[]> {
    const rows = this.#db
      .prepare(`SELECT s.email, d.state, d.attempts, d.last_error, d.message_id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
        WHERE d.issue_number = ? AND (? IS NULL OR d.state = ?) ORDER BY d.subscriber_id LIMIT ?`)
      .all(issue, state ?? null, state ?? null, limit) as Array<{ email: string; state: DeliveryState; attempts: number; last_error: string | null; message_id: string | null }>;
    return rows.map((r) => ({ email: r.email, state: r.state, attempts: r.attempts, lastError: r.last_error ?? undefined, messageId: r.message_id ?? undefined }));
  }

  async #update(sql: string, ...params: Array<string | number>): Promise<number> {
    return retryOnBusy(() => Number(this.#db.prepare(sql).run(...params).changes));
  }
}

/** One issue's deliveries for the send loop, bound to the lease its send holds. */
class SqliteIssueLedger implements Ledger {
  readonly #db: Database;
  readonly #issue: number;
  readonly #token: string;
  readonly #claim;
  readonly #recipient;
  readonly #transmitting;
  readonly #release;
  readonly #sent;
  readonly #retry;
  readonly #failed;
  readonly #unknown;
  readonly #nextDue;
  readonly #writes: GroupCommit;
  /** Every mark and claim goes through one group commit, which commits in the order asked. */
  readonly writesInOrder = true;

  constructor(db: Database, issue: number, leaseToken: string) {
    this.#db = db;
    this.#writes = new GroupCommit(db);
    this.#issue = issue;
    this.#token = leaseToken;
    // INDEXED BY: without statistics the planner walks the primary key and re-reads every
    // already-sent row on each claim, which makes a send quadratic in the list size.
    this.#claim = db.prepare(`
      UPDATE deliveries SET state = 'claimed', attempts = attempts + 1, claimed_at = :now
      WHERE issue_number = :issue AND state = 'queued' AND subscriber_id IN (
        SELECT d.subscriber_id FROM deliveries d INDEXED BY deliveries_by_state JOIN subscribers s ON s.id = d.subscriber_id
        WHERE d.issue_number = :issue AND d.state = 'queued' AND d.not_before <= :nowMs AND s.state = 'active'
        ORDER BY d.subscriber_id LIMIT :limit)
        AND (SELECT lease_token FROM sends WHERE issue_number = :issue) = :token
      RETURNING subscriber_id, attempts`);
    this.#recipient = db.prepare('SELECT email, name, token FROM subscribers WHERE id = ?');
    // The hand-off checks the lease as well: a send that lost it must not put anything on the wire.
    // An earlier attempt's error is cleared: while "sending", last_error says why the outcome is unknown, if known.
    this.#transmitting = db.prepare(`UPDATE deliveries SET state = 'sending', transmitted_at = ?, last_error = NULL
      WHERE issue_number = ? AND subscriber_id = ? AND state = 'claimed'
        AND (SELECT lease_token FROM sends WHERE issue_number = ?) = ?`);
    this.#release = db.prepare(`UPDATE deliveries SET state = 'queued', attempts = max(0, attempts - 1), claimed_at = NULL
      WHERE issue_number = ? AND subscriber_id = ? AND state = 'claimed'`);
    this.#sent = db.prepare(`UPDATE deliveries SET state = 'sent', message_id = ?, last_error = NULL, finished_at = ?
      WHERE issue_number = ? AND subscriber_id = ? AND state IN ('claimed', 'sending')`);
    this.#retry = db.prepare(`UPDATE deliveries SET state = 'queued', retryable = 1, last_error = ?, not_before = ?
      WHERE issue_number = ? AND subscriber_id = ? AND state IN ('claimed', 'sending')`);
    this.#failed = db.prepare(`UPDATE deliveries SET state = 'failed', retryable = ?, last_error = ?, finished_at = ?
      WHERE issue_number = ? AND subscriber_id = ? AND state IN ('claimed', 'sending')`);
    // Stays (or becomes) "sending": the one state `send` reports as unknown and never re-sends unasked.
    this.#unknown = db.prepare(`UPDATE deliveries SET state = 'sending', last_error = ?, transmitted_at = coalesce(transmitted_at, ?)
      WHERE issue_number = ? AND subscriber_id = ? AND state IN ('claimed', 'sending')`);
    this.#nextDue = db.prepare(`SELECT min(d.not_before) AS due FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
      WHERE d.issue_number = ? AND d.state = 'queued' AND s.state = 'active'`);
  }

  claim(limit: number, now: Date): Promise<Recipient[]> {
    // Joins the marks' group commit rather than committing on its own.
    return this.#writes.run(() => {
      const rows = this.#claim.all({ now: now.toISOString(), issue: this.#issue, nowMs: now.getTime(), limit, token: this.#token }) as Array<{
        subscriber_id: number;
        attempts: number;
      }>;
      return rows
        .sort((a, b) => a.subscriber_id - b.subscriber_id)
        .map((r) => {
          const s = this.#recipient.get(r.subscriber_id) as { email: string; name: string | null; token: string };
          return { subscriberId: r.subscriber_id, email: s.email, name: s.name ?? undefined, token: s.token, attempts: r.attempts };
        });
    });
  }

  async markTransmitting(subscriberId: number, now: Date): Promise<void> {
    const changed = await this.#writes.run(() => Number(this.#transmitting.run(now.toISOString(), this.#issue, subscriberId, this.#issue, this.#token).changes));
    if (changed !== 1) throw new Error(`issue ${this.#issue}: delivery to subscriber #${subscriberId} is no longer held by this send (its lease was taken over)`);
  }

  async release(subscriberIds: number[]): Promise<void> {
    await retryOnBusy(() =>
      transaction(this.#db, () => {
        for (const id of subscriberIds) this.#release.run(this.#issue, id);
      }),
    );
  }

  async markSent(subscriberId: number, result: SendResult, now: Date): Promise<void> {
    // Rides with the next commit asked for: the send loop asks for the next hand-off right away (writesInOrder).
    await this.#writes.runLater(() => this.#sent.run(result.messageId, now.toISOString(), this.#issue, subscriberId));
  }

  async markRetry(subscriberId: number, error: string, notBefore: Date): Promise<void> {
    await this.#writes.run(() => this.#retry.run(error, notBefore.getTime(), this.#issue, subscriberId));
  }

  async markFailed(subscriberId: number, error: string, retryable: boolean, now: Date): Promise<void> {
    await this.#writes.run(() => this.#failed.run(retryable ? 1 : 0, error, now.toISOString(), this.#issue, subscriberId));
  }

  async markUnknown(subscriberId: number, error: string, now: Date): Promise<void> {
    await this.#writes.run(() => this.#unknown.run(error, now.toISOString(), this.#issue, subscriberId));
  }

  async nextDue(): Promise<Date | undefined> {
    const row = (await retryOnBusy(() => this.#nextDue.get(this.#issue))) as { due: number | null };
    return row.due === null ? undefined : new Date(row.due);
  }
}

interface SqliteSendRow extends SendRow {
  lease_token: string | null;
  lease_holder: string | null;
  lease_expires_at: number | null;
}

function toSendRecord(r: SqliteSendRow, counts: DeliveryCounts): SendRecord {
  return sendRecordFrom(r, { holder: r.lease_token ? r.lease_holder : null, expiresAt: r.lease_expires_at }, counts);
}
