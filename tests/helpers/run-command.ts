// Runs one `newsdesk` command in this process, as the CLI entry would (scripts/index.ts),
// collecting what it prints: for tests that need a command's output, not a new process.
import { isNewsdeskError } from '../../core/errors.ts';
import { makeContext, type Command } from '../../scripts/cli.ts';
import type { CliResult } from './run-cli.ts';

export async function runCommand(command: Command, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const ctx = { ...makeContext(options.env, options.cwd ?? process.cwd(), new AbortController().signal), out: (l: string) => void stdout.push(l), err: (l: string) => void stderr.push(l), isTTY: false };
  let code: number;
  try {
    code = await command.run(args, ctx);
  } catch (error) {
    if (!isNewsdeskError(error)) throw error;
    stderr.push(`newsdesk ${command.name}: ${error.message}`, ...(error.hint ? [`  → ${error.hint}`] : []));
    code = error.code === 'USAGE' ? 2 : 1;
  }
  return { code, stdout: stdout.map((l) => `${l}\n`).join(''), stderr: stderr.map((l) => `${l}\n`).join('') };
}
