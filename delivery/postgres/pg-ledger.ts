// The send ledger in PostgreSQL, the twin of sqlite/sqlite-ledger.ts with one difference:
// several workers (processes, machines) may share one send. Each holds its own lease, a
// row in send_workers renewed while it runs; each delivery records the worker that
// claimed it (claimed_by), and only that worker may put its message on the wire. Claims
// are one UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED) that also checks the
// subscriber is active now and the send is running, so a pause stops every worker. A
// dead worker's claims go back to the queue; its deliveries in "sending" stay unknown.
// How the send ended is recorded by the last live worker, under the send row's lock.
import type { DeliveryCounts, DeliveryRow, DeliveryState, LeaseHolder, SendReads, SendRecord, SendStatus } from '../sending/ledger.ts';
import type { LeaseRequest, SendState, SendStore, SettleSend } from '../sending/send-issue.ts';
import type { Ledger, Recipient } from '../sending/send-loop.ts';
import type { SendResult } from '../sending/transport.ts';
import { sendRecordFrom, type SendRow } from '../sending/send-row.ts';
import { transaction, type Pool, type Queryable } from './pg-db.ts';

const emptyCounts = (): DeliveryCounts => ({ queued: 0, claimed: 0, sending: 0, sent: 0, failed: 0, skipped: 0 });

type IsLive = LeaseRequest['isLive'];

interface WorkerRow {
  token: string;
  holder: string;
  expires_at: number;
}

/** Without a liveness test (reads, other processes): a worker counts while its lease is unexpired. */
const unexpired =
  (now: Date): IsLive =>
  (_holder, expiresAt) =>
    expiresAt > now.getTime();

export class PgLedger implements SendStore, SendReads {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  deliveriesFor(issue: number, leaseToken: string, isLive?: IsLive): Ledger {
    return new PgIssueLedger(this.#pool, issue, leaseToken, isLive);
  }

  // ── Starting, joining, leaving ──────────────────────────────────────────────

  /** Creates the send, or joins it; dead workers' leases are dropped. Never refuses: another live worker is a co-worker. */
  async startSend(issue: number, subject: string, transport: string, request: LeaseRequest): Promise<{ ok: true }> {
    const at = request.now.toISOString();
    return transaction(this.#pool, async (client) => {
      await client.query(
        `INSERT INTO sends (issue_number, subject, status, transport, created_at, updated_at) VALUES ($1, $2, 'running', $3, $4, $4)
          ON CONFLICT (issue_number) DO NOTHING`,
        [issue, subject, transport, at],
      );
      const { rows } = await client.query<{ status: SendStatus }>('SELECT status FROM sends WHERE issue_number = $1 FOR UPDATE', [issue]);
      const live = await dropDeadWorkers(client, issue, request.isLive);
      // Alone, or the send is not running: this start (re)starts it. Otherwise it joins as it is.
      if (live.length === 0 || rows[0]!.status !== 'running') {
        await client.query(`UPDATE sends SET status = 'running', pause_reason = NULL, subject = $2, transport = $3, updated_at = $4 WHERE issue_number = $1`, [issue, subject, transport, at]);
      }
      await client.query('INSERT INTO send_workers (token, issue_number, holder, expires_at, started_at) VALUES ($1, $2, $3, $4, $5)', [
        request.token,
        issue,
        JSON.stringify(request.holder),
        request.now.getTime() + request.ttlMs,
        at,
      ]);
      return { ok: true as const };
    });
  }

  /** Extends this worker's lease; false when it is gone (another worker found it expired and dropped it). */
  async renewLease(_issue: number, token: string, expiresAt: number): Promise<boolean> {
    return (await this.#pool.query('UPDATE send_workers SET expires_at = $2 WHERE token = $1', [token, expiresAt])).rowCount === 1;
  }

  async finishWorker(issue: number, token: string, now: Date, isLive: IsLive, settle: SettleSend): Promise<SendState & { last: boolean; counts: DeliveryCounts }> {
    return transaction(this.#pool, async (client) => {
      const { rows } = await client.query<{ status: SendStatus; pause_reason: string | null }>('SELECT status, pause_reason FROM sends WHERE issue_number = $1 FOR UPDATE', [issue]);
      const current: SendState = { status: rows[0]!.status, reason: rows[0]!.pause_reason ?? undefined };
      await client.query('DELETE FROM send_workers WHERE token = $1', [token]);
      const last = (await dropDeadWorkers(client, issue, isLive)).length === 0;
      const counts = await countDeliveries(client, issue);
      const decided = settle(counts, current, last);
      if (decided) {
        const at = now.toISOString();
        await client.query(
          `UPDATE sends SET status = $2, pause_reason = $3, updated_at = $4, completed_at = CASE WHEN $2 = 'completed' THEN $4 ELSE completed_at END WHERE issue_number = $1`,
          [issue, decided.status, decided.reason ?? null, at],
        );
      }
      return { ...(decided ?? current), last, counts };
    });
  }

  // ── Queuing and putting back ────────────────────────────────────────────────

  /** Queues every active subscriber without a delivery for this issue, a batch per statement in subscriber order. */
  async enqueueActive(issue: number, now: Date, batchSize = 5000): Promise<number> {
    const at = now.toISOString();
    let after = 0;
    let queued = 0;
    for (;;) {
      const { rows } = await this.#pool.query<{ last: number | null; n: number }>(
        `WITH batch AS (SELECT id FROM subscribers WHERE state = 'active' AND id > $2 ORDER BY id LIMIT $3),
          added AS (INSERT INTO deliveries (issue_number, subscriber_id, state, queued_at) SELECT $1, id, 'queued', $4 FROM batch
            ON CONFLICT DO NOTHING RETURNING 1)
        SELECT (SELECT max(id) FROM batch) AS last, (SELECT count(*) FROM added) AS n`,
        [issue, after, batchSize, at],
      );
      queued += rows[0]!.n;
      if (rows[0]!.last === null) break;
      after = rows[0]!.last;
    }
    // A table that just grew by a whole list has no statistics for it yet (autovacuum gets to
    // it later): without them the planner may scan every delivery for each claim.
    if (queued >= analyzeAfterRows) await this.#pool.query('ANALYZE deliveries');
    return queued;
  }

  /** Claims of workers that are gone (no lease row left) go back to the queue, their attempt not counted; a live co-worker's never. */
  async requeueAbandoned(issue: number): Promise<number> {
    return this.#update(
      `UPDATE deliveries SET state = 'queued', attempts = greatest(0, attempts - 1), claimed_at = NULL, claimed_by = NULL
        WHERE issue_number = $1 AND state = 'claimed' AND ${notAWorker}`,
      issue,
    );
  }

  async requeueRetryable(issue: number): Promise<number> {
    return this.#update(
      `UPDATE deliveries SET state = 'queued', attempts = 0, not_before = 0, finished_at = NULL, claimed_by = NULL
        WHERE issue_number = $1 AND state = 'failed' AND retryable = 1`,
      issue,
    );
  }

  /** Only on request, and never a delivery a live co-worker is transmitting right now. */
  async requeueUnknown(issue: number): Promise<number> {
    return this.#update(`UPDATE deliveries SET state = 'queued', not_before = 0, claimed_by = NULL WHERE issue_number = $1 AND state = 'sending' AND ${notAWorker}`, issue);
  }

  async skipUnknown(issue: number, now: Date): Promise<number> {
    return this.#update(
      `UPDATE deliveries SET state = 'skipped', finished_at = $2, last_error = 'outcome unknown after an interrupted transmission; not sent again'
        WHERE issue_number = $1 AND state = 'sending' AND ${notAWorker}`,
      issue,
      now.toISOString(),
    );
  }

  async skipInactive(issue: number, now: Date): Promise<number> {
    return this.#update(
      `UPDATE deliveries d SET state = 'skipped', finished_at = $2, last_error = 'subscriber is ' || s.state
        FROM subscribers s WHERE s.id = d.subscriber_id AND d.issue_number = $1 AND d.state = 'queued' AND s.state <> 'active'`,
      issue,
      now.toISOString(),
    );
  }

  // ── Reading ─────────────────────────────────────────────────────────────────

  async getSend(issue: number): Promise<SendRecord | undefined> {
    return (await this.#sends('WHERE s.issue_number = $1', [issue]))[0];
  }

  async listSends(): Promise<SendRecord[]> {
    return this.#sends('', []);
  }

  async #sends(where: string, params: unknown[]): Promise<SendRecord[]> {
    const { rows } = await this.#pool.query<PgSendRow>(
      `SELECT s.*, w.holder, w.expires_at, coalesce(w.workers, 0) AS workers FROM sends s
        LEFT JOIN LATERAL (SELECT holder, expires_at, count(*) OVER () AS workers FROM send_workers
          WHERE issue_number = s.issue_number AND expires_at > $${params.length + 1} ORDER BY started_at, token LIMIT 1) w ON true
        ${where} ORDER BY s.issue_number DESC`,
      [...params, Date.now()],
    );
    return Promise.all(rows.map(async (r) => toSendRecord(r, await countDeliveries(this.#pool, r.issue_number))));
  }

  async counts(issue: number): Promise<DeliveryCounts> {
    return countDeliveries(this.#pool, issue);
  }

  async countsNow(issue: number): Promise<DeliveryCounts> {
    return countDeliveries(this.#pool, issue);
  }

  async countUnqueuedActive(issue: number): Promise<number> {
    const { rows } = await this.#pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM subscribers s WHERE s.state = 'active'
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.issue_number = $1 AND d.subscriber_id = s.id)`,
      [issue],
    );
    return rows[0]!.n;
  }

  async countRetryableFailed(issue: number): Promise<number> {
    const { rows } = await this.#pool.query<{ n: number }>("SELECT count(*) AS n FROM deliveries WHERE issue_number = $1 AND state = 'failed' AND retryable = 1", [issue]);
    return rows[0]!.n;
  }

  async deliveries(issue: number, state?: DeliveryState, limit = 1_000_000): Promise<DeliveryRow[]> {
    const { rows } = await this.#pool.query<{ email: string; state: DeliveryState; attempts: number; last_error: string | null; message_id: string | null }>(
      `SELECT s.email, d.state, d.attempts, d.last_error, d.message_id FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
        WHERE d.issue_number = $1 AND ($2::text IS NULL OR d.state = $2) ORDER BY d.subscriber_id LIMIT $3`,
      [issue, state ?? null, limit],
    );
    return rows.map((r) => ({ email: r.email, state: r.state, attempts: r.attempts, lastError: r.last_error ?? undefined, messageId: r.message_id ?? undefined }));
  }

  async #update(sql: string, ...params: unknown[]): Promise<number> {
    return (await this.#pool.query(sql, params)).rowCount ?? 0;
  }
}

/** A delivery's claimant holds no lease on the send (any more): the condition for putting back what it left. */
const notAWorker = 'coalesce(claimed_by, \'\') NOT IN (SELECT token FROM send_workers WHERE issue_number = $1)';

/** Drops the leases of the send's workers that are not live; returns the live ones. */
async function dropDeadWorkers(db: Queryable, issue: number, isLive: IsLive): Promise<WorkerRow[]> {
  const { rows } = await db.query<WorkerRow>('SELECT token, holder, expires_at FROM send_workers WHERE issue_number = $1', [issue]);
  const dead = rows.filter((w) => !isLive(JSON.parse(w.holder) as LeaseHolder, w.expires_at)).map((w) => w.token);
  if (dead.length > 0) await db.query('DELETE FROM send_workers WHERE token = ANY($1)', [dead]);
  return rows.filter((w) => !dead.includes(w.token));
}

async function countDeliveries(db: Queryable, issue: number): Promise<DeliveryCounts> {
  const counts = emptyCounts();
  const { rows } = await db.query<{ state: DeliveryState; n: number }>('SELECT state, count(*) AS n FROM deliveries WHERE issue_number = $1 GROUP BY state', [issue]);
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}

// ── One worker's view of one issue's deliveries ──────────────────────────────

type Mark =
  | { kind: 'transmitting'; id: number; at: string }
  | { kind: 'sent'; id: number; messageId: string; at: string }
  | { kind: 'retry'; id: number; error: string; notBefore: number }
  | { kind: 'failed'; id: number; error: string; retryable: boolean; at: string }
  | { kind: 'unknown'; id: number; error: string; at: string };

interface Pending {
  mark: Mark;
  resolve: (changed: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * The loop's Ledger for one worker. The per-message marks that arrive while writes are
 * under way are written together, one statement per kind (in one transaction when there
 * are several kinds), and each caller's promise resolves only after its batch committed:
 * a markTransmitting is durable before the message's DATA is finished.
 */
class PgIssueLedger implements Ledger {
  readonly #pool: Pool;
  readonly #issue: number;
  readonly #token: string;
  readonly #isLive: IsLive | undefined;
  #pending: Pending[] = [];
  /** Batches being written now; each mark's caller hears once its own batch is committed. */
  #writers = 0;

  constructor(pool: Pool, issue: number, token: string, isLive: IsLive | undefined) {
    this.#pool = pool;
    this.#issue = issue;
    this.#token = token;
    this.#isLive = isLive;
  }

  async claim(limit: number, now: Date): Promise<Recipient[]> {
    const { rows } = await this.#pool.query<{ subscriber_id: number; attempts: number; email: string; name: string | null; token: string }>(
      `WITH picked AS (
          -- The subscriber's state is read per picked row (a subquery, never a join): a join lets the
          -- planner merge both tables in id order, walking every subscriber already sent to first,
          -- so each claim got slower as the send went on (88 ms at 300,000 sent; now under 1 ms).
          SELECT d.subscriber_id FROM deliveries d
          WHERE d.issue_number = $1 AND d.state = 'queued' AND d.not_before <= $2
            AND (SELECT s.state FROM subscribers s WHERE s.id = d.subscriber_id) = 'active'
            AND EXISTS (SELECT 1 FROM sends WHERE issue_number = $1 AND status = 'running')
            AND EXISTS (SELECT 1 FROM send_workers WHERE token = $3)
          ORDER BY d.subscriber_id LIMIT $4
          FOR UPDATE OF d SKIP LOCKED)
        UPDATE deliveries d SET state = 'claimed', attempts = d.attempts + 1, claimed_at = $5, claimed_by = $3
        FROM picked, subscribers s
        WHERE d.issue_number = $1 AND d.subscriber_id = picked.subscriber_id AND s.id = d.subscriber_id
        RETURNING d.subscriber_id, d.attempts, s.email, s.name, s.token`,
      [this.#issue, now.getTime(), this.#token, limit, now.toISOString()],
    );
    return rows
      .sort((a, b) => a.subscriber_id - b.subscriber_id)
      .map((r) => ({ subscriberId: r.subscriber_id, email: r.email, name: r.name ?? undefined, token: r.token, attempts: r.attempts }));
  }

  async markTransmitting(subscriberId: number, now: Date): Promise<void> {
    if (!(await this.#mark({ kind: 'transmitting', id: subscriberId, at: now.toISOString() }))) {
      throw new Error(`issue ${this.#issue}: delivery to subscriber #${subscriberId} is no longer held by this send (its lease was taken over)`);
    }
  }

  async release(subscriberIds: number[]): Promise<void> {
    await this.#pool.query(
      `UPDATE deliveries SET state = 'queued', attempts = greatest(0, attempts - 1), claimed_at = NULL, claimed_by = NULL
        WHERE issue_number = $1 AND subscriber_id = ANY($2) AND state = 'claimed' AND claimed_by = $3`,
      [this.#issue, subscriberIds, this.#token],
    );
  }

  async markSent(subscriberId: number, result: SendResult, now: Date): Promise<void> {
    await this.#mark({ kind: 'sent', id: subscriberId, messageId: result.messageId, at: now.toISOString() });
  }

  async markRetry(subscriberId: number, error: string, notBefore: Date): Promise<void> {
    await this.#mark({ kind: 'retry', id: subscriberId, error, notBefore: notBefore.getTime() });
  }

  async markFailed(subscriberId: number, error: string, retryable: boolean, now: Date): Promise<void> {
    await this.#mark({ kind: 'failed', id: subscriberId, error, retryable, at: now.toISOString() });
  }

  async markUnknown(subscriberId: number, error: string, now: Date): Promise<void> {
    await this.#mark({ kind: 'unknown', id: subscriberId, error, at: now.toISOString() });
  }

  /**
   * When the earliest claimable delivery is due. With none left, claims of co-workers that
   * died (lease expired, or their process gone on this machine) go back to the queue and
   * are due at once; undefined when there is nothing (or the send is not running).
   */
  async nextDue(): Promise<Date | undefined> {
    const { rows } = await this.#pool.query<{ due: number | null }>(
      `SELECT min(d.not_before) AS due FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
        WHERE d.issue_number = $1 AND d.state = 'queued' AND s.state = 'active'
          AND EXISTS (SELECT 1 FROM sends WHERE issue_number = $1 AND status = 'running')`,
      [this.#issue],
    );
    if (rows[0]!.due !== null) return new Date(rows[0]!.due);
    const isLive = this.#isLive ?? unexpired(new Date());
    const taken = await transaction(this.#pool, async (client) => {
      const { rows: send } = await client.query<{ status: SendStatus }>('SELECT status FROM sends WHERE issue_number = $1 FOR UPDATE', [this.#issue]);
      if (send[0]?.status !== 'running') return 0;
      await dropDeadWorkers(client, this.#issue, isLive);
      const { rowCount } = await client.query(
        `UPDATE deliveries SET state = 'queued', attempts = greatest(0, attempts - 1), claimed_at = NULL, claimed_by = NULL
          WHERE issue_number = $1 AND state = 'claimed' AND ${notAWorker}`,
        [this.#issue],
      );
      return rowCount ?? 0;
    });
    return taken > 0 ? new Date() : undefined;
  }

  #mark(mark: Mark): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ mark, resolve, reject });
      if (this.#writers < maxMarkWriters) void this.#write();
    });
  }

  /**
   * Writes the marks waiting, a batch at a time, beside up to maxMarkWriters - 1 other
   * writers: a delivery's marks are never in flight together (each waits for the one
   * before it), so batches of different deliveries may commit in any order. A batch of one
   * kind is one statement, committed on its own in one round trip.
   */
  async #write(): Promise<void> {
    this.#writers++;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      const marks = batch.map((p) => p.mark);
      try {
        const changed = new Set(marks.map((m) => m.kind)).size === 1
          ? await writeMarks(this.#pool, this.#issue, this.#token, marks)
          : await transaction(this.#pool, (client) => writeMarks(client, this.#issue, this.#token, marks));
        for (const p of batch) p.resolve(changed.has(`${p.mark.kind}:${p.mark.id}`));
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    this.#writers--;
  }
}

/** Writes one batch of marks, one statement per kind; returns "kind:id" of each delivery changed. */
async function writeMarks(db: Queryable, issue: number, token: string, marks: Mark[]): Promise<Set<string>> {
  const changed = new Set<string>();
  const of = <K extends Mark['kind']>(kind: K) => marks.filter((m): m is Extract<Mark, { kind: K }> => m.kind === kind);
  const run = async (kind: Mark['kind'], sql: string, columns: unknown[][]) => {
    if (columns[0]!.length === 0) return;
    const { rows } = await db.query<{ subscriber_id: number }>(sql, [issue, token, ...columns]);
    for (const r of rows) changed.add(`${kind}:${r.subscriber_id}`);
  };
  // Only the worker that claimed a delivery moves it on; the hand-off also needs its lease still held.
  const mine = `d.issue_number = $1 AND d.subscriber_id = m.id AND d.claimed_by = $2`;
  const transmitting = of('transmitting');
  await run(
    'transmitting',
    `UPDATE deliveries d SET state = 'sending', transmitted_at = m.at, last_error = NULL FROM unnest($3::bigint[], $4::text[]) AS m(id, at)
      WHERE ${mine} AND d.state = 'claimed' AND EXISTS (SELECT 1 FROM send_workers WHERE token = $2) RETURNING d.subscriber_id`,
    [transmitting.map((m) => m.id), transmitting.map((m) => m.at)],
  );
  const sent = of('sent');
  await run(
    'sent',
    `UPDATE deliveries d SET state = 'sent', message_id = m.message_id, last_error = NULL, finished_at = m.at FROM unnest($3::bigint[], $4::text[], $5::text[]) AS m(id, message_id, at)
      WHERE ${mine} AND d.state IN ('claimed', 'sending') RETURNING d.subscriber_id`,
    [sent.map((m) => m.id), sent.map((m) => m.messageId), sent.map((m) => m.at)],
  );
  const retry = of('retry');
  await run(
    'retry',
    `UPDATE deliveries d SET state = 'queued', retryable = 1, last_error = m.error, not_before = m.not_before, claimed_by = NULL
      FROM unnest($3::bigint[], $4::text[], $5::bigint[]) AS m(id, error, not_before)
      WHERE ${mine} AND d.state IN ('claimed', 'sending') RETURNING d.subscriber_id`,
    [retry.map((m) => m.id), retry.map((m) => m.error), retry.map((m) => m.notBefore)],
  );
  const failed = of('failed');
  await run(
    'failed',
    `UPDATE deliveries d SET state = 'failed', retryable = m.retryable, last_error = m.error, finished_at = m.at
      FROM unnest($3::bigint[], $4::text[], $5::int[], $6::text[]) AS m(id, error, retryable, at)
      WHERE ${mine} AND d.state IN ('claimed', 'sending') RETURNING d.subscriber_id`,
    [failed.map((m) => m.id), failed.map((m) => m.error), failed.map((m) => (m.retryable ? 1 : 0)), failed.map((m) => m.at)],
  );
  const unknown = of('unknown');
  // Stays (or becomes) "sending": the one state `send` reports as unknown and never re-sends unasked.
  await run(
    'unknown',
    `UPDATE deliveries d SET state = 'sending', last_error = m.error, transmitted_at = coalesce(d.transmitted_at, m.at)
      FROM unnest($3::bigint[], $4::text[], $5::text[]) AS m(id, error, at)
      WHERE ${mine} AND d.state IN ('claimed', 'sending') RETURNING d.subscriber_id`,
    [unknown.map((m) => m.id), unknown.map((m) => m.error), unknown.map((m) => m.at)],
  );
  return changed;
}

interface PgSendRow extends SendRow {
  holder: string | null;
  expires_at: number | null;
  workers: number;
}

/** Mark batches written at once by one send's worker (each takes a pooled connection). */
const maxMarkWriters = 3;

/** Rows queued at once past which the deliveries table's statistics are refreshed before the send claims from it. */
const analyzeAfterRows = 10_000;

function toSendRecord(r: PgSendRow, counts: DeliveryCounts): SendRecord {
  return sendRecordFrom(r, { holder: r.holder, expiresAt: r.expires_at }, counts, r.workers);
}
