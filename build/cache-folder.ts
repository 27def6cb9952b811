// Where a build keeps what the next one reuses (in the data folder), and what a process can
// learn there without loading the build: `newsdesk serve` asks it before anything else.
import fs from 'node:fs/promises';
import path from 'node:path';

export const buildCacheFolder = 'build-cache';

/** The record of the last build's sources in the build cache (build/sources.ts SourceIndex), which names its template version first. */
export const sourcesFile = 'sources.json';

/**
 * The template version (build/template-version.ts) the last build in `dataDir` rendered
 * with, read from the start of its record without parsing the rest (a megabyte for 1,000
 * issues); undefined when there is none or it does not start so.
 */
export async function lastTemplateVersion(dataDir: string): Promise<string | undefined> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(path.join(dataDir, buildCacheFolder, sourcesFile), 'r');
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(256), 0, 256, 0);
    return /^\{"templateVersion":"([^"\\]+)"/.exec(buffer.toString('utf8', 0, bytesRead))?.[1];
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}
