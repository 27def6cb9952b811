// How the `newsdesk` executable starts: it runs the CLI compiled into cli-dist/ (not the
// TypeScript through tsx), a command's modules load only when that command runs, and an
// edited source is compiled before the next run uses it. Which modules a run loaded is
// recorded by a module hook in the child process itself.
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../scripts/index.ts';
import { until } from './helpers/hang.ts';
import { cleanEnv, binPath, type CliResult, runCli } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';

const root = path.resolve(import.meta.dirname, '..');
const execFileAsync = promisify(execFile);

/**
 * Records every module the process loads (ES modules and require alike) into a file, with
 * the conditions each was resolved under: an ES module import shows "import", a require()
 * "require".
 */
const recordLoads = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push([url, context.conditions ?? []]); return next(url, context); } });
process.on('exit', () => writeFileSync(process.env.NEWSDESK_TEST_LOADS, JSON.stringify(loaded)));
`)}`;

/** What recordLoads wrote: each module's URL and the conditions it was resolved under. */
async function readLoads(file: string): Promise<Array<[url: string, conditions: string[]]>> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as Array<[string, string[]]>;
}

interface TracedRun extends CliResult {
  loaded: string[];
  /** The URLs loaded, each with the conditions it was resolved under. */
  loads: Array<[url: string, conditions: string[]]>;
}

let dir: string;

async function runTraced(args: string[], options: { bin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TracedRun> {
  const loadsFile = path.join(dir, `loads-${Math.random().toString(36).slice(2)}.json`);
  const result = await runCli(args, {
    cwd: dir,
    bin: options.bin,
    nodeArgs: ['--import', recordLoads],
    env: { NEWSDESK_DATA_DIR: path.join(dir, 'data'), ...options.env, NEWSDESK_TEST_LOADS: loadsFile },
  });
  const loads = await readLoads(loadsFile);
  return { ...result, loaded: loads.map(([url]) => url), loads };
}

/** npm packages a run loaded, by name. */
function packagesLoaded(loaded: string[]): Set<string> {
  return new Set(loaded.flatMap((url) => url.match(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1] ?? []));
}

/** npm packages compiled into the CLI's files a run loaded (esbuild names each module it compiles in a comment above its code). */
async function packagesCompiledIn(loaded: string[]): Promise<Set<string>> {
  const files = loaded.filter((url) => /\/cli-dist\/[^/]+\/[^/]+\.js$/.test(url));
  const texts = await Promise.all(files.map((url) => fs.readFile(new URL(url), 'utf8')));
  return new Set(texts.flatMap((text) => [...text.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]!)));
}

const heavy = ['mjml', 'react', 'react-dom', '@react-email/render', '@aws-sdk/client-sesv2', 'imapflow', 'nodemailer', '@sanity/client', '@sanity/mutator', 'open-graph-scraper', 'hono'];

beforeAll(async () => {
  dir = await makeTempDir();
  // What a user runs after npm ci: a compiled CLI as new as the sources (the tests below
  // on a fresh copy cover compiling on the way).
  const compiled = `import(${JSON.stringify(path.join(root, 'bin/compile.js'))}).then(async (c) => { while (!c.findCurrentBuild()) await c.compile(); })`;
  await execFileAsync(process.execPath, ['--input-type=module', '-e', compiled]);
});

describe('newsdesk startup', () => {
  it('runs the compiled CLI, and --help, --version and a wrong command load no npm package at all', async () => {
    for (const args of [['--help'], ['--version'], ['isues']]) {
      const run = await runTraced(args);
      expect(run.code, run.stderr).toBe(args[0] === 'isues' ? 2 : 0);
      expect(run.loaded.some((url) => /\/cli-dist\/[^/]+\/index\.js$/.test(url))).toBe(true);
      expect(run.loaded.filter((url) => /\.tsx?$/.test(url))).toEqual([]);
      expect([...packagesLoaded(run.loaded)]).toEqual([]);
    }
  });

  it('loads only the asked command for its --help, and lists issues and scheduled sends without email, React, SDK or mail client', async () => {
    const help = await runTraced(['issues', '--help']);
    expect(help.stdout).toContain('Usage: newsdesk issues');
    expect([...packagesLoaded(help.loaded)].filter((p) => heavy.includes(p))).toEqual([]);
    // The send command's own help does load a mail client: the difference shows what is
    // measured. (MJML it no longer loads: only compiling an email layout does.)
    const sendHelp = await runTraced(['send', '--help']);
    expect(packagesLoaded(sendHelp.loaded).has('nodemailer')).toBe(true);
    expect(packagesLoaded(sendHelp.loaded).has('mjml')).toBe(false);

    const issues = await runTraced(['issues']);
    expect(issues.code, issues.stderr).toBe(0);
    expect(issues.stdout).toContain('Hello, Fortnight');
    expect([...packagesLoaded(issues.loaded)].filter((p) => heavy.includes(p))).toEqual([]);
    // The configuration checks a time zone without the scheduler's date library (8 ms of every command's start).
    expect(await packagesCompiledIn(issues.loaded)).toContain('zod');
    expect(await packagesCompiledIn(issues.loaded)).not.toContain('luxon');
    const scheduled = await runTraced(['schedule', '--list']);
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expect([...packagesLoaded(scheduled.loaded)].filter((p) => heavy.includes(p))).toEqual([]);
  });

  it('starts the server without loading the transactional emails\u2019 renderer (the first mail loads it)', async () => {
    const loadsFile = path.join(dir, `loads-serve-${Math.random().toString(36).slice(2)}.json`);
    const env = { ...cleanEnv(), NEWSDESK_DATA_DIR: path.join(dir, 'serve-data'), NEWSDESK_OUT_DIR: path.join(dir, 'serve-dist'), NEWSDESK_PORT: '0', NEWSDESK_TEST_LOADS: loadsFile };
    const child = spawn(process.execPath, ['--import', recordLoads, binPath, 'serve', '--no-build'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await until('the server to answer', () => (/is serving/.test(stdout) ? true : undefined));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const packages = packagesLoaded((await readLoads(loadsFile)).map(([url]) => url));
    // The server itself is loaded (what is measured), the emails' renderer is not.
    expect(packages.has('hono')).toBe(true);
    expect(packages.has('@react-email/render')).toBe(false);
    expect(packages.has('@react-email/components')).toBe(false);
  });

  it('is compiled into files that each parse as a module, whichever command loads them', async () => {
    // bin/compile.js puts lines of its own at the top of every file (a require() for the
    // CommonJS code compiled in); a file they broke would fail only when a command first
    // loads it, and most chunks are loaded by no test here.
    const { build } = JSON.parse(await fs.readFile(path.join(root, 'cli-dist', 'current.json'), 'utf8')) as { build: string };
    const parseAll = `const vm = require('node:vm'); const fs = require('node:fs'); const path = require('node:path');
      let count = 0;
      for (const name of fs.readdirSync(process.argv[1])) if (name.endsWith('.js')) { new vm.SourceTextModule(fs.readFileSync(path.join(process.argv[1], name), 'utf8'), { identifier: name }); count++; }
      console.log(count);`;
    const { stdout } = await execFileAsync(process.execPath, ['--experimental-vm-modules', '--no-warnings', '-e', parseAll, path.join(root, 'cli-dist', build)]);
    expect(Number(stdout)).toBeGreaterThan(20);
  });

  it('builds with React taken through require(), so Node never reads React\u2019s sources (its development build among them) to find what they export', async () => {
    // An ES module import of a CommonJS package has Node read it, and the files it
    // re-exports, for their exports (recordLoads shows it as "import").
    const out = path.join(dir, 'react-build');
    // NODE_ENV as a user's shell has it (the test runner's NODE_ENV=test would choose React's development build).
    const run = await runTraced(['build'], { env: { NODE_ENV: 'production', NEWSDESK_DATA_DIR: path.join(out, 'data'), NEWSDESK_OUT_DIR: path.join(out, 'dist') } });
    expect(run.code, run.stderr).toBe(0);
    const react = run.loads.filter(([url]) => /\/node_modules\/react(-dom)?\//.test(url));
    expect(react.map(([url]) => url)).toContainEqual(expect.stringMatching(/react-dom-server-legacy\.node\.production\.js$/));
    expect(react.filter(([, conditions]) => conditions.includes('import')).map(([url]) => url)).toEqual([]);
    expect(react.filter(([url]) => url.includes('.development.')).map(([url]) => url)).toEqual([]);
  });

  it('compiles zod in with its English messages and none of its other languages', async () => {
    const { build } = JSON.parse(await fs.readFile(path.join(root, 'cli-dist', 'current.json'), 'utf8')) as { build: string };
    const dir = path.join(root, 'cli-dist', build);
    const names = (await fs.readdir(dir)).filter((name) => name.endsWith('.js'));
    const text = (await Promise.all(names.map((name) => fs.readFile(path.join(dir, name), 'utf8')))).join('\n');
    // esbuild names each module it compiles in a comment above its code.
    const languages = [...text.matchAll(/^\/\/ node_modules\/zod\/v4\/locales\/([\w-]+)\.js$/gm)].map((m) => m[1]);
    expect(languages).toEqual(['en']);
    expect(text).toContain('node_modules/zod/v4/classic/schemas.js');
  });

  it('lists each command with the summary its own module gives', async () => {
    for (const entry of commands) {
      const command = await entry.load();
      expect({ name: command.name, summary: command.summary }).toEqual({ name: entry.name, summary: entry.summary });
    }
  });
});

describe('newsdesk in a fresh copy of the project', () => {
  let copy: string;
  let sources: string[] = [];
  const pointer = () => fs.readFile(path.join(copy, 'cli-dist/current.json'), 'utf8').then((text) => (JSON.parse(text) as { build: string }).build);

  beforeAll(async () => {
    copy = path.join(dir, 'project');
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    sources = files;
    // Sources an hour old, so the first compile is plainly newer than all of them.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const file of files) {
      const from = path.join(root, file);
      if (!(await fs.stat(from).catch(() => undefined))?.isFile()) continue;
      await fs.mkdir(path.dirname(path.join(copy, file)), { recursive: true });
      await fs.copyFile(from, path.join(copy, file));
      await fs.utimes(path.join(copy, file), anHourAgo, anHourAgo);
    }
    await fs.symlink(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
  });

  it('compiles when there is no compiled CLI, reuses it while sources are unchanged, and recompiles after a source is edited', async () => {
    const bin = path.join(copy, 'bin/newsdesk.js');
    await expect(fs.stat(path.join(copy, 'cli-dist'))).rejects.toThrow();
    const first = await runTraced(['issues', '--help'], { bin });
    expect(first.code, first.stderr).toBe(0);
    expect(first.loaded.some((url) => url.startsWith(`file://${copy}/cli-dist/`))).toBe(true);
    const firstBuild = await pointer();

    const again = await runTraced(['issues', '--help'], { bin });
    expect(again.stdout).toBe(first.stdout);
    expect(await pointer()).toBe(firstBuild);

    // A command module loaded lazily, edited: the next run must show the edit.
    const issuesSource = path.join(copy, 'scripts/issues.ts');
    const source = await fs.readFile(issuesSource, 'utf8');
    expect(source).toContain("usage: 'issues");
    await fs.writeFile(issuesSource, source.replace("usage: 'issues", "usage: 'issues-edited"));
    const edited = await runTraced(['issues', '--help'], { bin });
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toContain('Usage: newsdesk issues-edited');
    expect(await pointer()).not.toBe(firstBuild);
    expect(edited.loaded.filter((url) => /\.tsx?$/.test(url))).toEqual([]);
  });

  it('compiles a worker thread that a source starts by path, with no list to update', async () => {
    await fs.writeFile(
      path.join(copy, 'scripts/probe-worker.ts'),
      "import { parentPort } from 'node:worker_threads';\nimport { formatTable } from './cli.ts';\nparentPort!.postMessage(formatTable(['probe'], [['ok']]).replace('\\n', ' '));\n",
    );
    await fs.appendFile(
      path.join(copy, 'scripts/issues.ts'),
      "\nimport { Worker } from 'node:worker_threads';\nif (process.env.NEWSDESK_TEST_PROBE) {\n  const url = new URL('./probe-worker.ts', import.meta.url);\n  console.log(`worker at ${url.pathname}`);\n  new Worker(url).on('message', (m) => console.log(`worker says ${m}`));\n}\n",
    );
    const run = await runTraced(['issues', '--help'], { bin: path.join(copy, 'bin/newsdesk.js'), env: { NEWSDESK_TEST_PROBE: '1' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`worker at ${copy}/cli-dist/${await pointer()}/scripts-probe-worker.js`);
    expect(run.stdout).toContain('worker says probe ok');
  });

  it('is compiled by the prepare script, which npm ci runs after installing', async () => {
    // The edits of the tests before are seconds old; a compile in the same second as an
    // edit is taken as stale on the next run (mtimes kept to the second), so age them.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const file of [...sources, 'scripts/probe-worker.ts']) await fs.utimes(path.join(copy, file), anHourAgo, anHourAgo).catch(() => undefined);
    const before = await pointer();
    const { stdout } = await execFileAsync('npm', ['run', '-s', 'prepare'], { cwd: copy, env: cleanEnv() });
    expect(stdout).toMatch(/^newsdesk: compiled the CLI into cli-dist\/[^/]+\/ in \d+ ms$/m);
    const after = await pointer();
    expect(after).not.toBe(before);
    const run = await runTraced(['--help'], { bin: path.join(copy, 'bin/newsdesk.js') });
    expect(run.loaded.some((url) => url.startsWith(`file://${copy}/cli-dist/${after}/`))).toBe(true);
  });

  it('runs from the TypeScript sources, saying so, when it cannot compile', async () => {
    // A file where the output folder should be: nothing can be written there.
    const blocked = path.join(dir, 'blocked');
    await fs.mkdir(blocked);
    for (const name of ['bin', 'scripts', 'core', 'content', 'delivery', 'build', 'server', 'web', 'emails', 'schemas', 'studio', 'package.json', 'tsconfig.json']) {
      await fs.cp(path.join(copy, name), path.join(blocked, name), { recursive: true });
    }
    await fs.symlink(path.join(root, 'node_modules'), path.join(blocked, 'node_modules'));
    await fs.writeFile(path.join(blocked, 'cli-dist'), 'not a folder');
    const run = await runTraced(['issues', '--help'], { bin: path.join(blocked, 'bin/newsdesk.js') });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Usage: newsdesk issues');
    expect(run.stderr).toContain('could not compile the CLI');
    expect(run.loaded.some((url) => url.endsWith('/scripts/issues.ts'))).toBe(true);
  });
});
