import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroqJsStore, readDataset, serialiseInParts } from '../content/groq-js-store.ts';
import { exportCommand } from '../scripts/export.ts';
import { runCommand } from './helpers/run-command.ts';
import { makeTempDir } from './helpers/temp.ts';

describe('newsdesk export', () => {
  it('writes the edits still waiting in the journal, leaves the dataset and journal as they were, and drops drafts with --published', async () => {
    const dataDir = await makeTempDir('newsdesk-export-');
    const env = { NEWSDESK_DATA_DIR: dataDir };
    const datasetPath = path.join(dataDir, 'dataset.ndjson');
    const store = new GroqJsStore({ datasetPath, seedFrom: path.resolve(import.meta.dirname, '../content/sample/dataset.ndjson') });
    await store.mutate([
      { create: { _id: 'tag-exported', _type: 'tag', title: 'Exported', slug: { _type: 'slug', current: 'exported' } } },
      { create: { _id: 'drafts.tag-exported', _type: 'tag', title: 'Exported (draft)', slug: { _type: 'slug', current: 'exported' } } },
    ]);
    store.close();
    const datasetBefore = fs.readFileSync(datasetPath, 'utf8');
    const journalBefore = fs.readFileSync(`${datasetPath}.journal`, 'utf8');
    expect(datasetBefore).not.toContain('tag-exported');

    const all = await runCommand(exportCommand, ['all.ndjson'], { env, cwd: dataDir });
    expect(all.code, all.stderr).toBe(0);
    const exported = await readDataset(path.join(dataDir, 'all.ndjson'));
    expect(exported.map((d) => d._id)).toEqual(expect.arrayContaining(['tag-exported', 'drafts.tag-exported']));
    expect(exported.length).toBe(datasetBefore.trim().split('\n').length + 2);
    expect(all.stdout).toContain(`${exported.length} document(s)`);
    // Read lazily and never copied, each document is written as a store reading the whole dataset holds it.
    const eager = new GroqJsStore({ datasetPath });
    expect(fs.readFileSync(path.join(dataDir, 'all.ndjson'), 'utf8')).toBe([...serialiseInParts(await eager.documents())].join(''));
    eager.close();

    const published = await runCommand(exportCommand, ['published.ndjson', '--published'], { env, cwd: dataDir });
    expect(published.code, published.stderr).toBe(0);
    const ids = (await readDataset(path.join(dataDir, 'published.ndjson'))).map((d) => d._id);
    expect(ids).toContain('tag-exported');
    expect(ids.filter((id) => id.startsWith('drafts.'))).toEqual([]);

    expect(fs.readFileSync(datasetPath, 'utf8')).toBe(datasetBefore);
    expect(fs.readFileSync(`${datasetPath}.journal`, 'utf8')).toBe(journalBefore);
  });

  it('refuses to write over the dataset itself and says what to do', async () => {
    const dataDir = await makeTempDir('newsdesk-export-self-');
    const result = await runCommand(exportCommand, [path.join(dataDir, 'dataset.ndjson')], { env: { NEWSDESK_DATA_DIR: dataDir }, cwd: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is the dataset itself');
    expect(fs.existsSync(path.join(dataDir, 'dataset.ndjson'))).toBe(false);
  });
});
