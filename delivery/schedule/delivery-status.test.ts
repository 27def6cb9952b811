import { describe, expect, it } from 'vitest';
import { describeDelivery, type DeliveryFacts } from './delivery-status.ts';
import type { Schedule } from './scheduler.ts';
import type { SendRecord } from '../sending/ledger.ts';

const now = new Date('2026-12-04T06:30:00Z');

function aSchedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    issueNumber: 12,
    sendAt: new Date('2026-12-04T07:00:00Z'),
    timeZone: 'Europe/Berlin',
    documentId: 'issue-12',
    revision: 'rev-1',
    state: 'scheduled',
    reason: undefined,
    scheduledBy: 'the Studio',
    createdAt: '2026-12-01T10:00:00.000Z',
    updatedAt: '2026-12-01T10:00:00.000Z',
    claimedBy: undefined,
    claimedAt: undefined,
    ...overrides,
  };
}

function aSend(overrides: Partial<SendRecord> = {}, counts: Partial<SendRecord['counts']> = {}): SendRecord {
  return {
    issueNumber: 12,
    subject: 'Tracker #12',
    status: 'running',
    pauseReason: undefined,
    transport: 'outbox',
    createdAt: '2026-12-04T07:00:01.000Z',
    updatedAt: '2026-12-04T07:00:01.000Z',
    completedAt: undefined,
    lease: { holder: { pid: 1, host: 'news', startedAt: '2026-12-04T06:00:00.000Z' }, expiresAt: now.getTime() + 30_000 },
    counts: { queued: 0, claimed: 0, sending: 0, sent: 0, failed: 0, skipped: 0, ...counts },
    ...overrides,
  };
}

function facts(overrides: Partial<DeliveryFacts> = {}): DeliveryFacts {
  return {
    issueNumber: 12,
    schedule: undefined,
    send: undefined,
    sendLive: false,
    content: { revision: 'rev-1', draftPending: false },
    activeSubscribers: 300,
    activity: { bounced: 0, finishedSince: 0 },
    windowSeconds: 10,
    now,
    ...overrides,
  };
}

describe('describeDelivery', () => {
  it('shows a waiting schedule with its time in its zone and how long until it goes', () => {
    const status = describeDelivery(facts({ schedule: aSchedule() }));
    expect(status).toMatchObject({ phase: 'scheduled', changedSinceScheduled: false, activeSubscribers: 300 });
    expect(status.summary).toBe('Scheduled for Fri 4 Dec 2026, 08:00 Europe/Berlin (07:00 UTC), in 30 min');
  });

  it('points out an issue published again, or with a draft, after it was scheduled', () => {
    expect(describeDelivery(facts({ schedule: aSchedule(), content: { revision: 'rev-2', draftPending: true } }))).toMatchObject({ changedSinceScheduled: true, unpublishedChanges: true });
    expect(describeDelivery(facts({ schedule: aSchedule(), content: { revision: undefined, draftPending: true } }))).toMatchObject({ changedSinceScheduled: false, published: false });
  });

  it('while sending, counts up with the rate over the last seconds and the time left', () => {
    const status = describeDelivery(
      facts({ schedule: aSchedule({ state: 'started' }), send: aSend({}, { sent: 100, failed: 3, queued: 190, claimed: 5, sending: 2 }), sendLive: true, activity: { bounced: 2, finishedSince: 130 } }),
    );
    expect(status).toMatchObject({ phase: 'sending', counts: { total: 300, sent: 100, failed: 3, bounced: 2, queued: 195, unknown: 2 }, ratePerSecond: 13, secondsLeft: 15 });
    expect(status.summary).toBe('Sending: 100 of 300 sent, about 15s left');
  });

  it('tells a stopped send from a running one, and never calls a send with unknown deliveries sent', () => {
    expect(describeDelivery(facts({ send: aSend({}, { sent: 10, queued: 5 }), sendLive: false })).phase).toBe('interrupted');
    expect(describeDelivery(facts({ send: aSend({ status: 'completed', lease: undefined }, { sent: 298, sending: 2 }) })).summary).toBe('Sent to 298; 2 delivery(ies) with an unknown outcome');
    expect(describeDelivery(facts({ send: aSend({ status: 'paused', pauseReason: '30% of the last 50 failed' }, { sent: 40, failed: 15, queued: 245 }) })).summary).toBe('Paused after 40 of 300: 30% of the last 50 failed');
    expect(describeDelivery(facts({ send: aSend({ status: 'completed', lease: undefined }, { sent: 297, failed: 3 }) })).summary).toBe('Sent to 297 subscriber(s), 3 failed');
  });

  it('a waiting schedule comes first, even over an earlier send that stopped', () => {
    const status = describeDelivery(facts({ schedule: aSchedule({ state: 'missed', reason: 'no server was running' }), send: aSend({ status: 'interrupted' }, { sent: 10 }) }));
    expect(status).toMatchObject({ phase: 'missed', counts: { sent: 10 }, schedule: { reason: 'no server was running' } });
  });
});
