// data/query, data/doc, data/mutate and data/actions: queries through groq-js with Sanity's
// perspectives in the query workers (query-pool.ts), writes through the local store as one
// transaction each.
import type { Hono } from 'hono';
import { NewsdeskError } from '../../../core/errors.ts';
import { applyMutations, mutationTarget } from '../../mutations.ts';
import type { Mutation, SanityDocument } from '../../store.ts';
import { planActions, type Action } from '../actions.ts';
import type { LakeContext } from '../lake.ts';
import { actionsBody, LakeError, mutateBody, paramsFromSearch, perspectiveOf, queryBody, readLakeJson } from '../protocol.ts';
import { editorId } from '../users.ts';

export function mountDataRoutes(app: Hono, ctx: LakeContext): void {
  /** The answer as JSON text: the result comes from the query worker already serialised. */
  const runQuery = async (dataset: string, url: URLSearchParams, body: { query?: string; params?: Record<string, unknown>; perspective?: string | string[] }): Promise<string> => {
    ctx.requireDataset(dataset);
    const query = body.query ?? url.get('query') ?? '';
    if (query === '') throw new LakeError(400, 'queryParseError', 'The query is empty.');
    const params = { ...paramsFromSearch(url), ...(body.params ?? {}) };
    const perspective = perspectiveOf(url.get('perspective') ?? body.perspective);
    const started = performance.now();
    const result = await ctx.queries.query({ query, params, perspective, identity: editorId });
    const parts = [...(result === undefined ? [] : [`"result":${result}`]), `"ms":${Math.round(performance.now() - started)}`];
    if (url.get('returnQuery') !== 'false') parts.push(`"query":${JSON.stringify(query)}`);
    return `{${parts.join(',')}}`;
  };
  app.get('/data/query/:dataset', async (c) => {
    const search = new URL(c.req.url).searchParams;
    return c.body(await runQuery(c.req.param('dataset'), search, {}), 200, { 'content-type': 'application/json' });
  });
  app.post('/data/query/:dataset', async (c) => {
    const search = new URL(c.req.url).searchParams;
    return c.body(await runQuery(c.req.param('dataset'), search, queryBody.parse(await readLakeJson(c.req.raw))), 200, { 'content-type': 'application/json' });
  });

  app.get('/data/doc/:dataset/:ids', async (c) => {
    ctx.requireDataset(c.req.param('dataset'));
    const ids = decodeURIComponent(c.req.param('ids')).split(',').filter(Boolean);
    const found = await ctx.store.getDocuments(ids);
    return c.json({
      documents: found.filter((d): d is SanityDocument => d !== undefined),
      omitted: ids.filter((_, i) => found[i] === undefined).map((id) => ({ id, reason: 'existence' })),
    });
  });

  app.post('/data/mutate/:dataset', async (c) => {
    ctx.requireDataset(c.req.param('dataset'));
    const search = new URL(c.req.url).searchParams;
    const body = mutateBody.parse(await readLakeJson(c.req.raw));
    const mutations = body.mutations as Mutation[];
    for (const [i, m] of mutations.entries()) {
      if ('patch' in m && typeof (m.patch as { query?: unknown }).query === 'string') {
        throw new LakeError(400, 'validationError', `mutation ${i + 1}: patches by query are not supported by the local Content Lake; patch by id.`);
      }
    }
    const transactionId = body.transactionId ?? search.get('transactionId') ?? undefined;
    const returnDocuments = search.get('returnDocuments') === 'true';
    if (search.get('dryRun') === 'true') {
      const ids = mutations.map(mutationTarget).filter((id): id is string => id !== undefined);
      const current = (await ctx.store.getDocuments(ids)).filter((d): d is SanityDocument => d !== undefined);
      const { results, changes } = applyMutations(current, mutations, { now: ctx.now().toISOString(), transactionId: transactionId ?? 'dry-run' });
      return c.json({ transactionId: transactionId ?? 'dry-run', results: withDocuments(results, changes, returnDocuments) });
    }
    const { transactionId: id, results, changes } = await ctx.store.mutate(mutations, { transactionId, author: editorId });
    return c.json({ transactionId: id, results: withDocuments(results, changes, returnDocuments) });
  });

  app.post('/data/actions/:dataset', async (c) => {
    ctx.requireDataset(c.req.param('dataset'));
    const body = actionsBody.parse(await readLakeJson(c.req.raw));
    const actions = body.actions as Action[];
    if (body.dryRun) {
      const ids = actions.flatMap((a) => [a.draftId, a.publishedId, (a.attributes as { _id?: string } | undefined)?._id]).filter((x): x is string => typeof x === 'string');
      const found = await ctx.store.getDocuments(ids);
      const byId = new Map(found.filter((d): d is SanityDocument => d !== undefined).map((d) => [d._id, d]));
      planActions(actions, (id) => byId.get(id), ctx.now().toISOString());
      return c.json({ transactionId: body.transactionId ?? 'dry-run' });
    }
    try {
      const { transactionId } = await ctx.store.transact((lookup, now) => planActions(actions, lookup, now), { transactionId: body.transactionId, author: editorId });
      return c.json({ transactionId });
    } catch (error) {
      // A transaction id seen twice is a retry of a request that already went through.
      if (error instanceof NewsdeskError && error.code === 'MUTATION_CONFLICT' && body.transactionId && ctx.history.has(body.transactionId)) {
        return c.json({ transactionId: body.transactionId });
      }
      throw error;
    }
  });
}

function withDocuments(
  results: Array<{ id: string; operation: string }>,
  changes: Array<{ id: string; after: SanityDocument | null }>,
  returnDocuments: boolean,
) {
  if (!returnDocuments) return results;
  const after = new Map(changes.map((c) => [c.id, c.after]));
  return results.map((r) => ({ ...r, document: after.get(r.id) ?? undefined }));
}
