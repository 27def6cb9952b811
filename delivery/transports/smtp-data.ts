// The message as SMTP's DATA carries it: a dot that starts a line doubled, a bare LF sent as
// CRLF (RFC 5321 §4.5.2), then the final ".". nodemailer's connection does this in its
// DataStream one byte at a time in JavaScript, a fifth of a millisecond for each 85 KB issue
// message; here the line ends are found with indexOf (native), a piece that needs no change
// passes through as it came, and a large piece is encoded once and its encoding kept: the
// body encoded once per send is shared by every message, and a few of its lines start with
// a dot, so without this each message would cost a scan and a copy of the whole body.
const dot = Buffer.from('.');
const crlf = Buffer.from('\r\n');

/**
 * Encodings of large pieces, by what the byte before them was (all a piece's encoding
 * depends on). Such pieces are built once per send and never changed afterwards.
 */
const encoded = new WeakMap<Buffer, Partial<Record<'lineStart' | 'afterCr' | 'midLine', Buffer>>>();
const rememberFrom = 4096;

/**
 * One piece encoded for DATA, exactly as nodemailer's DataStream encodes it (including its
 * reading of the byte before a piece: a line starts after LF, or at the start of the message).
 */
export function encodeDataChunk(chunk: Buffer, lastByte: number | false): Buffer {
  if (chunk.length < rememberFrom) return encode(chunk, lastByte);
  const context = !lastByte || lastByte === 0x0a ? 'lineStart' : lastByte === 0x0d ? 'afterCr' : 'midLine';
  let known = encoded.get(chunk);
  if (!known) encoded.set(chunk, (known = {}));
  return (known[context] ??= encode(chunk, lastByte));
}

function encode(chunk: Buffer, lastByte: number | false): Buffer {
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

/** What ends DATA after a message whose last byte was `lastByte` (nodemailer's choice, so a message ending in CRLF gets no blank line). */
export function dataTerminator(lastByte: number | false): Buffer {
  return Buffer.from(lastByte === 0x0a ? '.\r\n' : lastByte === 0x0d ? '\n.\r\n' : '\r\n.\r\n');
}
