// Benchmark (not a test): what "already linked in #N" adds to a capture as the archive
// grows: reading the published issues and links (content/capture/linked-in.ts) on a store
// already loaded, as the server holds it. 300, 600 and 1,000 real-size synthetic issues
// (12 sections, 80 links each). The first lookup in the process walks every issue and
// parses every link's address (a `newsdesk capture` pays that, while the page is fetched);
// later ones, as a server's next captures, take those from the first: the median of three.
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
  for (const issues of [300, 600, 1000]) {
    const datasetPath = path.join(dir, `dataset-${issues}.ndjson`);
    await writeDataset(datasetPath, syntheticDataset({ issues }));
    const store = new GroqJsStore({ datasetPath });
    // A URL some issue links: the answer must not be empty, or nothing was measured.
    const url = (await store.fetch(`*[_type == "link"][0].url`, {}, { perspective: 'published' })) as string;
    await store.fetch(`count(*)`, {}, { perspective: 'published' });
    const times: number[] = [];
    let found = 0;
    for (let run = 0; run < 4; run++) {
      const t = performance.now();
      found = (await loadLinkedIn(store))([url]).length;
      times.push((performance.now() - t) / 1000);
    }
    if (found === 0) throw new Error(`no issue links ${url}: the synthetic archive changed`);
    store.close();
    const [first, ...later] = times;
    later.sort((a, b) => a - b);
    console.log(`already-linked lookup, ${issues} issues, first in the process: ${first!.toFixed(2)} s (target <= ${targetSeconds} s)`);
    console.log(`already-linked lookup, ${issues} issues, the next ones: ${later[1]!.toFixed(2)} s (target <= ${targetSeconds} s)`);
    await fs.rm(datasetPath);
  }
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
