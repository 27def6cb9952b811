// Temporary folders for tests that write real files; removed after each test file.
// The removal is registered once, when a test file first loads this module: a hook
// registered from inside a running test is never called, and folders made there (most
// of them, through the kits) were left behind, thousands per run.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const made = new Set<string>();

afterAll(async () => {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((dir) => fs.rm(dir, { recursive: true, force: true, maxRetries: 3 })));
});

export async function makeTempDir(prefix = 'newsdesk-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}
