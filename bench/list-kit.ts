// Shared parts of the benches that run the real CLI against a large list or send to a
// sink: positive integer options, child `newsdesk` processes (killed on the way out),
// `serve`'s address read from its output, SMTP sinks (one in this process that counts what
// arrives, and Postfix's smtp-sink, which is never the bottleneck), free ports, one-click
// unsubscribes fired at the server with their latency, percentiles, and a `newsdesk` command
// timed from outside as a user waits for it (wall time, peak RSS, CPU).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { createUnsubscribeToken } from '../delivery/signing/tokens.ts';

export const root = path.resolve(import.meta.dirname, '..');

/** Integer options ≥ 1 with their defaults; prints `usage` and exits 2 on anything else. */
export function integerOptions<K extends string>(defaults: Record<K, number>, usage: string): Record<K, number> {
  const { values } = parseArgs({ options: Object.fromEntries(Object.keys(defaults).map((k) => [k, { type: 'string' as const }])) });
  const parsed = Object.fromEntries(Object.entries(defaults).map(([k, d]) => [k, values[k] === undefined ? d : Number(values[k])])) as Record<K, number>;
  if (!Object.values<number>(parsed).every((n) => Number.isInteger(n) && n >= 1)) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return parsed;
}

/** The newsdesk processes a bench started, so its `finally` can kill any left. */
export const children: ChildProcess[] = [];

export function startCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [path.join(root, 'bin/newsdesk.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

export function killChildren(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}

/** The address `newsdesk serve` prints once it listens. */
export function serveUrl(serve: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    serve.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const match = /serving .* at (http:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    serve.once('exit', (code) => reject(new Error(`newsdesk serve exited with ${code}`)));
  });
}

export interface SmtpSink {
  port: number;
  /** Messages received so far. */
  received(): number;
  close(): Promise<void>;
}

/** An SMTP server on loopback that takes every message and counts it. */
export async function startSmtpSink(): Promise<SmtpSink> {
  let received = 0;
  const sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData: (s, _session, done) =>
      s.resume().on('end', () => {
        received++;
        done();
      }),
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const port = ((sink as unknown as { server: import('node:net').Server }).server.address() as import('node:net').AddressInfo).port;
  return { port, received: () => received, close: () => new Promise<void>((resolve) => sink.close(() => resolve())) };
}

/** One-click unsubscribes (RFC 8058) fired at `serveUrl` in turn over `tokens` until `stop()` says so, `everyMs` apart. */
export async function fireUnsubscribes(serveAt: string, tokens: string[], secret: string, everyMs: number, stop: () => boolean): Promise<{ latencies: number[]; statuses: Map<number, number> }> {
  const latencies: number[] = [];
  // Answered statuses; 0 counts a request that got no answer at all.
  const statuses = new Map<number, number>();
  for (let i = 0; !stop(); i = (i + 1) % tokens.length) {
    const t = performance.now();
    const status = await fetch(`${serveAt}/unsubscribe?token=${encodeURIComponent(createUnsubscribeToken(tokens[i]!, secret))}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    }).then(
      async (response) => (await response.arrayBuffer(), response.status),
      () => 0,
    );
    latencies.push(performance.now() - t);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  latencies.sort((a, b) => a - b);
  return { latencies, statuses };
}

/** The q-quantile of sorted numbers (NaN for none). */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export function describeStatuses(statuses: Map<number, number>): string {
  return [...statuses].map(([s, n]) => `${s}×${n}`).join(' ');
}

/** Postfix's smtp-sink and smtp-source, installed from Debian when missing. */
export function ensurePostfixTools(): void {
  if (fs.existsSync('/usr/sbin/smtp-sink') && fs.existsSync('/usr/sbin/smtp-source')) return;
  console.log('Installing postfix for smtp-sink and smtp-source …');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', 'postfix'], { env, stdio: 'inherit' }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'inherit' });
    if (!install()) throw new Error('Could not install postfix (needed for smtp-sink and smtp-source).');
  }
}

/** Postfix's smtp-sink on a free loopback port: it accepts everything and keeps nothing (count what was sent in the ledger). */
export async function startPostfixSink(): Promise<{ port: number; close(): Promise<void> }> {
  ensurePostfixTools();
  const port = await freePort();
  const sink = spawn('/usr/sbin/smtp-sink', ['-u', 'nobody', `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    port,
    close: async () => {
      sink.kill('SIGTERM');
      if (sink.exitCode === null) await new Promise((resolve) => sink.once('exit', resolve));
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function waitForPort(p: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(p, '127.0.0.1', () => (c.end(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on port ${p}`);
}

/** Whether this bench compiled the CLI yet (runCli). */
const cliState = { compiled: false };

/** What runCli measured of one command. */
export interface CliRun {
  /** From spawning the process to its exit. */
  seconds: number;
  /** The process's peak RSS (VmHWM), main thread and workers. */
  peakMb: number;
  /** CPU over all its threads, and the kernel's part of it. */
  cpuS: number;
  systemS: number;
  /** What it printed on stdout. */
  output: string;
}

/**
 * Runs the compiled CLI (bin/newsdesk.js, compiled beforehand so compiling is not timed)
 * in a new process; wall time from spawn to exit, and the process's peak RSS as Linux
 * reports it (VmHWM, read while it runs; 0 elsewhere). Compiled once per bench, as a user
 * runs it day to day: each compile is a new folder whose V8 code cache the first run fills,
 * and a run with it cold cost up to 0.7 s more. `env` is added to this process's, except
 * where a value is undefined: that variable is left out.
 */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  if (!cliState.compiled) execFileSync(process.execPath, [path.join(root, 'bin/compile.js')], { stdio: 'ignore' });
  cliState.compiled = true;
  const merged = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, value]) => value !== undefined));
  const started = performance.now();
  const proc = spawn(process.execPath, [path.join(root, 'bin/newsdesk.js'), ...args], { env: merged, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let peakKb = 0;
  let cpuTicks = 0;
  let systemTicks = 0;
  const poll = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      // utime and stime (fields 14 and 15, all threads), after the command name in parentheses.
      const fields = fs.readFileSync(`/proc/${proc.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      cpuTicks = Math.max(cpuTicks, Number(fields[11]) + Number(fields[12]));
      systemTicks = Math.max(systemTicks, Number(fields[12]));
    } catch {
      // exited, or not Linux
    }
  }, 10);
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(poll);
  if (code !== 0) throw new Error(`newsdesk ${args.join(' ')} exited with ${code}: ${output}`);
  // Clock ticks are 1/100 s on Linux; the last 10 ms before the exit are not seen.
  return { seconds, peakMb: peakKb / 1024, cpuS: cpuTicks / 100, systemS: systemTicks / 100, output };
}
