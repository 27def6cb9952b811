// Subscribers in PostgreSQL, the twin of sqlite/sqlite-subscriber-store.ts: every state
// change goes through one step that also appends to the history, one mailbox is one row
// (email_key), and the subscription steps behind the public forms are single
// transactions that also queue the mail they cause. Where SQLite serialises writers with
// BEGIN IMMEDIATE, here the subscriber's row is locked (FOR UPDATE) for the change, and
// sign-ups are taken FOR UPDATE SKIP LOCKED so several servers admit them side by side.
// Imports are set-based: one lookup, one multi-row insert and one update per chunk.
import { planImportRow, type ImportOptions, type ImportRow, type RowPlan } from '../subscribers/import-subscribers.ts';
import type { MailKind } from '../mail-queue/mail-queue.ts';
import type { BounceRecorder } from '../sending/send-loop.ts';
import type { AdmittedSignup, ConfirmResult, SignupRequest, UnsubscribeResult } from '../subscribers/subscriptions.ts';
import type { ChangeBy, SubscriberStats, SubscriberStore } from '../subscribers/subscriber-store.ts';
import {
  canTransition,
  emailKey,
  type ChangeEvidence,
  isSuppressed,
  normalizeEmail,
  subscriberStates,
  type Subscriber,
  type SubscriberEvent,
  type SubscriberInput,
  type SubscriberState,
} from '../subscribers/subscriber.ts';
import { createSubscriberToken } from '../signing/tokens.ts';
import { transaction, type Pool, type Queryable } from './pg-db.ts';

export interface SubscriberRow {
  id: number;
  email: string;
  name: string | null;
  state: SubscriberState;
  source: string;
  token: string;
  attributes: string;
  created_at: string;
  updated_at: string;
}

export function subscriberFromRow(r: SubscriberRow): Subscriber {
  return {
    id: r.id,
    email: r.email,
    name: r.name ?? undefined,
    state: r.state,
    source: r.source,
    token: r.token,
    attributes: JSON.parse(r.attributes) as Record<string, string>,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export const subscriberColumns = 'id, email, name, state, source, token, attributes, created_at, updated_at';
const aliased = subscriberColumns.replace(/(\w+)/g, 's.$1');

const appendEventSql = 'INSERT INTO subscriber_events (subscriber_id, from_state, to_state, actor, reason, at, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7)';

async function one(db: Queryable, sql: string, values: unknown[]): Promise<Subscriber | undefined> {
  const { rows } = await db.query<SubscriberRow>(sql, values);
  return rows[0] && subscriberFromRow(rows[0]);
}

/** The subscriber by id, its row locked until the transaction ends. */
export function lockSubscriber(db: Queryable, id: number): Promise<Subscriber | undefined> {
  return one(db, `SELECT ${subscriberColumns} FROM subscribers WHERE id = $1 FOR UPDATE`, [id]);
}

/** The subscriber a (verified) token names, merged records' tokens included; locked when `lock`. */
export function subscriberByToken(db: Queryable, token: string, lock = false): Promise<Subscriber | undefined> {
  return one(
    db,
    `SELECT ${aliased} FROM subscribers s WHERE s.id = COALESCE(
       (SELECT id FROM subscribers WHERE token = $1), (SELECT subscriber_id FROM subscriber_aliases WHERE token = $1))${lock ? ' FOR UPDATE' : ''}`,
    [token],
  );
}

/** Moves a subscriber whose row the caller holds locked, and appends the change to its history. */
export async function changeState(db: Queryable, current: Subscriber, to: SubscriberState, by: ChangeBy): Promise<void> {
  const at = by.now.toISOString();
  await db.query('UPDATE subscribers SET state = $1, updated_at = $2 WHERE id = $3', [to, at, current.id]);
  await db.query(appendEventSql, [current.id, current.state, to, by.actor, by.reason ?? null, at, by.evidence ? JSON.stringify(by.evidence) : null]);
}

/** setState inside the caller's transaction: false when the move is not allowed or the subscriber is gone. */
export async function setStateIn(db: Queryable, id: number, to: SubscriberState, by: ChangeBy & { as?: 'subscriber' | 'system' }): Promise<boolean> {
  const current = await lockSubscriber(db, id);
  if (!current || !canTransition(current.state, to, by.as ?? 'system')) return false;
  await changeState(db, current, to, by);
  return true;
}

export class PgSubscriberStore implements BounceRecorder, SubscriberStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** The subscriber for an address, in any letter case. */
  get(email: string): Promise<Subscriber | undefined> {
    return one(this.#pool, `SELECT ${subscriberColumns} FROM subscribers WHERE email_key = $1`, [emailKey(email)]);
  }

  getById(id: number): Promise<Subscriber | undefined> {
    return one(this.#pool, `SELECT ${subscriberColumns} FROM subscribers WHERE id = $1`, [id]);
  }

  /** The subscriber an unsubscribe/confirm link points at (after its signature was verified), merged records included. */
  getByToken(token: string): Promise<Subscriber | undefined> {
    return subscriberByToken(this.#pool, token);
  }

  /** Adds a new subscriber, or reports the existing one unchanged. */
  add(input: SubscriberInput & { attributes?: Record<string, string> }, state: 'pending' | 'active', by: ChangeBy): Promise<{ subscriber: Subscriber; created: boolean }> {
    return transaction(this.#pool, async (client) => {
      const inserted = await this.#insertSubscriber(client, input, state, by);
      if (inserted) return { subscriber: inserted, created: true };
      return { subscriber: (await one(client, `SELECT ${subscriberColumns} FROM subscribers WHERE email_key = $1`, [emailKey(input.email)]))!, created: false };
    });
  }

  /**
   * Moves a subscriber to a new state and appends the change to its history.
   * Returns false when the move is not allowed (e.g. out of a suppressed state by the system).
   */
  setState(id: number, to: SubscriberState, by: ChangeBy & { as?: 'subscriber' | 'system' }): Promise<boolean> {
    return transaction(this.#pool, (client) => setStateIn(client, id, to, by));
  }

  async markBounced(subscriberId: number, actor: string, reason: string, now: Date, evidence?: ChangeEvidence): Promise<void> {
    await transaction(this.#pool, async (client) => {
      const changed = await setStateIn(client, subscriberId, 'bounced', { actor, reason, now, evidence });
      if (evidence?.issue === undefined) return;
      // A refusal during the send is a bounce report too, so the issue's counts include it.
      await client.query(
        `INSERT INTO bounce_reports (fingerprint, source, kind, issue_number, subscriber_id, status, diagnostic, outcome, received_at)
         VALUES ($1, 'smtp', 'hard', $2, $3, $4, $5, $6, $7) ON CONFLICT (fingerprint) DO NOTHING`,
        [`send:${evidence.issue}:${subscriberId}`, evidence.issue, subscriberId, evidence.status ?? null, evidence.diagnostic ?? null, changed ? 'bounced' : 'refused during the send', now.toISOString()],
      );
    });
  }

  /** Marks an address unsubscribed (kept, so it stays suppressed). False when unknown. */
  unsubscribe(email: string, by: ChangeBy): Promise<boolean> {
    return transaction(this.#pool, async (client) => {
      const s = await one(client, `SELECT ${subscriberColumns} FROM subscribers WHERE email_key = $1 FOR UPDATE`, [emailKey(email)]);
      if (!s) return false;
      if (s.state !== 'unsubscribed') await setStateIn(client, s.id, 'unsubscribed', by);
      return true;
    });
  }

  /** Deletes an address and its history outright (right to erasure): it is no longer suppressed. */
  erase(email: string): Promise<boolean> {
    return transaction(this.#pool, async (client) => {
      const { rows } = await client.query<{ id: number }>('SELECT id FROM subscribers WHERE email_key = $1 FOR UPDATE', [emailKey(email)]);
      const id = rows[0]?.id;
      if (id === undefined) return false;
      await client.query('DELETE FROM deliveries WHERE subscriber_id = $1', [id]);
      await client.query('DELETE FROM subscriber_events WHERE subscriber_id = $1', [id]);
      await client.query('DELETE FROM subscribers WHERE id = $1', [id]);
      return true;
    });
  }

  async history(id: number): Promise<SubscriberEvent[]> {
    const { rows } = await this.#pool.query<{
      subscriber_id: number;
      from_state: SubscriberState | null;
      to_state: SubscriberState;
      actor: string;
      reason: string | null;
      at: string;
      evidence: string | null;
    }>('SELECT * FROM subscriber_events WHERE subscriber_id = $1 ORDER BY id', [id]);
    return rows.map((r) => ({
      subscriberId: r.subscriber_id,
      from: r.from_state ?? undefined,
      to: r.to_state,
      actor: r.actor,
      reason: r.reason ?? undefined,
      at: r.at,
      ...(r.evidence ? { evidence: JSON.parse(r.evidence) as ChangeEvidence } : {}),
    }));
  }

  /** Streams subscribers in id order, a page at a time, so memory stays flat for any list size. */
  async *iterate(filter: { state?: SubscriberState | undefined } = {}, pageSize = 1000): AsyncGenerator<Subscriber> {
    let after = 0;
    for (;;) {
      const { rows } = await this.#pool.query<SubscriberRow>(
        `SELECT ${subscriberColumns} FROM subscribers WHERE id > $1 AND ($2::text IS NULL OR state = $2) ORDER BY id LIMIT $3`,
        [after, filter.state ?? null, pageSize],
      );
      if (rows.length === 0) return;
      for (const r of rows) yield subscriberFromRow(r);
      after = rows[rows.length - 1]!.id;
    }
  }

  async stats(): Promise<SubscriberStats> {
    const byState = Object.fromEntries(subscriberStates.map((s) => [s, 0])) as Record<SubscriberState, number>;
    const states = await this.#pool.query<{ state: SubscriberState; n: number }>('SELECT state, count(*) AS n FROM subscribers GROUP BY state');
    for (const r of states.rows) byState[r.state] = r.n;
    const sources = await this.#pool.query<{ source: string; n: number }>('SELECT source, count(*) AS n FROM subscribers GROUP BY source ORDER BY n DESC, source');
    return { byState, bySource: sources.rows.map((r) => ({ source: r.source, count: r.n })), total: Object.values(byState).reduce((a, b) => a + b, 0) };
  }

  // ── Imports (see delivery/subscribers/import-subscribers.ts) ─────────────────────────────────────

  async importChunk(rows: readonly ImportRow[], options: ImportOptions): Promise<RowPlan[]> {
    const keys = rows.map((row) => emailKey(row.email));
    const lookup = async (db: Queryable, lock: boolean) => {
      const found = await db.query<{ id: number; state: SubscriberState; email_key: string }>(
        `SELECT id, state, email_key FROM subscribers WHERE email_key = ANY($1)${lock ? ' FOR UPDATE' : ''}`,
        [keys],
      );
      return new Map(found.rows.map((r) => [r.email_key, r]));
    };
    if (options.dryRun) {
      const existing = await lookup(this.#pool, false);
      return rows.map((row, i) => planImportRow(existing.get(keys[i]!)?.state, row, options.state));
    }
    return transaction(this.#pool, async (client) => {
      const at = options.now().toISOString();
      const existing = await lookup(client, true);
      const plans = rows.map((row, i) => planImportRow(existing.get(keys[i]!)?.state, row, options.state));
      const added = rows.flatMap((row, i) => (plans[i]!.outcome === 'added' ? [{ row, key: keys[i]!, state: plans[i]!.state }] : []));
      const changed = rows.flatMap((_, i) => {
        const before = existing.get(keys[i]!);
        const plan = plans[i]!;
        return before && (plan.outcome === 'activated' || plan.outcome === 'newly-suppressed') ? [{ id: before.id, from: before.state, to: plan.state }] : [];
      });
      if (added.length > 0) {
        // A row another process added since the lookup is skipped here (ON CONFLICT) and gets no event.
        await client.query(
          `WITH added AS (
             INSERT INTO subscribers (email, email_key, name, state, source, token, attributes, created_at, updated_at)
             SELECT email, email_key, name, state, source, token, attributes, $8, $8
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS r(email, email_key, name, state, source, token, attributes)
             ON CONFLICT (email_key) DO NOTHING
             RETURNING id, state)
           INSERT INTO subscriber_events (subscriber_id, from_state, to_state, actor, reason, at, evidence)
           SELECT id, NULL, state, $9, NULL, $8, NULL FROM added ORDER BY id`,
          [
            added.map((a) => normalizeEmail(a.row.email)),
            added.map((a) => a.key),
            added.map((a) => a.row.name ?? null),
            added.map((a) => a.state),
            added.map((a) => a.row.source ?? options.source),
            added.map(() => createSubscriberToken()),
            added.map((a) => JSON.stringify(a.row.attributes ?? {})),
            at,
            options.actor,
          ],
        );
      }
      if (changed.length > 0) {
        await client.query(
          `WITH moved AS (
             UPDATE subscribers s SET state = c.to_state, updated_at = $4
             FROM unnest($1::bigint[], $2::text[], $3::text[]) AS c(id, from_state, to_state) WHERE s.id = c.id
             RETURNING s.id, c.from_state, c.to_state)
           INSERT INTO subscriber_events (subscriber_id, from_state, to_state, actor, reason, at, evidence)
           SELECT id, from_state, to_state, $5, NULL, $4, NULL FROM moved ORDER BY id`,
          [changed.map((c) => c.id), changed.map((c) => c.from), changed.map((c) => c.to), at, options.actor],
        );
      }
      return plans;
    });
  }

  // ── The public forms (see delivery/subscribers/subscriptions.ts) ────────────────────────────────

  async recordSignup(request: SignupRequest): Promise<void> {
    await this.#pool.query('INSERT INTO signup_requests (email, name, source, created_at) VALUES ($1, $2, $3, $4)', [request.email, request.name ?? null, request.source, request.at.getTime()]);
  }

  admitSignups(max: number, limit: { count: number; perMs: number }, at: Date): Promise<AdmittedSignup[]> {
    return transaction(this.#pool, async (client) => {
      // Another server admitting at the same time takes the next requests, not these.
      const { rows: requests } = await client.query<{ id: number; email: string; name: string | null; source: string; created_at: number }>(
        'DELETE FROM signup_requests WHERE id IN (SELECT id FROM signup_requests ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING id, email, name, source, created_at',
        [max],
      );
      requests.sort((a, b) => a.id - b.id);
      const admitted: AdmittedSignup[] = [];
      for (const request of requests) {
        const by = { actor: 'subscriber', reason: 'subscribe form', now: new Date(request.created_at) };
        const subscriber =
          (await this.#insertSubscriber(client, { email: request.email, name: request.name ?? undefined, source: request.source }, 'pending', by)) ??
          (await one(client, `SELECT ${subscriberColumns} FROM subscribers WHERE email_key = $1 FOR UPDATE`, [emailKey(request.email)]))!;
        if (subscriber.state === 'active') {
          admitted.push({ subscriber, queued: false, why: 'active' });
          continue;
        }
        // Someone who reported us as spam gets no mail from a form anyone can fill in.
        if (subscriber.state === 'complained') {
          admitted.push({ subscriber, queued: false, why: 'complained' });
          continue;
        }
        const { rows } = await client.query<{ n: number }>("SELECT count(*) AS n FROM mail_queue WHERE subscriber_id = $1 AND kind = 'confirm' AND created_at > $2", [
          subscriber.id,
          at.getTime() - limit.perMs,
        ]);
        if (rows[0]!.n >= limit.count) {
          admitted.push({ subscriber, queued: false, why: 'address-throttled' });
          continue;
        }
        await queueMail(client, 'confirm', subscriber.id, at);
        admitted.push({ subscriber, queued: true });
      }
      return admitted;
    });
  }

  confirmSubscription(subscriberToken: string, nonce: string, at: Date): Promise<ConfirmResult> {
    return transaction(this.#pool, async (client): Promise<ConfirmResult> => {
      const subscriber = await subscriberByToken(client, subscriberToken, true);
      if (!subscriber) return { kind: 'invalid' };
      const { rowCount } = await client.query('INSERT INTO confirm_nonces (nonce, used_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [nonce, at.toISOString()]);
      if (rowCount !== 1) return { kind: 'used', active: subscriber.state === 'active' };
      if (subscriber.state === 'active') return { kind: 'already-active', subscriber };
      const by = { actor: 'subscriber', now: at, as: 'subscriber' as const };
      // Coming back from a suppressed state is a fresh opt-in: recorded as two steps in the history.
      if (isSuppressed(subscriber.state)) await setStateIn(client, subscriber.id, 'pending', { ...by, reason: 're-subscribed and confirmed' });
      await setStateIn(client, subscriber.id, 'active', { ...by, reason: 'confirmed by link' });
      await queueMail(client, 'welcome', subscriber.id, at);
      return { kind: 'confirmed', subscriber: (await one(client, `SELECT ${subscriberColumns} FROM subscribers WHERE id = $1`, [subscriber.id]))! };
    });
  }

  findByToken(subscriberToken: string): Promise<Subscriber | undefined> {
    return this.getByToken(subscriberToken);
  }

  unsubscribeByToken(subscriberToken: string, reason: string, at: Date): Promise<UnsubscribeResult> {
    return transaction(this.#pool, async (client): Promise<UnsubscribeResult> => {
      const subscriber = await subscriberByToken(client, subscriberToken, true);
      if (!subscriber) return { subscriber: undefined, changed: false };
      if (isSuppressed(subscriber.state)) return { subscriber, changed: false };
      await changeState(client, subscriber, 'unsubscribed', { actor: 'subscriber', reason, now: at });
      return { subscriber: (await one(client, `SELECT ${subscriberColumns} FROM subscribers WHERE id = $1`, [subscriber.id]))!, changed: true };
    });
  }

  /** Inserts a new subscriber with its first history event; undefined when the mailbox is known already. */
  async #insertSubscriber(db: Queryable, input: SubscriberInput & { attributes?: Record<string, string> | undefined }, state: SubscriberState, by: ChangeBy): Promise<Subscriber | undefined> {
    const at = by.now.toISOString();
    const email = normalizeEmail(input.email);
    const inserted = await one(
      db,
      `INSERT INTO subscribers (email, email_key, name, state, source, token, attributes, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (email_key) DO NOTHING RETURNING ${subscriberColumns}`,
      [email, emailKey(email), input.name ?? null, state, input.source ?? by.actor, createSubscriberToken(), JSON.stringify(input.attributes ?? {}), at],
    );
    if (inserted) await db.query(appendEventSql, [inserted.id, null, state, by.actor, by.reason ?? null, at, null]);
    return inserted;
  }
}

async function queueMail(db: Queryable, kind: MailKind, subscriberId: number, at: Date): Promise<void> {
  await db.query("INSERT INTO mail_queue (kind, subscriber_id, state, created_at) VALUES ($1, $2, 'queued', $3)", [kind, subscriberId, at.getTime()]);
}
