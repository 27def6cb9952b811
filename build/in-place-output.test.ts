import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeContent } from './cache.ts';
import { InPlaceOutput, contentKey, fileBytes } from './in-place-output.ts';
import { StagedOutput } from './output.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'newsdesk-file-text-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

// Pieces as a link page has them: the layout's, and a list whose words go beyond Latin-1.
const pieces = ['<!doctype html><title>', 'Links – “page” 2', '</title><main>', `<ul>${'<li>words… ←→ ✓ 😀</li>'.repeat(2000)}</ul>`, '</main>'];
const joined = pieces.join('');

describe('a file written in pieces', () => {
  it('holds the bytes of the pieces joined, keyed as the joined text is', async () => {
    const file = path.join(dir, 'page.html');
    await writeContent(file, fileBytes(pieces));
    expect(await readFile(file, 'utf8')).toBe(joined);
    expect(contentKey.text(fileBytes(pieces))).toBe(contentKey.text(joined));
    expect(contentKey.text(fileBytes(pieces))).not.toBe(contentKey.text(pieces.slice(1).join('')));
  });

  it('holds the UTF-8 of thousands of small pieces, most beyond ASCII', () => {
    const many = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 'a' : i % 3 === 1 ? '✓😀' : '«é»'));
    expect(Buffer.compare(fileBytes(many) as Buffer, Buffer.from(many.join(''), 'utf8'))).toBe(0);
  });

  it('is placed in a staged output under the same content key as the joined text', async () => {
    const outDir = path.join(dir, 'out');
    const staged = await StagedOutput.create(outDir, undefined, path.join(dir, 'cache'));
    const key = await staged.place('links/index.html', undefined, () => pieces);
    expect(key).toBe(contentKey.text(joined));
    await staged.commit();
    expect(await readFile(path.join(outDir, 'links/index.html'), 'utf8')).toBe(joined);
  });

  it('replaces a file of a running server\'s output with the pieces joined', async () => {
    const outDir = path.join(dir, 'live');
    const output = new InPlaceOutput(outDir, new Map([['links/index.html', 'sha256:an-older-page']]));
    expect(await output.place('links/index.html', undefined, () => pieces)).toBe(contentKey.text(joined));
    expect(output.written).toEqual(['links/index.html']);
    expect(await readFile(path.join(outDir, 'links/index.html'), 'utf8')).toBe(joined);
  });
});
