import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { until } from '../../tests/helpers/hang.ts';
import { makeTempDir } from '../../tests/helpers/temp.ts';
import { GroupCommit, openDatabase } from './db.ts';

async function table(file?: string) {
  const db = openDatabase(file ?? path.join(await makeTempDir(), 'group.db'), { busyTimeoutMs: 5 });
  db.exec('CREATE TABLE IF NOT EXISTS marks (id INTEGER PRIMARY KEY, what TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO marks (what) VALUES (?)');
  const count = db.prepare('SELECT count(*) AS n FROM marks');
  return { db, add: (what: string) => () => Number(insert.run(what).lastInsertRowid), count: () => (count.get() as { n: number }).n };
}

describe('group commit', () => {
  it('commits the writes handed in during one turn together, each resolved with its own result', async () => {
    const { db, add, count } = await table();
    const writes = new GroupCommit(db);
    const ids = await Promise.all([writes.run(add('a')), writes.run(add('b')), writes.run(add('c'))]);
    expect(ids).toEqual([1, 2, 3]);
    expect(count()).toBe(3);
    expect(writes.commits).toBe(1);
  });

  it('lets a write that asks for no commit of its own ride with the next one, in the order handed in', async () => {
    const { db, add, count } = await table();
    const writes = new GroupCommit(db);
    const sent = writes.runLater(add('sent'));
    // The next hand-off, asked for on a later turn, sees the earlier record in its transaction.
    await new Promise((resolve) => setImmediate(resolve));
    expect(count()).toBe(0);
    const handOff = writes.run(() => {
      const before = count();
      add('sending')();
      return before;
    });
    expect(await Promise.all([sent, handOff])).toEqual([1, 1]);
    expect(writes.commits).toBe(1);
  });

  it('commits a write that asks for no commit of its own by itself when nothing else comes', async () => {
    const { db, add, count } = await table();
    const writes = new GroupCommit(db);
    expect(await writes.runLater(add('last reply'), 5)).toBe(1);
    expect(count()).toBe(1);
    expect(writes.commits).toBe(1);
  });

  it('commits in the order writes were handed in when a batch has to wait for another writer\'s lock', async () => {
    const file = path.join(await makeTempDir(), 'locked.db');
    const { db, add, count } = await table(file);
    const other = openDatabase(file);
    other.exec('BEGIN IMMEDIATE');
    const writes = new GroupCommit(db);
    const sent = writes.run(add('sent'));
    // Its batch has tried, found the lock taken, and waits to try again.
    await until('the first batch to try', () => (writes.commits === 1 ? true : undefined));
    const handOff = writes.run(() => {
      const before = count();
      add('sending')();
      return before;
    });
    other.exec('COMMIT');
    // The later write still sees the earlier one committed first.
    expect(await Promise.all([sent, handOff])).toEqual([1, 1]);
    other.close();
  });

  it('reports a failing write to its own caller only, and still commits the others', async () => {
    const { db, add, count } = await table();
    const writes = new GroupCommit(db);
    const results = await Promise.allSettled([
      writes.runLater(add('kept')),
      writes.run(() => {
        throw new Error('this one fails');
      }),
      writes.run(add('also kept')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(count()).toBe(2);
  });
});
