// A fingerprint of the code that turns content into output: every source file in
// emails/ and web/, and the files of build/, core/ and content/ that shape what an
// issue renders to (its projection, parsing, media URLs, rendering). It is part of each
// cache key, so editing a template re-renders everything without anyone remembering to
// bump a constant. The rest of build/ (planning, caching, writing the output) is left
// out on purpose: changing how the output is written must not re-render every issue of
// the archive on the next publish.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const folders = ['emails', 'web'];
const files = [
  'core/render.ts',
  'content/model.ts',
  'content/queries.ts',
  // The build projects issues in code, not through queries.ts's projection (build/sources.ts projectIssues).
  'content/issue-projection.ts',
  'content/media.ts',
  'content/rules.ts',
  'build/render-issue.ts',
  'build/sources.ts',
  'package-lock.json',
];

let cached: Promise<string> | undefined;

export function templateVersion(): Promise<string> {
  return (cached ??= templateVersionAt(root));
}

/** The template version of the sources under `at` (the project's root, or a copy of it in a test). */
export async function templateVersionAt(at: string): Promise<string> {
  const paths: string[] = [...files];
  for (const folder of folders) {
    const entries = await fs.readdir(path.join(at, folder), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile() || !/\.(ts|tsx|css|mjml)$/.test(entry.name) || /\.test\.tsx?$/.test(entry.name)) continue;
      paths.push(path.relative(at, path.join(entry.parentPath, entry.name)));
    }
  }
  return hashFiles(paths, at);
}

let linksCode: Promise<string> | undefined;

/**
 * A fingerprint of the code that makes the links index from issues (links-index.ts and the
 * walks and URL keys it uses), outside the template version: part of the context the link
 * pages' records are kept in (links-output.ts), so what an older index code recorded of an
 * issue is never read as this code's.
 */
export function linksCodeVersion(): Promise<string> {
  return (linksCode ??= hashFiles(['build/links-index.ts', 'build/links-outline.ts', 'build/columns.ts', 'content/used-in.ts', 'content/normalize-url.ts']));
}

async function hashFiles(paths: string[], at = root): Promise<string> {
  const hash = createHash('sha256');
  paths.sort();
  // Read all at once (one after another, a hundred reads cost a new process a quarter of a second on a slow disk), hashed in order.
  const contents = await Promise.all(paths.map((rel) => fs.readFile(path.join(at, rel)).catch(() => undefined)));
  paths.forEach((rel, i) => {
    const bytes = contents[i];
    if (bytes !== undefined) hash.update(`${rel}\0${bytes.length}\0`).update(bytes);
  });
  return hash.digest('hex').slice(0, 16);
}
