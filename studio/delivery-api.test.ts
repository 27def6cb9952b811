// The Studio's calls about sending an issue, and the words the Issues list shows for each state.
import { describe, expect, it } from 'vitest';
import type { DeliveryStatus } from '../delivery/schedule/delivery-status.ts';
import { deliveryMark, requestSchedule, requestSendNow, sendBlockedReason } from './delivery-api.ts';
import { pollInterval } from './use-delivery.ts';

const target = { previewUrl: 'https://news.example.org/', previewSecret: 's3cret' };

function aStatus(overrides: Partial<DeliveryStatus> = {}): DeliveryStatus {
  return {
    issueNumber: 12,
    phase: 'none',
    summary: '',
    schedule: undefined,
    changedSinceScheduled: false,
    unpublishedChanges: false,
    published: true,
    activeSubscribers: 300,
    counts: { total: 300, queued: 180, sent: 120, failed: 0, bounced: 0, skipped: 0, unknown: 0 },
    ratePerSecond: undefined,
    secondsLeft: undefined,
    startedAt: undefined,
    finishedAt: undefined,
    pauseReason: undefined,
    sender: undefined,
    ...overrides,
  };
}

const scheduled = { sendAt: '2026-12-04T07:00:00.000Z', timeZone: 'Europe/Berlin', when: 'Fri 4 Dec 2026, 08:00 Europe/Berlin (07:00 UTC)', scheduledBy: 'the Studio', reason: undefined };

describe('the Studio\'s send requests', () => {
  it('post the schedule and the typed confirmation to the issue\'s published id, with the secret', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ ok: true, message: 'done', delivery: aStatus({ phase: 'scheduled' }) }), { status: 200 });
    }) as unknown as typeof fetch;
    const result = await requestSchedule(target, 'drafts.issue-12', { date: '2026-12-04', time: '08:00', timeZone: 'Europe/Berlin' }, fetchImpl);
    expect(result).toMatchObject({ ok: true, message: 'done', value: { phase: 'scheduled' } });
    await requestSendNow(target, 'issue-12', '12', fetchImpl);
    expect(calls.map((c) => [c.url, c.init.method, c.init.body, (c.init.headers as Record<string, string>).authorization])).toEqual([
      ['https://news.example.org/preview/issues/issue-12/schedule', 'POST', '{"date":"2026-12-04","time":"08:00","timeZone":"Europe/Berlin"}', 'Bearer s3cret'],
      ['https://news.example.org/preview/issues/issue-12/send-now', 'POST', '{"confirm":"12"}', 'Bearer s3cret'],
    ]);
  });

  it('give the server\'s reason when it refuses', async () => {
    const fetchImpl = (async () =>
      new Response(JSON.stringify({ ok: false, error: 'send_refused', message: 'Issue #12 is a draft: only a published issue is sent', hint: 'Publish it first.' }), { status: 409 })) as unknown as typeof fetch;
    expect(await requestSendNow(target, 'issue-12', '12', fetchImpl)).toEqual({ ok: false, message: 'Issue #12 is a draft: only a published issue is sent Publish it first.' });
  });
});

describe('the Issues list marks', () => {
  it('name each state in a few words', () => {
    expect(deliveryMark(aStatus())).toBeUndefined();
    expect(deliveryMark(aStatus({ phase: 'scheduled', schedule: scheduled }))).toBe('Scheduled Fri 4 Dec, 08:00 Europe/Berlin');
    expect(deliveryMark(aStatus({ phase: 'sending' }))).toBe('Sending 120/300');
    expect(deliveryMark(aStatus({ phase: 'sent', counts: { ...aStatus().counts, sent: 300, queued: 0 } }))).toBe('Sent to 300');
    expect(deliveryMark(aStatus({ phase: 'unresolved', counts: { ...aStatus().counts, sent: 298, unknown: 2 } }))).toBe('Sent to 298, 2 unknown');
    expect(deliveryMark(aStatus({ phase: 'missed', schedule: scheduled }))).toBe('Missed its time');
  });

  it('are looked at every second while a send runs or is minutes away, less often otherwise', () => {
    const now = new Date('2026-12-04T06:59:00Z').getTime();
    expect(pollInterval(aStatus({ phase: 'sending' }), now)).toBe(1000);
    expect(pollInterval(aStatus({ phase: 'scheduled', schedule: scheduled }), now)).toBe(1000);
    expect(pollInterval(aStatus({ phase: 'scheduled', schedule: scheduled }), now - 3_600_000)).toBe(5000);
    expect(pollInterval(aStatus({ phase: 'sent' }), now)).toBe(5000);
  });
});

describe('sendBlockedReason', () => {
  it('keeps the send actions off for a draft and for unpublished changes, saying why', () => {
    expect(sendBlockedReason({ draft: { _id: 'drafts.issue-12' }, published: null })).toBe('Publish the issue first: only a published issue is sent.');
    expect(sendBlockedReason({ draft: { _id: 'drafts.issue-12' }, published: { _id: 'issue-12' } })).toBe('Publish your changes first: the send takes the issue as published.');
    const ready = { _id: 'issue-12', title: 'Spring', sections: [{ _key: 's', heading: 'News', body: [{ _type: 'block', _key: 'b', children: [] }] }] };
    expect(sendBlockedReason({ draft: null, published: ready })).toBeUndefined();
  });

  it('keeps them off, with the reason, for a published issue `check` would refuse', () => {
    const empty = { _id: 'issue-12', title: 'Spring', sections: [{ _key: 's', heading: 'News', body: [] }] };
    expect(sendBlockedReason({ draft: null, published: empty })).toMatch(/^Fix this first: Every section is empty/);
    const long = { ...empty, summary: 'x'.repeat(150), sections: [{ _key: 's', heading: 'News', body: [{ _type: 'block', _key: 'b', children: [] }] }] };
    expect(sendBlockedReason({ draft: null, published: long })).toBe('Fix this first: The summary is 150 characters; keep it to 140 so inboxes show it whole as the preheader.');
  });
});
