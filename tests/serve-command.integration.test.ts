// `newsdesk serve` as a site owner starts it, without the Studio: it reads the dataset as
// `newsdesk build` does (lazily, leaving the line index beside it), builds the site with
// `newsdesk build` in a process of its own when there is none (or when it was built with
// other templates, serving it meanwhile), and rebuilds it in place when another process publishes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastTemplateVersion } from '../build/cache-folder.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { issuePath } from '../core/render.ts';
import { until } from './helpers/hang.ts';
import { syntheticDataset, writeDataset } from './build-dataset.ts';
import { binPath, cleanEnv, runCli } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

/** `newsdesk serve` in a process of its own, what it has printed so far, and its address once it answers. */
function startServe(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [binPath, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  const printed = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (c: string) => (printed.stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (printed.stderr += c));
  const url = () => until('the server to answer', () => /is serving .* at (http:\/\/\S+)/.exec(printed.stdout)?.[1]);
  return { child, printed, url };
}

/** Publishes a new summary of the newest issue from this process, and checks the server rebuilt its page in place. */
async function publishAndSee(dataDir: string, url: string, printed: { stderr: string }): Promise<void> {
  const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
  const newest = await store.fetch<{ _id: string; number: number; slug: string }>('*[_type == "issue"] | order(number desc)[0]{_id, number, "slug": slug.current}');
  const page = `${url}/${issuePath(newest)}`;
  expect((await fetch(page)).status).toBe(200);
  const summary = `Published from another process at ${Date.now()}.`;
  const before = count(printed.stderr, /rebuild: .* in place/g);
  await store.mutate([{ patch: { id: newest._id, set: { summary } } }]);
  await until('the rebuild', () => (count(printed.stderr, /rebuild: .* in place/g) > before ? true : undefined));
  expect(await (await fetch(page)).text()).toContain(summary);
}

/** How many times `pattern` (global) matches `text`. */
function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

describe('newsdesk serve', () => {
  it('reads the dataset lazily, builds the missing site, and rebuilds it when another process publishes', async () => {
    const dir = await makeTempDir('newsdesk-serve-');
    const dataDir = path.join(dir, 'data');
    const env = { ...cleanEnv(), NEWSDESK_DATA_DIR: dataDir, NEWSDESK_OUT_DIR: path.join(dir, 'dist'), NEWSDESK_PORT: '0', NEWSDESK_SUBSCRIBE_RATE: 'off' };
    const { printed, url } = startServe(env);
    const address = await url();
    expect(printed.stdout).toMatch(/building it first/);
    // Built by `newsdesk build` in a process of its own (scripts/build-first.ts), which printed its summary.
    expect(printed.stdout).toMatch(/✓ built \d+ issue\(s\) into .*: \d+ rendered, 0 reused from cache/);

    // The lazy read's line index: a store that parses every document leaves none.
    expect(fs.existsSync(path.join(dataDir, 'dataset.ndjson.lines'))).toBe(true);
    await publishAndSee(dataDir, address, printed);
  });

  it('stops with the message of the build when the site it builds first cannot be built', async () => {
    const dir = await makeTempDir('newsdesk-serve-');
    const dataDir = path.join(dir, 'data');
    await fs.promises.mkdir(dataDir);
    // Two published issues with one number: `newsdesk build` refuses them.
    const docs = syntheticDataset({ issues: 2, sectionsPerIssue: 1, linksPerIssue: 2 });
    for (const doc of docs) if (doc._type === 'issue') doc.number = 1;
    await writeDataset(path.join(dataDir, 'dataset.ndjson'), docs);
    const env = { NEWSDESK_DATA_DIR: dataDir, NEWSDESK_OUT_DIR: path.join(dir, 'dist'), NEWSDESK_PORT: '0', NEWSDESK_SUBSCRIBE_RATE: 'off' };
    const result = await runCli(['serve'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Two published issues have number 1');
    expect(result.stderr).toContain('Building the site first failed: `newsdesk build` exited with code 1');
    expect(result.stdout).not.toMatch(/is serving/);
    expect(fs.existsSync(path.join(dir, 'dist', 'index.html'))).toBe(false);
  });

  it('stops the build it started, and itself, when stopped while that build runs', async () => {
    const dir = await makeTempDir('newsdesk-serve-');
    const dataDir = path.join(dir, 'data');
    const outDir = path.join(dir, 'dist');
    await fs.promises.mkdir(dataDir);
    // Enough issues that the build is still running when the stop arrives.
    await writeDataset(path.join(dataDir, 'dataset.ndjson'), syntheticDataset({ issues: 120 }));
    const env = { ...cleanEnv(), NEWSDESK_DATA_DIR: dataDir, NEWSDESK_OUT_DIR: outDir, NEWSDESK_PORT: '0', NEWSDESK_SUBSCRIBE_RATE: 'off' };
    const { child, printed } = startServe(env);
    await until('the build to start', () => (/building it first/.test(printed.stdout) ? true : undefined));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(130);
    expect(printed.stdout).not.toMatch(/is serving/);
    // The build stopped before putting a site in place, and had taken away its staging folder
    // by the time the server exited: the server waited for it.
    expect(fs.existsSync(path.join(outDir, 'index.html'))).toBe(false);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('.dist.'))).toEqual([]);
  });

  it('leaves a rebuild that renders most issues to `newsdesk build` in a process of its own, and rebuilds in place after it', async () => {
    const dir = await makeTempDir('newsdesk-serve-');
    const dataDir = path.join(dir, 'data');
    await fs.promises.mkdir(dataDir);
    const datasetPath = path.join(dataDir, 'dataset.ndjson');
    await writeDataset(datasetPath, syntheticDataset({ issues: 12, sectionsPerIssue: 2, linksPerIssue: 6 }));
    const env = { ...cleanEnv(), NEWSDESK_DATA_DIR: dataDir, NEWSDESK_OUT_DIR: path.join(dir, 'dist'), NEWSDESK_PORT: '0', NEWSDESK_SUBSCRIBE_RATE: 'off' };
    const { printed, url } = startServe(env);
    const address = await url();
    // A rebuild in the server's process first, so it holds what a next one would reuse.
    await publishAndSee(dataDir, address, printed);
    expect(count(printed.stdout, /✓ built /g)).toBe(1);

    // A new title is on every page: every issue renders again, in `newsdesk build`.
    const store = new GroqJsStore({ datasetPath });
    await store.mutate([{ patch: { id: 'newsletter', set: { title: 'Renamed Notes' } } }]);
    await until('the build to end', () => (count(printed.stdout, /✓ built 12 issue\(s\) into .*: 12 rendered, 0 reused from cache/g) === 2 ? true : undefined));
    expect(printed.stderr).toMatch(/rebuild: 12 of 12 issue\(s\) to render; left to `newsdesk build` in a process of its own/);
    expect(await (await fetch(`${address}/`)).text()).toContain('Renamed Notes');

    // The server's own rebuilds go on after it, from the records that build left.
    await publishAndSee(dataDir, address, printed);
    expect(printed.stderr).not.toMatch(/rebuild failed/);
    expect(count(printed.stdout, /✓ built /g)).toBe(2);
  });

  it('builds a site made with other templates again in a process of its own, serving it meanwhile, and rebuilds after it', async () => {
    const dir = await makeTempDir('newsdesk-serve-');
    const dataDir = path.join(dir, 'data');
    const env = { ...cleanEnv(), NEWSDESK_DATA_DIR: dataDir, NEWSDESK_OUT_DIR: path.join(dir, 'dist'), NEWSDESK_PORT: '0', NEWSDESK_SUBSCRIBE_RATE: 'off' };
    expect((await runCli(['build'], { env })).code).toBe(0);
    // As an update of newsdesk that changed the templates leaves it: the last build's record names others.
    const current = await lastTemplateVersion(dataDir);
    const record = path.join(dataDir, 'build-cache', 'sources.json');
    await fs.promises.writeFile(record, (await fs.promises.readFile(record, 'utf8')).replace(`"templateVersion":"${current}"`, '"templateVersion":"0123456789abcdef"'));
    expect(await lastTemplateVersion(dataDir)).toBe('0123456789abcdef');

    const { printed, url } = startServe(env);
    const address = await url();
    expect(printed.stdout).toMatch(/was built with other templates .*building it again, and serving it as it is meanwhile/);
    expect(printed.stdout).not.toMatch(/has no site yet/);
    expect((await fetch(`${address}/`)).status).toBe(200);
    // The build's own summary, passed on as a line, and its record of the templates it used.
    await until('the build to end', () => (/✓ built \d+ issue\(s\) into /.test(printed.stdout) ? true : undefined));
    expect(await lastTemplateVersion(dataDir)).toBe(current);
    // The server's own rebuilds go on after it.
    await publishAndSee(dataDir, address, printed);
  });
});
