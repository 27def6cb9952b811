// The `newsdesk` CLI entry: it only wires commands (one file each), prints errors and
// chooses the exit code. Commands never exit the process themselves.
import { readFile } from 'node:fs/promises';
import { isNewsdeskError } from '../core/errors.ts';
import type { Command } from './cli.ts';

/**
 * A command as the entry knows it before running it: `--help`, `--version` and
 * suggestions need only names and summaries, so a command's module (and the MJML, React,
 * SDK or mail client behind it) is loaded only when that command runs or shows its help.
 * The summary repeats the module's own (tests/cli-startup.integration.test.ts keeps them equal).
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  { name: 'issues', summary: 'list issues with number, title, date, status, section and link counts', load: async () => (await import('./issues.ts')).issuesCommand },
  { name: 'check', summary: 'validate the whole content store and report every problem at once', load: async () => (await import('./check.ts')).checkCommand },
  {
    name: 'build',
    summary: 'render published issues to the web site, feeds and emails in the output folder',
    // Before React loads: its production build renders the same markup (the build's workers
    // use it, and tests compare their output with the main thread's) at a third of the cost,
    // and this thread renders the archive, the tag pages and a rebuild's few issues.
    load: async () => {
      process.env.NODE_ENV ??= 'production';
      return (await import('./build.ts')).buildCommand;
    },
  },
  { name: 'subscribers', summary: 'add, import, export, list, remove subscribers; their history; counts and bounce/complaint rates', load: async () => (await import('./subscribers.ts')).subscribersCommand },
  { name: 'send', summary: 'send an issue to every active subscriber (shows the plan unless --yes)', load: async () => (await import('./send.ts')).sendCommand },
  { name: 'schedule', summary: "schedule an issue's send for a time, list scheduled sends, cancel one", load: async () => (await import('./schedule.ts')).scheduleCommand },
  { name: 'sends', summary: "list sends with their counts; one issue's delivered, bounced (hard/soft), complained, failed and unknown", load: async () => (await import('./sends.ts')).sendsCommand },
  { name: 'bounces', summary: 'process bounces and complaints from a mailbox; list what was kept aside', load: async () => (await import('./bounces.ts')).bouncesCommand },
  { name: 'db', summary: 'run a local PostgreSQL for the delivery database; show the database in use, its schema version and rows; copy SQLite into PostgreSQL', load: async () => (await import('./db.ts')).dbCommand },
  { name: 'serve', summary: 'serve the site with sign-up, confirm, unsubscribe, webhook rebuilds, Studio previews and scheduled sends', load: async () => (await import('./serve.ts')).serveCommand },
  { name: 'studio', summary: 'write issues in Sanity Studio on the local dataset: no account, no network', load: async () => (await import('./studio.ts')).studioCommand },
  { name: 'capture', summary: 'capture a link (or a file of links / a bookmarks export) into the link inbox', load: async () => (await import('./capture.ts')).captureCommand },
  { name: 'links', summary: 'list captured links; set their status; retry offline captures; check published links for rot; print the bookmarklet', load: async () => (await import('./links.ts')).linksCommand },
  { name: 'import', summary: 'import back-issues written in Markdown (one file, a folder or a glob) as issues', load: async () => (await import('./import.ts')).importCommand },
  { name: 'export', summary: 'write every document of the local dataset (latest edits included) to one NDJSON file for sanity dataset import or a backup', load: async () => (await import('./export.ts')).exportCommand },
  { name: 'migrate', summary: 'move a newsletter in from Substack, Ghost or Buttondown: posts become issues, subscribers keep their state', load: async () => (await import('./migrate.ts')).migrateCommand },
];

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${formatUsage()}\n`);
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`newsdesk ${pkg.version} (Node ${process.versions.node})\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`newsdesk: unknown command "${name}"${suggest(name)}\n\n${formatUsage()}\n`);
    return 2;
  }
  const command = await entry.load();
  // Loaded by the command module already; the entry itself stays free of config parsing.
  const { formatHelp, makeContext } = await import('./cli.ts');
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${formatHelp(command)}\n`);
    return 0;
  }
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\nnewsdesk: ${sig} received, finishing what is in flight (press again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await command.run(args, makeContext(env, cwd, controller.signal));
  } catch (error) {
    if (isNewsdeskError(error)) {
      process.stderr.write(`newsdesk ${name}: ${error.message}\n`);
      if (error.hint) process.stderr.write(`  → ${error.hint}\n`);
      return error.code === 'USAGE' ? 2 : 1;
    }
    process.stderr.write(`newsdesk ${name}: unexpected error\n${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function formatUsage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'newsdesk — curated-link newsletters: capture, write, build, send.',
    '',
    'Usage: newsdesk <command> [options]   (through npm: npm run newsdesk -- <command>)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `newsdesk <command> --help` for a command\'s options and examples.',
  ].join('\n');
}

function suggest(name: string): string {
  const close = commands.map((c) => c.name).filter((c) => editDistance(c, name) <= 2 || c.startsWith(name));
  return close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
