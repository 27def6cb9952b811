// What the commands, the server and the other stores need from the subscriber list,
// declared here by the room that owns subscribers; delivery/sqlite/ and
// delivery/postgres/ implement it. Every read and write is asynchronous, whichever
// store is behind it, so a networked database fits the same calls.
import type { SubscriberImporter } from './import-subscribers.ts';
import type { SubscriptionStore } from './subscriptions.ts';
import type { ChangeEvidence, Subscriber, SubscriberEvent, SubscriberInput, SubscriberState } from './subscriber.ts';

/** Who makes a state change, why and when; evidence lands in the history with it. */
export interface ChangeBy {
  actor: string;
  reason?: string | undefined;
  now: Date;
  evidence?: ChangeEvidence | undefined;
}

export interface SubscriberStats {
  byState: Record<SubscriberState, number>;
  bySource: Array<{ source: string; count: number }>;
  total: number;
}

export interface SubscriberStore extends SubscriptionStore, SubscriberImporter {
  /** The subscriber for an address, in any letter case. */
  get(email: string): Promise<Subscriber | undefined>;
  getById(id: number): Promise<Subscriber | undefined>;
  /** The subscriber an unsubscribe/confirm link points at (after its signature was verified), merged records included. */
  getByToken(token: string): Promise<Subscriber | undefined>;
  /** Adds a new subscriber, or reports the existing one unchanged. */
  add(input: SubscriberInput & { attributes?: Record<string, string> }, state: 'pending' | 'active', by: ChangeBy): Promise<{ subscriber: Subscriber; created: boolean }>;
  /**
   * Moves a subscriber to a new state and appends the change to its history.
   * Resolves false when the move is not allowed (e.g. out of a suppressed state by the system).
   */
  setState(id: number, to: SubscriberState, by: ChangeBy & { as?: 'subscriber' | 'system' }): Promise<boolean>;
  /** Marks an address unsubscribed (kept, so it stays suppressed). False when unknown. */
  unsubscribe(email: string, by: ChangeBy): Promise<boolean>;
  /** Deletes an address, its deliveries and its history outright (right to erasure): it is no longer suppressed. */
  erase(email: string): Promise<boolean>;
  history(id: number): Promise<SubscriberEvent[]>;
  /** Streams subscribers in id order, a page at a time, so memory stays flat for any list size. */
  iterate(filter?: { state?: SubscriberState | undefined }, pageSize?: number): AsyncGenerator<Subscriber>;
  stats(): Promise<SubscriberStats>;
}
