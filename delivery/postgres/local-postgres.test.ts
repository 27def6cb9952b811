import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../tests/helpers/temp.ts';
import { unreachableAncestor } from './local-postgres.ts';

describe('a data folder the postgres user must reach (run as root)', () => {
  it('names the first folder on the way that another user may not enter', async () => {
    const root = await makeTempDir('newsdesk-reach-');
    const closed = path.join(root, 'private');
    const data = path.join(closed, 'deeper', 'postgres');
    fs.mkdirSync(path.dirname(data), { recursive: true });
    fs.chmodSync(root, 0o755);
    fs.chmodSync(closed, 0o700);
    const stranger = { uid: process.getuid!() + 4242, gid: process.getgid!() + 4242 };
    expect(unreachableAncestor(data, stranger)).toEqual({ dir: closed, mode: '700', uid: process.getuid!() });
    // Its owner passes, and so does anyone once the folder is opened up.
    expect(unreachableAncestor(data, { uid: process.getuid!(), gid: process.getgid!() })).toBeUndefined();
    fs.chmodSync(closed, 0o711);
    expect(unreachableAncestor(data, stranger)).toBeUndefined();
  });
});
