// A file read by position through a descriptor kept open for as long as anything may
// still read through it: a file renamed over it meanwhile (a compaction, a record written
// anew) does not change what is read. The descriptor closes when the OpenFile is collected.
import { closeSync, openSync, readSync } from 'node:fs';

const descriptors = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
});

export class OpenFile {
  readonly #fd: number;

  /** Throws as openSync does (ENOENT when there is no file). */
  constructor(path: string) {
    this.#fd = openSync(path, 'r');
    descriptors.register(this, this.#fd);
  }

  /** The descriptor, for a worker thread of this process to read through (descriptors are the process's). */
  get fd(): number {
    return this.#fd;
  }

  /** Reads `length` bytes at `position` into `into` (a new buffer by default); fewer at the end of the file: the returned view says how many. */
  read(position: number, length: number, into: Buffer = Buffer.allocUnsafe(length)): Buffer {
    return readAt(this.#fd, position, length, into);
  }
}

/** Reads `length` bytes at `position` of the file open as `fd` into `into`; fewer at the end of the file: the returned view says how many. */
export function readAt(fd: number, position: number, length: number, into: Buffer): Buffer {
  let done = 0;
  while (done < length) {
    const read = readSync(fd, into, done, length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return into.subarray(0, done);
}
