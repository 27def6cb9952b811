// The one way tests get a browser: a system Chromium named by NEWSDESK_CHROMIUM, or else
// the Chromium that ships compressed inside the npm package @sparticuz/chromium, so that
// `npm ci && npm test` needs nothing from the operating system's package manager.
//
// The package's own executablePath() is not used: it treats an existing /tmp/chromium as
// ready, so a second test file starting while the first is still writing it would launch
// a half-written binary, and /tmp is shared with every other checkout on the machine.
// Instead it is decompressed under node_modules/.cache, once per package version (see
// decompressOnce for why two test files starting together cannot corrupt it).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/**
 * Headless, no sandbox (tests run as root in CI), no GPU, and nothing that phones home:
 * the machine's network is closed, and background fetches would only fill the log.
 * The package's own list is meant for serverless functions (single process, web
 * security off) and is deliberately not used.
 */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
] as const;

let bundled: Promise<string> | undefined;

/** Path of the Chromium to launch: $NEWSDESK_CHROMIUM, or the npm package's, decompressed once per version. */
export async function resolveChromiumExecutable(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const configured = env.NEWSDESK_CHROMIUM?.trim();
  if (configured) {
    if (!fs.existsSync(configured)) {
      throw new Error(
        `NEWSDESK_CHROMIUM is ${configured}, which does not exist: point it at a Chromium or Chrome executable, or unset it to use the one from @sparticuz/chromium.`,
      );
    }
    return configured;
  }
  bundled ??= extractBundledChromium();
  return bundled;
}

/** Launches headless Chromium with the shared flags; `options.args` are added to them. */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const executablePath = await resolveChromiumExecutable();
  try {
    return await chromium.launch({ ...options, executablePath, args: [...chromiumArgs, ...(options.args ?? [])] });
  } catch (error) {
    throw new Error(
      `Chromium at ${executablePath} did not start: ${(error as Error).message}\n` +
        'Run `npm ci` to reinstall @sparticuz/chromium, or set NEWSDESK_CHROMIUM to a system Chromium.',
      { cause: error },
    );
  }
}

async function extractBundledChromium(): Promise<string> {
  const packageDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const target = path.join(packageDir, '..', '..', '.cache', 'newsdesk', `chromium-${version}`, 'chromium');
  try {
    return await decompressOnce(path.join(packageDir, 'bin', 'chromium.br'), target);
  } catch (error) {
    throw new Error(`Could not decompress Chromium from @sparticuz/chromium@${version}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Decompresses a Brotli file to `target` (executable) unless it is already there. Safe
 * when several processes do it at once: each writes a file of its own and renames it
 * into place, so `target` is either absent or whole, never half-written.
 */
export async function decompressOnce(source: string, target: string): Promise<string> {
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await pipeline(fs.createReadStream(source), createBrotliDecompress(), fs.createWriteStream(partial, { mode: 0o755 }));
    // When two got here, each renames a whole copy and the last one wins.
    fs.renameSync(partial, target);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  return target;
}
