import DataStream from 'nodemailer/lib/smtp-connection/data-stream.js';
import { describe, expect, it } from 'vitest';
import { encodeDataChunk } from './smtp-data.ts';

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

/** Ours, with the end marker nodemailer's stream still adds (its _flush is kept). */
function ourEncoding(chunks: Buffer[], withEnd = false): Buffer {
  let lastByte: number | false = false;
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    out.push(encodeDataChunk(chunk, lastByte));
    lastByte = chunk[chunk.length - 1]!;
  }
  if (withEnd) out.push(Buffer.from(lastByte === 0x0a ? '.\r\n' : lastByte === 0x0d ? '\n.\r\n' : '\r\n.\r\n'));
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
});
