import DataStream from 'nodemailer/lib/smtp-connection/data-stream.js';
import { describe, expect, it } from 'vitest';
import { dataTerminator, encodeDataChunk } from './smtp-data.ts';

/** What nodemailer's own DataStream makes of these chunks, its end marker included. */
async function nodemailerEncoding(chunks: Buffer[]): Promise<Buffer> {
  const stream = new DataStream();
  const out: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise((resolve) => stream.on('end', resolve));
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await ended;
  return Buffer.concat(out);
}

/** Ours, with the end marker written after it. */
function ourEncoding(chunks: Buffer[], withEnd = false): Buffer {
  let lastByte: number | false = false;
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    out.push(encodeDataChunk(chunk, lastByte));
    lastByte = chunk[chunk.length - 1]!;
  }
  if (withEnd) out.push(dataTerminator(lastByte));
  return Buffer.concat(out);
}

/** A small deterministic generator, so a failure names a case that can be run again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('encoding a message for SMTP DATA', () => {
  it('doubles a dot that starts a line and sends bare LF as CRLF', () => {
    expect(ourEncoding([Buffer.from('.first\r\nsecond\n.third\r\n..fourth\r\nno.dot\r\n')]).toString()).toBe('..first\r\nsecond\r\n..third\r\n...fourth\r\nno.dot\r\n');
  });

  it('passes a message that needs nothing through as the same buffer', () => {
    const message = Buffer.from('Subject: hi\r\n\r\nA line.\r\n=2E a QP dot\r\n');
    expect(encodeDataChunk(message, false)).toBe(message);
  });

  it('encodes exactly as nodemailer does, whatever the bytes and wherever the chunks are cut', async () => {
    const alphabet = ['.', '\n', '\r', 'a', ' ', '\0'];
    for (let seed = 1; seed <= 300; seed++) {
      const next = random(seed);
      const text = Array.from({ length: 1 + Math.floor(next() * 60) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      const bytes = Buffer.from(text, 'latin1');
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(next() * 8);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      expect(ourEncoding(chunks, true).toString('latin1'), `seed ${seed}: ${JSON.stringify(text)}`).toBe((await nodemailerEncoding(chunks)).toString('latin1'));
    }
  });

  it('a large piece is encoded once for each kind of byte before it, and the same encoding is handed out again', () => {
    const body = Buffer.from(`${'a line of the body\r\n.a line with a dot\r\n'.repeat(200)}`);
    const once = encodeDataChunk(body, 0x0a);
    expect(encodeDataChunk(body, 0x0a)).toBe(once);
    expect(once.toString()).toBe(body.toString().replaceAll('\r\n.', '\r\n..'));
    const dotted = Buffer.from(`.${'a line of the body\r\n'.repeat(400)}`);
    expect(encodeDataChunk(dotted, 0x61)).toBe(dotted);
    // The same piece after a line end: its leading dot is doubled, every time.
    for (let i = 0; i < 2; i++) expect(encodeDataChunk(dotted, 0x0a).subarray(0, 3).toString()).toBe('..a');
    expect(encodeDataChunk(dotted, false).subarray(0, 3).toString()).toBe('..a');
    const bareLf = Buffer.from(`\n${'a line of the body\r\n'.repeat(400)}`);
    expect(encodeDataChunk(bareLf, 0x61).subarray(0, 3).toString()).toBe('\r\na');
    expect(encodeDataChunk(bareLf, 0x0d)).toBe(bareLf);
  });
});
