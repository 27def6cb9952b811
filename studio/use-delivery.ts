// Live delivery states from `newsdesk serve`, shared by everything that shows them: one
// poll per open issue (its Delivery view and its send actions read the same answer),
// and one for the whole Issues list. Polls every second while a send is due or running,
// less often otherwise, and only while something on screen listens.
import { useCallback, useSyncExternalStore } from 'react';
import type { DeliveryStatus } from '../delivery/schedule/delivery-status.ts';
import { fetchDeliveries, fetchDelivery, type DeliveryResult } from './delivery-api.ts';
import type { PreviewTarget } from './preview-urls.ts';
import { usePreviewTarget } from './use-preview-target.ts';

export interface FeedState<T> {
  value: T | undefined;
  /** Why the last look failed (the server is down, the secret refused…). */
  error: string | undefined;
}

interface Feed<T> {
  state: FeedState<T>;
  listeners: Set<() => void>;
  timer: ReturnType<typeof setTimeout> | undefined;
  inFlight: boolean;
  look(): void;
}

const feeds = new Map<string, Feed<unknown>>();

function feedFor<T>(key: string, load: () => Promise<DeliveryResult<T>>, intervalMs: (value: T | undefined) => number): Feed<T> {
  let feed = feeds.get(key) as Feed<T> | undefined;
  if (feed) return feed;
  const created: Feed<T> = {
    state: { value: undefined, error: undefined },
    listeners: new Set(),
    timer: undefined,
    inFlight: false,
    look() {
      if (created.inFlight) return;
      clearTimeout(created.timer);
      created.inFlight = true;
      void load().then((result) => {
        created.inFlight = false;
        created.state = result.ok ? { value: result.value, error: undefined } : { value: created.state.value, error: result.message };
        for (const listener of created.listeners) listener();
        if (created.listeners.size > 0) created.timer = setTimeout(() => created.look(), intervalMs(created.state.value));
      });
    },
  };
  feeds.set(key, created as Feed<unknown>);
  feed = created;
  return feed;
}

/** Without a secret the server would refuse every look: the Studio is not set up to send. */
const unconfigured: FeedState<never> = { value: undefined, error: 'Set SANITY_STUDIO_PREVIEW_SECRET (and SANITY_STUDIO_PREVIEW_URL) so the Studio can reach `newsdesk serve` to schedule and watch sends.' };

function useFeed<T>(target: PreviewTarget, what: string, load: () => Promise<DeliveryResult<T>>, intervalMs: (value: T | undefined) => number, ready = true): FeedState<T> & { refresh: () => void } {
  const feed = feedFor(`${target.previewUrl}\n${target.previewSecret}\n${what}`, load, intervalMs);
  const configured = target.previewSecret !== '';
  const enabled = configured && ready;
  const subscribe = useCallback(
    (listener: () => void) => {
      if (!enabled) return () => undefined;
      feed.listeners.add(listener);
      if (feed.listeners.size === 1) feed.look();
      return () => {
        feed.listeners.delete(listener);
        if (feed.listeners.size === 0) clearTimeout(feed.timer);
      };
    },
    [feed, enabled],
  );
  const state = useSyncExternalStore(subscribe, () => (!configured ? unconfigured : enabled ? feed.state : notYetSaved));
  return { ...state, refresh: () => feed.look() };
}

const busyPhases = new Set(['starting', 'sending']);

/** How soon to look again: every second while the send runs or is due within two minutes. */
export function pollInterval(status: DeliveryStatus | undefined, now = Date.now()): number {
  if (!status) return 3000;
  if (busyPhases.has(status.phase)) return 1000;
  if (status.phase === 'scheduled' && status.schedule && new Date(status.schedule.sendAt).getTime() - now < 120_000) return 1000;
  return 5000;
}

/** A new issue the lake has not stored yet: the server knows no number for it, so there is nothing to ask. */
const notYetSaved: FeedState<never> = { value: undefined, error: undefined };

/** One issue's delivery status, live; `saved` false (a new, untouched issue) asks nothing until it is. */
export function useDelivery(documentId: string, saved = true): FeedState<DeliveryStatus> & { refresh: () => void } {
  const target = usePreviewTarget();
  return useFeed(target, documentId.replace(/^drafts\./, ''), () => fetchDelivery(target, documentId), (s) => pollInterval(s), saved);
}

/** Every issue's delivery status by number, for the Issues list. */
export function useDeliveries(): FeedState<Map<number, DeliveryStatus>> {
  const target = usePreviewTarget();
  return useFeed(
    target,
    '*',
    async () => {
      const result = await fetchDeliveries(target);
      return result.ok ? { ...result, value: new Map(result.value.map((s) => [s.issueNumber, s] as const)) } : result;
    },
    (all) => ([...(all?.values() ?? [])].some((s) => pollInterval(s) === 1000) ? 1000 : 2000),
  );
}

/** Looks again at once everywhere (after a schedule was written). */
export function refreshDeliveries(): void {
  for (const feed of feeds.values()) if (feed.listeners.size > 0) feed.look();
}
