// What every command file shares: the Command shape, the context the entry hands in,
// and option parsing that rejects unknown or malformed options with the valid ones.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../core/config.ts';
import { NewsdeskError } from '../core/errors.ts';

export interface CommandContext {
  /** The validated configuration; loaded on first use so `--help` works with a broken env. */
  config(): Config;
  env: NodeJS.ProcessEnv;
  cwd: string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** True when stdout is a terminal (progress bars are drawn only then). */
  isTTY: boolean;
  /** Aborted on SIGINT/SIGTERM; long commands stop taking new work when it fires. */
  signal: AbortSignal;
}

export interface Command {
  name: string;
  summary: string;
  /** Usage line(s) after `newsdesk`, e.g. "issues [--drafts]". */
  usage: string;
  /** Option descriptions for --help: [flag, description]. */
  options?: Array<[string, string]>;
  examples: string[];
  run(args: string[], ctx: CommandContext): Promise<number>;
}

export function makeContext(env: NodeJS.ProcessEnv, cwd: string, signal: AbortSignal): CommandContext {
  let config: Config | undefined;
  return {
    config: () => (config ??= loadConfig(env, cwd)),
    env,
    cwd,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    isTTY: Boolean(process.stdout.isTTY),
    signal,
  };
}

/** node:util parseArgs with errors that name the command and list what it accepts. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(
  command: Command,
  args: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (error) {
    const valid = Object.keys(options).map((o) => `--${o}`).join(', ') || '(none)';
    throw new NewsdeskError('USAGE', `newsdesk ${command.name}: ${(error as Error).message}`, {
      hint: `Valid options: ${valid}. See \`newsdesk ${command.name} --help\`.`,
    });
  }
}

/** Parses a value that must be one of a fixed set, listing the set when it is not. */
export function oneOf<const T extends readonly string[]>(what: string, value: string, valid: T): T[number] {
  if ((valid as readonly string[]).includes(value)) return value as T[number];
  throw new NewsdeskError('USAGE', `${what} "${value}" is not valid`, { hint: `Use one of: ${valid.join(', ')}.` });
}

export function positiveInt(what: string, value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1) {
    throw new NewsdeskError('USAGE', `${what} must be a positive whole number${value === undefined ? '' : `, not "${value}"`}`);
  }
  return Number(value);
}

export function formatHelp(command: Command): string {
  const lines = [`newsdesk ${command.name} — ${command.summary}`, '', `Usage: newsdesk ${command.usage}`];
  if (command.options?.length) {
    lines.push('', 'Options:');
    const width = Math.max(...command.options.map(([f]) => f.length));
    for (const [flag, text] of command.options) lines.push(`  ${flag.padEnd(width)}  ${text}`);
  }
  lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/** A fixed-width table for listings. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
