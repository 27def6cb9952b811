// data/history: the transactions that touched documents (NDJSON, with whole-document
// effects the Studio's timeline replays) and documents as they were at a revision or a
// time, for "Review changes" and "Restore".
import type { Hono } from 'hono';
import type { SanityDocument } from '../../store.ts';
import type { LakeContext } from '../lake.ts';
import { userIdOf } from '../users.ts';

export function mountHistoryRoutes(app: Hono, ctx: LakeContext): void {
  app.get('/data/history/:dataset/transactions/:ids', (c) => {
    ctx.requireDataset(c.req.param('dataset'));
    const ids = decodeURIComponent(c.req.param('ids')).split(',').filter(Boolean);
    const q = (name: string) => c.req.query(name);
    const limit = Math.min(Math.max(Number(q('limit') ?? 100) || 100, 1), 1000);
    const transactions = ctx.history.transactions(ids, {
      reverse: q('reverse') === 'true',
      limit,
      fromTransaction: q('fromTransaction'),
      toTransaction: q('toTransaction'),
      onlyIdentified: q('includeIdentifiedDocumentsOnly') === 'true',
    });
    const body = transactions.map((t) => JSON.stringify({ ...t, author: userIdOf(t.author) })).join('\n');
    return c.body(body ? `${body}\n` : '', 200, { 'content-type': 'application/x-ndjson' });
  });

  app.get('/data/history/:dataset/events/documents/:id', (c) => {
    ctx.requireDataset(c.req.param('dataset'));
    const id = decodeURIComponent(c.req.param('id'));
    const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 100) || 100, 1), 1000);
    const all = ctx.history.events(id);
    const offset = Number(c.req.query('nextCursor') ?? 0) || 0;
    const page = all.slice(offset, offset + limit);
    return c.json({ events: { [id]: page }, nextCursor: offset + limit < all.length ? String(offset + limit) : '' });
  });

  app.get('/data/history/:dataset/documents/:ids', async (c) => {
    ctx.requireDataset(c.req.param('dataset'));
    const ids = decodeURIComponent(c.req.param('ids')).split(',').filter(Boolean);
    const revision = c.req.query('revision');
    const time = c.req.query('time');
    const current = await ctx.store.getDocuments(ids);
    const documents = ids
      .map((id, i): SanityDocument | null | undefined => {
        if (c.req.query('lastRevision') === 'true') return current[i] ?? ctx.history.lastRevision(id);
        if (revision) return current[i]?._rev === revision ? current[i] : ctx.history.atRevision(id, revision);
        if (time) return ctx.history.atTime(id, time) ?? current[i];
        return current[i];
      })
      .filter((d): d is SanityDocument => d !== null && d !== undefined);
    return c.json({ documents });
  });
}
