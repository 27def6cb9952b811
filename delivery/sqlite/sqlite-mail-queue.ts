// The transactional mail queue in SQLite (confirmation and welcome mails): rows are
// added by the subscription steps in the same transaction as the change that causes
// them, and drained by the mail worker inside `serve`. A row is claimed ("sending"),
// naming its worker, while one attempt runs; a crash leaves it "sending", and a worker
// that starts later puts it back once its claimant is gone (a second confirmation mail
// is harmless, a lost one is not), never while another live worker is sending it.
import type { Database } from './db.ts';
import { retryOnBusy, transaction } from './db.ts';
import { claimantOf, staleClaimMs, type Claimant, type MailQueueOptions } from '../mail-queue/claims.ts';
import { subscriberFromRow, type SubscriberRow } from './sqlite-subscriber-store.ts';
import type { MailKind, MailQueue, MailState, QueuedMail } from '../mail-queue/mail-queue.ts';

export class SqliteMailQueue implements MailQueue {
  readonly #db: Database;
  readonly #claim;
  readonly #subscriber;
  readonly #claimant: Claimant;

  constructor(db: Database, options: MailQueueOptions = {}) {
    this.#db = db;
    this.#claimant = claimantOf(options);
    this.#claim = db.prepare(`UPDATE mail_queue SET state = 'sending', attempts = attempts + 1, claimed_by = ?, claimed_at = ?
      WHERE id IN (SELECT id FROM mail_queue WHERE state = 'queued' AND not_before <= ? ORDER BY id LIMIT ?)
      RETURNING id, kind, attempts, subscriber_id`);
    this.#subscriber = db.prepare('SELECT * FROM subscribers WHERE id = ?');
  }

  requeueInterrupted(now: Date, ownOnly = false): Promise<number> {
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const claimants = (this.#db.prepare("SELECT DISTINCT claimed_by FROM mail_queue WHERE state = 'sending'").all() as Array<{ claimed_by: string | null }>).map((r) => r.claimed_by);
        const gone = this.#claimant.gone(claimants, ownOnly);
        const requeue = this.#db.prepare("UPDATE mail_queue SET state = 'queued', claimed_by = NULL WHERE state = 'sending' AND claimed_by IS ?");
        let changes = gone.reduce((n, claimant) => n + Number(requeue.run(claimant).changes), 0);
        if (!ownOnly) {
          // A worker on another host cannot be asked whether it lives; a claim this old says it does not.
          const stale = this.#db.prepare("UPDATE mail_queue SET state = 'queued', claimed_by = NULL WHERE state = 'sending' AND claimed_at < ?");
          changes += Number(stale.run(now.getTime() - staleClaimMs).changes);
        }
        return changes;
      }),
    );
  }

  claimDue(limit: number, now: Date): Promise<QueuedMail[]> {
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const rows = this.#claim.all(this.#claimant.me, now.getTime(), now.getTime(), limit) as Array<{ id: number; kind: MailKind; attempts: number; subscriber_id: number }>;
        return rows
          .sort((a, b) => a.id - b.id)
          .map((r) => {
            const s = this.#subscriber.get(r.subscriber_id) as SubscriberRow | undefined;
            return { id: r.id, kind: r.kind, attempts: r.attempts, subscriber: s && subscriberFromRow(s) };
          });
      }),
    );
  }

  async markSent(id: number, now: Date): Promise<void> {
    await retryOnBusy(() => this.#db.prepare("UPDATE mail_queue SET state = 'sent', last_error = NULL, finished_at = ? WHERE id = ?").run(now.getTime(), id));
  }

  async markRetry(id: number, error: string, notBefore: Date): Promise<void> {
    await retryOnBusy(() => this.#db.prepare("UPDATE mail_queue SET state = 'queued', last_error = ?, not_before = ? WHERE id = ?").run(error, notBefore.getTime(), id));
  }

  async markFinal(id: number, state: 'failed' | 'skipped', reason: string, now: Date): Promise<void> {
    await retryOnBusy(() => this.#db.prepare('UPDATE mail_queue SET state = ?, last_error = ?, finished_at = ? WHERE id = ?').run(state, reason, now.getTime(), id));
  }

  async nextDue(): Promise<Date | undefined> {
    const row = (await retryOnBusy(() => this.#db.prepare("SELECT min(not_before) AS due FROM mail_queue WHERE state = 'queued'").get())) as { due: number | null };
    return row.due === null ? undefined : new Date(row.due);
  }

  async counts(): Promise<Record<MailState, number>> {
    const counts: Record<MailState, number> = { queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
    const rows = (await retryOnBusy(() => this.#db.prepare('SELECT state, count(*) AS n FROM mail_queue GROUP BY state').all())) as Array<{ state: MailState; n: number }>;
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  }
}
