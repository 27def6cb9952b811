// A subscriber and a history event as both stores keep their rows (sqlite/ and postgres/ hold the same columns in
// the same forms, so `newsdesk db copy` is a straight copy) and what they stand for.
import type { ChangeEvidence, Subscriber, SubscriberEvent, SubscriberState } from './subscriber.ts';

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

export interface SubscriberEventRow {
  subscriber_id: number;
  from_state: SubscriberState | null;
  to_state: SubscriberState;
  actor: string;
  reason: string | null;
  at: string;
  evidence: string | null;
}

export function eventFromRow(r: SubscriberEventRow): SubscriberEvent {
  return {
    subscriberId: r.subscriber_id,
    from: r.from_state ?? undefined,
    to: r.to_state,
    actor: r.actor,
    reason: r.reason ?? undefined,
    at: r.at,
    ...(r.evidence ? { evidence: JSON.parse(r.evidence) as ChangeEvidence } : {}),
  };
}
