// Subscribers in SQLite: every state change goes through one method that also
// appends to the history, so "who changed this and when" is always answerable.
// Imports run in one transaction (dry runs roll it back, so they report exactly what
// a real run would do) and never lift an address out of a suppressed state.
import type { Database } from './db.ts';
import { transaction } from './db.ts';
import type { BounceRecorder } from './send-loop.ts';
import {
  canTransition,
  isSuppressed,
  normalizeEmail,
  subscriberStates,
  type Subscriber,
  type SubscriberEvent,
  type SubscriberInput,
  type SubscriberState,
} from './subscriber.ts';
import { createSubscriberToken } from './tokens.ts';

interface Row {
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

function toSubscriber(r: Row): Subscriber {
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

export interface ImportRow extends SubscriberInput {
  /** Line in the file, for the report. */
  line: number;
  attributes?: Record<string, string>;
}

export type ImportOutcome =
  | 'added'
  /** An existing pending subscriber became active. */
  | 'activated'
  /** Already there in a state the import does not change. */
  | 'unchanged'
  /** Unsubscribed, bounced or complained: left as it is, never re-activated. */
  | 'suppressed'
  /** The row itself carried a suppressed state and moved an existing address into it. */
  | 'newly-suppressed'
  | 'duplicate';

export interface ImportReport {
  counts: Record<ImportOutcome, number>;
  rows: Array<{ line: number; email: string; outcome: ImportOutcome; state: SubscriberState }>;
}

export interface ChangeBy {
  actor: string;
  reason?: string | undefined;
  now: Date;
}

export class SqliteSubscriberStore implements BounceRecorder {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  get(email: string): Subscriber | undefined {
    const row = this.#db.prepare('SELECT * FROM subscribers WHERE email = ?').get(normalizeEmail(email)) as Row | undefined;
    return row && toSubscriber(row);
  }

  getById(id: number): Subscriber | undefined {
    const row = this.#db.prepare('SELECT * FROM subscribers WHERE id = ?').get(id) as Row | undefined;
    return row && toSubscriber(row);
  }

  /** The subscriber an unsubscribe/confirm link points at (after its signature was verified). */
  getByToken(token: string): Subscriber | undefined {
    const row = this.#db.prepare('SELECT * FROM subscribers WHERE token = ?').get(token) as Row | undefined;
    return row && toSubscriber(row);
  }

  /** Adds a new subscriber, or reports the existing one unchanged. */
  add(input: SubscriberInput & { attributes?: Record<string, string> }, state: 'pending' | 'active', by: ChangeBy): { subscriber: Subscriber; created: boolean } {
    return transaction(this.#db, () => {
      const existing = this.get(input.email);
      if (existing) return { subscriber: existing, created: false };
      return { subscriber: this.#insert(input, state, by), created: true };
    });
  }

  /**
   * Moves a subscriber to a new state and appends the change to its history.
   * Returns false when the move is not allowed (e.g. out of a suppressed state by the system).
   */
  setState(id: number, to: SubscriberState, by: ChangeBy & { as?: 'subscriber' | 'system' }): boolean {
    const run = () => {
      const current = this.getById(id);
      if (!current || !canTransition(current.state, to, by.as ?? 'system')) return false;
      this.#changeState(current, to, by);
      return true;
    };
    return this.#db.isTransaction ? run() : transaction(this.#db, run);
  }

  async markBounced(subscriberId: number, actor: string, reason: string, now: Date): Promise<void> {
    this.setState(subscriberId, 'bounced', { actor, reason, now });
  }

  /** Marks an address unsubscribed (kept, so it stays suppressed). False when unknown. */
  unsubscribe(email: string, by: ChangeBy): boolean {
    return transaction(this.#db, () => {
      const s = this.get(email);
      if (!s) return false;
      if (s.state !== 'unsubscribed') this.setState(s.id, 'unsubscribed', by);
      return true;
    });
  }

  /** Deletes an address and its history outright (right to erasure): it is no longer suppressed. */
  erase(email: string): boolean {
    return transaction(this.#db, () => {
      const s = this.get(email);
      if (!s) return false;
      this.#db.prepare('DELETE FROM deliveries WHERE subscriber_id = ?').run(s.id);
      this.#db.prepare('DELETE FROM subscriber_events WHERE subscriber_id = ?').run(s.id);
      this.#db.prepare('DELETE FROM subscribers WHERE id = ?').run(s.id);
      return true;
    });
  }

  /** Records a confirmation token's nonce; false when it was already used. */
  consumeConfirmNonce(nonce: string, now: Date): boolean {
    return Number(this.#db.prepare('INSERT INTO confirm_nonces (nonce, used_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(nonce, now.toISOString()).changes) === 1;
  }

  history(id: number): SubscriberEvent[] {
    const rows = this.#db.prepare('SELECT * FROM subscriber_events WHERE subscriber_id = ? ORDER BY id').all(id) as Array<{
      subscriber_id: number;
      from_state: SubscriberState | null;
      to_state: SubscriberState;
      actor: string;
      reason: string | null;
      at: string;
    }>;
    return rows.map((r) => ({ subscriberId: r.subscriber_id, from: r.from_state ?? undefined, to: r.to_state, actor: r.actor, reason: r.reason ?? undefined, at: r.at }));
  }

  /** Streams subscribers in id order, a page at a time, so memory stays flat for any list size. */
  *iterate(filter: { state?: SubscriberState | undefined } = {}, pageSize = 1000): Generator<Subscriber> {
    const page = this.#db.prepare('SELECT * FROM subscribers WHERE id > ? AND (? IS NULL OR state = ?) ORDER BY id LIMIT ?');
    let after = 0;
    for (;;) {
      const rows = page.all(after, filter.state ?? null, filter.state ?? null, pageSize) as unknown as Row[];
      if (rows.length === 0) return;
      for (const r of rows) yield toSubscriber(r);
      after = rows[rows.length - 1]!.id;
    }
  }

  stats(): { byState: Record<SubscriberState, number>; bySource: Array<{ source: string; count: number }>; total: number } {
    const byState = Object.fromEntries(subscriberStates.map((s) => [s, 0])) as Record<SubscriberState, number>;
    for (const r of this.#db.prepare('SELECT state, count(*) AS n FROM subscribers GROUP BY state').all() as Array<{ state: SubscriberState; n: number }>) {
      byState[r.state] = r.n;
    }
    const bySource = (this.#db.prepare('SELECT source, count(*) AS n FROM subscribers GROUP BY source ORDER BY n DESC, source').all() as Array<{ source: string; n: number }>).map(
      (r) => ({ source: r.source, count: r.n }),
    );
    return { byState, bySource, total: Object.values(byState).reduce((a, b) => a + b, 0) };
  }

  /**
   * Imports validated rows in one transaction. New addresses become `state`
   * (active, or pending for double opt-in); pending ones are activated by an active
   * import; suppressed addresses are never touched except to suppress further.
   */
  import(rows: ImportRow[], options: { state: 'pending' | 'active'; source: string; dryRun: boolean; by: ChangeBy }): ImportReport {
    const counts: Record<ImportOutcome, number> = { added: 0, activated: 0, unchanged: 0, suppressed: 0, 'newly-suppressed': 0, duplicate: 0 };
    const report: ImportReport = { counts, rows: [] };
    const seen = new Set<string>();
    const apply = () => {
      for (const row of rows) {
        const outcome = this.#importOne(row, seen, options);
        counts[outcome.outcome]++;
        report.rows.push({ line: row.line, email: row.email, ...outcome });
      }
    };
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      apply();
      this.#db.exec(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
    return report;
  }

  #importOne(
    row: ImportRow,
    seen: Set<string>,
    options: { state: 'pending' | 'active'; source: string; by: ChangeBy },
  ): { outcome: ImportOutcome; state: SubscriberState } {
    if (seen.has(row.email)) return { outcome: 'duplicate', state: this.get(row.email)?.state ?? options.state };
    seen.add(row.email);
    const wanted: SubscriberState = row.state && isSuppressed(row.state) ? row.state : options.state;
    const existing = this.get(row.email);
    if (!existing) {
      this.#insert({ ...row, source: row.source ?? options.source }, wanted, options.by);
      return { outcome: 'added', state: wanted };
    }
    if (isSuppressed(existing.state)) return { outcome: 'suppressed', state: existing.state };
    if (isSuppressed(wanted)) {
      this.#changeState(existing, wanted, options.by);
      return { outcome: 'newly-suppressed', state: wanted };
    }
    if (existing.state === 'pending' && wanted === 'active') {
      this.#changeState(existing, 'active', options.by);
      return { outcome: 'activated', state: 'active' };
    }
    return { outcome: 'unchanged', state: existing.state };
  }

  #insert(input: SubscriberInput & { attributes?: Record<string, string> }, state: SubscriberState, by: ChangeBy): Subscriber {
    const at = by.now.toISOString();
    const row = this.#db
      .prepare(`INSERT INTO subscribers (email, name, state, source, token, attributes, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`)
      .get(input.email, input.name ?? null, state, input.source ?? by.actor, createSubscriberToken(), JSON.stringify(input.attributes ?? {}), at, at) as unknown as Row;
    this.#appendEvent(row.id, undefined, state, by);
    return toSubscriber(row);
  }

  #changeState(current: Subscriber, to: SubscriberState, by: ChangeBy): void {
    this.#db.prepare('UPDATE subscribers SET state = ?, updated_at = ? WHERE id = ?').run(to, by.now.toISOString(), current.id);
    this.#appendEvent(current.id, current.state, to, by);
  }

  #appendEvent(id: number, from: SubscriberState | undefined, to: SubscriberState, by: ChangeBy): void {
    this.#db
      .prepare('INSERT INTO subscriber_events (subscriber_id, from_state, to_state, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, from ?? null, to, by.actor, by.reason ?? null, by.now.toISOString());
  }
}
