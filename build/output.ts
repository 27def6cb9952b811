// Atomic output: a build writes into a staging folder next to the output folder (same
// file system) and only a finished build is swapped in, so a failed or interrupted
// build leaves the previous output exactly as it was. A file whose content the previous
// output already holds (by the manifest of build/in-place-output.ts) is hard-linked from
// it instead of written: a link costs a tenth of creating and writing a small file. The
// previous output is only read (files there are replaced by rename, never changed in
// place), so it stays whole.
//
// The output a swap replaces is kept beside it as the spare (".dist.spare", with its
// manifest in the build cache), and the next build stages in it: it brings the spare up to
// date file by file, as an in-place rebuild does (what changed since the spare was live is
// linked from the live output, what changed in this build is written, what the site no
// longer has is deleted), and swaps it in. A one-issue rebuild of a 1,000-issue site thus
// touches tens of files instead of making ~2,000 folders and ~5,000 links anew (a folder
// costs this machine's disk up to a millisecond), and no old output is left to delete. A
// spare without a manifest that vouches for it (a build stopped while updating it) is
// deleted and a new staging folder made instead.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { writeContentNow, type PageContent } from './cache.ts';
import { InPlaceOutput, OutputManifest, contentKey, fileBytes, linkOrCopy, type FileText } from './in-place-output.ts';

/** The spare folder beside an output folder, and its manifest in the build cache. */
function spareOf(outDir: string, cacheDir: string): { dir: string; manifest: OutputManifest } {
  return { dir: path.join(path.dirname(outDir), `.${path.basename(outDir)}.spare`), manifest: new OutputManifest(cacheDir, 'spare.json') };
}

export class StagedOutput {
  readonly outDir: string;
  readonly dir: string;
  /** Every file placed, by content key: the manifest that lets the next rebuild write only what changed. */
  readonly files: Map<string, string>;
  readonly #madeDirs = new Set<string>();
  #previous: string | undefined;
  /** The current output's files by content key (its manifest), to link from; undefined when unknown. */
  readonly #current: ReadonlyMap<string, string> | undefined;
  readonly #cacheDir: string | undefined;
  /** Set when staging in the spare: it brings the spare's files up to date. */
  readonly #update: InPlaceOutput | undefined;

  private constructor(outDir: string, dir: string, current: ReadonlyMap<string, string> | undefined, cacheDir: string | undefined, update: InPlaceOutput | undefined) {
    this.outDir = outDir;
    this.dir = dir;
    this.#current = current;
    this.#cacheDir = cacheDir;
    this.#update = update;
    this.files = update ? update.files : new Map();
  }

  /**
   * `current`: what the output folder holds now (OutputManifest.read), so unchanged files
   * are linked, not written. `cacheDir`: the build cache, where the spare's manifest is
   * kept; without it no spare is used or kept.
   */
  static async create(outDir: string, current?: ReadonlyMap<string, string>, cacheDir?: string, spareLooked?: Promise<boolean>): Promise<StagedOutput> {
    const parent = path.dirname(outDir);
    await fs.mkdir(parent, { recursive: true });
    const stagingDir = () => path.join(parent, `.${path.basename(outDir)}.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
    const claimed = stagingDir();
    const spare = cacheDir ? await StagedOutput.#claimSpare(outDir, cacheDir, claimed, spareLooked) : undefined;
    if (spare) return new StagedOutput(outDir, claimed, current, cacheDir, new InPlaceOutput(claimed, spare, current && { dir: outDir, files: current }));
    // A new name: a spare claimed under the first and found wanting may still be being deleted.
    const dir = stagingDir();
    await fs.mkdir(dir);
    return new StagedOutput(outDir, dir, current, cacheDir, undefined);
  }

  /**
   * Takes the spare as this build's staging folder (a rename: of two builds at once, one
   * gets it) and returns its files by content key; undefined when there is none, or none
   * its manifest vouches for (that one is deleted).
   */
  static async #claimSpare(outDir: string, cacheDir: string, dir: string, looked?: Promise<boolean>): Promise<Map<string, string> | undefined> {
    const spare = spareOf(outDir, cacheDir);
    // Listed since the build started (lookAtSpare), and finished before the claim renames the
    // folder under it (the listing waits for the spare's manifest first).
    const whole = looked ? await looked.catch(() => false) : undefined;
    try {
      await fs.rename(spare.dir, dir);
    } catch {
      return undefined;
    }
    const files = await spare.manifest.read(dir, spare.dir);
    // Forgotten before anything in it changes: a build stopped half-way leaves no manifest that lies.
    await spare.manifest.forget();
    if (files && (whole ?? (await holdsExactly(filesUnderInThread(dir).files, files)))) return files;
    await removeDetached(dir);
    return undefined;
  }

  /**
   * Whether the spare beside `outDir` holds exactly the files its manifest names: one deleted
   * or added by hand would otherwise be missing from, or left in, the next output. A build
   * starts this first, beside its content's load, and hands the answer to create(); only
   * builds change the spare, and a build claims it by rename first.
   */
  static async lookAtSpare(outDir: string, cacheDir: string): Promise<boolean> {
    const spare = spareOf(outDir, cacheDir);
    // Listed by a thread of its own while this one reads the manifest and loads the content.
    const listing = filesUnderInThread(spare.dir);
    const files = await spare.manifest.read(spare.dir).catch((error: unknown) => {
      listing.stop();
      throw error;
    });
    if (files === undefined) {
      listing.stop();
      return false;
    }
    return holdsExactly(listing.files, files);
  }

  #ensureDir(rel: string): string {
    const target = path.join(this.dir, rel);
    this.#mkdir(path.dirname(target));
    return target;
  }

  /** Creates a folder once, however many files are placed in it (thousands of emails/ links), with one plain mkdir when its parent exists. */
  #mkdir(dir: string): void {
    if (dir === this.dir || this.#madeDirs.has(dir)) return;
    this.#mkdir(path.dirname(dir));
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    this.#madeDirs.add(dir);
  }

  async write(rel: string, content: string): Promise<void> {
    await this.place(rel, contentKey.textAt(rel, content), () => content);
  }

  /**
   * Writes a file known by its content key, rendering it only when the current output
   * does not hold the same (`key` undefined: render, and key it by its text). Resolves with the key.
   */
  async place(rel: string, key: string | undefined, render: () => FileText): Promise<string> {
    if (this.#update) return this.#update.place(rel, key, render);
    let content: PageContent | undefined;
    if (key === undefined) key = contentKey.text((content = fileBytes(render())));
    this.files.set(rel, key);
    const target = this.#ensureDir(rel);
    if (this.#current?.get(rel) === key) {
      try {
        linkSync(path.join(this.outDir, rel), target);
        return key;
      } catch {
        // Gone or not linkable (another file system): write it.
      }
    }
    writeContentNow(target, content ?? fileBytes(render()));
    return key;
  }

  /**
   * Places a cache file in the output by hard link (instant, no extra disk); falls back
   * to a copy when the cache and output are on different file systems.
   */
  async linkFrom(rel: string, source: string): Promise<void> {
    if (this.#update) return this.#update.linkFrom(rel, source);
    this.files.set(rel, contentKey.link(source));
    linkOrCopy(source, this.#ensureDir(rel));
  }

  /**
   * Swaps the staging folder in as the output folder; the output it replaces becomes the
   * spare when its manifest is known, else removePrevious() deletes it.
   */
  async commit(): Promise<void> {
    // A spare brought up to date still holds the files this output no longer has.
    await this.#update?.removeStale();
    // The output about to be replaced becomes the spare only if it still is what its manifest
    // said when this build began (a server's in-place rebuild meanwhile would make it lie).
    const spare =
      this.#current && this.#cacheDir && sameFiles(await new OutputManifest(this.#cacheDir).read(this.outDir), this.#current)
        ? { ...spareOf(this.outDir, this.#cacheDir), files: this.#current }
        : undefined;
    const old = path.join(path.dirname(this.outDir), `.${path.basename(this.outDir)}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
    let hadOld = true;
    try {
      await fs.rename(this.outDir, old);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      hadOld = false;
    }
    try {
      await fs.rename(this.dir, this.outDir);
    } catch (error) {
      if (hadOld) await fs.rename(old, this.outDir).catch(() => undefined);
      throw error;
    }
    if (hadOld) this.#previous = old;
    if (hadOld && spare) {
      try {
        // Another build's spare already there: this one is deleted instead (rename does not replace a folder that has files).
        await fs.rename(old, spare.dir);
        this.#previous = undefined;
        await spare.manifest.save(spare.dir, new Map(spare.files));
      } catch {
        // Not kept: deleted by removePrevious() if it is still where it was.
      }
    }
  }

  /**
   * Deletes the output the commit replaced: thousands of files take a second or two, so
   * a detached process of its own does it and `newsdesk build` exits without waiting (the
   * folder has a name of its own that nothing reads; an interrupted delete leaves a stray
   * hidden folder). Resolves once that process has started; deletes here if it cannot start.
   */
  async removePrevious(): Promise<void> {
    const previous = this.#previous;
    this.#previous = undefined;
    if (previous) await removeDetached(previous);
  }

  async discard(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

/** Whether the folder listed (filesUnderInThread) holds exactly the files named (paths relative to it); false when it could not be listed. */
async function holdsExactly(listing: Promise<string[] | undefined>, files: ReadonlyMap<string, string>): Promise<boolean> {
  const found = await listing;
  return found !== undefined && found.length === files.size && found.every((rel) => files.has(rel));
}

/**
 * Every file under a folder (paths relative to it), in blocking reads: a 1,000-issue site's
 * 2,000 folders cost 40 ms of CPU so, against 150-200 ms through promises (four file
 * threads woken for each folder, then the build's thread for each answer). Run by a thread
 * of its own (filesUnderInThread): CommonJS, as an evaluated worker runs.
 */
const filesUnderSource = `
const { readdirSync } = require('node:fs');
const { parentPort, workerData: dir } = require('node:worker_threads');
const found = [];
const pending = [''];
try {
  while (pending.length > 0) {
    const rel = pending.pop();
    for (const entry of readdirSync(rel === '' ? dir : dir + '/' + rel, { withFileTypes: true })) (entry.isDirectory() ? pending : found).push(rel === '' ? entry.name : rel + '/' + entry.name);
  }
  parentPort.postMessage(found);
} catch {
  parentPort.postMessage(undefined);
}`;

/**
 * The files under `dir`, listed in a worker thread (undefined when it cannot be listed): a build looks at
 * the spare while it loads its content, and the listing, blocking reads of every folder
 * (5,300 for a 664-issue archive whose link pages have a folder per site), took that
 * thread 63-120 ms of a publish; the worker costs it 2-5 ms to start, and the listing
 * runs on another core.
 */
function filesUnderInThread(dir: string): { files: Promise<string[] | undefined>; stop(): void } {
  const worker = new Worker(filesUnderSource, { eval: true, workerData: dir, stdout: true, stderr: true });
  const files = new Promise<string[] | undefined>((resolve) => {
    worker.once('message', (found: string[] | undefined) => resolve(found));
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
  return { files, stop: () => void worker.terminate() };
}

function sameFiles(a: ReadonlyMap<string, string> | undefined, b: ReadonlyMap<string, string>): boolean {
  if (!a || a.size !== b.size) return false;
  for (const [rel, key] of a) if (b.get(rel) !== key) return false;
  return true;
}

/**
 * Deletes a folder in a detached process of its own (thousands of files take a second or
 * two; nothing else reads it), so a build need not wait; resolves once that process has
 * started, deleting here if it cannot start.
 */
async function removeDetached(dir: string): Promise<void> {
  // Loaded here: child processes (and the sockets and streams they bring) cost every build's
  // start a few milliseconds, and a build that stages in the spare deletes nothing.
  const { spawn } = await import('node:child_process');
  const started = await new Promise<boolean>((resolve) => {
    const child = spawn(process.execPath, ['-e', 'require("node:fs").rmSync(process.argv[1], { recursive: true, force: true })', dir], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '' },
    });
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
    child.unref();
  });
  if (!started) await fs.rm(dir, { recursive: true, force: true });
}

/**
 * Waits for every one, then fails with the first failure: when one write into the staging
 * folder fails, the others still running would otherwise write into it while it is
 * discarded (and the discard fail with ENOTEMPTY instead of the build with its reason).
 */
export async function settled(work: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * `work` for each item, `lanes` at a time (each lane takes the next item once its last is
 * done), waited for as settled() waits; the results in the items' order.
 */
export async function inLanes<T, R>(items: readonly T[], lanes: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at]!);
    }
  };
  await settled(Array.from({ length: Math.min(lanes, items.length) }, lane));
  return results;
}
