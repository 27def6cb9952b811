// The transactional mail queue in PostgreSQL, the twin of sqlite/sqlite-mail-queue.ts:
// a worker claims due mails with FOR UPDATE SKIP LOCKED, so workers in several servers
// drain one queue side by side without waiting on each other or taking a mail twice; a
// claim names its worker (claimed_by host:pid, claimed_at), and a starting worker puts
// back only the mails whose claimant is gone.
import os from 'node:os';
import { isProcessAlive } from '../sending/send-issue.ts';
import type { MailQueue, MailState, QueuedMail, MailKind } from '../mail-queue/mail-queue.ts';
import { transaction, type Pool } from './pg-db.ts';
import { subscriberFromRow, type SubscriberRow } from './pg-subscriber-store.ts';

/** A worker on another host that holds a claim this long has stopped (a mail takes seconds); as in SQLite. */
export const staleClaimMs = 15 * 60_000;

export interface MailQueueOptions {
  /** This worker, as claims name it: host:pid. */
  claimant?: { host: string; pid: number };
  isProcessAlive?: (pid: number) => boolean;
}

export class PgMailQueue implements MailQueue {
  readonly #pool: Pool;
  readonly #host: string;
  readonly #me: string;
  readonly #isAlive: (pid: number) => boolean;

  constructor(pool: Pool, options: MailQueueOptions = {}) {
    this.#pool = pool;
    const claimant = options.claimant ?? { host: os.hostname(), pid: process.pid };
    this.#host = claimant.host;
    this.#me = `${claimant.host}:${claimant.pid}`;
    this.#isAlive = options.isProcessAlive ?? isProcessAlive;
  }

  requeueInterrupted(now: Date, ownOnly = false): Promise<number> {
    return transaction(this.#pool, async (client) => {
      const { rows } = await client.query<{ claimed_by: string | null }>("SELECT DISTINCT claimed_by FROM mail_queue WHERE state = 'sending'");
      const gone = rows
        .map((r) => r.claimed_by)
        .filter((claimant) => {
          if (claimant === this.#me) return true;
          // Rows from before claims were named have no claimant: only a starting worker takes them.
          if (ownOnly || claimant === null) return claimant === null && !ownOnly;
          const at = claimant.lastIndexOf(':');
          return claimant.slice(0, at) === this.#host && !this.#isAlive(Number(claimant.slice(at + 1)));
        });
      let changes = 0;
      if (gone.length > 0) {
        const named = gone.filter((c): c is string => c !== null);
        const result = await client.query(
          "UPDATE mail_queue SET state = 'queued', claimed_by = NULL WHERE state = 'sending' AND (claimed_by = ANY($1) OR ($2 AND claimed_by IS NULL))",
          [named, gone.includes(null)],
        );
        changes += result.rowCount ?? 0;
      }
      if (!ownOnly) {
        // A worker on another host cannot be asked whether it lives; a claim this old says it does not.
        const stale = await client.query("UPDATE mail_queue SET state = 'queued', claimed_by = NULL WHERE state = 'sending' AND claimed_at < $1", [now.getTime() - staleClaimMs]);
        changes += stale.rowCount ?? 0;
      }
      return changes;
    });
  }

  async claimDue(limit: number, now: Date): Promise<QueuedMail[]> {
    const { rows } = await this.#pool.query<{ id: number; kind: MailKind; attempts: number; subscriber: SubscriberRow | null }>(
      `WITH due AS (
         SELECT id FROM mail_queue WHERE state = 'queued' AND not_before <= $2 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE mail_queue m SET state = 'sending', attempts = m.attempts + 1, claimed_by = $1, claimed_at = $2
         FROM due WHERE m.id = due.id
         RETURNING m.id, m.kind, m.attempts, m.subscriber_id)
       SELECT c.id, c.kind, c.attempts, to_jsonb(s) AS subscriber FROM claimed c LEFT JOIN subscribers s ON s.id = c.subscriber_id ORDER BY c.id`,
      [this.#me, now.getTime(), limit],
    );
    return rows.map((r) => ({ id: r.id, kind: r.kind, attempts: r.attempts, subscriber: r.subscriber ? subscriberFromRow(r.subscriber) : undefined }));
  }

  async markSent(id: number, now: Date): Promise<void> {
    await this.#pool.query("UPDATE mail_queue SET state = 'sent', last_error = NULL, finished_at = $1 WHERE id = $2", [now.getTime(), id]);
  }

  async markRetry(id: number, error: string, notBefore: Date): Promise<void> {
    await this.#pool.query("UPDATE mail_queue SET state = 'queued', last_error = $1, not_before = $2 WHERE id = $3", [error, notBefore.getTime(), id]);
  }

  async markFinal(id: number, state: 'failed' | 'skipped', reason: string, now: Date): Promise<void> {
    await this.#pool.query('UPDATE mail_queue SET state = $1, last_error = $2, finished_at = $3 WHERE id = $4', [state, reason, now.getTime(), id]);
  }

  async nextDue(): Promise<Date | undefined> {
    const { rows } = await this.#pool.query<{ due: number | null }>("SELECT min(not_before) AS due FROM mail_queue WHERE state = 'queued'");
    return rows[0]!.due === null ? undefined : new Date(rows[0]!.due);
  }

  async counts(): Promise<Record<MailState, number>> {
    const counts: Record<MailState, number> = { queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
    const { rows } = await this.#pool.query<{ state: MailState; n: number }>('SELECT state, count(*) AS n FROM mail_queue GROUP BY state');
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }
}
