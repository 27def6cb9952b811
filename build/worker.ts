// A build worker thread: renders the issues it is handed and writes their cache entries
// itself, so only a little metadata crosses back to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { BuildCache } from './cache.ts';
import { renderIssueArtifacts, type IssueJob } from './render-issue.ts';
import type { WorkerReply, WorkerRequest } from './worker-pool.ts';

const port = parentPort;
if (!port) throw new Error('build/worker.ts is a worker thread entry, not a module to import');
const cache = new BuildCache((workerData as { cacheDir: string }).cacheDir);

port.on('message', async (request: WorkerRequest) => {
  if (request.type === 'exit') {
    port.postMessage({ type: 'exited', maxRssKb: process.resourceUsage().maxRSS } satisfies WorkerReply);
    port.close();
    return;
  }
  const job: IssueJob = request.job;
  try {
    const artifacts = await renderIssueArtifacts(job);
    const meta = await cache.write(job.key, job.issue.number, artifacts);
    port.postMessage({ type: 'done', key: job.key, meta } satisfies WorkerReply);
  } catch (error) {
    const e = error as { code?: string; message?: string; hint?: string; stack?: string };
    port.postMessage({
      type: 'failed',
      key: job.key,
      error: { code: typeof e.code === 'string' ? e.code : undefined, message: e.message ?? String(error), hint: e.hint, stack: e.stack },
    } satisfies WorkerReply);
  }
});
port.postMessage({ type: 'ready' } satisfies WorkerReply);
