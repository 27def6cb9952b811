// The build cache's entries (build/cache.ts): files named for their key in a shard folder,
// complete once their metadata is written, never changed in place once written (outputs
// hard-link them), and pruned file by file.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildCache } from '../build/cache.ts';
import type { IssueArtifacts } from '../build/render-issue.ts';
import { makeTempDir } from './helpers/temp.ts';

const artifacts = (text: string): IssueArtifacts => ({
  page: `<p>${text}</p>`,
  body: `<div>${text}</div>`,
  emailHtml: `<table>${text}</table>`,
  emailText: text,
  search: JSON.stringify({ text }),
  subject: `About ${text}`,
  warnings: [],
});

const keyOf = (n: number) => n.toString(16).padStart(2, '0').repeat(32);

describe('build cache entries', () => {
  it('are files in a shard folder, complete only once their metadata is written', async () => {
    const dir = await makeTempDir('newsdesk-cache-');
    const cache = new BuildCache(dir);
    const key = keyOf(1);
    expect(await cache.readMeta(key)).toBeUndefined();
    expect(await cache.write(key, 7, artifacts('one'))).toEqual({ number: 7, subject: 'About one', warnings: [] });
    expect((await fs.readdir(path.join(dir, key.slice(0, 2)))).sort()).toEqual(
      ['body.html', 'email.html', 'email.txt', 'meta.json', 'page.html', 'search.json'].map((name) => `${key}.${name}`),
    );
    expect(await fs.readFile(cache.artifactPath(key, 'emailText'), 'utf8')).toBe('one');
    expect(await cache.readMeta(key)).toEqual({ number: 7, subject: 'About one', warnings: [] });

    // A write stopped before its metadata (the artifacts there, the metadata not): incomplete.
    const half = keyOf(2);
    await cache.write(half, 8, artifacts('two'));
    await fs.rm(path.join(dir, half.slice(0, 2), `${half}.meta.json`));
    expect(await cache.readMeta(half)).toBeUndefined();
    await cache.write(half, 8, artifacts('two again'));
    expect(await cache.readMeta(half)).toEqual({ number: 8, subject: 'About two again', warnings: [] });
    expect(await fs.readFile(cache.artifactPath(half, 'page'), 'utf8')).toBe('<p>two again</p>');
  });

  it('replace a file already there by a new one, so an output that hard-links the old one keeps it', async () => {
    const dir = await makeTempDir('newsdesk-cache-');
    const cache = new BuildCache(dir);
    const key = keyOf(3);
    await cache.write(key, 1, artifacts('before'));
    const output = path.join(dir, 'linked-page.html');
    await fs.link(cache.artifactPath(key, 'page'), output);
    await cache.write(key, 1, artifacts('after'));
    expect(await fs.readFile(cache.artifactPath(key, 'page'), 'utf8')).toBe('<p>after</p>');
    expect(await fs.readFile(output, 'utf8')).toBe('<p>before</p>');
  });

  it('are pruned and removed file by file, older entry folders too, and nothing else in a shard', async () => {
    const dir = await makeTempDir('newsdesk-cache-');
    const cache = new BuildCache(dir);
    const [kept, dropped, removed] = [keyOf(4), keyOf(5), keyOf(6)];
    for (const key of [kept, dropped, removed]) await cache.write(key, 1, artifacts(key));
    // An entry folder of an older cache under a key still in use, and one being written when that build stopped.
    const shard = path.join(dir, kept.slice(0, 2));
    await fs.mkdir(path.join(shard, kept, 'inner'), { recursive: true });
    await fs.mkdir(path.join(shard, `${kept}.tmp-0a1b`));
    await fs.writeFile(path.join(shard, 'notes.txt'), 'not the cache’s');

    expect([...cache.keysOf([cache.artifactPath(kept, 'page'), cache.artifactPath(removed, 'emailHtml'), path.join(dir, 'pages', `${kept}.html`)])].sort()).toEqual(
      [kept, removed].sort(),
    );
    await cache.remove([removed]);
    expect(await cache.readMeta(removed)).toBeUndefined();
    expect((await fs.readdir(path.join(dir, removed.slice(0, 2)))).filter((name) => name.startsWith(removed))).toEqual([]);

    await cache.prune(new Set([kept]));
    expect(await cache.readMeta(kept)).toBeDefined();
    expect(await cache.readMeta(dropped)).toBeUndefined();
    const left = await fs.readdir(shard);
    expect(left.filter((name) => !name.startsWith(`${kept}.`) || name.includes('tmp'))).toEqual(['notes.txt']);
    expect(left.filter((name) => name.startsWith(kept))).toHaveLength(6);
  });
});
