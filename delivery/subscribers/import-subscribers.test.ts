import { describe, expect, it } from 'vitest';
import { importSubscribers, planImportRow, type ImportOptions, type ImportRow, type RowPlan, type SubscriberImporter } from './import-subscribers.ts';
import type { SubscriberState } from './subscriber.ts';

/** An in-memory store that records the chunks it was given. */
function aStore(existing: Record<string, SubscriberState> = {}) {
  const chunks: string[][] = [];
  const store: SubscriberImporter = {
    async importChunk(rows: readonly ImportRow[], options: ImportOptions): Promise<RowPlan[]> {
      chunks.push(rows.map((r) => r.email));
      return rows.map((r) => planImportRow(existing[r.email.toLowerCase()], r, options.state));
    },
  };
  return { store, chunks };
}

const options = { state: 'active' as const, source: 'test', dryRun: false, actor: 'import:test', now: () => new Date('2026-03-01T00:00:00Z'), yieldRatio: 0 };

describe('planImportRow', () => {
  it('never lifts a suppressed address, and lets a row only suppress further', () => {
    expect(planImportRow('unsubscribed', {}, 'active')).toEqual({ outcome: 'suppressed', state: 'unsubscribed' });
    expect(planImportRow('active', { state: 'bounced' }, 'active')).toEqual({ outcome: 'newly-suppressed', state: 'bounced' });
    expect(planImportRow('pending', {}, 'active')).toEqual({ outcome: 'activated', state: 'active' });
    expect(planImportRow('active', {}, 'pending')).toEqual({ outcome: 'unchanged', state: 'active' });
    expect(planImportRow(undefined, { state: 'complained' }, 'active')).toEqual({ outcome: 'added', state: 'complained' });
  });
});

describe('importSubscribers', () => {
  it('writes in chunks, counts a mailbox seen before in any letter case as a duplicate, and reports bad rows', async () => {
    const { store, chunks } = aStore({ 'left@x.org': 'unsubscribed' });
    const bad: number[] = [];
    const rows: Array<ImportRow | { line: number; reason: string }> = [
      { line: 2, email: 'Carol@x.org' },
      { line: 3, email: 'carol@x.org' },
      { line: 4, reason: 'email: is not a valid email address' },
      { line: 5, email: 'LEFT@x.org' },
      { line: 6, email: 'dan@x.org' },
    ];
    const report = await importSubscribers(rows, store, { ...options, chunkSize: 2, onBad: (b) => bad.push(b.line) });
    expect(chunks).toEqual([['Carol@x.org', 'LEFT@x.org'], ['dan@x.org']]);
    expect(report).toEqual({ counts: { added: 2, activated: 0, unchanged: 0, suppressed: 1, 'newly-suppressed': 0, duplicate: 1 }, addedByState: { active: 2 }, bad: 1 });
    expect(bad).toEqual([4]);
  });
});
