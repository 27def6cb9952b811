// The `newsdesk` CLI entry: it only wires commands (one file each), prints errors and
// chooses the exit code. Commands never exit the process themselves.
import { readFile } from 'node:fs/promises';
import { isNewsdeskError } from '../core/errors.ts';
import { type Command, formatHelp, makeContext } from './cli.ts';
import { buildCommand } from './build.ts';
import { checkCommand } from './check.ts';
import { issuesCommand } from './issues.ts';
import { sendCommand } from './send.ts';
import { sendsCommand } from './sends.ts';
import { scheduleCommand } from './schedule.ts';
import { subscribersCommand } from './subscribers.ts';
import { serveCommand } from './serve.ts';
import { captureCommand } from './capture.ts';
import { linksCommand } from './links.ts';
import { importCommand } from './import.ts';
import { studioCommand } from './studio.ts';
import { migrateCommand } from './migrate.ts';
import { bouncesCommand } from './bounces.ts';

export const commands: Command[] = [issuesCommand, checkCommand, buildCommand, subscribersCommand, sendCommand, scheduleCommand, sendsCommand, bouncesCommand, serveCommand, studioCommand, captureCommand, linksCommand, importCommand, migrateCommand];

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
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`newsdesk: unknown command "${name}"${suggest(name)}\n\n${formatUsage()}\n`);
    return 2;
  }
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
