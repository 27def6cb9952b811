import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderEmailGoldens, repositoryRoot } from '../tests/email-goldens.ts';

describe('issue email goldens', () => {
  it('renders the largest sample issue exactly as the reviewed golden files (update with `npm run golden:update`)', async () => {
    const goldens = await renderEmailGoldens();
    expect(goldens.map((g) => g.file)).toEqual(['tests/golden/email-issue-4.html', 'tests/golden/email-issue-4.txt']);
    for (const golden of goldens) {
      const stored = await fs.readFile(path.join(repositoryRoot, golden.file), 'utf8');
      expect(golden.content, `${golden.file} differs; review the change, then run npm run golden:update`).toBe(stored);
    }
  });
});
