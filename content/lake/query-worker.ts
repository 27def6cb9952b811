// A query worker thread of the local Content Lake: it keeps its own copy of the dataset,
// kept current by the changes the main thread forwards from the store, and evaluates the
// Studio's GROQ queries (text::query() search included) on it, so a heavy query costs
// this thread, never the lake's event loop. The main thread stops it when a query runs
// past its budget (query-pool.ts). Results cross back as JSON text, ready to send.
// It imports only groq-js, the search rewrite, the store's query narrowing and the perspective views (no store, no
// error classes): a worker that loads in a few hundred milliseconds is back quickly after
// one was stopped.
import { parentPort, workerData } from 'node:worker_threads';
import { evaluate, evaluateSync, parse } from 'groq-js';
import type { Perspective, SanityDocument } from '../store.ts';
import type { QueryWorkerReply, QueryWorkerRequest } from './query-pool.ts';
import { documentWords, fieldWords, rewriteTextQuery, studioSearchFields } from './search.ts';
import { narrowQuery } from '../groq-narrow.ts';
import { buildView } from '../perspective-view.ts';

const port = parentPort;
if (!port) throw new Error('content/lake/query-worker.ts is a worker thread entry, not a module to import');
const { description } = workerData as { description: string };

const documents = new Map<string, SanityDocument>();
let views = new Map<Perspective, { dataset: SanityDocument[]; byId: Map<string, SanityDocument> }>();

function viewOf(perspective: Perspective): { dataset: SanityDocument[]; byId: Map<string, SanityDocument> } {
  let view = views.get(perspective);
  if (!view) {
    const dataset = buildView([...documents.values()], perspective);
    view = { dataset, byId: new Map(dataset.map((d) => [d._id, d] as const)) };
    views.set(perspective, view);
  }
  return view;
}

/** A query error as the store words it; the main thread makes it a NewsdeskError. */
class QueryFailed {
  readonly code = 'QUERY_FAILED';
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

async function runQuery(request: Extract<QueryWorkerRequest, { type: 'query' }>): Promise<string | undefined> {
  const { dataset, byId } = viewOf(request.perspective);
  const search = rewriteTextQuery(request.query, request.params, () => dataset);
  let tree;
  try {
    tree = parse(search.query, { params: search.params });
  } catch (error) {
    throw new QueryFailed(`GROQ query could not be parsed: ${(error as Error).message}`);
  }
  const evaluation = {
    dataset,
    // As the store does (content/groq-narrow.ts): each `*` filtered to one type reads only that type's documents, and path("….**") is a prefix test.
    params: narrowQuery(tree, dataset, search.params),
    dereference: ({ _ref }: { _ref: string }) => byId.get(_ref) ?? null,
    ...(request.identity ? { identity: request.identity } : {}),
  };
  try {
    // As the store does: the synchronous evaluator is 2-3× faster; diff:: and delta:: exist only in the async one.
    try {
      return JSON.stringify(evaluateSync(tree, evaluation).data);
    } catch (error) {
      if (!(error instanceof Error && /not supported|synchronous mode/.test(error.message))) throw error;
    }
    const result = await evaluate(tree, evaluation);
    return JSON.stringify(await result.get());
  } catch (error) {
    throw new QueryFailed(`GROQ query failed on ${description}: ${(error as Error).message}`);
  }
}

/**
 * Every document's words for text::query() (search.ts documentWords), and those of the
 * fields the Studio's searches boost (studioSearchFields), made once the worker
 * has loaded them, a slice at a time: a query that comes meanwhile is answered between two;
 * documents added meanwhile are read too, those already read skipped. The first search
 * paid for them otherwise (over 1,000 issues and 80,000 links, most of a second on a quiet
 * machine, two and more on a busy one, and past two seconds the Studio's list showed
 * "Trying to connect…").
 */
async function warm(): Promise<void> {
  let n = 0;
  for (const doc of documents.values()) {
    documentWords(doc);
    for (const field of studioSearchFields) fieldWords(doc, field);
    if (++n % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  port!.postMessage({ type: 'warmed', documents: n } satisfies QueryWorkerReply);
}

port.on('message', async (request: QueryWorkerRequest) => {
  if (request.type === 'load') {
    if (request.first) documents.clear();
    for (const doc of request.documents) documents.set(doc._id, doc);
    views = new Map();
    return;
  }
  if (request.type === 'warm') {
    // Sent after every document and change held meanwhile: the pool may hand this worker queries now.
    port.postMessage({ type: 'loaded' } satisfies QueryWorkerReply);
    void warm();
    return;
  }
  if (request.type === 'apply') {
    for (const { id, after } of request.changes) {
      if (after) documents.set(id, after);
      else documents.delete(id);
    }
    views = new Map();
    return;
  }
  try {
    const json = await runQuery(request);
    port.postMessage({ type: 'result', key: request.key, json } satisfies QueryWorkerReply);
  } catch (error) {
    const e = error as { code?: unknown; message?: string; hint?: string };
    port.postMessage({
      type: 'failed',
      key: request.key,
      error: { code: typeof e.code === 'string' ? e.code : undefined, message: e.message ?? String(error), hint: e.hint },
    } satisfies QueryWorkerReply);
  }
});
