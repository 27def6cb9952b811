// A fingerprint of the code that turns content into output: every source file in
// emails/, web/ and build/ (plus core/render.ts). It is part of each cache key, so
// editing a template re-renders everything without anyone remembering to bump a constant.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const folders = ['emails', 'web', 'build'];
const files = ['core/render.ts', 'content/model.ts', 'package-lock.json'];

let cached: Promise<string> | undefined;

export function templateVersion(): Promise<string> {
  return (cached ??= computeTemplateVersion());
}

async function computeTemplateVersion(): Promise<string> {
  const hash = createHash('sha256');
  const paths: string[] = [...files];
  for (const folder of folders) {
    const entries = await fs.readdir(path.join(root, folder), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !/\.(ts|tsx|css|mjml)$/.test(entry.name) || /\.test\.tsx?$/.test(entry.name)) continue;
      paths.push(path.relative(root, path.join(entry.parentPath, entry.name)));
    }
  }
  paths.sort();
  for (const rel of paths) {
    const bytes = await fs.readFile(path.join(root, rel)).catch(() => undefined);
    if (bytes === undefined) continue;
    hash.update(`${rel}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest('hex').slice(0, 16);
}
