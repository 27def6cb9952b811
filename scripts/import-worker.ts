// The worker thread `newsdesk import` runs a local dataset's import in (scripts/import.ts,
// runInWorker): the same runImport, its outcome or its error posted back to be printed.
import { parentPort, workerData } from 'node:worker_threads';
import { isNewsdeskError } from '../core/errors.ts';
import type { ImportWorkerReply } from './import.ts';
import { runImport, type ImportJob } from './import-run.ts';

let reply: ImportWorkerReply;
try {
  reply = { ok: true, outcome: await runImport(workerData as ImportJob) };
} catch (error) {
  const e = error as Error;
  reply = { ok: false, error: { code: isNewsdeskError(error) ? error.code : undefined, message: e?.message ?? String(error), hint: isNewsdeskError(error) ? error.hint : undefined, stack: e?.stack } };
}
parentPort!.postMessage(reply);
