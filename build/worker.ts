// A build worker thread: projects the issues it is handed from their lines in the dataset
// file (or takes them projected), parses them with the read model, renders them and
// writes their cache entries itself, so only a little metadata crosses back to the main
// thread. Imports only what rendering needs.
import { parentPort, workerData } from 'node:worker_threads';
import { BuildCache } from './cache.ts';
import { renderIssueArtifacts } from './render-issue.ts';
import { withLocalMedia } from '../content/media.ts';
import { parseProjectedIssue, projectIssueFromLines } from './sources.ts';
import type { WorkerReply, WorkerRequest } from './worker-pool.ts';

const port = parentPort;
if (!port) throw new Error('build/worker.ts is a worker thread entry, not a module to import');
const cache = new BuildCache((workerData as { cacheDir: string }).cacheDir);
const decoder = new TextDecoder();
// The buffer an issue's lines are read into, grown as needed and kept.
const scratch = { bytes: Buffer.alloc(0) };

const render = async ({ request }: WorkerRequest): Promise<void> => {
  try {
    const projected = request.lines ? projectIssueFromLines(request.lines, scratch) : JSON.parse(decoder.decode(request.issue));
    const issue = withLocalMedia(parseProjectedIssue(projected, request.listing), request.mediaBase);
    const artifacts = await renderIssueArtifacts({ issue, neighbours: request.neighbours, ctx: request.ctx, key: request.key, layouts: request.layouts });
    const meta = cache.writeSync(request.key, issue.number, artifacts);
    // The search document goes back with the reply when asked: the main thread reads it at
    // once (search-index.ts readSearchShare), and reading the file back cost it 0.5 s a build.
    // A build alone in its process reads it back after the render (build-site.ts), and 66 MB
    // of copies for 1,000 issues would only be garbage there.
    port.postMessage({ type: 'done', key: request.key, meta, search: request.withSearch ? artifacts.search : undefined } satisfies WorkerReply);
  } catch (error) {
    const e = error as { code?: string; message?: string; hint?: string; stack?: string };
    port.postMessage({
      type: 'failed',
      key: request.key,
      error: { code: typeof e.code === 'string' ? e.code : undefined, message: e.message ?? String(error), hint: e.hint, stack: e.stack },
    } satisfies WorkerReply);
  }
};

// One job at a time: the pool hands each worker several (worker-pool.ts inFlightPerWorker),
// and a job that awaits would otherwise let the next start, holding two issues' renders at once.
let previous: Promise<void> = Promise.resolve();
port.on('message', (message: WorkerRequest) => {
  previous = previous.then(() => render(message));
});
port.postMessage({ type: 'ready' } satisfies WorkerReply);
