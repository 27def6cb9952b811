// data/history: the transactions that touched documents (NDJSON, with whole-document
// effects the Studio's timeline replays) and documents as they were at a revision or a
// time, for "Review changes" and "Restore". A listing of many whole documents is
// serialised and sent a part at a time, so a long one never holds the event loop.
import type { Hono } from 'hono';
import type { SanityDocument } from '../../store.ts';
import type { LakeContext } from '../lake.ts';
import { userIdOf } from '../users.ts';

/** How long serialising one part of a listing may hold the event loop. */
const sliceMs = 8;
const partChars = 1 << 18;

export function mountHistoryRoutes(app: Hono, ctx: LakeContext): void {
  app.get('/data/history/:dataset/transactions/:ids', async (c) => {
    ctx.requireDataset(c.req.param('dataset'));
    const ids = decodeURIComponent(c.req.param('ids')).split(',').filter(Boolean);
    const q = (name: string) => c.req.query(name);
    const limit = Math.min(Math.max(Number(q('limit') ?? 100) || 100, 1), 1000);
    const transactions = await ctx.history.transactions(ids, {
      reverse: q('reverse') === 'true',
      limit,
      fromTransaction: q('fromTransaction'),
      toTransaction: q('toTransaction'),
      onlyIdentified: q('includeIdentifiedDocumentsOnly') === 'true',
    });
    // Streamed a part at a time: a long listing of whole documents is megabytes of text.
    const encoder = new TextEncoder();
    let next = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // Each part in a turn of its own: the server's drain handler asks for parts until the
        // socket is full, and without this its promise chain would serialise several in one turn.
        await new Promise((resolve) => setImmediate(resolve));
        if (next >= transactions.length) return controller.close();
        let part = '';
        const started = performance.now();
        while (next < transactions.length && part.length < partChars && performance.now() - started < sliceMs) {
          const t = transactions[next++]!;
          part += `${JSON.stringify({ ...t, author: userIdOf(t.author) })}\n`;
        }
        controller.enqueue(encoder.encode(part));
      },
    });
    return c.body(body, 200, { 'content-type': 'application/x-ndjson' });
  });

  app.get('/data/history/:dataset/events/documents/:id', async (c) => {
    ctx.requireDataset(c.req.param('dataset'));
    const id = decodeURIComponent(c.req.param('id'));
    const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 100) || 100, 1), 1000);
    const all = await ctx.history.events(id);
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
    const documents: SanityDocument[] = [];
    for (const [i, id] of ids.entries()) {
      let doc: SanityDocument | null | undefined;
      if (c.req.query('lastRevision') === 'true') doc = current[i] ?? (await ctx.history.lastRevision(id));
      else if (revision) doc = current[i]?._rev === revision ? current[i] : await ctx.history.atRevision(id, revision);
      else if (time) doc = (await ctx.history.atTime(id, time)) ?? current[i];
      else doc = current[i];
      if (doc !== null && doc !== undefined) documents.push(doc);
    }
    return c.json({ documents });
  });
}
