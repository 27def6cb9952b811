// When `newsdesk studio` builds the Studio: once for sources it has not built, never
// again on a later start while they are unchanged (whatever their file times say), and
// again when a file the bundle takes in changes, even one outside the Studio's folders.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildStudioIfStale, hashStudioSources, projectRoot } from '../server/studio-build.ts';
import { makeTempDir } from './helpers/temp.ts';

async function writeFiles(root: string, files: Record<string, string>) {
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), content);
  }
}

describe('the Studio sources fingerprint', () => {
  it('follows contents, not file times, and covers project files the Studio imports', async () => {
    const root = await makeTempDir('newsdesk-studio-sources-');
    await writeFiles(root, {
      'sanity.config.ts': "import { schema } from './schemas/index.ts';\nexport default schema;\n",
      'schemas/index.ts': "import { rule } from '../content/rules.ts';\nexport const schema = rule;\n",
      'schemas/index.test.ts': 'test file\n',
      'studio/structure.ts': 'export const s = 1;\n',
      'content/rules.ts': 'export const rule = 1;\n',
      'content/unrelated.ts': 'export const u = 1;\n',
      'package-lock.json': '{}\n',
    });
    const first = hashStudioSources(root);

    const later = new Date(Date.now() + 60_000);
    for (const rel of ['sanity.config.ts', 'schemas/index.ts', 'content/rules.ts']) await fs.utimes(path.join(root, rel), later, later);
    expect(hashStudioSources(root)).toBe(first);

    // Neither tests beside the schemas nor files the Studio does not import go into the bundle.
    await writeFiles(root, { 'schemas/index.test.ts': 'changed\n', 'content/unrelated.ts': 'export const u = 2;\n' });
    expect(hashStudioSources(root)).toBe(first);

    await writeFiles(root, { 'content/rules.ts': 'export const rule = 2;\n' });
    expect(hashStudioSources(root)).not.toBe(first);
  });
});

describe('buildStudioIfStale', () => {
  it('builds once, then a later start finds the build current even after its sources were touched', { timeout: 600_000 }, async () => {
    const outDir = path.join(await makeTempDir('newsdesk-studio-dist-'), 'studio-dist');
    const starts: boolean[] = [];
    expect(await buildStudioIfStale({ outDir, onStart: (first) => starts.push(first) })).toBe(true);
    expect(starts).toEqual([true]);
    const built = (await fs.stat(path.join(outDir, 'index.html'))).mtimeMs;

    expect(await buildStudioIfStale({ outDir, onStart: (first) => starts.push(first) })).toBe(false);

    // A checkout or copy that rewrites a source with the same bytes: still no build.
    const config = path.join(projectRoot, 'sanity.config.ts');
    const { atime, mtime } = await fs.stat(config);
    const later = new Date(Date.now() + 60_000);
    await fs.utimes(config, later, later);
    try {
      expect(await buildStudioIfStale({ outDir, onStart: (first) => starts.push(first) })).toBe(false);
    } finally {
      await fs.utimes(config, atime, mtime);
    }
    expect(starts).toEqual([true]);
    expect((await fs.stat(path.join(outDir, 'index.html'))).mtimeMs).toBe(built);
  });
});
