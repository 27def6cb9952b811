// The work of `newsdesk import` once its arguments are read (scripts/import.ts): convert,
// check and write the files, fold the journal in, and the lines to print. A local dataset's
// import runs it in a worker thread (scripts/import-worker.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import { decodeUtf8, importIssues, readSample, type ImportInput } from '../content/import-markdown/import-issue.ts';
import { formatArchiveReport, formatIssueSummary } from '../content/import-markdown/report.ts';
import { datesFromGitHistory } from '../content/import-markdown/git-dates.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { openContentStore } from '../content/open-store.ts';
import type { ContentConfig } from '../core/config.ts';
import { NewsdeskError } from '../core/errors.ts';

/** What the import is asked to do, as it is handed to the worker. */
export interface ImportJob {
  files: string[];
  cwd: string;
  content: ContentConfig;
  number: number | undefined;
  date: string | undefined;
  baseUrl: string | undefined;
  publish: boolean | undefined;
  replace: boolean | undefined;
  strict: boolean | undefined;
  dryRun: boolean | undefined;
  renumber: boolean | undefined;
  verbose: boolean | undefined;
}

/** The lines to print and the exit code. */
export interface ImportOutcome {
  lines: string[];
  code: number;
}

/** Imports the files and says how it went; throws the error of a single file that was refused. */
export async function runImport(job: ImportJob): Promise<ImportOutcome> {
  const { content, cwd } = job;
  // Each file is read when the import comes to it: an archive's text is never held whole.
  const inputs: ImportInput[] = job.files.map((file) => ({ file: path.relative(cwd, file) || file, source: () => readText(file, cwd), number: job.number, dir: path.dirname(path.resolve(cwd, file)), path: path.resolve(cwd, file) }));
  const started = performance.now();
  // A local dataset folds its journal into the dataset file once, after the archive is
  // written, instead of again and again as an archive many times the dataset's size grows
  // it (each fold rewrites the whole file). The store is lean: what it has written stays in
  // memory only as ids, and the fold streams the files, so memory is a batch's.
  const store = content.kind === 'local' ? new GroqJsStore({ datasetPath: content.datasetPath, seedFrom: content.samplePath, compaction: { ratio: Infinity }, lean: true }) : openContentStore(content);
  const report = await importIssues(store, inputs, {
    sample: content.kind === 'local' ? await readSample(content.samplePath) : undefined,
    publish: job.publish,
    replace: job.replace,
    strict: job.strict,
    dryRun: job.dryRun,
    renumber: job.renumber,
    date: job.date,
    baseUrl: job.baseUrl,
    now: () => new Date(),
    historyDates: datesFromGitHistory,
  });
  if (report.written && store instanceof GroqJsStore) await compactIfGrown(store);
  const single = report.results.length === 1 ? report.results[0]! : undefined;
  if (single && !single.ok) throw single.error;
  const lines = single?.ok ? formatIssueSummary(single.summary) : formatArchiveReport(report.results, { verbose: job.verbose, seconds: (performance.now() - started) / 1000 });
  if (report.notes.length) lines.push('');
  lines.push(...report.notes);
  lines.push(report.written ? `\nStored in ${store.description}.` : job.dryRun ? '\nDry run: nothing was written.' : '\nNothing was written.');
  return { lines, code: report.results.every((r) => r.ok) ? 0 : 1 };
}

/** Folds the journal in when it has outgrown the store's own rule (a quarter of the dataset, and over 1 MiB). */
async function compactIfGrown(store: GroqJsStore): Promise<void> {
  const [dataset, journal] = await Promise.all([fs.stat(store.datasetPath), fs.stat(store.journalPath).catch(() => undefined)]);
  if (journal && journal.size > Math.max(1 << 20, dataset.size / 4)) await store.compact();
}

async function readText(file: string, cwd: string): Promise<string> {
  const bytes = await fs.readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new NewsdeskError('IMPORT_FAILED', `${path.relative(cwd, file)}: cannot read it (${error.code ?? error.message})`, { hint: 'Check the path and its permissions.' });
  });
  return decodeUtf8(bytes, path.relative(cwd, file));
}
