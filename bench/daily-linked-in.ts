// Benchmark (not a test): what "already linked in #N" adds to a capture as the archive
// grows: reading the published issues and walking each once (content/capture/linked-in.ts)
// on a store already loaded, as the server holds it. 300 and 600 real-size synthetic issues
// (12 sections, 80 links each); the median of three runs of the lookup for one URL.
//   npx tsx bench/daily-linked-in.ts
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadLinkedIn } from '../content/capture/linked-in.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { syntheticDataset, writeDataset } from '../tests/build-dataset.ts';

const targetSeconds = 1;

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-linked-in-'));
try {
  for (const issues of [300, 600]) {
    const datasetPath = path.join(dir, `dataset-${issues}.ndjson`);
    await writeDataset(datasetPath, syntheticDataset({ issues }));
    const store = new GroqJsStore({ datasetPath });
    // A URL some issue links: the answer must not be empty, or nothing was measured.
    const url = (await store.fetch(`*[_type == "link"][0].url`, {}, { perspective: 'published' })) as string;
    await store.fetch(`count(*)`, {}, { perspective: 'published' });
    const times: number[] = [];
    let found = 0;
    for (let run = 0; run < 3; run++) {
      const t = performance.now();
      found = (await loadLinkedIn(store))([url]).length;
      times.push((performance.now() - t) / 1000);
    }
    if (found === 0) throw new Error(`no issue links ${url}: the synthetic archive changed`);
    store.close();
    times.sort((a, b) => a - b);
    console.log(`already-linked lookup, ${issues} issues: ${times[1]!.toFixed(2)} s (target <= ${targetSeconds} s)`);
    await fs.rm(datasetPath);
  }
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
