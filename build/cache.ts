// The build cache: each issue's rendered artifacts stored under a key that hashes
// everything they depend on (the issue, its neighbours, settings, base URL and the
// template sources). An entry is four files named by its key in a shard folder, each
// written under a temporary name and renamed into place, its entry.json last (which marks
// it complete), and never changed afterwards, which is what makes hard-linking them into
// the output safe.
import { hash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writevSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { NewsdeskError } from '../core/errors.ts';
import { isArrayOf, isString, recordOf } from '../core/record-of.ts';
import type { RenderWarning } from '../core/render.ts';
import type { IssueArtifacts, IssueJob } from './render-issue.ts';

/** The artifacts the output hard-links, each a file of its entry (`<key>.page.html`…). */
export const artifactFiles = {
  page: 'page.html',
  emailHtml: 'email.html',
  emailText: 'email.txt',
} as const;

/**
 * The rest of an entry, in one file (making a file cost a worker 0.3-1.5 ms on this
 * machine's disk, more than writing its bytes): the entry's metadata, which marks it
 * complete, the issue's body (the feeds) and its search document (search-index.ts), as
 * `{"meta":…,"body":…,"search":…}`. No folder per entry either: a folder costs as much as a
 * file (a full build of 1,000 issues made 1,000 fewer).
 */
export const entryFile = 'entry.json';

/** The names of an entry's files, in the order they are written (entry.json last). */
const entryFiles = [...Object.values(artifactFiles), entryFile];

/** Part of every cache key: entries of another layout are never read as this one's. */
const entryLayout = 3;

/** What to do about a cache entry found damaged. */
export const damagedCacheHint = 'Delete the build cache folder (build-cache in the data folder) and build again.';

/** One part of the entry.json at `file` (undefined when it holds none); throws when the file cannot be read or is not JSON. */
export async function readEntryPart(file: string, part: 'meta' | 'body' | 'search'): Promise<unknown> {
  return entryPart(readFileSync(file, 'utf8'), part);
}

/** The members of an entry.json, in the order #entry writes them. */
const entryParts = ['meta', 'body', 'search'] as const;

/**
 * One part of an entry.json's text, parsed alone: its members are written in one order
 * (#entry), and a member's name in quotes can stand nowhere else in the text (a quote
 * inside a JSON string is escaped), so the part lies between its name and the next one's.
 * A lean build reads every entry's search document so (a third of the entry), not its body
 * and metadata too. The whole is parsed when the text is not laid out so.
 */
export function entryPart(text: string, part: (typeof entryParts)[number]): unknown {
  const at = entryParts.indexOf(part);
  const name = `${at === 0 ? '{' : ','}"${part}":`;
  const start = text.indexOf(name);
  const next = at + 1 < entryParts.length ? text.indexOf(`,"${entryParts[at + 1]}":`, start) : text.length - 1;
  if (start >= 0 && next > start && text.endsWith('}')) return JSON.parse(text.slice(start + name.length, next));
  return (JSON.parse(text) as Partial<Record<typeof part, unknown>>)[part];
}

export const metaSchema = z.object({
  number: z.number(),
  subject: z.string(),
  warnings: z.array(z.object({ where: z.string(), field: z.string(), message: z.string() })),
});
export type EntryMeta = z.infer<typeof metaSchema>;

/** The metadata of many entries by key (metas.json): zod's walk of a thousand would cost a good part of what reading one file instead of a thousand saves. */
const metasRecordSchema = recordOf<EntryMeta>(isEntryMeta);

/** metaSchema's test. */
function isEntryMeta(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { number, subject, warnings } = value as Record<string, unknown>;
  return typeof number === 'number' && typeof subject === 'string' && isArrayOf(warnings, isWarning);
}

function isWarning(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { where, field, message } = value as Record<string, unknown>;
  return isString(where) && isString(field) && isString(message);
}

/** `fingerprint` covers the issue and everything it references (sources.ts). */
export function cacheKey(
  input: { fingerprint: string; neighbours: IssueJob['neighbours']; ctx: IssueJob['ctx'] },
  templateVersion: string,
): string {
  return hash('sha256', JSON.stringify({ templateVersion, entryLayout, fingerprint: input.fingerprint, neighbours: input.neighbours, baseUrl: input.ctx.baseUrl, settings: input.ctx.settings }), 'hex');
}

export class BuildCache {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The path of one of the entry's files (`name`: an artifact's file name, or entryFile). */
  entryFilePath(key: string, name: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.${name}`);
  }

  artifactPath(key: string, artifact: keyof typeof artifactFiles): string {
    return this.entryFilePath(key, artifactFiles[artifact]);
  }

  /** The entry's entry.json: its metadata, body and search document. */
  entryPath(key: string): string {
    return this.entryFilePath(key, entryFile);
  }

  /** The entry's metadata, or undefined when there is no complete entry under this key. */
  async readMeta(key: string): Promise<EntryMeta | undefined> {
    try {
      const parsed = metaSchema.safeParse(await readEntryPart(this.entryPath(key), 'meta'));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** The issue's body HTML, as its entry keeps it for the feeds. */
  async readBody(key: string): Promise<string> {
    const file = this.entryPath(key);
    let body: unknown;
    try {
      body = await readEntryPart(file, 'body');
    } catch (error) {
      throw new NewsdeskError('BUILD_FAILED', `Reading ${file} failed: ${(error as Error).message}`, { hint: damagedCacheHint, cause: error });
    }
    if (typeof body !== 'string') throw new NewsdeskError('BUILD_FAILED', `${file} holds no issue body`, { hint: damagedCacheHint });
    return body;
  }

  /**
   * The metadata of the complete entries among `keys` (a key without one is left out). A
   * build reads it from the record the last build left (metas.json) for the entries whose
   * entry.json is there (written last, so the entry is whole), and from entry.json for the
   * others: a thousand small reads cost a rebuild 50-100 ms, the shards' listings a fraction.
   */
  async readMetas(keys: string[]): Promise<Map<string, EntryMeta>> {
    const shards = [...new Set(keys.map((key) => key.slice(0, 2)))];
    // Missing, cut short or damaged: each entry's entry.json is read instead.
    const record = await fs
      .readFile(this.#metasFile, 'utf8')
      .then((text) => metasRecordSchema.safeParse(JSON.parse(text)).data)
      .catch(() => undefined);
    const listed = shards.map((shard) => namesIn(path.join(this.dir, shard)));
    const suffix = `.${entryFile}`;
    const present = new Set(listed.flat().flatMap((name) => (name.endsWith(suffix) ? [name.slice(0, -suffix.length)] : [])));
    const metas = new Map<string, EntryMeta>();
    await Promise.all(
      keys.map(async (key) => {
        if (!present.has(key)) return;
        const meta = (record && Object.hasOwn(record, key) ? record[key] : undefined) ?? (await this.readMeta(key));
        if (meta) metas.set(key, meta);
      }),
    );
    return metas;
  }

  /** Keeps the metadata of a build's entries for the next build (readMetas): written whole or not at all. */
  saveMetas(metas: Map<string, EntryMeta>): Promise<void> {
    return writeRecord(this.#metasFile, Object.fromEntries(metas));
  }

  get #metasFile(): string {
    return path.join(this.dir, 'metas.json');
  }

  async write(key: string, number: number, artifacts: IssueArtifacts): Promise<EntryMeta> {
    const { shard, files, meta } = this.#entry(key, number, artifacts);
    if (!this.#shards.has(shard)) await fs.mkdir(shard, { recursive: true });
    this.#shards.add(shard);
    try {
      const put = ({ file, temp, content }: (typeof files)[number]) => fs.writeFile(temp, content).then(() => fs.rename(temp, file));
      await Promise.all(files.slice(0, -1).map(put));
      await put(files.at(-1)!);
    } catch (error) {
      await Promise.all(files.map(({ temp }) => fs.rm(temp, { force: true })));
      throw error;
    }
    return meta;
  }

  /**
   * write(), in blocking calls: for a build worker, whose thread has nothing else to do
   * meanwhile. Through promises, its files cost a worker more than rendering the email
   * (a file handle, a promise and a thread-pool hop per open, write and close).
   */
  writeSync(key: string, number: number, artifacts: IssueArtifacts): EntryMeta {
    const { shard, files, meta } = this.#entry(key, number, artifacts);
    if (!this.#shards.has(shard)) mkdirSync(shard, { recursive: true });
    this.#shards.add(shard);
    try {
      for (const { file, temp, content } of files) {
        writeFileSync(temp, content);
        renameSync(temp, file);
      }
    } catch (error) {
      for (const { temp } of files) rmSync(temp, { force: true });
      throw error;
    }
    return meta;
  }

  /** Shard folders this cache made or found. */
  readonly #shards = new Set<string>();

  /**
   * An entry's shard folder and its files, each with the temporary name it is written under
   * (a file already there under the final name, perhaps linked into the output, is replaced,
   * never written into), entry.json last. Another build writing the same key meanwhile
   * writes the same bytes.
   */
  #entry(key: string, number: number, artifacts: IssueArtifacts) {
    const meta: EntryMeta = { number, subject: artifacts.subject, warnings: artifacts.warnings };
    const contents: Array<[string, string]> = Object.entries(artifactFiles).map(([name, file]) => [file, artifacts[name as keyof typeof artifactFiles]]);
    // The metadata marks the entry complete, so it is written after the rest and checked on
    // read. The search document is JSON already: placed as it is, not parsed and made again.
    contents.push([entryFile, `{"meta":${JSON.stringify(meta)},"body":${JSON.stringify(artifacts.body)},"search":${artifacts.search}}`]);
    const suffix = `.tmp-${randomBytes(6).toString('hex')}`;
    const files = contents.map(([name, content]) => {
      const file = this.entryFilePath(key, name);
      return { file, temp: `${file}${suffix}`, content };
    });
    return { shard: path.join(this.dir, key.slice(0, 2)), files, meta };
  }

  /** Removes the given entries (those an in-place rebuild stopped linking to), in either layout (a folder per entry before). */
  async remove(keys: Iterable<string>): Promise<void> {
    await Promise.all(
      [...keys].flatMap((key) => [
        ...entryFiles.map((name) => fs.rm(this.entryFilePath(key, name), { force: true })),
        fs.rm(path.join(this.dir, key.slice(0, 2), key), { recursive: true, force: true }),
      ]),
    );
  }

  /** Removes entries not in `keep`, so the cache holds one entry per issue, not its history. */
  async prune(keep: Set<string>): Promise<void> {
    // Entries live in two-hex-digit shards; the rest of the folder (the page store, the source index) is not theirs.
    const shards = (await fs.readdir(this.dir).catch(() => [] as string[])).filter((name) => /^[0-9a-f]{2}$/.test(name));
    await Promise.all(
      shards.map(async (shard) => {
        const shardDir = path.join(this.dir, shard);
        const entries = namesIn(shardDir);
        // An entry's own files only (what a build stopped half-way left, and entries of an older layout, go too).
        const kept = (name: string) => {
          const dot = name.indexOf('.');
          return dot > 0 && keep.has(name.slice(0, dot)) && entryFiles.includes(name.slice(dot + 1));
        };
        await Promise.all(entries.filter((name) => !kept(name)).map((name) => fs.rm(path.join(shardDir, name), { recursive: true, force: true })));
      }),
    );
  }
}

/**
 * The names in a folder ([] when it cannot be read), in a blocking read: the cache's 256
 * shard folders cost 4-10 ms of CPU so, through promises several times as much (a file
 * thread woken per folder, then this thread for its answer).
 */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Writes one of the build cache's records as JSON, whole or not at all (a temporary file
 * renamed over it): what a build leaves the next one (search-index.ts, tag-pages.ts).
 */
export async function writeRecord(file: string, value: unknown): Promise<void> {
  await writeWhole(file, JSON.stringify(value));
}

/** Writes a record's content whole or not at all (a temporary file renamed over it): JSON (writeRecord) or a columns file's parts (columns.ts). */
export async function writeWhole(file: string, content: PageContent): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${Date.now()}`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeContent(temp, content);
  // Through promises: renamed over the record it replaces, the new file's blocks are allocated there and then (in-place-output.ts).
  await fs.rename(temp, file);
}

/** A stored page: its text, its bytes, or its bytes in parts written one after another (not copied into one buffer first). */
export type PageContent = string | Buffer | readonly Buffer[];

/** Writes a file's content: parts in one gathered write (a write each cost a first build thousands of round trips to the file threads). */
export async function writeContent(file: string, content: PageContent): Promise<void> {
  if (typeof content === 'string' || Buffer.isBuffer(content)) return fs.writeFile(file, content);
  const parts = content as Buffer[];
  const handle = await fs.open(file, 'w');
  try {
    const { bytesWritten } = await handle.writev(parts);
    // A short write (rare on a file) is finished from where it stopped.
    if (bytesWritten < contentLength(parts)) await handle.write(Buffer.concat(parts).subarray(bytesWritten));
  } finally {
    await handle.close();
  }
}

/**
 * writeContent() in blocking calls, as the build makes new files (a staged output's, the
 * page store's, its records): through promises each open, write, close, link, rename or mkdir
 * woke a file thread and then the build's thread again, which cost a full build of 1,000
 * issues (15,000 of them) more CPU than the calls themselves, 3-4 times what the same calls
 * cost made one after another here.
 */
export function writeContentNow(file: string, content: PageContent): void {
  if (typeof content === 'string' || Buffer.isBuffer(content)) return writeFileSync(file, content);
  const parts = content as Buffer[];
  const fd = openSync(file, 'w');
  try {
    const written = writevSync(fd, parts);
    // A short write (rare on a file) is finished from where it stopped.
    if (written < contentLength(parts)) writeFileSync(fd, Buffer.concat(parts).subarray(written));
  } finally {
    closeSync(fd);
  }
}

/** From this many bytes a page store's file is written through the file threads (PageStore). */
const largeFile = 1 << 20;

/** A content's length: bytes for its parts or a buffer, UTF-16 units for a text (PageStore's threshold). */
function contentLength(content: PageContent): number {
  if (typeof content === 'string' || Buffer.isBuffer(content)) return content.length;
  return (content as readonly Buffer[]).reduce((sum, part) => sum + part.length, 0);
}

/**
 * Pages made from many issues (the archive, tag pages, feeds), stored by a hash of everything
 * they show and the template version: a new process finds them here instead of rendering
 * tag pages of thousands of links again. Written once under their key (temporary file,
 * rename) and never changed, so the output hard-links them as it does cache entries; a
 * build keeps the pages it used and removes the rest. A second store holds the search
 * index's records files, keyed by their content (put), until the output links them.
 */
export class PageStore {
  readonly #dir: string;
  readonly #version: string;
  readonly #extension: string;
  readonly #used = new Set<string>();

  /** `extension`: of the stored files (the search index's records files are JSON: build/search-index.ts). */
  constructor(dir: string, templateVersion: string, extension = '.html') {
    this.#dir = dir;
    this.#version = templateVersion;
    this.#extension = extension;
  }

  /** The key of what `rel` shows, given as JSON (a tag page's links by their digest: build/tag-pages.ts). */
  keyOf(rel: string, json: string): string {
    return hash('sha256', `${this.#version}\0${rel}\0${json}\0`, 'hex');
  }

  /** Marks a page as used by this build (prune keeps it). */
  keep(key: string): void {
    this.#used.add(key);
  }

  /**
   * The stored page's bytes (a tag page's links section is taken from the last page that held
   * it as they are, never decoded: build/tag-pages.ts); `keep: false` reads it without keeping
   * it past this build.
   */
  async read(key: string, options: { keep?: boolean } = {}): Promise<Buffer | undefined> {
    if (options.keep !== false) this.#used.add(key);
    // Through the file threads: a tag page is megabytes, read while this thread goes on.
    return fs.readFile(this.file(key)).catch(() => undefined);
  }

  /** Whether the store holds the page (marks it used, as read does). */
  async has(key: string): Promise<boolean> {
    this.#used.add(key);
    return existsSync(this.file(key));
  }

  /** Stores the page unless it is there already. */
  async write(key: string, html: PageContent): Promise<void> {
    if (existsSync(this.file(key))) return;
    await this.#store(key, html);
  }

  /**
   * Stores content keyed by its own digest (a search records file), without first asking
   * whether the store holds it: the same key is the same bytes, so replacing it changes
   * nothing, and a full build would ask a thousand times for files it has not written.
   * Marks it used.
   */
  async put(key: string, content: string | Buffer): Promise<void> {
    this.#used.add(key);
    await this.#store(key, content);
  }

  /** Writes the file whole under its key: a temporary file, renamed into place (the folder made once per store). */
  async #store(key: string, content: PageContent): Promise<void> {
    if (!this.#made) mkdirSync(this.#dir, { recursive: true });
    this.#made = true;
    const file = this.file(key);
    const temp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    // A small file in blocking calls (writeContentNow); a large one (a tag page of thousands of
    // links, megabytes) through the file threads, which copy it while this thread goes on.
    if (contentLength(content) < largeFile) {
      writeContentNow(temp, content);
      renameSync(temp, file);
    } else {
      await writeContent(temp, content);
      await fs.rename(temp, file);
    }
  }

  #made = false;

  /** Removes every stored page this build did not use (and temporary files of interrupted writes). */
  async prune(): Promise<void> {
    const names = await fs.readdir(this.#dir).catch(() => [] as string[]);
    await Promise.all(
      names.filter((name) => !(name.endsWith(this.#extension) && this.#used.has(name.slice(0, -this.#extension.length)))).map((name) => fs.rm(path.join(this.#dir, name), { force: true })),
    );
  }

  /** The stored page's file: an output may hard-link it, so it is never changed once written. */
  file(key: string): string {
    return path.join(this.#dir, `${key}${this.#extension}`);
  }
}

export type { RenderWarning };
