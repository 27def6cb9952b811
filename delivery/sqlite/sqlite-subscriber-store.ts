// Subscribers in SQLite: every state change goes through one method that also
// appends to the history, so "who changed this and when" is always answerable. One
// mailbox is one row, whatever the letter case (email_key). The subscription steps
// behind the public forms are single transactions that also queue the mail they
// cause, so a subscriber is never admitted without its confirmation mail or the reverse.
import type { Database } from './db.ts';
import { retryOnBusy, transaction } from './db.ts';
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
import { eventFromRow, subscriberFromRow, type SubscriberEventRow, type SubscriberRow } from '../subscribers/subscriber-row.ts';

export { subscriberFromRow, type SubscriberRow };

const columns = 'id, email, name, state, source, token, attributes, created_at, updated_at';

export class SqliteSubscriberStore implements BounceRecorder, SubscriberStore {
  readonly #db: Database;
  readonly #byKey;
  readonly #byId;
  readonly #byToken;
  readonly #insert;
  readonly #setState;
  readonly #appendEvent;
  readonly #queueMail;
  readonly #recentConfirmations;
  readonly #importLookup;
  readonly #importInsert;
  readonly #recordSignup;
  readonly #pendingSignups;
  readonly #deleteSignup;
  readonly #recordRefusal;

  constructor(db: Database) {
    this.#db = db;
    this.#byKey = db.prepare(`SELECT ${columns} FROM subscribers WHERE email_key = ?`);
    this.#byId = db.prepare(`SELECT ${columns} FROM subscribers WHERE id = ?`);
    this.#byToken = db.prepare(`SELECT ${columns} FROM subscribers WHERE token = :token
      UNION ALL SELECT ${columns.replace(/(\w+)/g, 's.$1')} FROM subscriber_aliases a JOIN subscribers s ON s.id = a.subscriber_id WHERE a.token = :token
      LIMIT 1`);
    this.#insert = db.prepare(`INSERT INTO subscribers (email, email_key, name, state, source, token, attributes, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${columns}`);
    this.#setState = db.prepare('UPDATE subscribers SET state = ?, updated_at = ? WHERE id = ?');
    this.#appendEvent = db.prepare('INSERT INTO subscriber_events (subscriber_id, from_state, to_state, actor, reason, at, evidence) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#queueMail = db.prepare("INSERT INTO mail_queue (kind, subscriber_id, state, created_at) VALUES (?, ?, 'queued', ?)");
    this.#recentConfirmations = db.prepare("SELECT count(*) AS n FROM mail_queue WHERE subscriber_id = ? AND kind = 'confirm' AND created_at > ?");
    this.#recordSignup = db.prepare('INSERT INTO signup_requests (email, name, source, created_at) VALUES (?, ?, ?, ?)');
    this.#pendingSignups = db.prepare('SELECT id, email, name, source, created_at FROM signup_requests ORDER BY id LIMIT ?');
    this.#deleteSignup = db.prepare('DELETE FROM signup_requests WHERE id = ?');
    // A refusal during the send is a bounce report too, so the issue's counts include it.
    this.#recordRefusal = db.prepare(`INSERT INTO bounce_reports (fingerprint, source, kind, issue_number, subscriber_id, status, diagnostic, outcome, received_at)
      VALUES (?, 'smtp', 'hard', ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING`);
    this.#importLookup = db.prepare('SELECT id, state FROM subscribers WHERE email_key = ?');
    this.#importInsert = db.prepare(`INSERT INTO subscribers (email, email_key, name, state, source, token, attributes, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  }

  // The synchronous reads and writes below are for use inside this file's transactions and
  // by the other SQLite stores sharing the connection (sqlite-bounce-store.ts); everyone
  // else goes through the asynchronous SubscriberStore methods.

  readByEmail(email: string): Subscriber | undefined {
    const row = this.#byKey.get(emailKey(email)) as SubscriberRow | undefined;
    return row && subscriberFromRow(row);
  }

  readById(id: number): Subscriber | undefined {
    const row = this.#byId.get(id) as SubscriberRow | undefined;
    return row && subscriberFromRow(row);
  }

  readByToken(token: string): Subscriber | undefined {
    const row = this.#byToken.get({ token }) as SubscriberRow | undefined;
    return row && subscriberFromRow(row);
  }

  /** setState inside a transaction of the caller's (or its own when there is none). */
  changeState(id: number, to: SubscriberState, by: ChangeBy & { as?: 'subscriber' | 'system' }): boolean {
    const run = () => {
      const current = this.readById(id);
      if (!current || !canTransition(current.state, to, by.as ?? 'system')) return false;
      this.#changeState(current, to, by);
      return true;
    };
    return this.#db.isTransaction ? run() : transaction(this.#db, run);
  }

  async get(email: string): Promise<Subscriber | undefined> {
    return retryOnBusy(() => this.readByEmail(email));
  }

  async getById(id: number): Promise<Subscriber | undefined> {
    return retryOnBusy(() => this.readById(id));
  }

  async getByToken(token: string): Promise<Subscriber | undefined> {
    return retryOnBusy(() => this.readByToken(token));
  }

  async add(input: SubscriberInput & { attributes?: Record<string, string> }, state: 'pending' | 'active', by: ChangeBy): Promise<{ subscriber: Subscriber; created: boolean }> {
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const existing = this.readByEmail(input.email);
        if (existing) return { subscriber: existing, created: false };
        return { subscriber: this.#insertSubscriber(input, state, by), created: true };
      }),
    );
  }

  async setState(id: number, to: SubscriberState, by: ChangeBy & { as?: 'subscriber' | 'system' }): Promise<boolean> {
    return retryOnBusy(() => this.changeState(id, to, by));
  }

  async markBounced(subscriberId: number, actor: string, reason: string, now: Date, evidence?: ChangeEvidence): Promise<void> {
    await retryOnBusy(() =>
      transaction(this.#db, () => {
        const changed = this.changeState(subscriberId, 'bounced', { actor, reason, now, evidence });
        if (evidence?.issue === undefined) return;
        this.#recordRefusal.run(`send:${evidence.issue}:${subscriberId}`, evidence.issue, subscriberId, evidence.status ?? null, evidence.diagnostic ?? null, changed ? 'bounced' : 'refused during the send', now.toISOString());
      }),
    );
  }

  async unsubscribe(email: string, by: ChangeBy): Promise<boolean> {
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const s = this.readByEmail(email);
        if (!s) return false;
        if (s.state !== 'unsubscribed') this.changeState(s.id, 'unsubscribed', by);
        return true;
      }),
    );
  }

  async erase(email: string): Promise<boolean> {
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const s = this.readByEmail(email);
        if (!s) return false;
        this.#db.prepare('DELETE FROM deliveries WHERE subscriber_id = ?').run(s.id);
        this.#db.prepare('DELETE FROM subscriber_events WHERE subscriber_id = ?').run(s.id);
        this.#db.prepare('DELETE FROM subscribers WHERE id = ?').run(s.id);
        return true;
      }),
    );
  }

  async history(id: number): Promise<SubscriberEvent[]> {
    const rows = (await retryOnBusy(() => this.#db.prepare('SELECT * FROM subscriber_events WHERE subscriber_id = ? ORDER BY id').all(id))) as unknown as SubscriberEventRow[];
    return rows.map(eventFromRow);
  }

  async *iterate(filter: { state?: SubscriberState | undefined } = {}, pageSize = 1000): AsyncGenerator<Subscriber> {
    const page = this.#db.prepare(`SELECT ${columns} FROM subscribers WHERE id > ? AND (? IS NULL OR state = ?) ORDER BY id LIMIT ?`);
    let after = 0;
    for (;;) {
      const rows = (await retryOnBusy(() => page.all(after, filter.state ?? null, filter.state ?? null, pageSize))) as unknown as SubscriberRow[];
      if (rows.length === 0) return;
      for (const r of rows) yield subscriberFromRow(r);
      after = rows[rows.length - 1]!.id;
    }
  }

  async stats(): Promise<SubscriberStats> {
    return retryOnBusy(() => {
      const byState = Object.fromEntries(subscriberStates.map((s) => [s, 0])) as Record<SubscriberState, number>;
      for (const r of this.#db.prepare('SELECT state, count(*) AS n FROM subscribers GROUP BY state').all() as Array<{ state: SubscriberState; n: number }>) {
        byState[r.state] = r.n;
      }
      const bySource = (this.#db.prepare('SELECT source, count(*) AS n FROM subscribers GROUP BY source ORDER BY n DESC, source').all() as Array<{ source: string; n: number }>).map(
        (r) => ({ source: r.source, count: r.n }),
      );
      return { byState, bySource, total: Object.values(byState).reduce((a, b) => a + b, 0) };
    });
  }

  // ── Imports (see delivery/subscribers/import-subscribers.ts) ─────────────────────────────────────

  async importChunk(rows: readonly ImportRow[], options: ImportOptions): Promise<RowPlan[]> {
    const stateOf = (row: ImportRow) => this.#importLookup.get(emailKey(row.email)) as { id: number; state: SubscriberState } | undefined;
    if (options.dryRun) return rows.map((row) => planImportRow(stateOf(row)?.state, row, options.state));
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const at = options.now().toISOString();
        return rows.map((row) => {
          const existing = stateOf(row);
          const decided = planImportRow(existing?.state, row, options.state);
          if (decided.outcome === 'added') {
            const email = normalizeEmail(row.email);
            const id = Number(
              this.#importInsert.run(email, emailKey(email), row.name ?? null, decided.state, row.source ?? options.source, createSubscriberToken(), JSON.stringify(row.attributes ?? {}), at, at)
                .lastInsertRowid,
            );
            this.#appendEvent.run(id, null, decided.state, options.actor, null, at, null);
          } else if (existing && (decided.outcome === 'activated' || decided.outcome === 'newly-suppressed')) {
            this.#setState.run(decided.state, at, existing.id);
            this.#appendEvent.run(existing.id, existing.state, decided.state, options.actor, null, at, null);
          }
          return decided;
        });
      }),
    );
  }

  // ── The public forms (see delivery/subscribers/subscriptions.ts) ────────────────────────────────

  async recordSignup(request: SignupRequest): Promise<void> {
    await retryOnBusy(() => this.#recordSignup.run(request.email, request.name ?? null, request.source, request.at.getTime()));
  }

  admitSignups(max: number, limit: { count: number; perMs: number }, at: Date): Promise<AdmittedSignup[]> {
    return retryOnBusy(() =>
      transaction(this.#db, () => {
        const requests = this.#pendingSignups.all(max) as Array<{ id: number; email: string; name: string | null; source: string; created_at: number }>;
        return requests.map((request): AdmittedSignup => {
          this.#deleteSignup.run(request.id);
          const by = { actor: 'subscriber', reason: 'subscribe form', now: new Date(request.created_at) };
          const subscriber = this.readByEmail(request.email) ?? this.#insertSubscriber({ email: request.email, name: request.name ?? undefined, source: request.source }, 'pending', by);
          if (subscriber.state === 'active') return { subscriber, queued: false, why: 'active' };
          // Someone who reported us as spam gets no mail from a form anyone can fill in.
          if (subscriber.state === 'complained') return { subscriber, queued: false, why: 'complained' };
          const { n } = this.#recentConfirmations.get(subscriber.id, at.getTime() - limit.perMs) as { n: number };
          if (n >= limit.count) return { subscriber, queued: false, why: 'address-throttled' };
          this.#queue('confirm', subscriber.id, at);
          return { subscriber, queued: true };
        });
      }),
    );
  }

  confirmSubscription(subscriberToken: string, nonce: string, at: Date): Promise<ConfirmResult> {
    return retryOnBusy(() =>
      transaction(this.#db, (): ConfirmResult => {
        const subscriber = this.readByToken(subscriberToken);
        if (!subscriber) return { kind: 'invalid' };
        const fresh = Number(this.#db.prepare('INSERT INTO confirm_nonces (nonce, used_at) VALUES (?, ?) ON CONFLICT DO NOTHING').run(nonce, at.toISOString()).changes) === 1;
        if (!fresh) return { kind: 'used', active: subscriber.state === 'active' };
        if (subscriber.state === 'active') return { kind: 'already-active', subscriber };
        const by = { actor: 'subscriber', now: at, as: 'subscriber' as const };
        // Coming back from a suppressed state is a fresh opt-in: recorded as two steps in the history.
        if (isSuppressed(subscriber.state)) this.changeState(subscriber.id, 'pending', { ...by, reason: 're-subscribed and confirmed' });
        this.changeState(subscriber.id, 'active', { ...by, reason: 'confirmed by link' });
        this.#queue('welcome', subscriber.id, at);
        return { kind: 'confirmed', subscriber: this.readById(subscriber.id)! };
      }),
    );
  }

  findByToken(subscriberToken: string): Promise<Subscriber | undefined> {
    return this.getByToken(subscriberToken);
  }

  unsubscribeByToken(subscriberToken: string, reason: string, at: Date): Promise<UnsubscribeResult> {
    return retryOnBusy(() =>
      transaction(this.#db, (): UnsubscribeResult => {
        const subscriber = this.readByToken(subscriberToken);
        if (!subscriber) return { subscriber: undefined, changed: false };
        if (isSuppressed(subscriber.state)) return { subscriber, changed: false };
        this.#changeState(subscriber, 'unsubscribed', { actor: 'subscriber', reason, now: at });
        return { subscriber: this.readById(subscriber.id)!, changed: true };
      }),
    );
  }

  #queue(kind: MailKind, subscriberId: number, at: Date): void {
    this.#queueMail.run(kind, subscriberId, at.getTime());
  }

  #insertSubscriber(input: SubscriberInput & { attributes?: Record<string, string> | undefined }, state: SubscriberState, by: ChangeBy): Subscriber {
    const at = by.now.toISOString();
    const email = normalizeEmail(input.email);
    const row = this.#insert.get(email, emailKey(email), input.name ?? null, state, input.source ?? by.actor, createSubscriberToken(), JSON.stringify(input.attributes ?? {}), at, at) as unknown as SubscriberRow;
    this.#appendEvent.run(row.id, null, state, by.actor, by.reason ?? null, at, null);
    return subscriberFromRow(row);
  }

  #changeState(current: Subscriber, to: SubscriberState, by: ChangeBy): void {
    this.#setState.run(to, by.now.toISOString(), current.id);
    this.#appendEvent.run(current.id, current.state, to, by.actor, by.reason ?? null, by.now.toISOString(), by.evidence ? JSON.stringify(by.evidence) : null);
  }
}
