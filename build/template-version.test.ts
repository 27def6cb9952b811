import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { templateVersion, templateVersionAt } from './template-version.ts';

const root = path.resolve(import.meta.dirname, '..');

describe('the template version', () => {
  it('changes with the code that shapes what an issue renders to, the projection and read model included, and not with how the output is written', async () => {
    const copy = await makeTempDir();
    for (const rel of ['emails', 'web', 'core', 'content', 'build', 'package-lock.json']) await fs.cp(path.join(root, rel), path.join(copy, rel), { recursive: true });
    const before = await templateVersionAt(copy);
    expect(before).toBe(await templateVersion());
    const changed = async (rel: string) => {
      const file = path.join(copy, rel);
      const original = await fs.readFile(file, 'utf8');
      await fs.writeFile(file, `${original}\n// changed\n`);
      const version = await templateVersionAt(copy);
      await fs.writeFile(file, original);
      return version;
    };
    for (const rel of ['content/issue-projection.ts', 'content/queries.ts', 'content/model.ts', 'build/sources.ts', 'build/render-issue.ts', 'emails/issue-text.ts', 'web/issue-page.tsx']) {
      expect(await changed(rel), rel).not.toBe(before);
    }
    for (const rel of ['build/cache.ts', 'build/output.ts', 'build/build-site.ts']) expect(await changed(rel), rel).toBe(before);
  });
});
