// The build cache: each issue's rendered artifacts stored under a key that hashes
// everything they depend on (the issue, its neighbours, settings, base URL and the
// template sources). An entry is a few files named for its key in one of 256 shard
// folders (<shard>/<key>.page.html, …, <key>.meta.json): no folder of its own, since
// making a folder costs as much as writing several files on some disks. The metadata is
// written last and marks the entry complete; entries are never changed once complete,
// which is what makes hard-linking them into the output safe.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RenderWarning } from '../core/render.ts';
import type { IssueArtifacts, IssueJob } from './render-issue.ts';

export const artifactFiles = {
  page: 'page.html',
  body: 'body.html',
  emailHtml: 'email.html',
  emailText: 'email.txt',
  search: 'search.json',
} as const;

/** The file that marks an entry complete. */
const metaFile = 'meta.json';

/** An entry's file in a shard folder: "<key>.<name>". */
const entryFileName = /^([0-9a-f]{64})\.([a-z]+\.[a-z]+)$/;
/** An entry of an older cache: a folder "<key>" (or "<key>.tmp-<hex>" while it was written). */
const olderEntryFolder = /^([0-9a-f]{64})(?:\.tmp-[0-9a-f]+)?$/;

const metaSchema = z.object({
  number: z.number(),
  subject: z.string(),
  warnings: z.array(z.object({ where: z.string(), field: z.string(), message: z.string() })),
});
export type EntryMeta = z.infer<typeof metaSchema>;

/** `fingerprint` covers the issue and everything it references (sources.ts). */
export function cacheKey(
  input: { fingerprint: string; neighbours: IssueJob['neighbours']; ctx: IssueJob['ctx'] },
  templateVersion: string,
): string {
  return createHash('sha256')
    .update(JSON.stringify({ templateVersion, fingerprint: input.fingerprint, neighbours: input.neighbours, baseUrl: input.ctx.baseUrl, settings: input.ctx.settings }))
    .digest('hex');
}

export class BuildCache {
  readonly dir: string;
  /** Shard folders known to exist (made once per process). */
  readonly #shards = new Map<string, Promise<unknown>>();

  constructor(dir: string) {
    this.dir = dir;
  }

  #file(key: string, name: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.${name}`);
  }

  artifactPath(key: string, artifact: keyof typeof artifactFiles): string {
    return this.#file(key, artifactFiles[artifact]);
  }

  /** The entry's metadata, or undefined when there is no complete entry under this key. */
  async readMeta(key: string): Promise<EntryMeta | undefined> {
    try {
      const parsed = metaSchema.safeParse(JSON.parse(await fs.readFile(this.#file(key, metaFile), 'utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Writes the entry: its artifacts, then its metadata, which marks it complete. A file
   * already there (left by a build stopped half-way, or another build writing the same key
   * now: either way the same content) is replaced by a new file, never changed in place: a
   * complete entry's files may be hard-linked into an output.
   */
  async write(key: string, number: number, artifacts: IssueArtifacts): Promise<EntryMeta> {
    const shard = path.join(this.dir, key.slice(0, 2));
    let made = this.#shards.get(shard);
    if (!made) this.#shards.set(shard, (made = fs.mkdir(shard, { recursive: true })));
    await made;
    const meta: EntryMeta = { number, subject: artifacts.subject, warnings: artifacts.warnings };
    await Promise.all(Object.entries(artifactFiles).map(([name, file]) => writeNew(this.#file(key, file), artifacts[name as keyof typeof artifactFiles])));
    await writeNew(this.#file(key, metaFile), JSON.stringify(meta));
    return meta;
  }

  /** Removes the given entries (those an in-place rebuild stopped linking to). */
  async remove(keys: Iterable<string>): Promise<void> {
    const names = [...Object.values(artifactFiles), metaFile];
    // The metadata first: an entry half-removed is incomplete, never complete with a file missing.
    await Promise.all([...keys].map(async (key) => {
      await fs.rm(this.#file(key, metaFile), { force: true });
      await Promise.all(names.map((name) => fs.rm(this.#file(key, name), { force: true })));
    }));
  }

  /** Removes entries not in `keep`, so the cache holds one entry per issue, not its history. */
  async prune(keep: Set<string>): Promise<void> {
    // Entries live in two-hex-digit shards; the rest of the folder (the page store, the source index) is not theirs.
    const shards = (await fs.readdir(this.dir).catch(() => [] as string[])).filter((name) => /^[0-9a-f]{2}$/.test(name));
    // All shards at once: one after another, 256 folder reads cost a rebuild 100 ms or more.
    await Promise.all(
      shards.map(async (shard) => {
        const shardDir = path.join(this.dir, shard);
        const names = await fs.readdir(shardDir).catch(() => [] as string[]);
        // An entry's files, and the entry folders (and their temporary folders) an older cache kept.
        const stale = names.filter((name) => {
          const key = entryFileName.exec(name)?.[1] ?? olderEntryFolder.exec(name)?.[1];
          return key !== undefined && (!keep.has(key) || olderEntryFolder.test(name));
        });
        await Promise.all(stale.map((name) => fs.rm(path.join(shardDir, name), { recursive: true, force: true })));
      }),
    );
  }

  /** The entry keys among output files' sources (their manifest's link keys: contentKey.link of a cache file's path). */
  keysOf(sources: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const source of sources) {
      if (path.dirname(path.dirname(source)) !== this.dir) continue;
      const key = entryFileName.exec(path.basename(source))?.[1];
      if (key !== undefined) out.add(key);
    }
    return out;
  }
}

/** Writes a new file at `file`: one already there is unlinked first, never truncated (it may be hard-linked elsewhere). */
async function writeNew(file: string, content: string): Promise<void> {
  try {
    await fs.writeFile(file, content, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await fs.rm(file, { force: true });
    await fs.writeFile(file, content, { flag: 'wx' }).catch(async (again: NodeJS.ErrnoException) => {
      // Another build wrote it between the two: the same content under the same key.
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

/**
 * Pages made from many issues (the archive, tag pages), stored by a hash of everything
 * they show and the template version: a new process finds them here instead of rendering
 * tag pages of thousands of links again. Written once under their key (temporary file,
 * rename) and never changed, so the output hard-links them as it does cache entries; a
 * build keeps the pages it used and removes the rest.
 */
export class PageStore {
  readonly #dir: string;
  readonly #version: string;
  readonly #used = new Set<string>();

  constructor(dir: string, templateVersion: string) {
    this.#dir = dir;
    this.#version = templateVersion;
  }

  /** The key of what `rel` shows, given as JSON (a tag page's links by their digest: build/tag-pages.ts). */
  keyOf(rel: string, json: string): string {
    return createHash('sha256').update(`${this.#version}\0${rel}\0${json}\0`).digest('hex');
  }

  /** Marks a page as used by this build (prune keeps it). */
  keep(key: string): void {
    this.#used.add(key);
  }

  async read(key: string): Promise<string | undefined> {
    this.#used.add(key);
    return fs.readFile(this.file(key), 'utf8').catch(() => undefined);
  }

  /** Whether the store holds the page (marks it used, as read does). */
  async has(key: string): Promise<boolean> {
    this.#used.add(key);
    return fs.stat(this.file(key)).then(
      () => true,
      () => false,
    );
  }

  /** Stores the page unless it is there already. */
  async write(key: string, html: string): Promise<void> {
    const file = this.file(key);
    if (await fs.stat(file).then(() => true, () => false)) return;
    await fs.mkdir(this.#dir, { recursive: true });
    const temp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    await fs.writeFile(temp, html);
    await fs.rename(temp, file);
  }

  /** Removes every stored page this build did not use (and temporary files of interrupted writes). */
  async prune(): Promise<void> {
    const names = await fs.readdir(this.#dir).catch(() => [] as string[]);
    await Promise.all(names.filter((name) => !this.#used.has(name.replace(/\.html$/, ''))).map((name) => fs.rm(path.join(this.#dir, name), { force: true })));
  }

  /** The stored page's file: an output may hard-link it, so it is never changed once written. */
  file(key: string): string {
    return path.join(this.#dir, `${key}.html`);
  }
}

export type { RenderWarning };
