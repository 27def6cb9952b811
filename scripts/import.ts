// `newsdesk import`: back-issues in Markdown become issues (drafts unless --publish),
// their links join the link library, and a structural fidelity check refuses any
// conversion that would lose text, links, headings, list items, quotes or asides.
// One file prints its full summary; several files, a folder or a glob print a table.
// Into a local dataset the import runs in a worker thread with a capped heap (runInWorker).
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseDate } from '../content/import-markdown/dates.ts';
import { isHttpUrl } from '../content/rules.ts';
import { errorCodes, NewsdeskError, type ErrorCode } from '../core/errors.ts';
import { workerEnv } from '../core/worker-env.ts';
import { type Command, parseOptions, positiveInt } from './cli.ts';
import type { ImportJob, ImportOutcome } from './import-run.ts';

const markdownExtensions = /\.(md|mdx|markdown|mdown|mkd|txt)$/i;

export const importCommand: Command = {
  name: 'import',
  summary: 'import back-issues written in Markdown (one file, a folder or a glob) as issues',
  usage: 'import <file.md|folder|glob>... [--number N] [--date YYYY-MM-DD] [--renumber] [--base-url URL] [--publish] [--replace] [--strict] [--dry-run] [--verbose]',
  options: [
    ['--number <N>', 'one file: its issue number (default: metadata `number:`, the title "#12", "No. 12", "Issue 12", "第 12 期", "12 期", or the file name "issue-12.md")'],
    ['--date <YYYY-MM-DD>', 'the date of files that have none (metadata, a date line near the title, a 2026-03-14-… file name or a 2026/03/14/ folder); without it, files in a git repository take the day they were first committed'],
    ['--renumber', 'number the files by date, after the highest issue number already stored (automatic when an archive\'s numbers are missing or repeat)'],
    ['--base-url <URL>', 'resolve relative links ("/2024/05/post") against the site the archive was written for'],
    ['--publish', 'store them published (default: drafts; `draft: true` metadata stays a draft)'],
    ['--replace', 'overwrite existing issues with the same numbers (the untouched shipped sample gives way without it)'],
    ['--strict', 'refuse a file whenever the import would lose or change something (a warning); notes that change nothing pass: a picture kept at its address or copied, a missing alt text, a malformed address kept as written'],
    ['--dry-run', 'convert and check everything, print the report, write nothing'],
    ['--verbose', 'an archive: list every warning with its file and line'],
  ],
  examples: [
    'newsdesk import back-issues/12.md --dry-run',
    'newsdesk import back-issues/12.md --number 12 --publish --replace',
    'newsdesk import back-issues/ --publish',
    'newsdesk import "content/*.md" --renumber --dry-run --verbose',
  ],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, {
      number: { type: 'string' },
      date: { type: 'string' },
      renumber: { type: 'boolean' },
      'base-url': { type: 'string' },
      publish: { type: 'boolean' },
      replace: { type: 'boolean' },
      strict: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      verbose: { type: 'boolean' },
    });
    if (positionals.length === 0) throw new NewsdeskError('USAGE', 'import needs a Markdown file, a folder or a glob', { hint: 'newsdesk import back-issue.md --dry-run' });
    const number = values.number === undefined ? undefined : positiveInt('--number', values.number);
    const date = values.date === undefined ? undefined : (parseDate(values.date) ?? usage(`--date "${values.date}" is not a date`, 'Write it as 2026-03-14.'));
    const baseUrl = values['base-url'];
    if (baseUrl !== undefined && !isHttpUrl(baseUrl)) usage(`--base-url "${baseUrl}" is not an http(s) address`, 'Write it as https://news.example.org/.');

    const files = await expandPaths(positionals, ctx.cwd);
    if (files.length === 0) usage(`no Markdown files (.md, .mdx, .markdown) in ${positionals.join(', ')}`, 'Give the folder that holds the back-issues, or a glob such as "posts/*.md".');
    if (number !== undefined && files.length > 1) usage(`--number applies to one file, and ${files.length} were given`, 'Use --renumber for an archive.');
    if (number !== undefined && values.renumber) usage('--number and --renumber cannot be used together', 'Pick one.');
    const job: ImportJob = {
      files,
      cwd: ctx.cwd,
      content: ctx.config().content,
      number,
      date,
      baseUrl,
      publish: values.publish,
      replace: values.replace,
      strict: values.strict,
      dryRun: values['dry-run'],
      renumber: values.renumber,
      verbose: values.verbose,
    };
    // The converter and the store load in the worker (or, for Sanity, here), not before.
    const outcome = job.content.kind === 'local' ? await runInWorker(job) : await (await import('./import-run.ts')).runImport(job);
    for (const line of outcome.lines) ctx.out(line);
    return outcome.code;
  },
};

const workerEntry = new URL('./import-worker.ts', import.meta.url);
const workerExecArgv = workerEntry.pathname.endsWith('.ts') ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];

/**
 * Runs the import in a worker thread with a capped heap. Converting an archive makes a lot
 * of short-lived garbage, and left alone V8 lets the heap grow to several times what is
 * alive before it collects (over a gigabyte for 1,000 real-size issues); what is alive is a
 * batch of issues and the archive's keys (link addresses, ids), so a capped heap collects
 * sooner at little cost in time.
 */
function runInWorker(job: ImportJob): Promise<ImportOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerEntry, { execArgv: workerExecArgv, workerData: job, env: workerEnv(), resourceLimits: { maxOldGenerationSizeMb: importHeapMb, maxYoungGenerationSizeMb: 32 } });
    worker.once('message', (reply: ImportWorkerReply) => (reply.ok ? resolve(reply.outcome) : reject(toError(reply.error))));
    worker.once('error', (error: Error & { code?: string }) =>
      reject(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new NewsdeskError('IMPORT_FAILED', `the import ran out of memory (its heap is capped at ${importHeapMb} MB)`, { hint: 'What was written before stays stored; import the rest of the archive in parts (a folder or a glob at a time).', cause: error })
          : error,
      ),
    );
    worker.once('exit', (code) => reject(new Error(`the import worker stopped with code ${code} before it answered`)));
  });
}

/**
 * The import worker's heap (old generation): twice what 1,000 real-size issues keep alive,
 * and with the young generation (32 MB: 16 MB costs a fifth to a half more CPU in
 * collections) and the loaded code, below the 500 MB target.
 */
const importHeapMb = 320;

export type ImportWorkerReply = { ok: true; outcome: ImportOutcome } | { ok: false; error: { code: string | undefined; message: string; hint: string | undefined; stack: string | undefined } };

function toError(e: { code: string | undefined; message: string; hint: string | undefined; stack: string | undefined }): Error {
  if (e.code && e.code in errorCodes) return new NewsdeskError(e.code as ErrorCode, e.message, { hint: e.hint });
  const error = new Error(e.message);
  if (e.stack) error.stack = e.stack;
  return error;
}

/** Files, folders (every Markdown file under them) and globs, in natural order, each once. */
export async function expandPaths(patterns: string[], cwd: string): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    const absolute = path.resolve(cwd, pattern);
    const stat = await fs.stat(absolute).catch(() => undefined);
    if (stat?.isFile()) found.add(absolute);
    else if (stat?.isDirectory()) {
      for (const entry of await fs.readdir(absolute, { recursive: true, withFileTypes: true })) {
        if (entry.isFile() && markdownExtensions.test(entry.name)) found.add(path.join(entry.parentPath, entry.name));
      }
    } else {
      const matches: string[] = [];
      for await (const match of fs.glob(pattern, { cwd })) matches.push(path.resolve(cwd, match));
      if (matches.length === 0 && /^https?:\/\//i.test(pattern)) {
        usage(`${pattern}: import reads files and folders on this machine, not web addresses`, 'Download the archive first (for a git repository, `git clone` it), then import the folder.');
      }
      if (matches.length === 0) usage(`${pattern}: no such file, folder or matching files`, 'Check the path; quote a glob so the shell does not expand it.');
      for (const m of matches) found.add(m);
    }
  }
  return [...found].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

function usage(message: string, hint: string): never {
  throw new NewsdeskError('USAGE', message, { hint });
}
