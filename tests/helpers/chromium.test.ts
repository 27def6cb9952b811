import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompressOnce, resolveChromiumExecutable } from './chromium.ts';
import { makeTempDir } from './temp.ts';

describe('getting the test browser', () => {
  it('shows a reader no executable or a whole one, never a half-written one, while several extractions race', async () => {
    const dir = await makeTempDir();
    const original = randomBytes(8 * 1024 * 1024);
    const source = path.join(dir, 'browser.br');
    fs.writeFileSync(source, brotliCompressSync(original, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }));
    const target = path.join(dir, 'cache', 'browser');

    const sizesSeen = new Set<number>();
    let done = false;
    const watch = (async () => {
      while (!done) {
        if (fs.existsSync(target)) sizesSeen.add(fs.statSync(target).size);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const results = await Promise.all([1, 2, 3].map(() => decompressOnce(source, target)));
    done = true;
    await watch;

    expect([...sizesSeen].filter((size) => size !== original.length)).toEqual([]);

    expect(results).toEqual([target, target, target]);
    expect(fs.readFileSync(target).equals(original)).toBe(true);
    expect(fs.statSync(target).mode & 0o111).not.toBe(0);
    expect(fs.readdirSync(path.dirname(target))).toEqual(['browser']);
  });

  it('reuses an executable already in place instead of writing it again', async () => {
    const dir = await makeTempDir();
    const target = path.join(dir, 'browser');
    fs.writeFileSync(target, 'already here');
    await decompressOnce(path.join(dir, 'no-such-archive.br'), target);
    expect(fs.readFileSync(target, 'utf8')).toBe('already here');
  });

  it('leaves no partial file behind when the archive is corrupt', async () => {
    const dir = await makeTempDir();
    const source = path.join(dir, 'broken.br');
    // A real archive cut short: random bytes can happen to be a valid Brotli stream, this never is.
    const whole = brotliCompressSync(randomBytes(64 * 1024));
    fs.writeFileSync(source, whole.subarray(0, whole.length >> 1));
    const target = path.join(dir, 'browser');
    await expect(decompressOnce(source, target)).rejects.toThrow();
    expect(fs.readdirSync(dir)).toEqual(['broken.br']);
  });

  it('refuses a NEWSDESK_CHROMIUM that does not exist, saying what to set instead', async () => {
    await expect(resolveChromiumExecutable({ NEWSDESK_CHROMIUM: '/nowhere/chromium' })).rejects.toThrow(/NEWSDESK_CHROMIUM is \/nowhere\/chromium, which does not exist.*unset it/);
  });
});
