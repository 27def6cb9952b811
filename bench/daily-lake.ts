// Daily figures for the local Content Lake (issue 17, point 2): how long a document with
// a thousand transactions takes to open its history (the events, the newest page of
// transactions and a revision, as the Studio's history panel asks them, on a freshly
// opened lake), the worst event-loop delay while the heaviest requests run (the history
// events, revisions, a GROQ query bomb that the budget stops), and the round trip of a
// cheap query through the query workers.
//
//   npx tsx bench/daily-lake.ts
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { startLocalLake } from '../tests/helpers/local-lake.ts';
import { writeLongHistoryDataset } from '../tests/helpers/long-history.ts';
import { watchEventLoop } from '../tests/helpers/loop-watch.ts';

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-lake-'));
try {
  const data = await writeLongHistoryDataset(work, { documents: 300, transactions: 1000 });
  const draftId = `drafts.${data.issueId}`;

  // Each phase on a freshly opened lake: nothing of the history is replayed yet.
  const openSeconds = await withLake(async (get) => {
    const started = performance.now();
    // What the Studio's history panel asks when it opens (its listing pages by 50).
    const opened = await Promise.all([
      get(`/data/history/production/events/documents/${draftId}`),
      get(`/data/history/production/transactions/${data.issueId},${draftId}?effectFormat=mendoza&excludeContent=true&excludeMutations=true&includeIdentifiedDocumentsOnly=true&reverse=true&limit=50`),
      get(`/data/history/production/documents/${draftId}?revision=${data.revisions[500]}`),
    ]);
    if (opened.some((status) => status !== 200)) throw new Error(`history answered ${opened.join(', ')}`);
    return (performance.now() - started) / 1000;
  });

  const heavy = await withLake(async (get) => {
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const watch = watchEventLoop();
    const [bomb, ...rest] = await Promise.all([
      get(`/data/query/production?query=${encodeURIComponent('count(*[]{"a":*[]{"b":*[]{"c":*[]{"d":*[]{_id}}}}})')}`),
      get(`/data/history/production/events/documents/${draftId}?limit=1000`),
      get(`/data/history/production/documents/${draftId}?revision=${data.revisions[900]}`),
      get(`/data/history/production/documents/${draftId}?revision=${data.revisions[300]}`),
    ]);
    histogram.disable();
    const { maxCpuMs } = watch.stop();
    if (bomb !== 422 || rest.some((status) => status !== 200)) throw new Error(`the heavy requests answered ${[bomb, ...rest].join(', ')}`);
    return { maxDelayMs: histogram.max / 1e6, maxCpuMs };
  });

  const medianMs = await withLake(async (get) => {
    const rounds: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      const status = await get(`/data/query/production?query=${encodeURIComponent(`*[_id == "link-${i % 300}"][0]{title, status}`)}`);
      rounds.push(performance.now() - started);
      if (status !== 200) throw new Error(`a cheap query answered ${status}`);
    }
    return rounds.sort((a, b) => a - b)[rounds.length / 2]!;
  });

  console.log(`history open, 1000 transactions: ${openSeconds.toFixed(3)} s (target <= 0.3 s)`);
  console.log(`max event-loop delay during heavy lake requests: ${heavy.maxDelayMs.toFixed(1)} ms (target <= 100 ms)`);
  // The same, counted in the main thread's CPU time: what the lake itself held, without the waits for a core of a loaded machine.
  console.log(`longest event-loop turn during heavy lake requests, main-thread CPU: ${heavy.maxCpuMs.toFixed(1)} ms (target <= 100 ms)`);
  console.log(`cheap lake query round trip, median: ${medianMs.toFixed(2)} ms (target <= 10 ms)`);

  /** Opens the lake on the dataset, waits for its query workers, runs `phase` with a GET that answers the status. */
  async function withLake<T>(phase: (get: (url: string) => Promise<number>) => Promise<T>): Promise<T> {
    const lake = await startLocalLake(new GroqJsStore({ datasetPath: data.datasetPath }));
    const get = async (url: string) => {
      const response = await fetch(`${lake.url}/v2026-05-04${url}`, { headers: { authorization: `Bearer ${lake.token}` } });
      // Read as bytes: this process is the lake's, and decoding text here is not the lake's delay.
      await response.arrayBuffer();
      return response.status;
    };
    try {
      await get('/data/query/production?query=count(*)');
      return await phase(get);
    } finally {
      await lake.close();
    }
  }
} finally {
  await fs.rm(work, { recursive: true, force: true });
}
