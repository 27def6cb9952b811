// What `newsdesk serve` reads of the last build before loading anything else: its template
// version, from the start of the record the build keeps of its sources.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { buildCacheFolder, lastTemplateVersion } from './cache-folder.ts';
import { SourceIndex } from './sources.ts';

describe('lastTemplateVersion', () => {
  it('reads the template version the last build saved with its sources, and nothing when there is none', async () => {
    const dataDir = await makeTempDir('newsdesk-cache-folder-');
    expect(await lastTemplateVersion(dataDir)).toBeUndefined();
    const index = new SourceIndex(path.join(dataDir, buildCacheFolder));
    await index.save(new Map(), 'a1b2c3d4e5f60718');
    expect(await lastTemplateVersion(dataDir)).toBe('a1b2c3d4e5f60718');
    await index.save(new Map(), '0f1e2d3c4b5a6978');
    expect(await lastTemplateVersion(dataDir)).toBe('0f1e2d3c4b5a6978');
    // A record that does not start with it (damaged, or written otherwise) says nothing.
    await fs.writeFile(path.join(dataDir, buildCacheFolder, 'sources.json'), '{"entries":{},"templateVersion":"x"}');
    expect(await lastTemplateVersion(dataDir)).toBeUndefined();
  });
});
