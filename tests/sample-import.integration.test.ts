// Proves the shipped sample can be loaded into a Sanity project the way the README says:
// the importer behind `sanity dataset import` (@sanity/import, shipped with the sanity
// CLI) reads the NDJSON file and sends it through the real @sanity/client to a local
// stand-in for the Content Lake on port 0.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@sanity/client';
import { sanityImport } from '@sanity/import';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { samplePath } from '../core/config.ts';
import { GroqJsStore, parseDataset } from '../content/groq-js-store.ts';
import type { SanityDocument } from '../content/store.ts';
import { startLocalLake, type LocalLake } from './helpers/local-lake.ts';

let dir: string;
let lake: GroqJsStore;
let standIn: LocalLake;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'newsdesk-sample-import-'));
  const file = path.join(dir, 'lake.ndjson');
  await fsp.writeFile(file, '');
  lake = new GroqJsStore({ datasetPath: file, now: () => new Date('2026-03-01T12:00:00Z') });
  standIn = await startLocalLake(lake, { token: 'sample-import-token' });
});

afterAll(async () => {
  await standIn.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

it('imports every sample document with `sanity dataset import`’s importer and stores them unchanged', async () => {
  const client = createClient({
    projectId: 'sample',
    dataset: 'production',
    apiVersion: '2025-02-19',
    apiHost: standIn.url,
    useProjectHostname: false,
    useCdn: false,
    token: 'sample-import-token',
  });
  const result = await sanityImport(fs.createReadStream(samplePath), {
    client,
    operation: 'create',
    onProgress: () => {},
  });

  const shipped = parseDataset(await fsp.readFile(samplePath, 'utf8'), samplePath);
  expect(result).toEqual({ numDocs: shipped.length, warnings: [] });
  // The importer weakens references while documents arrive and strengthens them after;
  // what is left must be the shipped documents, apart from the lake's own bookkeeping.
  const imported = new Map((await lake.documents()).map((d) => [d._id, withoutSystemFields(d)] as const));
  expect(imported.size).toBe(shipped.length);
  for (const doc of shipped) expect(imported.get(doc._id), doc._id).toEqual(withoutSystemFields(doc));
});

function withoutSystemFields(doc: SanityDocument): Omit<SanityDocument, '_rev' | '_createdAt' | '_updatedAt'> {
  const { _rev: _r, _createdAt: _c, _updatedAt: _u, ...rest } = doc;
  return rest;
}
