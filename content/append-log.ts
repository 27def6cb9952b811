// An append-only log file of one JSON line per entry, kept durable: an append resolves
// once its line is fsynced, lines appended while a write is under way go out together
// in the next one (one fsync for the lot), and a last line cut short by a crash is
// removed on opening, so the next entry is never glued to it and lost with it.
// The lake's document history keeps its entries through this.
import fsp from 'node:fs/promises';

export class AppendLog {
  readonly file: string;
  #queued: string[] = [];
  #flushing: Promise<void> | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string) {
    this.file = file;
  }

  /** Opens the log at `file` (created on the first append), first cutting off a torn last line. */
  static async open(file: string): Promise<AppendLog> {
    await cutTornLine(file);
    return new AppendLog(file);
  }

  /** Appends one line (without its newline); resolves once it is on disk. */
  append(line: string): Promise<void> {
    this.#queued.push(`${line}\n`);
    this.#flushing ??= this.#writing.then(async () => {
      this.#flushing = undefined;
      await appendDurably(this.file, this.#queued.splice(0).join(''));
    });
    const flushing = this.#flushing;
    this.#writing = flushing.catch(() => undefined);
    return flushing;
  }
}

async function appendDurably(file: string, text: string): Promise<void> {
  const handle = await fsp.open(file, 'a');
  try {
    await handle.write(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

async function cutTornLine(file: string): Promise<void> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r+');
  } catch {
    return;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    // Back to the last newline, a block at a time.
    const block = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - block.length);
      await handle.read(block, 0, end - start, start);
      const at = block.subarray(0, end - start).lastIndexOf(0x0a);
      if (at >= 0) {
        await handle.truncate(start + at + 1);
        return;
      }
      end = start;
    }
    await handle.truncate(0);
  } finally {
    await handle.close();
  }
}
