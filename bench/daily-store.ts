// Benchmark (not a test): what a write costs the local store on a large archive. Builds
// an ~80 MB dataset (issues with Portable Text sections, links, tags) in a temporary
// folder, then measures, in this process:
//   - open: a new store's first query (reads and parses the dataset file and journal);
//   - edit through the store: median of 20 small patches (store.mutate);
//   - edit through the lake: median server time of 20 Studio edits (sanity.action.document.edit
//     on the actions endpoint, the way the Studio types), history appended included;
//   - compaction: folding the journal into a fresh dataset file (done on its own once the
//     journal passes 25% of the dataset), and the median edit made while it runs.
//   npx tsx bench/daily-store.ts
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { ContentLake, lakeDirFor } from '../content/lake/lake.ts';

const targets = { editMs: 50, openS: 3, compactS: 3 };
const words = 'kelp tide harbor planner widget notebook release kernel cache proxy schema parser socket thread query index vector runtime compiler module package lint format server client stream buffer'.split(' ');
const word = (n: number) => words[(n * 2654435761) % words.length]!;
const sentence = (n: number, length = 24) => Array.from({ length }, (_, i) => word(n + i * 7)).join(' ');
const key = (n: number) => `k${n.toString(36)}`;

function block(n: number): Record<string, unknown> {
  return {
    _type: 'block',
    _key: key(n),
    style: 'normal',
    markDefs: [{ _type: 'link', _key: key(n + 1), href: `https://${word(n)}.example.org/${n}` }],
    children: [
      { _type: 'span', _key: key(n + 2), text: `${sentence(n)}, `, marks: [] },
      { _type: 'span', _key: key(n + 3), text: sentence(n + 3, 6), marks: [key(n + 1)] },
      { _type: 'span', _key: key(n + 4), text: `. ${sentence(n + 5, 30)}.`, marks: [] },
    ],
  };
}

function issue(n: number, links: number): Record<string, unknown> {
  return {
    _id: `issue-${n}`,
    _type: 'issue',
    _rev: `r-issue-${n}`,
    _createdAt: '2025-01-01T00:00:00Z',
    _updatedAt: '2025-01-01T00:00:00Z',
    number: n,
    title: `Bench Weekly #${n}: ${word(n)} and ${word(n + 1)}`,
    slug: { _type: 'slug', current: `issue-${n}` },
    date: new Date(Date.UTC(2010, 0, 1) + n * 7 * 86_400_000).toISOString().slice(0, 10),
    intro: [block(n * 100)],
    sections: Array.from({ length: 10 }, (_, s) => ({
      _type: 'section',
      _key: key(n * 100 + s),
      heading: `${word(n + s)} ${word(n + s + 3)}`,
      body: Array.from({ length: 4 }, (_, b) => block(n * 1000 + s * 10 + b)),
      links: Array.from({ length: 6 }, (_, l) => ({ _type: 'reference', _key: key(l), _ref: `link-${(n * 60 + s * 6 + l) % links}` })),
    })),
  };
}

function link(n: number): Record<string, unknown> {
  return {
    _id: `link-${n}`,
    _type: 'link',
    _rev: `r-link-${n}`,
    _createdAt: '2025-01-01T00:00:00Z',
    _updatedAt: '2025-01-01T00:00:00Z',
    url: `https://${word(n)}.example.org/${word(n + 1)}/${n}`,
    title: `${sentence(n, 8)}`,
    status: n % 3 ? 'published' : 'inbox',
    tags: [{ _type: 'reference', _key: key(n), _ref: `tag-${n % 40}` }],
    note: [block(n)],
  };
}

async function writeDataset(file: string, bytes: number): Promise<{ mb: number; documents: number }> {
  const out = await fs.open(file, 'w');
  const linkCount = 30_000;
  let written = 0;
  let documents = 0;
  const put = async (doc: Record<string, unknown>) => {
    const line = `${JSON.stringify(doc)}\n`;
    written += Buffer.byteLength(line);
    documents++;
    await out.write(line);
  };
  for (let t = 0; t < 40; t++) await put({ _id: `tag-${t}`, _type: 'tag', _rev: `r-tag-${t}`, title: word(t) });
  for (let l = 0; l < linkCount; l++) await put(link(l));
  for (let n = 1; written < bytes; n++) await put(issue(n, linkCount));
  await out.close();
  return { mb: written / 1e6, documents };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const line = (name: string, value: number, unit: string, target: number) => console.log(`${name}: ${value.toFixed(unit === 's' ? 2 : 1)} ${unit} (target <= ${target} ${unit})`);

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-store-'));
try {
  const datasetPath = path.join(dir, 'dataset.ndjson');
  const { mb, documents } = await writeDataset(datasetPath, 80e6);
  console.log(`# dataset: ${mb.toFixed(1)} MB, ${documents} documents`);

  let started = performance.now();
  const store = new GroqJsStore({ datasetPath });
  await store.fetch('count(*)');
  const openS = (performance.now() - started) / 1000;
  line(`store open, ${mb.toFixed(0)} MB`, openS, 's', targets.openS);

  await store.mutate([{ createOrReplace: { _id: 'drafts.issue-1', _type: 'issue', title: 'Warm-up', number: 1 } }]);
  const storeMs: number[] = [];
  for (let i = 0; i < 20; i++) {
    started = performance.now();
    await store.mutate([{ patch: { id: 'drafts.issue-1', set: { title: `Edit ${i}` } } }], { author: 'pLocalEditor' });
    storeMs.push(performance.now() - started);
  }
  line(`edit through the store, ${mb.toFixed(0)} MB (median of 20)`, median(storeMs), 'ms', targets.editMs);

  const token = 'bench-store-token-0123456789abcdef';
  const lake = await ContentLake.open({ store, lakeDir: lakeDirFor(datasetPath), projectId: 'newsdesk0', dataset: 'production', token, allowedOrigins: [], publicUrl: () => 'http://127.0.0.1' });
  const edit = (i: number) =>
    new Request('http://127.0.0.1/v2026-05-04/data/actions/production', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ actions: [{ actionType: 'sanity.action.document.edit', draftId: 'drafts.issue-2', publishedId: 'issue-2', patch: { set: { title: `Typed ${i}` } } }] }),
    });
  const lakeMs: number[] = [];
  for (let i = -1; i < 20; i++) {
    const request = edit(i);
    started = performance.now();
    const response = await lake.fetch(request);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`the edit was answered ${response.status}`);
    if (i >= 0) lakeMs.push(performance.now() - started);
  }
  line(`edit through the lake's actions endpoint, ${mb.toFixed(0)} MB (median of 20)`, median(lakeMs), 'ms', targets.editMs);
  lake.close();

  // Compaction runs beside the writes: edits made meanwhile go to the journal.
  started = performance.now();
  let compacted = false;
  const compacting = store.compact().then(() => (compacted = true));
  const duringMs: number[] = [];
  for (let i = 0; !compacted; i++) {
    const t = performance.now();
    await store.mutate([{ patch: { id: 'drafts.issue-1', set: { title: `During ${i}` } } }], { author: 'pLocalEditor' });
    duringMs.push(performance.now() - t);
  }
  await compacting;
  line(`journal folded into the dataset, ${mb.toFixed(0)} MB`, (performance.now() - started) / 1000, 's', targets.compactS);
  line(`edit while the journal is folded, ${mb.toFixed(0)} MB (median of ${duringMs.length})`, median(duringMs), 'ms', targets.editMs);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
