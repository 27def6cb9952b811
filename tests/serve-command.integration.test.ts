// `newsdesk serve` as a site owner starts it, without the Studio: it reads the dataset as
// `newsdesk build` does (lazily, leaving the line index beside it), builds the site when
// there is none, and rebuilds it in place when another process publishes.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { issuePath } from '../core/render.ts';
import { until } from './helpers/hang.ts';
import { binPath, cleanEnv } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

describe('newsdesk serve', () => {
  it('reads the dataset lazily, builds the missing site, and rebuilds it when another process publishes', async () => {
    const dir = await makeTempDir('newsdesk-serve-');
    const dataDir = path.join(dir, 'data');
    const env = { ...cleanEnv(), NEWSDESK_DATA_DIR: dataDir, NEWSDESK_OUT_DIR: path.join(dir, 'dist'), NEWSDESK_PORT: '0', NEWSDESK_SUBSCRIBE_RATE: 'off' };
    const child = spawn(process.execPath, [binPath, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const url = await until('the server to answer', () => /is serving .* at (http:\/\/\S+)/.exec(stdout)?.[1]);
    expect(stdout).toMatch(/building it first/);

    // The lazy read's line index: a store that parses every document leaves none.
    const datasetPath = path.join(dataDir, 'dataset.ndjson');
    expect(fs.existsSync(`${datasetPath}.lines`)).toBe(true);

    const store = new GroqJsStore({ datasetPath });
    const newest = await store.fetch<{ _id: string; number: number; slug: string }>('*[_type == "issue"] | order(number desc)[0]{_id, number, "slug": slug.current}');
    const page = `${url}/${issuePath(newest)}`;
    expect((await fetch(page)).status).toBe(200);
    const summary = `Published from another process at ${Date.now()}.`;
    await store.mutate([{ patch: { id: newest._id, set: { summary } } }]);
    await until('the rebuild', () => (/rebuild: .* in place/.test(stderr) ? true : undefined));
    expect(await (await fetch(page)).text()).toContain(summary);
  });
});
