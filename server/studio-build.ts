// Building the local Studio (studio-dist/) when its sources changed: `newsdesk studio`
// does it before serving, and the Studio's browser tests before they start.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NewsdeskError } from '../core/errors.ts';
import { defaultStudioDir } from './studio-host.ts';

export const projectRoot = path.resolve(import.meta.dirname, '..');

/** What the built Studio is made of: any of these newer than the build means building again. */
const studioSources = ['sanity.config.ts', 'sanity.cli.ts', 'schemas', 'studio', 'package-lock.json'];

export interface StudioBuildOptions {
  env?: NodeJS.ProcessEnv;
  outDir?: string;
  /** Told before a build starts (true: there was none yet). */
  onStart?: (first: boolean) => void;
}

/**
 * Builds the Studio when it is missing or older than any Studio source; returns whether
 * it built. Two processes asking at once (two test files, a test and `newsdesk studio`)
 * build it once: the second waits for the first's lock, then finds the build fresh.
 */
export async function buildStudioIfStale(options: StudioBuildOptions = {}): Promise<boolean> {
  const outDir = options.outDir ?? defaultStudioDir;
  if (isFresh(outDir)) return false;
  const lock = `${outDir}.building`;
  const release = await takeLock(lock);
  try {
    if (isFresh(outDir)) return false;
    options.onStart?.(statTime(path.join(outDir, 'index.html')) === undefined);
    const stderr: string[] = [];
    const code = await new Promise<number>((resolve) => {
      const child = spawnSanity(['build', outDir, '--yes'], { stdio: ['ignore', 'ignore', 'pipe'], env: studioBuildEnv(options.env ?? process.env) });
      child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
      child.on('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0) {
      throw new NewsdeskError('BUILD_FAILED', `Building the Studio failed:\n${stderr.join('').trim()}`, {
        hint: 'Fix the schema or Studio code it names, or run `npm run studio:build` to see the whole output.',
      });
    }
    return true;
  } finally {
    release();
  }
}

function isFresh(outDir: string): boolean {
  const built = statTime(path.join(outDir, 'index.html'));
  return built !== undefined && built >= Math.max(...studioSources.map((s) => newestTime(path.join(projectRoot, s))));
}

/** A lock file created exclusively; one left by a dead process (older than a build can take) is taken over. */
async function takeLock(file: string): Promise<() => void> {
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = Date.now() - (statTime(file) ?? Date.now());
    if (age > 5 * 60_000) fs.rmSync(file, { force: true });
    else await new Promise((r) => setTimeout(r, 250));
  }
}

/** The Studio bundle is built for the local lake: no project id reaches it. */
export function studioBuildEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { SANITY_STUDIO_PROJECT_ID: _p, ...rest } = env;
  return rest;
}

/**
 * Runs the `sanity` CLI with the Node running newsdesk: its launcher asks for `node` on
 * the PATH, which outside `npm run` may be an older Node than the CLI needs.
 */
export function spawnSanity(args: string[], options: SpawnOptions & { env: NodeJS.ProcessEnv }): ChildProcess {
  const cli = fs.realpathSync(path.join(projectRoot, 'node_modules', '.bin', 'sanity'));
  return spawn(process.execPath, [cli, ...args], { cwd: projectRoot, ...options });
}

function statTime(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestTime(entry: string): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of fs.readdirSync(entry)) {
    // Tests beside the Studio code do not go into the bundle.
    if (name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, newestTime(path.join(entry, name)));
  }
  return newest;
}
