// Building the local Studio (studio-dist/) when its sources changed: `newsdesk studio`
// does it before serving, and the Studio's browser tests before they start.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NewsdeskError } from '../core/errors.ts';
import { defaultStudioDir } from './studio-host.ts';

export const projectRoot = path.resolve(import.meta.dirname, '..');

/**
 * What the built Studio is made of: these, and the project files they import (content/,
 * core/, delivery/ helpers the bundle takes in). Their contents, not their times, decide:
 * a checkout or a copy that touches every file must not cost a 15 s build on each start.
 */
const studioSources = ['sanity.config.ts', 'sanity.cli.ts', 'schemas', 'studio', 'package-lock.json'];
/** Beside the build: the hash of the sources it was built from. */
const sourcesHashFile = '.newsdesk-sources';

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
  const sources = hashStudioSources();
  if (isFresh(outDir, sources)) return false;
  const lock = `${outDir}.building`;
  const release = await takeLock(lock);
  try {
    if (isFresh(outDir, sources)) return false;
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
    fs.writeFileSync(path.join(outDir, sourcesHashFile), `${sources}\n`);
    return true;
  } finally {
    release();
  }
}

function isFresh(outDir: string, sources: string): boolean {
  if (statTime(path.join(outDir, 'index.html')) === undefined) return false;
  try {
    return fs.readFileSync(path.join(outDir, sourcesHashFile), 'utf8').trim() === sources;
  } catch {
    return false;
  }
}

/** A hash of every Studio source file and every project file they import, by path and content (a few ms). */
export function hashStudioSources(root: string = projectRoot): string {
  const files = new Set<string>();
  const queue = studioSources.flatMap((s) => listFiles(path.join(root, s)));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (/\.(ts|tsx|js|mjs)$/.test(file)) queue.push(...localImports(file, root));
  }
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      continue;
    }
    hash.update(`${path.relative(root, file)}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest('hex');
}

function listFiles(entry: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(entry);
  } catch {
    return [];
  }
  if (!stat.isDirectory()) return [entry];
  // Tests beside the Studio code do not go into the bundle.
  return fs.readdirSync(entry).flatMap((name) => (/\.test\.tsx?$/.test(name) ? [] : listFiles(path.join(entry, name))));
}

/** Project files a module imports by relative path (inside the project only; packages are covered by package-lock.json). */
function localImports(file: string, root: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = path.resolve(path.dirname(file), match[1]!);
    if (target.startsWith(`${root}${path.sep}`) && !target.includes(`${path.sep}node_modules${path.sep}`)) out.push(target);
  }
  return out;
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
