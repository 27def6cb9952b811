// The message as SMTP's DATA carries it: a dot that starts a line doubled, a bare LF sent as
// CRLF (RFC 5321 §4.5.2), then the final ".". nodemailer's connection does this in its
// DataStream one byte at a time in JavaScript, a fifth of a millisecond for each 85 KB issue
// message; here the line ends are found with indexOf (native), a piece that needs no change,
// as ours never do, passes through as it came, and a large piece found clean once (the body
// encoded once per send, shared by every message) is not read again.
const dot = Buffer.from('.');
const crlf = Buffer.from('\r\n');

/**
 * Large pieces whose every line end inside is CRLF with no dot after it: only their first
 * byte depends on what came before. Such pieces are built once and never changed afterwards.
 */
const cleanInside = new WeakSet<Buffer>();
const rememberAbove = 4096;

/**
 * One piece encoded for DATA, exactly as nodemailer's DataStream encodes it (including its
 * reading of the byte before a piece: a line starts after LF, or at the start of the message).
 */
export function encodeDataChunk(chunk: Buffer, lastByte: number | false): Buffer {
  const first = chunk[0];
  if (first !== 0x2e && first !== 0x0a && cleanInside.has(chunk)) return chunk;
  const pieces: Buffer[] = [];
  let from = 0;
  if (first === 0x2e && (!lastByte || lastByte === 0x0a)) {
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
  if (pieces.length === 0) {
    if (chunk.length >= rememberAbove && first !== 0x2e && first !== 0x0a) cleanInside.add(chunk);
    return chunk;
  }
  pieces.push(chunk.subarray(from));
  return Buffer.concat(pieces);
}

/** What ends DATA after a message whose last byte was `lastByte` (nodemailer's choice, so a message ending in CRLF gets no blank line). */
export function dataTerminator(lastByte: number | false): Buffer {
  return Buffer.from(lastByte === 0x0a ? '.\r\n' : lastByte === 0x0d ? '\n.\r\n' : '\r\n.\r\n');
}
