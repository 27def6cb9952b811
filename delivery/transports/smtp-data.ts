// The message as SMTP's DATA carries it: a dot that starts a line doubled, a bare LF sent as
// CRLF (RFC 5321 §4.5.2). nodemailer's connection does this in its DataStream one byte at a
// time in JavaScript, a fifth of a millisecond for each 85 KB issue message; here the line
// ends are found with indexOf (native), and a message that needs no change, as ours never
// does, passes through as it came. The pool swaps it into each of its connections.
import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';

/** What the DataStream of nodemailer's connection keeps between chunks. */
interface DataStreamState {
  /** The last byte of the previous chunk; false before the first. */
  lastByte: number | false;
  inByteCount: number;
  outByteCount: number;
  push(chunk: Buffer): boolean;
}

const dot = Buffer.from('.');
const crlf = Buffer.from('\r\n');

/**
 * One chunk encoded for DATA, exactly as nodemailer's DataStream encodes it (including its
 * reading of the byte before a chunk: a line starts after LF, or at the start of the stream).
 */
export function encodeDataChunk(chunk: Buffer, lastByte: number | false): Buffer {
  const pieces: Buffer[] = [];
  let from = 0;
  if (chunk[0] === 0x2e && (!lastByte || lastByte === 0x0a)) {
    pieces.push(chunk.subarray(0, 1), dot);
    from = 1;
  }
  for (let lf = chunk.indexOf(0x0a); lf !== -1; lf = chunk.indexOf(0x0a, lf + 1)) {
    const before = lf > 0 ? chunk[lf - 1] : lastByte;
    if (before !== 0x0d) {
      pieces.push(chunk.subarray(from, lf), crlf);
      from = lf + 1;
    }
    if (chunk[lf + 1] === 0x2e) {
      pieces.push(chunk.subarray(from, lf + 2), dot);
      from = lf + 2;
    }
  }
  if (pieces.length === 0) return chunk;
  pieces.push(chunk.subarray(from));
  return Buffer.concat(pieces);
}

/** Makes the connection encode each message it sends with encodeDataChunk, keeping the rest of its DataStream (end marker, byte counts, piping). */
export function useFastDataEncoding(connection: SMTPConnection): void {
  const internals = connection as unknown as { _createSendStream(callback: unknown): DataStreamState & { _transform: unknown } };
  const create = internals._createSendStream;
  // Another nodemailer version may shape this differently: then its own encoding stays.
  if (typeof create !== 'function') return;
  internals._createSendStream = function (this: unknown, callback: unknown) {
    const stream = create.call(this, callback);
    stream._transform = function (this: DataStreamState, chunk: Buffer | string, _encoding: string, done: () => void) {
      if (!chunk || chunk.length === 0) return done();
      const input = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const output = encodeDataChunk(input, this.lastByte);
      this.inByteCount += input.length;
      this.outByteCount += output.length;
      this.push(output);
      this.lastByte = input[input.length - 1]!;
      done();
    };
    return stream;
  };
}
