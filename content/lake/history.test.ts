import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/helpers/temp.ts';
import { applyMutations } from '../mutations.ts';
import type { Mutation, SanityDocument } from '../store.ts';
import { DocumentHistory } from './history.ts';

/** Applies mutations as the store does and records the transaction, returning the new document. */
async function commit(history: DocumentHistory, before: SanityDocument | null, mutations: Mutation[], id: string, at: string): Promise<SanityDocument | null> {
  const { changes } = applyMutations(before ? [before] : [], mutations, { now: at, transactionId: id });
  await history.record({ id, timestamp: at, author: 'pLocalEditor', mutations, changes });
  return changes[0]?.after ?? null;
}

describe('document history', () => {
  it('keeps typing as patches, rebuilds any revision from them, and survives a reopen', async () => {
    const file = path.join(await makeTempDir(), 'history.ndjson');
    let history = await DocumentHistory.open(file);
    let doc = await commit(history, null, [{ create: { _id: 'drafts.a', _type: 'issue', title: '' } }], 't0', '2026-03-01T10:00:00.000Z');
    const revisions: string[] = [];
    for (let i = 1; i <= 60; i++) {
      doc = await commit(history, doc, [{ patch: { id: 'drafts.a', diffMatchPatch: { title: `@@ -0,0 +1,1 @@\n+${'x'}\n` } } }], `t${i}`, `2026-03-01T10:00:${String(i).padStart(2, '0')}.000Z`);
      revisions.push(doc!._rev!);
    }
    expect(doc!.title).toBe('x'.repeat(60));
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { documents: Record<string, { mutations?: unknown; after?: unknown }> });
    // Most entries are the small patches; a whole document now and then bounds the replay.
    expect(lines.filter((l) => l.documents['drafts.a']!.mutations).length).toBeGreaterThan(50);
    history = await DocumentHistory.open(file);
    expect((await history.atRevision('drafts.a', 't25'))?.title).toBe('x'.repeat(25));
    expect((await history.atTime('drafts.a', '2026-03-01T10:00:40.500Z'))?.title).toBe('x'.repeat(40));
    const [latest] = await history.transactions(['drafts.a'], { reverse: true, limit: 1 });
    expect(latest!.effects['drafts.a']).toEqual({ apply: [0, expect.objectContaining({ title: 'x'.repeat(60) })], revert: [0, expect.objectContaining({ title: 'x'.repeat(59) })] });
  });

  it('names publishing, discarding and deleting as events the history panel lists', async () => {
    const history = await DocumentHistory.open(path.join(await makeTempDir(), 'h.ndjson'));
    const draft = await commit(history, null, [{ create: { _id: 'drafts.b', _type: 'tag', title: 'B' } }], 'c1', '2026-03-01T10:00:00.000Z');
    const { changes } = applyMutations([draft!], [{ createOrReplace: { _id: 'b', _type: 'tag', title: 'B' } }, { delete: { id: 'drafts.b' } }], { now: '2026-03-01T10:01:00.000Z', transactionId: 'p1' });
    await history.record({ id: 'p1', timestamp: '2026-03-01T10:01:00.000Z', author: 'pLocalEditor', changes });
    const published = changes.find((c) => c.id === 'b')!.after!;
    await commit(history, published, [{ delete: { id: 'b' } }], 'd1', '2026-03-01T10:02:00.000Z');
    expect((await history.events('drafts.b')).map((e) => e.type)).toEqual(['deleteDocumentGroup', 'publishDocumentVersion', 'createDocumentVersion']);
    expect((await history.lastRevision('b'))?.title).toBe('B');
  });

  it('reads a long history without replaying from a snapshot per transaction', async () => {
    const file = path.join(await makeTempDir(), 'long.ndjson');
    let history = await DocumentHistory.open(file);
    let doc = await commit(history, null, [{ create: { _id: 'drafts.c', _type: 'issue', title: '', count: 0 } }], 'l0', '2026-03-01T10:00:00.000Z');
    const total = 400;
    for (let i = 1; i < total; i++) {
      const at = new Date(Date.UTC(2026, 2, 1, 10, 0, 0, i)).toISOString();
      doc = await commit(history, doc, [{ patch: { id: 'drafts.c', inc: { count: 1 } } }], `l${i}`, at);
    }
    history = await DocumentHistory.open(file);
    // The history panel's events need no replaying at all.
    expect((await history.events('drafts.c')).map((e) => e.type)).toEqual(['createDocumentVersion']);
    expect(history.replayed).toBe(0);
    // One revision replays from the nearest whole document: a short run, not the whole history.
    expect((await history.atRevision('drafts.c', 'l250'))?.count).toBe(250);
    expect(history.replayed).toBeGreaterThan(0);
    expect(history.replayed).toBeLessThanOrEqual(50);
    const listing = await history.transactions(['drafts.c'], { limit: 1000 });
    expect(listing).toHaveLength(total);
    // Every listed transaction's effects are the states on either side of it.
    listing.forEach((t, i) => {
      expect(t.effects['drafts.c']!.apply).toEqual([0, expect.objectContaining({ count: i })]);
      expect(t.effects['drafts.c']!.revert).toEqual([0, i === 0 ? null : expect.objectContaining({ count: i - 1 })]);
    });
    for (let i = 0; i < total; i += 37) expect((await history.atRevision('drafts.c', `l${i}`))?.count).toBe(i);
    expect((await history.lastRevision('drafts.c'))?.count).toBe(total - 1);
    // Each state was replayed once over all of it (per transaction from a snapshot: ~25 each).
    expect(history.replayed).toBe(total);
    // A new transaction is replayed on top of what was read, not from the start.
    doc = await commit(history, doc, [{ patch: { id: 'drafts.c', inc: { count: 1 } } }], 'l-next', '2026-03-01T11:00:00.000Z');
    expect((await history.atRevision('drafts.c', 'l-next'))?.count).toBe(total);
    expect(history.replayed).toBe(total + 1);
  });
});
