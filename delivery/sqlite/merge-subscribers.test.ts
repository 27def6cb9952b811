import { describe, expect, it } from 'vitest';
import { planMerge, type MergeCandidate } from './merge-subscribers.ts';

const row = (id: number, state: MergeCandidate['state'], extra: Partial<MergeCandidate> = {}): MergeCandidate => ({ id, email: `Carol${id}@x.org`, name: null, state, attributes: '{}', ...extra });

describe('planMerge', () => {
  it('keeps the oldest row with the strictest state any variant had', () => {
    expect(planMerge([row(1, 'active'), row(7, 'unsubscribed'), row(9, 'pending')])).toMatchObject({ survivor: 1, merged: [7, 9], state: 'unsubscribed' });
    expect(planMerge([row(1, 'bounced'), row(2, 'complained')]).state).toBe('complained');
    expect(planMerge([row(1, 'pending'), row(2, 'active')]).state).toBe('active');
  });

  it('keeps the oldest name and attributes, filling gaps from the newer rows', () => {
    const plan = planMerge([row(1, 'active', { attributes: '{"company":"Old"}' }), row(2, 'active', { name: 'Carol', attributes: '{"company":"New","city":"Leeds"}' })]);
    expect(plan.name).toBe('Carol');
    expect(JSON.parse(plan.attributes)).toEqual({ company: 'Old', city: 'Leeds' });
  });
});
