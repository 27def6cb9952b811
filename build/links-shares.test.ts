import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { LinkSharesRecord } from './links-shares.ts';

describe('LinkSharesRecord', () => {
  it('writes every share at its place when it writes the record anew, and a new process reads each back whole', async () => {
    const dir = await makeTempDir();
    // Shares of very different lengths (several lines are written at once), each with words after its tab.
    const shares = new Map<string, () => string>();
    for (let n = 0; n < 40; n++) {
      const first = JSON.stringify({ n, pad: 'x'.repeat((n * 7919) % 5000) });
      shares.set(`key-${n}`, () => `${first}\t${JSON.stringify(['words', n, 'y'.repeat((n * 104729) % 20000)])}`);
    }
    const writer = new LinkSharesRecord(dir);
    writer.record('context', shares);
    await writer.save();

    const text = await readFile(path.join(dir, 'links-shares.ndjson'), 'latin1');
    expect(text.split('\n').filter(Boolean)).toEqual([...shares].map(([key, share]) => `context\t${key}\t${share()}`));

    const kept = new LinkSharesRecord(dir).kept('context', new Map([...shares.keys()].map((key) => [key, key])));
    for (const [key, share] of shares) {
      const got = kept.get(key)!;
      const [first, rest] = share().split('\t');
      expect(got.parsed).toEqual(JSON.parse(first!));
      expect(got.rest?.slice(0, got.rest.length)).toBe(rest);
      // A piece of the words, on its own.
      expect(got.rest?.slice(3, 5)).toBe(rest!.slice(3, 8));
    }
  });
});
