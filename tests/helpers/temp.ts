// Temporary folders for tests that write real files; removed after each test file.
// The removal is registered once, when a test file first loads this module: a hook
// registered from inside a running test is never called, and folders made there (most
// of them, through the kits) were left behind, thousands per run. Benchmarks (bench/)
// use the same kits outside any test file: there the folders go when the process exits.
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const made = new Set<string>();

if (process.env.VITEST) {
  afterAll(async () => {
    const dirs = [...made];
    made.clear();
    await Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true, maxRetries: 3 })));
  });
} else {
  process.on('exit', () => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });
}

export async function makeTempDir(prefix = 'newsdesk-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}
