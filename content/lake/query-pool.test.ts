import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../tests/helpers/hang.ts';
import { makeTempDir } from '../../tests/helpers/temp.ts';
import { GroqJsStore } from '../groq-js-store.ts';
import type { SanityDocument } from '../store.ts';
import { LakeError } from './protocol.ts';
import { QueryPool, type QueryBudget, type SpareWorkers } from './query-pool.ts';

const bomb = 'count(*[]{"a":*[]{"b":*[]{"c":*[]{"d":*[]{_id}}}}})';
const pools: QueryPool[] = [];

async function openPool(budget: Partial<QueryBudget> = {}, spare: Partial<SpareWorkers> = {}): Promise<{ store: GroqJsStore; pool: QueryPool; datasetPath: string }> {
  const datasetPath = path.join(await makeTempDir(), 'dataset.ndjson');
  const docs: SanityDocument[] = Array.from({ length: 200 }, (_, i) => ({ _id: `link-${i}`, _type: 'link', _rev: `r${i}`, title: `Link ${i}` }));
  await fs.writeFile(datasetPath, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  const store = new GroqJsStore({ datasetPath });
  const pool = await QueryPool.start(store, { budget, spare });
  pools.push(pool);
  return { store, pool, datasetPath };
}

const ask = (pool: QueryPool, query: string, perspective: 'raw' | 'drafts' | 'published' = 'raw') =>
  pool.query({ query, params: {}, perspective, identity: undefined }).then((json) => (json === undefined ? undefined : JSON.parse(json)));

afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});

describe('query workers', () => {
  it('see every write as soon as the store has acknowledged it', async () => {
    const { store, pool } = await openPool();
    for (let i = 0; i < 30; i++) {
      await store.mutate([{ patch: { id: 'link-3', set: { title: `Edit ${i}` } } }]);
      expect(await ask(pool, '*[_id == "link-3"][0].title')).toBe(`Edit ${i}`);
    }
    await store.mutate([{ create: { _id: 'drafts.link-3', _type: 'link', title: 'Draft' } }, { delete: { id: 'link-4' } }]);
    expect(await ask(pool, '*[_id == "link-3"][0].title', 'drafts')).toBe('Draft');
    expect(await ask(pool, 'count(*[_type == "link"])', 'published')).toBe(199);
  });

  it('see a write another process made to the dataset file, as the store reads it', async () => {
    const { pool, datasetPath } = await openPool();
    // This store does not watch the file: only the workers catching up with the store's reading can show it.
    await new GroqJsStore({ datasetPath }).mutate([{ patch: { id: 'link-7', set: { title: 'From the CLI' } } }, { delete: { id: 'link-8' } }]);
    expect(await ask(pool, '*[_id in ["link-7", "link-8"]].title')).toEqual(['From the CLI']);
  });

  it('go on answering for a moment after the lake closes, as a stopping server finishes its open requests', async () => {
    const { store, pool } = await openPool();
    pool.close();
    await store.mutate([{ patch: { id: 'link-9', set: { title: 'After close' } } }]);
    expect(await ask(pool, '*[_id == "link-9"][0].title')).toBe('After close');
  });

  it('answer as the store does, path("drafts.**") read as the Content Lake reads it (groq-js alone counts draftsman-notes a draft)', async () => {
    const { store, pool } = await openPool();
    await store.mutate([{ create: { _id: 'draftsman-notes', _type: 'link', title: 'Not a draft' } }, { create: { _id: 'drafts.link-5', _type: 'link', title: 'A draft' } }]);
    for (const query of ['*[_type == "link" && !(_id in path("drafts.**"))][_id match "draft*"]._id', '*[_id in path("drafts.**")]._id', 'count(*[_type == "link" && !(_id in path("drafts.**"))])']) {
      expect(await ask(pool, query), query).toEqual(await store.fetch(query, {}, { perspective: 'raw' }));
    }
    expect(await ask(pool, '*[!(_id in path("drafts.**")) && _id match "draftsman*"]._id')).toEqual(['draftsman-notes']);
  });

  it('answer a broken query with the error the store gives', async () => {
    const { store, pool } = await openPool();
    const fromStore = await store.fetch('*[_type == ').catch((error: Error) => error);
    await expect(ask(pool, '*[_type == ')).rejects.toMatchObject({ code: 'QUERY_FAILED', message: (fromStore as Error).message });
  });

  it('stop a query past its time, say what to do, and carry on with a fresh worker', async () => {
    const { pool } = await openPool({ ms: 300 });
    const error = await ask(pool, bomb).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LakeError);
    expect(error).toMatchObject({ status: 422, type: 'queryBudgetExceeded', message: expect.stringMatching(/budget \(0\.3 s\).*filter before projecting/) });
    expect(pool.replaced).toBe(1);
    expect(await ask(pool, 'count(*)')).toBe(200);
  });

  it("read every document's search words once loaded, before a search asks, as does the fresh worker that replaces one", async () => {
    const { pool } = await openPool({ ms: 300 });
    await until('the worker to read the words', () => (pool.warmedDocuments > 0 ? true : undefined));
    expect(pool.warmedDocuments).toBe(200);
    const search = (q: string) =>
      pool.query({ query: '*[_type in $types && [@, _id] match text::query($q)] | order(_id) [0..1]._id', params: { types: ['link'], q }, perspective: 'raw', identity: undefined }).then((json) => JSON.parse(json!));
    expect(await search('link 12*')).toEqual(['link-12', 'link-120']);
    await expect(ask(pool, bomb)).rejects.toMatchObject({ type: 'queryBudgetExceeded' });
    await until('the fresh worker to read the words', () => (pool.warmedDocuments > 200 ? true : undefined));
    expect(pool.warmedDocuments).toBe(400);
    expect(await search('link 19*')).toEqual(['link-19', 'link-190']);
  });

  it('stop a query past its memory', async () => {
    const { pool } = await openPool({ ms: 120_000, memoryMb: 64 });
    await expect(ask(pool, bomb)).rejects.toMatchObject({ status: 422, message: expect.stringMatching(/64 MB of memory/) });
    expect(await ask(pool, 'count(*)')).toBe(200);
  });

  it('run one worker, a second only while a slow query holds the first with others waiting, which stops once idle', async () => {
    const { pool } = await openPool({ ms: 120_000 }, { afterMs: 100, idleMs: 200 });
    // Quick queries, even many at once, share the one worker.
    expect(await Promise.all(Array.from({ length: 20 }, () => ask(pool, 'count(*)')))).toEqual(Array(20).fill(200));
    expect(pool.workers).toBe(1);
    expect(pool.sparesStarted).toBe(0);
    // A slow one (this one takes seconds) holds it: the quick one waiting behind it gets a second worker.
    let slowDone = false;
    const slow = ask(pool, 'count(*[count(*[count(*[_id != ^._id]) > 0]) > 0])').finally(() => (slowDone = true));
    // Each query first reads the dataset's state, which can finish in either order: the slow one is asked first.
    await until('the slow query to run', () => (pool.running === 1 ? true : undefined));
    expect(await ask(pool, 'count(*[_type == "link"])')).toBe(200);
    expect(slowDone).toBe(false);
    expect(pool.sparesStarted).toBe(1);
    expect(pool.workers).toBe(2);
    expect(await slow).toBe(200);
    // Idle, the second stops again (idleMs), and queries go on.
    await until('the second worker to stop', () => (pool.workers === 1 ? true : undefined));
    expect(await ask(pool, 'count(*)')).toBe(200);
    expect(pool.replaced).toBe(0);
  });
});

