// `newsdesk import`: back-issues in Markdown become issues (drafts unless --publish),
// their links join the link library, and a structural fidelity check refuses any
// conversion that would lose text, links, headings, list items, quotes or asides.
// One file prints its full summary; several files, a folder or a glob print a table.
import fs from 'node:fs/promises';
import path from 'node:path';
import { decodeUtf8, importIssues, readSample, type ImportInput } from '../content/import-markdown/import-issue.ts';
import { formatArchiveReport, formatIssueSummary } from '../content/import-markdown/report.ts';
import { parseDate } from '../content/import-markdown/dates.ts';
import { datesFromGitHistory } from '../content/import-markdown/git-dates.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { openContentStore } from '../content/open-store.ts';
import { isHttpUrl } from '../content/rules.ts';
import { NewsdeskError } from '../core/errors.ts';
import { type Command, parseOptions, positiveInt } from './cli.ts';

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
    const inputs: ImportInput[] = [];
    for (const file of files) inputs.push({ file: path.relative(ctx.cwd, file) || file, source: await readText(file, ctx.cwd), number, dir: path.dirname(path.resolve(ctx.cwd, file)), path: path.resolve(ctx.cwd, file) });

    const started = performance.now();
    const content = ctx.config().content;
    // A local dataset folds its journal into the dataset file once, after the archive is
    // written, instead of again and again as an archive many times the dataset's size grows
    // it (each fold rewrites the whole file).
    const store = content.kind === 'local' ? new GroqJsStore({ datasetPath: content.datasetPath, seedFrom: content.samplePath, compaction: { ratio: Infinity } }) : openContentStore(content);
    const report = await importIssues(store, inputs, {
      sample: content.kind === 'local' ? await readSample(content.samplePath) : undefined,
      publish: values.publish,
      replace: values.replace,
      strict: values.strict,
      dryRun: values['dry-run'],
      renumber: values.renumber,
      date,
      baseUrl,
      now: () => new Date(),
      historyDates: datesFromGitHistory,
    });
    if (report.written && store instanceof GroqJsStore) await compactIfGrown(store);
    const single = report.results.length === 1 ? report.results[0]! : undefined;
    if (single && !single.ok) throw single.error;
    const lines = single?.ok ? formatIssueSummary(single.summary) : formatArchiveReport(report.results, { verbose: values.verbose, seconds: (performance.now() - started) / 1000 });
    for (const line of lines) ctx.out(line);
    if (report.notes.length) ctx.out('');
    for (const note of report.notes) ctx.out(note);
    ctx.out(report.written ? `\nStored in ${store.description}.` : values['dry-run'] ? '\nDry run: nothing was written.' : '\nNothing was written.');
    return report.results.every((r) => r.ok) ? 0 : 1;
  },
};

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
      if (matches.length === 0) usage(`${pattern}: no such file, folder or matching files`, 'Check the path; quote a glob so the shell does not expand it.');
      for (const m of matches) found.add(m);
    }
  }
  return [...found].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
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

function usage(message: string, hint: string): never {
  throw new NewsdeskError('USAGE', message, { hint });
}
