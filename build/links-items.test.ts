import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinkItemsRecord, type PageLayout } from './links-items.ts';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-links-items-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const digest = (c: string) => c.repeat(12);
const item = (id: string, words: string) => `<li id="${id}"><h3>${words}</h3></li>`;
const rel = 'links/page/3/index.html';

/** A page of three items (one of them beyond Latin-1), written to the output folder and recorded as written under `key`. */
async function writtenPage(version = 'v1', context = 'c1', key = 'sha256:one'): Promise<{ layout: PageLayout; items: string[]; outDir: string }> {
  const items = [item('a', 'Alpha'), item('b', 'Beta — ünïcode'), item('c', 'Gamma')];
  const pieces = ['<html><body>', '<ul class="link-list">', ...items, '</ul></body></html>'];
  const layout: PageLayout = { pieces, first: 2, digests: ['A', 'B', 'C'].map(digest), fullAt: [-1, 4, -1] };
  const outDir = path.join(dir, 'dist');
  await fs.mkdir(path.join(outDir, path.dirname(rel)), { recursive: true });
  await fs.writeFile(path.join(outDir, rel), pieces.join(''));
  const record = new LinkItemsRecord(dir, version);
  record.written(rel, key, context, layout);
  await record.save();
  return { layout, items, outDir };
}

describe('the record of where each link item is in the pages written', () => {
  it('gives the bytes of the items a page still lists, by entry and the page it points to', async () => {
    const { items, outDir } = await writtenPage();
    const record = new LinkItemsRecord(dir, 'v1');
    // The page now: a new item first, then C, B (pointing to another page now) and A.
    const taken = await record.taken(rel, 'c1', { outDir, key: 'sha256:one' }, () => ({ digests: ['N', 'C', 'B', 'A'].map(digest), fullAt: [-1, -1, 5, -1] }));
    expect([...taken!.keys()].sort()).toEqual([1, 3]);
    expect(Buffer.from(taken!.get(1)!).toString()).toBe(items[2]);
    expect(Buffer.from(taken!.get(3)!).toString()).toBe(items[0]);
    const same = await record.taken(rel, 'c1', { outDir, key: 'sha256:one' }, () => ({ digests: ['B'].map(digest), fullAt: [4] }));
    expect(Buffer.from(same!.get(0)!).toString()).toBe(items[1]);
  });

  it('gives nothing when the output holds another file, or the items were made in another context or version', async () => {
    const { outDir } = await writtenPage();
    const now = () => ({ digests: ['A'].map(digest), fullAt: [-1] });
    expect(await new LinkItemsRecord(dir, 'v1').taken(rel, 'c1', { outDir, key: 'sha256:two' }, now)).toBeUndefined();
    expect(await new LinkItemsRecord(dir, 'v1').taken(rel, 'c2', { outDir, key: 'sha256:one' }, now)).toBeUndefined();
    expect(await new LinkItemsRecord(dir, 'v2').taken(rel, 'c1', { outDir, key: 'sha256:one' }, now)).toBeUndefined();
    expect(await new LinkItemsRecord(dir, 'v1').taken('links/index.html', 'c1', { outDir, key: 'sha256:one' }, now)).toBeUndefined();
    // The file changed under the manifest: another length, or the same length with an item moved.
    const file = path.join(outDir, rel);
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, `${text} `);
    expect(await new LinkItemsRecord(dir, 'v1').taken(rel, 'c1', { outDir, key: 'sha256:one' }, now)).toBeUndefined();
    await fs.writeFile(file, ` ${text.slice(0, -1)}`);
    expect(await new LinkItemsRecord(dir, 'v1').taken(rel, 'c1', { outDir, key: 'sha256:one' }, now)).toBeUndefined();
    await fs.rm(file);
    expect(await new LinkItemsRecord(dir, 'v1').taken(rel, 'c1', { outDir, key: 'sha256:one' }, now)).toBeUndefined();
  });

  it('keeps a page placed unchanged, and drops one no longer in the output', async () => {
    const { outDir } = await writtenPage();
    const other = 'links/domain/example.com/index.html';
    const next = new LinkItemsRecord(dir, 'v1');
    next.placed(rel, 'sha256:one');
    next.written(other, 'sha256:three', 'c1', { pieces: ['<ul>', item('z', 'Zeta'), '</ul>'], first: 1, digests: [digest('Z')], fullAt: [-1] });
    await next.save();
    const now = () => ({ digests: ['A'].map(digest), fullAt: [-1] });
    expect((await new LinkItemsRecord(dir, 'v1').taken(rel, 'c1', { outDir, key: 'sha256:one' }, now))?.size).toBe(1);

    // The output now holds another file there: the record, made for the one before, gives nothing for it.
    const moved = new LinkItemsRecord(dir, 'v1');
    moved.placed(rel, 'sha256:two');
    moved.placed(other, 'sha256:three');
    await moved.save();
    expect(await new LinkItemsRecord(dir, 'v1').taken(rel, 'c1', { outDir, key: 'sha256:two' }, now)).toBeUndefined();

    // A build that writes a page and no longer has the other drops the other's record.
    const gone = new LinkItemsRecord(dir, 'v1');
    gone.written(other, 'sha256:four', 'c1', { pieces: ['<ul>', item('z', 'Zeta!'), '</ul>'], first: 1, digests: [digest('Z')], fullAt: [-1] });
    await gone.save();
    expect(await new LinkItemsRecord(dir, 'v1').taken(rel, 'c1', { outDir, key: 'sha256:one' }, now)).toBeUndefined();
  });

  it('reads a damaged record as none', async () => {
    const { outDir } = await writtenPage();
    const file = path.join(dir, 'links-items.bin');
    const bytes = await fs.readFile(file);
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 3));
    expect(await new LinkItemsRecord(dir, 'v1').taken(rel, 'c1', { outDir, key: 'sha256:one' }, () => ({ digests: ['A'].map(digest), fullAt: [-1] }))).toBeUndefined();
    await fs.writeFile(file, 'not a record');
    expect(await new LinkItemsRecord(dir, 'v1').taken(rel, 'c1', { outDir, key: 'sha256:one' }, () => ({ digests: ['A'].map(digest), fullAt: [-1] }))).toBeUndefined();
  });
});
