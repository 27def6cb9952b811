// Renders issues across worker threads, one job in flight per worker, and writes their
// cache entries from the workers. Workers load TypeScript through tsx (registered with
// --import), resolved from this package so it works from any working directory.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { NewsdeskError, type ErrorCode, errorCodes } from '../core/errors.ts';
import type { EntryMeta } from './cache.ts';
import type { IssueJob } from './render-issue.ts';

export type WorkerRequest = { type: 'render'; job: IssueJob } | { type: 'exit' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; key: string; meta: EntryMeta }
  | { type: 'failed'; key: string; error: { code: string | undefined; message: string; hint: string | undefined; stack: string | undefined } }
  | { type: 'exited'; maxRssKb: number };

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface PoolResult {
  metas: Map<string, EntryMeta>;
}

/**
 * Runs every job; resolves when all are done, rejects with the first failure (after
 * stopping the workers, so a failed build does not leave threads rendering).
 */
export async function renderInWorkers(
  jobs: IssueJob[],
  options: { threads: number; cacheDir: string; onDone: (job: IssueJob, meta: EntryMeta) => void; signal?: AbortSignal | undefined },
): Promise<PoolResult> {
  const metas = new Map<string, EntryMeta>();
  const queue = [...jobs];
  const byKey = new Map(jobs.map((j) => [j.key, j]));
  const workers: Worker[] = [];
  let failure: unknown;

  const runWorker = (worker: Worker) =>
    new Promise<void>((resolve) => {
      const next = () => {
        const job = failure === undefined && !options.signal?.aborted ? queue.shift() : undefined;
        worker.postMessage(job ? ({ type: 'render', job } satisfies WorkerRequest) : ({ type: 'exit' } satisfies WorkerRequest));
      };
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'ready') next();
        else if (reply.type === 'done') {
          metas.set(reply.key, reply.meta);
          options.onDone(byKey.get(reply.key)!, reply.meta);
          next();
        } else if (reply.type === 'failed') {
          failure ??= toError(reply.error);
          next();
        } else if (reply.type === 'exited') resolve();
      });
      worker.on('error', (error) => {
        failure ??= new NewsdeskError('BUILD_FAILED', `A build worker crashed: ${error.message}`, { cause: error });
        resolve();
      });
      worker.on('exit', () => resolve());
    });

  const count = Math.max(1, Math.min(options.threads, jobs.length));
  const runs: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), {
      execArgv: ['--import', tsxLoader],
      workerData: { cacheDir: options.cacheDir },
    });
    workers.push(worker);
    runs.push(runWorker(worker));
  }
  try {
    await Promise.all(runs);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (failure !== undefined) throw failure;
  if (options.signal?.aborted) throw new NewsdeskError('BUILD_FAILED', 'The build was interrupted', { hint: 'The previous output is untouched; run the build again.' });
  return { metas };
}

function toError(e: { code: string | undefined; message: string; hint: string | undefined; stack: string | undefined }): Error {
  if (e.code && e.code in errorCodes) return new NewsdeskError(e.code as ErrorCode, e.message, { hint: e.hint });
  const error = new Error(e.message);
  if (e.stack) error.stack = e.stack;
  return error;
}
