// Daily figures for the local Content Lake (issue 17, point 2): how long a document with
// a thousand transactions takes to open its history (the events, the newest page of
// transactions and a revision, as the Studio's history panel asks them, on a freshly
// opened lake), the worst event-loop
// delay while the heaviest requests run (history, a revision, a GROQ query bomb that the
// budget stops), and the round trip of a cheap query through the query workers.
//
//   npx tsx bench/daily-lake.ts
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { startLocalLake } from '../tests/helpers/local-lake.ts';
import { writeLongHistoryDataset } from '../tests/helpers/long-history.ts';

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-lake-'));
try {
  const data = await writeLongHistoryDataset(work, { documents: 300, transactions: 1000 });
  const lake = await startLocalLake(new GroqJsStore({ datasetPath: data.datasetPath }));
  const get = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(`${lake.url}/v2026-05-04${url}`, { ...init, headers: { authorization: `Bearer ${lake.token}`, ...init.headers } });
    // Read as bytes: this process is the lake's, and decoding megabytes here is not the lake's delay.
    await response.arrayBuffer();
    return { status: response.status };
  };
  const query = (q: string) => get(`/data/query/production?query=${encodeURIComponent(q)}`);
  try {
    await query('count(*)');

    let started = performance.now();
    // What the Studio's history panel asks when it opens (its listing pages by 50).
    const opened = await Promise.all([
      get(`/data/history/production/events/documents/drafts.${data.issueId}`),
      get(`/data/history/production/transactions/${data.issueId},drafts.${data.issueId}?effectFormat=mendoza&excludeContent=true&excludeMutations=true&includeIdentifiedDocumentsOnly=true&reverse=true&limit=50`),
      get(`/data/history/production/documents/drafts.${data.issueId}?revision=${data.revisions[500]}`),
    ]);
    const openSeconds = (performance.now() - started) / 1000;
    if (opened.some((r) => r.status !== 200)) throw new Error(`history answered ${opened.map((r) => r.status).join(', ')}`);

    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    const heavy = await Promise.all([
      query('count(*[]{"a":*[]{"b":*[]{"c":*[]{"d":*[]{_id}}}}})'),
      get(`/data/history/production/transactions/drafts.${data.issueId},${data.issueId}?reverse=true&limit=1000`),
      get(`/data/history/production/events/documents/drafts.${data.issueId}?limit=1000`),
      get(`/data/history/production/documents/drafts.${data.issueId}?revision=${data.revisions[900]}`),
    ]);
    histogram.disable();
    if (heavy[0].status !== 422) throw new Error(`the query bomb answered ${heavy[0].status}, not 422`);

    const rounds: number[] = [];
    for (let i = 0; i < 200; i++) {
      started = performance.now();
      const { status } = await query(`*[_id == "link-${i % 300}"][0]{title, status}`);
      rounds.push(performance.now() - started);
      if (status !== 200) throw new Error(`a cheap query answered ${status}`);
    }
    rounds.sort((a, b) => a - b);

    console.log(`history open, 1000 transactions: ${openSeconds.toFixed(3)} s (target <= 0.3 s)`);
    console.log(`max event-loop delay during heavy lake requests: ${(histogram.max / 1e6).toFixed(1)} ms (target <= 100 ms)`);
    console.log(`cheap lake query round trip, median: ${rounds[Math.floor(rounds.length / 2)]!.toFixed(2)} ms (target <= 10 ms)`);
  } finally {
    await lake.close();
  }
} finally {
  await fs.rm(work, { recursive: true, force: true });
}
