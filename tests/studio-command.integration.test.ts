// `newsdesk studio` as the editor starts it, twice on the same data folder: the first
// start builds the site, the second builds neither the Studio nor the site, and each
// brings the site up to date in the background once it answers, writing nothing when it
// is already current.
import { spawn } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureStudioBuilt } from './helpers/studio-kit.ts';
import { binPath, cleanEnv } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';

interface Run {
  stdout: string;
  stderr: string;
  /** Status of the Studio page, fetched once the link was printed. */
  studioStatus: number;
}

/** Starts the command, waits for its link and its start-up rebuild, opens the Studio page, then stops it with Ctrl+C. */
function startAndStop(env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, 'studio'], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let studioStatus = 0;
    let stopping = false;
    const check = async () => {
      const link = /Studio: (https:\/\/[^\s#]+)#token=/.exec(stdout)?.[1];
      if (stopping || !link || !/rebuild: /.test(stderr)) return;
      stopping = true;
      studioStatus = await statusOf(link.replace('//localhost:', '//127.0.0.1:'));
      child.kill('SIGINT');
    };
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      void check().catch(reject);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      void check().catch(reject);
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ stdout, stderr, studioStatus }) : reject(new Error(`newsdesk studio exited with ${code}:\n${stdout}\n${stderr}`))));
  });
}

/** The certificate is signed by the data folder's own local authority, which this process does not trust. */
function statusOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { rejectUnauthorized: false }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  await ensureStudioBuilt();
}, 600_000);

describe('newsdesk studio', () => {
  it('builds nothing on a second start, and its start-up rebuild writes nothing to a current site', { timeout: 120_000 }, async () => {
    const dir = await makeTempDir('newsdesk-studio-command-');
    const env = { NEWSDESK_DATA_DIR: path.join(dir, 'data'), NEWSDESK_OUT_DIR: path.join(dir, 'dist'), NEWSDESK_STUDIO_PORT: '0' };

    const first = await startAndStop(env);
    expect(first.stdout).toContain('has no site yet; building it first');
    expect(first.studioStatus).toBe(200);

    const second = await startAndStop(env);
    expect(second.stdout).not.toContain('Building the Studio');
    expect(second.stdout).not.toContain('building it first');
    expect(second.studioStatus).toBe(200);
    expect(second.stderr).toMatch(/rebuild: \d+ issue\(s\), 0 rendered, \d+ reused, 0 file\(s\) written in place/);
  });
});
