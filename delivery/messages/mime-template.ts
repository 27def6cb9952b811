// Builds each recipient's complete MIME message from a body encoded once per send.
// Letting nodemailer compose every message re-encodes ~80 KB of HTML and text as
// quoted-printable per recipient (≈8 ms each, capping a send near 120 msg/s); here the
// parts are encoded once, with every placeholder cut out onto its own soft-broken
// line, so per recipient only the short values are encoded and the pieces joined.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { placeholderHtml, placeholders, toHeaderText } from '../../core/render.ts';
import type { OutgoingMessage } from '../sending/transport.ts';

// nodemailer's own encoders, so these messages encode exactly like the ones it composes.
// CommonJS objects whose named exports ESM cannot see, hence require.
const require = createRequire(import.meta.url);
const mimeFuncs = require('nodemailer/lib/mime-funcs') as typeof import('nodemailer/lib/mime-funcs/index.js');
const { encode: qpEncode, wrap: qpWrap } = require('nodemailer/lib/qp') as typeof import('nodemailer/lib/qp/index.js');

type Key = keyof typeof placeholders;
const keyOf = new Map<string, Key>(Object.entries(placeholders).map(([k, v]) => [v, k as Key]));
const placeholderPattern = new RegExp(Object.values(placeholders).map((p) => p.replace(/[{}]/g, '\\$&')).join('|'), 'g');

/** Under 76 with room for the soft break "=" added after a segment's last line. */
const qpLine = 74;

interface EncodedPart {
  contentType: string;
  /** Encoded literal text as bytes; segments[i] is followed by the value of keys[i]. */
  segments: Buffer[];
  keys: Key[];
  escapeHtml: boolean;
}

export interface MimeTemplate {
  boundary: string;
  parts: [EncodedPart, EncodedPart];
}

function encodeQp(text: string): string {
  return qpWrap(qpEncode(Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8')), qpLine);
}

function encodePart(template: string, contentType: string, escapeHtml: boolean): EncodedPart {
  const segments: Buffer[] = [];
  const keys: Key[] = [];
  let last = 0;
  for (const match of template.matchAll(placeholderPattern)) {
    segments.push(Buffer.from(encodeQp(template.slice(last, match.index))));
    keys.push(keyOf.get(match[0])!);
    last = match.index + match[0].length;
  }
  segments.push(Buffer.from(encodeQp(template.slice(last))));
  return { contentType, segments, keys, escapeHtml };
}

/** Encodes the text and HTML parts once; the placeholders stay open for each recipient. */
export function compileMimeTemplate(email: { text: string; html: string }): MimeTemplate {
  return {
    boundary: `----=_newsdesk_${randomBytes(12).toString('hex')}`,
    parts: [encodePart(email.text, 'text/plain; charset=utf-8', false), encodePart(email.html, 'text/html; charset=utf-8', true)],
  };
}

function fillPart(part: EncodedPart, values: Record<Key, string>, out: Buffer[]): void {
  out.push(part.segments[0]!);
  for (let i = 0; i < part.keys.length; i++) {
    const raw = values[part.keys[i]!];
    // Soft breaks around the value: it sits on lines of its own, so no line grows past 76.
    out.push(Buffer.from(`=\r\n${encodeQp(part.escapeHtml ? placeholderHtml(part.keys[i]!, raw) : raw)}=\r\n`), part.segments[i + 1]!);
  }
}

/**
 * Per header name, the line last made and what it was made from (`key`): most headers are
 * the same for every recipient of a send, so their line is cleaned and folded once.
 */
const lastHeaders = new Map<string, { key: string; line: string }>();

function header(name: string, key: string, value: () => string): string {
  const last = lastHeaders.get(name);
  if (last?.key === key) return last.line;
  const line = `${mimeFuncs.foldLines(`${name}: ${value()}`, 76)}\r\n`;
  lastHeaders.set(name, { key, line });
  return line;
}

function headerText(text: string): string {
  const clean = toHeaderText(text);
  return mimeFuncs.isPlainText(clean) ? clean : mimeFuncs.encodeWords(clean, 'Q', 52);
}

function mailbox(address: { name?: string | undefined; address: string }): string {
  const name = address.name ? toHeaderText(address.name) : '';
  if (!name) return address.address;
  const display = mimeFuncs.isPlainText(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : mimeFuncs.encodeWords(name, 'Q', 52);
  return `${display} <${address.address}>`;
}

function rfc2822Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * The whole RFC 5322 message for one recipient, CRLF line ends, as pieces of bytes: the
 * shared encoded body parts as they are (never copied), the recipient's own pieces between them.
 */
export function buildMimeParts(template: MimeTemplate, message: OutgoingMessage, values: Record<Key, string>): Buffer[] {
  let out = '';
  const { from, to, replyTo, subject, messageId, date } = message;
  for (const [name, value] of Object.entries(message.headers)) out += header(name.replace(/[^A-Za-z0-9-]/g, ''), value, () => toHeaderText(value));
  out += header('From', `${from.name ?? ''}\0${from.address}`, () => mailbox(from));
  out += header('To', `${to.name ?? ''}\0${to.address}`, () => mailbox(to));
  if (replyTo) out += header('Reply-To', replyTo, () => toHeaderText(replyTo));
  out += header('Subject', subject, () => headerText(subject));
  out += header('Message-ID', messageId, () => toHeaderText(messageId));
  out += header('Date', String(date.getTime()), () => rfc2822Date(date));
  out += 'MIME-Version: 1.0\r\n';
  out += `Content-Type: multipart/alternative;\r\n boundary="${template.boundary}"\r\n\r\n`;
  const chunks: Buffer[] = [];
  for (const part of template.parts) {
    out += `--${template.boundary}\r\nContent-Type: ${part.contentType}\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n`;
    chunks.push(Buffer.from(out));
    fillPart(part, values, chunks);
    out = '\r\n';
  }
  chunks.push(Buffer.from(`${out}--${template.boundary}--\r\n`));
  return chunks;
}
