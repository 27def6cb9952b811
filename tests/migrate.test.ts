// `newsdesk migrate` run in process (no subscribers, no build) into a fresh data folder
// that still holds the shipped sample: the migrated posts take its place, as an archive
// given to `newsdesk import` does. The full journey is tests/migrate.e2e.test.ts.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { migrateCommand } from '../scripts/migrate.ts';
import { runCommand } from './helpers/run-command.ts';

const substack = path.join(import.meta.dirname, 'fixtures/migrate/substack');
let dataDir: string;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-migrate-'));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('migrating into a fresh data folder', () => {
  it('removes the untouched sample issues and numbers the posts from 1, saying so', async () => {
    const result = await runCommand(migrateCommand, ['substack', substack, '--no-subscribers'], { env: { NEWSDESK_DATA_DIR: dataDir }, cwd: dataDir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^3 of 3 file\(s\) imported, 0 refused \(\d+(\.\d)? s\)\.$/m);
    expect(result.stdout).toContain('The store held only the untouched sample issues: drafts.issue-3, drafts.issue-5, issue-1, issue-2, issue-3, issue-4 were removed');
    const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
    const issues = (await store.fetch(`*[_type == "issue"] | order(number asc){ _id, number, title }`, {}, { perspective: 'raw' })) as Array<{ _id: string; number: number; title: string }>;
    expect(issues.map((i) => i.number)).toEqual([1, 2, 3]);
  });
});
