// Runs the real `newsdesk` executable in a child process, as a user would.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const binPath = path.resolve(import.meta.dirname, '../../bin/newsdesk.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `bin` runs another copy of the executable; `nodeArgs` go to Node before it (e.g. an --import hook). */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; bin?: string; nodeArgs?: string[] } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.bin ?? binPath, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { ...cleanEnv(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** The parent's environment without any newsdesk/Sanity/SMTP settings a developer may have. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(NEWSDESK_|SANITY_|SMTP_|DKIM_)/.test(k)) env[k] = v;
  }
  return env;
}
