// Merges subscriber rows that are one mailbox written in different letter case (made
// before identity was case-insensitive) into one: the oldest row survives with the
// strictest state any of them had, every history event and delivery, and the other
// rows' tokens kept as aliases so unsubscribe links already sent keep working.
// Runs once, inside the migration's transaction.
import type { DatabaseSync } from 'node:sqlite';
import { emailKey, stateStrictness, type SubscriberState } from '../subscribers/subscriber.ts';

export interface MergeCandidate {
  id: number;
  email: string;
  name: string | null;
  state: SubscriberState;
  attributes: string;
}

export interface MergePlan {
  survivor: number;
  merged: number[];
  state: SubscriberState;
  name: string | null;
  attributes: string;
}

/** Pure: which row survives and what it ends up holding. Rows come oldest first. */
export function planMerge(rows: readonly MergeCandidate[]): MergePlan {
  const [first, ...rest] = rows;
  if (!first) throw new RangeError('planMerge needs at least one row');
  const state = rows.reduce<SubscriberState>((s, r) => (stateStrictness[r.state] > stateStrictness[s] ? r.state : s), first.state);
  // Older rows win on attributes; the survivor's own values win over all.
  const attributes = Object.assign({}, ...[...rest].reverse().map((r) => parseAttributes(r.attributes)), parseAttributes(first.attributes)) as Record<string, string>;
  return {
    survivor: first.id,
    merged: rest.map((r) => r.id),
    state,
    name: first.name ?? rest.find((r) => r.name !== null)?.name ?? null,
    attributes: JSON.stringify(attributes),
  };
}

/** When two merged rows both have a delivery of one issue, the one that says most about what reached the mailbox is kept. */
const deliveryRank: Record<string, number> = { sent: 5, sending: 4, failed: 3, skipped: 2, claimed: 1, queued: 0 };

export function mergeCaseVariants(db: DatabaseSync, now: Date = new Date()): number {
  const setKey = db.prepare('UPDATE subscribers SET email_key = ? WHERE id = ?');
  for (const row of db.prepare('SELECT id, email FROM subscribers').iterate() as Iterable<{ id: number; email: string }>) {
    setKey.run(emailKey(row.email), row.id);
  }
  const groups = db.prepare('SELECT email_key FROM subscribers GROUP BY email_key HAVING count(*) > 1').all() as Array<{ email_key: string }>;
  if (groups.length === 0) return 0;

  // History is append-only for everyone else; moving events to the surviving row is the one exception.
  db.exec('DROP TRIGGER subscriber_events_append_only');
  const rowsOf = db.prepare('SELECT id, email, name, state, attributes, token FROM subscribers WHERE email_key = ? ORDER BY id');
  const moveEvents = db.prepare('UPDATE subscriber_events SET subscriber_id = ? WHERE subscriber_id = ?');
  const deliveriesOf = db.prepare('SELECT issue_number, state FROM deliveries WHERE subscriber_id = ?');
  const deleteDelivery = db.prepare('DELETE FROM deliveries WHERE issue_number = ? AND subscriber_id = ?');
  const moveDelivery = db.prepare('UPDATE deliveries SET subscriber_id = ? WHERE issue_number = ? AND subscriber_id = ?');
  const addAlias = db.prepare('INSERT OR IGNORE INTO subscriber_aliases (token, subscriber_id) VALUES (?, ?)');
  const update = db.prepare('UPDATE subscribers SET state = ?, name = ?, attributes = ?, updated_at = ? WHERE id = ?');
  const appendEvent = db.prepare('INSERT INTO subscriber_events (subscriber_id, from_state, to_state, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?)');
  const remove = db.prepare('DELETE FROM subscribers WHERE id = ?');
  const at = now.toISOString();

  for (const { email_key } of groups) {
    const rows = rowsOf.all(email_key) as unknown as Array<MergeCandidate & { token: string }>;
    const plan = planMerge(rows);
    const survivor = rows[0]!;
    const kept = new Map((deliveriesOf.all(plan.survivor) as Array<{ issue_number: number; state: string }>).map((d) => [d.issue_number, d.state]));
    for (const other of rows.slice(1)) {
      moveEvents.run(plan.survivor, other.id);
      for (const d of deliveriesOf.all(other.id) as Array<{ issue_number: number; state: string }>) {
        const current = kept.get(d.issue_number);
        if (current !== undefined && (deliveryRank[current] ?? 0) >= (deliveryRank[d.state] ?? 0)) {
          deleteDelivery.run(d.issue_number, other.id);
          continue;
        }
        if (current !== undefined) deleteDelivery.run(d.issue_number, plan.survivor);
        moveDelivery.run(plan.survivor, d.issue_number, other.id);
        kept.set(d.issue_number, d.state);
      }
      addAlias.run(other.token, plan.survivor);
      remove.run(other.id);
    }
    update.run(plan.state, plan.name, plan.attributes, at, plan.survivor);
    const variants = rows.slice(1).map((r) => r.email).join(', ');
    appendEvent.run(plan.survivor, survivor.state, plan.state, 'migration', `merged with ${variants} (the same mailbox in other letter case)`, at);
  }
  db.exec(`CREATE TRIGGER subscriber_events_append_only BEFORE UPDATE ON subscriber_events
    BEGIN SELECT RAISE(ABORT, 'subscriber history is append-only'); END`);
  return groups.length;
}

function parseAttributes(text: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}
