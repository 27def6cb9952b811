// Incremental output for rebuilds in a running server (a publish in the Studio): the
// build computes every output file as a full build does, but only files whose content
// differs from what the last build left are written, each by rename over the old one,
// and files the site no longer has are deleted. What the last build left is recorded in
// a manifest in the build cache (each file's content key), so a rebuild after a publish
// writes a handful of files however big the archive is. The manifest only counts while
// the output folder is the one it describes (a full build swaps in a new folder).
import { createHash, hash, randomBytes } from 'node:crypto';
import { copyFileSync, linkSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { isString, recordOf } from '../core/record-of.ts';
import { NewsdeskError } from '../core/errors.ts';
import { writeContent, type PageContent } from './cache.ts';

const manifestSchema = z.object({
  outDir: z.string(),
  /** The output folder's inode when the manifest was written: another folder swapped in means it no longer applies. */
  dirIno: z.number(),
  /** …and its index.html's (inodes are reused: a folder made anew may get the old folder's number). */
  index: z.object({ ino: z.number(), mtimeMs: z.number() }),
  // Thousands of paths (zod's walk of them took 20-30 ms per read, and a build reads two manifests).
  files: recordOf<string>(isString),
});
type Manifest = z.infer<typeof manifestSchema>;

/** What identifies a file's content: a placed cache file's path (entries never change) or the written text's hash. */
/**
 * A file of the current output, read when a build that relied on a record of it (a file of
 * the build cache saying what the output holds) must place the file again and cannot link
 * it. Missing (removed by hand), `forget` drops that record, so the next build does the
 * work afresh, and this one fails saying so: `what` names what the build was doing with it.
 */
export function readOutputFile(outDir: string, rel: string, forget: () => void, what: string, hint: string): string {
  try {
    return readFileSync(path.join(outDir, rel), 'utf8');
  } catch (error) {
    forget();
    throw new NewsdeskError('BUILD_FAILED', `${rel} is missing from ${outDir}, ${what}`, { hint, cause: error });
  }
}

/**
 * A file's text: one string, or pieces written one after another, each text or bytes taken as
 * they are (an unchanged link item from the page before: links-items.ts). A link page is its
 * layout's pieces around its list: joined into one string it was copied again (at two bytes
 * a character once any link's words hold one beyond Latin-1), only to be encoded.
 */
export type FileText = string | ReadonlyArray<string | Uint8Array>;

/** The text's bytes, hashed and written: the string, or the pieces in UTF-8 one after another in one buffer (encoded once for both). */
export function fileBytes(text: FileText): PageContent {
  return typeof text === 'string' ? text : utf8Of(text);
}

/**
 * The pieces' UTF-8 bytes, each written where the one before ended: neither the joined text
 * nor a buffer per piece is made (a link page is thousands of pieces, one per link). The
 * buffer is grown, when a piece might not fit, to what it surely needs.
 */
function utf8Of(pieces: ReadonlyArray<string | Uint8Array>): Buffer {
  let chars = 0;
  for (const piece of pieces) chars += piece.length;
  // Most text here is ASCII, a byte a character: room for an eighth more before growing.
  let out = Buffer.allocUnsafe(chars + (chars >> 3) + 16);
  let at = 0;
  for (const piece of pieces) {
    const bytes = typeof piece !== 'string';
    // A UTF-16 code unit is at most three bytes in UTF-8.
    if (out.length - at < (bytes ? piece.length : piece.length * 3)) {
      const need = at + (bytes ? piece.length : Buffer.byteLength(piece, 'utf8'));
      if (out.length < need) {
        const grown = Buffer.allocUnsafe(Math.max(need, out.length * 2));
        out.copy(grown, 0, 0, at);
        out = grown;
      }
    }
    if (bytes) {
      out.set(piece, at);
      at += piece.length;
    } else at += out.write(piece, at, 'utf8');
  }
  return out.subarray(0, at);
}

export const contentKey = {
  link: (source: string) => `link:${source}`,
  /** The hash of the text's UTF-8 bytes (the same for a text in pieces as for the pieces joined). */
  text: (content: PageContent) => {
    if (typeof content === 'string' || Buffer.isBuffer(content)) return `sha256:${hash('sha256', content, 'base64url')}`;
    const pieces = createHash('sha256');
    for (const piece of content as Buffer[]) pieces.update(piece);
    return `sha256:${pieces.digest('base64url')}`;
  },
  /** The same, remembered per path: a page the build reused (build-site.ts renderOnce) is the same string, not hashed again. */
  textAt(rel: string, content: string): string {
    const last = lastTextKeys.get(rel);
    if (last?.content === content) return last.key;
    const key = contentKey.text(content);
    lastTextKeys.set(rel, { content, key });
    return key;
  },
};
const lastTextKeys = new Map<string, { content: string; key: string }>();

/** Lets go of the texts contentKey.textAt remembers. */
export function forgetTextKeys(): void {
  lastTextKeys.clear();
}

export class OutputManifest {
  readonly file: string;

  /** `name`: the manifest's file in the cache folder (output.json for the output folder; build/output.ts keeps a spare folder's too). */
  constructor(cacheDir: string, name = 'output.json') {
    this.file = path.join(cacheDir, name);
  }

  /**
   * The files the output folder holds now, by content key; undefined when unknown (no
   * manifest, or another folder). `recordedAs`: the path the manifest was saved under,
   * when the folder has been renamed since (its identity goes with it).
   */
  async read(outDir: string, recordedAs = outDir): Promise<Map<string, string> | undefined> {
    try {
      const parsed = manifestSchema.safeParse(JSON.parse(await fs.readFile(this.file, 'utf8')));
      if (!parsed.success || parsed.data.outDir !== recordedAs) return undefined;
      const [dir, index] = await Promise.all([fs.stat(outDir), fs.stat(path.join(outDir, 'index.html'))]);
      if (dir.ino !== parsed.data.dirIno || index.ino !== parsed.data.index.ino || index.mtimeMs !== parsed.data.index.mtimeMs) return undefined;
      return new Map(Object.entries(parsed.data.files));
    } catch {
      return undefined;
    }
  }

  async save(outDir: string, files: Map<string, string>): Promise<void> {
    const [dir, index] = await Promise.all([fs.stat(outDir), fs.stat(path.join(outDir, 'index.html'))]);
    const manifest: Manifest = { outDir, dirIno: dir.ino, index: { ino: index.ino, mtimeMs: index.mtimeMs }, files: Object.fromEntries(files) };
    const temp = `${this.file}.tmp-${randomBytes(4).toString('hex')}`;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.writeFile(temp, JSON.stringify(manifest));
    await fs.rename(temp, this.file);
  }

  /** Forgets the output: while files are being replaced one by one, a crash must not leave a manifest that lies. */
  async forget(): Promise<void> {
    await fs.rm(this.file, { force: true });
  }
}

/**
 * Places a file by hard link to `source` (instant, no extra disk), or a copy when the two are
 * on different file systems; in blocking calls, as a staged output makes its files (output.ts).
 */
export function linkOrCopy(source: string, target: string): void {
  try {
    linkSync(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error;
    copyFileSync(source, target);
  }
}

/**
 * Writes into the live output folder only the files whose content changed since `previous`.
 * Through promises, unlike a staged output: each file here is written beside the one it
 * replaces and renamed over it, and a rename over a file makes the file system allocate the
 * new file's blocks there and then (ext4's auto_da_alloc): 35-40 ms of a publish's hundred
 * files on the build's thread when blocking, off it this way.
 */
export class InPlaceOutput {
  readonly outDir: string;
  /** Every file of the new output, by content key (the next manifest). */
  readonly files = new Map<string, string>();
  /** Files actually written (new or changed), relative to the output folder. */
  readonly written: string[] = [];
  readonly #previous: ReadonlyMap<string, string>;
  readonly #linkable: { dir: string; files: ReadonlyMap<string, string> } | undefined;
  #madeDirs = new Map<string, Promise<void>>();

  /**
   * `previous`: what the folder holds, by content key. `linkable`: another folder and its
   * files by key, to hard-link a changed file from when it holds the same content (build/output.ts
   * brings a spare folder up to date beside the live output this way) instead of rendering it.
   */
  constructor(outDir: string, previous: ReadonlyMap<string, string>, linkable?: { dir: string; files: ReadonlyMap<string, string> }) {
    this.outDir = outDir;
    this.#previous = previous;
    this.#linkable = linkable;
  }

  async write(rel: string, content: string): Promise<void> {
    await this.place(rel, contentKey.textAt(rel, content), () => content);
  }

  /** As StagedOutput.place: renders the file only when it must be written; resolves with its content key. */
  async place(rel: string, key: string | undefined, render: () => FileText): Promise<string> {
    let content: PageContent | undefined;
    if (key === undefined) key = contentKey.text((content = fileBytes(render())));
    if (!this.#changed(rel, key)) return key;
    if (content === undefined && this.#linkable?.files.get(rel) === key) {
      const linked = await this.#replace(rel, (temp) => fs.link(path.join(this.#linkable!.dir, rel), temp)).then(
        () => true,
        // Gone or not linkable: written below.
        () => false,
      );
      if (linked) return key;
    }
    const bytes = content ?? fileBytes(render());
    await this.#replace(rel, (temp) => writeContent(temp, bytes));
    return key;
  }

  /** Places a cache file by hard link (a copy across file systems), as the staged output does. */
  async linkFrom(rel: string, source: string): Promise<void> {
    if (!this.#changed(rel, contentKey.link(source))) return;
    await this.#replace(rel, async (temp) => {
      try {
        await fs.link(source, temp);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error;
        await fs.copyFile(source, temp);
      }
    });
  }

  /** Deletes the files the new output no longer has (and folders left empty); returns their paths. */
  async removeStale(): Promise<string[]> {
    const stale = [...this.#previous.keys()].filter((rel) => !this.files.has(rel));
    await Promise.all(stale.map((rel) => fs.rm(path.join(this.outDir, rel), { force: true })));
    const dirs = new Set(stale.map((rel) => path.dirname(rel)).filter((d) => d !== '.'));
    // Deepest first, so a folder emptied by removing its only subfolder goes too.
    for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
      for (let d = dir; d !== '.'; d = path.dirname(d)) {
        const removed = await fs.rmdir(path.join(this.outDir, d)).then(
          () => true,
          () => false,
        );
        if (!removed) break;
      }
    }
    return stale;
  }

  #changed(rel: string, key: string): boolean {
    this.files.set(rel, key);
    return this.#previous.get(rel) !== key;
  }

  /** Writes the new content beside the file and renames it over: readers see the old file or the new one, never half of one. */
  async #replace(rel: string, put: (temp: string) => Promise<void>): Promise<void> {
    const target = path.join(this.outDir, rel);
    await this.#mkdir(path.dirname(target));
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${randomBytes(4).toString('hex')}`);
    try {
      await put(temp);
      await fs.rename(temp, target);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    this.written.push(rel);
  }

  #mkdir(dir: string): Promise<void> {
    let made = this.#madeDirs.get(dir);
    if (!made) {
      made = fs.mkdir(dir, { recursive: true }).then(() => undefined);
      this.#madeDirs.set(dir, made);
    }
    return made;
  }
}
