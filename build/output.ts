// Atomic output: a build writes into a staging folder next to the output folder (same
// file system) and only a finished build is swapped in, so a failed or interrupted
// build leaves the previous output exactly as it was. A file whose content the previous
// output already holds (by the manifest of build/in-place-output.ts) is hard-linked from
// it instead of written: on a 1,000-issue archive that is ~15,000 search-index files, and
// a link costs a tenth of creating and writing a small file. The previous output is only
// read (files there are replaced by rename, never changed in place), so it stays whole.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { contentKey } from './in-place-output.ts';

export class StagedOutput {
  readonly outDir: string;
  readonly dir: string;
  /** Every file placed, by content key: the manifest that lets the next rebuild write only what changed. */
  readonly files = new Map<string, string>();
  #madeDirs = new Map<string, Promise<void>>();
  #previous: string | undefined;
  /** The current output's files by content key (its manifest), to link from; undefined when unknown. */
  readonly #current: ReadonlyMap<string, string> | undefined;

  private constructor(outDir: string, dir: string, current: ReadonlyMap<string, string> | undefined) {
    this.outDir = outDir;
    this.dir = dir;
    this.#current = current;
  }

  /** `current`: what the output folder holds now (OutputManifest.read), so unchanged files are linked, not written. */
  static async create(outDir: string, current?: ReadonlyMap<string, string>): Promise<StagedOutput> {
    const parent = path.dirname(outDir);
    await fs.mkdir(parent, { recursive: true });
    const dir = path.join(parent, `.${path.basename(outDir)}.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(dir);
    return new StagedOutput(outDir, dir, current);
  }

  async #ensureDir(rel: string): Promise<string> {
    const target = path.join(this.dir, rel);
    await this.#mkdir(path.dirname(target));
    return target;
  }

  /**
   * Creates a folder once, however many files are placed in it at the same time (thousands
   * of emails/ links start together), and with one plain mkdir when its parent exists.
   */
  #mkdir(dir: string): Promise<void> {
    let made = this.#madeDirs.get(dir);
    if (!made) {
      made =
        dir === this.dir
          ? Promise.resolve()
          : this.#mkdir(path.dirname(dir)).then(async () => {
              await fs.mkdir(dir).catch((error: NodeJS.ErrnoException) => {
                if (error.code !== 'EEXIST') throw error;
              });
            });
      this.#madeDirs.set(dir, made);
    }
    return made;
  }

  async write(rel: string, content: string): Promise<void> {
    await this.place(rel, contentKey.textAt(rel, content), () => content);
  }

  /**
   * Writes a file known by its content key, rendering it only when the current output
   * does not hold the same (`key` undefined: render, and key it by its text). Resolves with the key.
   */
  async place(rel: string, key: string | undefined, render: () => string): Promise<string> {
    let content: string | undefined;
    if (key === undefined) key = contentKey.text((content = render()));
    this.files.set(rel, key);
    const target = await this.#ensureDir(rel);
    if (this.#current?.get(rel) === key) {
      try {
        await fs.link(path.join(this.outDir, rel), target);
        return key;
      } catch {
        // Gone or not linkable (another file system): write it.
      }
    }
    await fs.writeFile(target, content ?? render());
    return key;
  }

  /**
   * Places a cache file in the output by hard link (instant, no extra disk); falls back
   * to a copy when the cache and output are on different file systems.
   */
  async linkFrom(rel: string, source: string): Promise<void> {
    this.files.set(rel, contentKey.link(source));
    const target = await this.#ensureDir(rel);
    try {
      await fs.link(source, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error;
      await fs.copyFile(source, target);
    }
  }

  /** Swaps the staging folder in as the output folder; removePrevious() then deletes the old output. */
  async commit(): Promise<void> {
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
    if (!previous) return;
    const started = await new Promise<boolean>((resolve) => {
      const child = spawn(process.execPath, ['-e', 'require("node:fs").rmSync(process.argv[1], { recursive: true, force: true })', previous], {
        detached: true,
        stdio: 'ignore',
        env: { PATH: process.env.PATH ?? '' },
      });
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
      child.unref();
    });
    if (!started) await fs.rm(previous, { recursive: true, force: true });
  }

  async discard(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
