// DKIM signing (RFC 6376, rsa-sha256, relaxed/relaxed) of every message both transports
// send, as a nodemailer stream plugin. nodemailer's own signer lists each header at most
// once and only when present; ours over-signs the headers a reader trusts (From, Sender
// — which clients show as "on behalf of" —, Subject, To, Cc, Reply-To and the
// unsubscribe headers): each is named in h= once more
// than it occurs, so a relay that adds a second From or List-Unsubscribe, or one that
// was absent, breaks the signature instead of riding on it.
import { createPrivateKey, createHash, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import type { Config } from '../../core/config.ts';
import { NewsdeskError } from '../../core/errors.ts';

/** Named in h= one more time than they occur. */
export const overSignedHeaders = ['From', 'Sender', 'Subject', 'To', 'Cc', 'Reply-To', 'List-Unsubscribe', 'List-Unsubscribe-Post'] as const;
/** Signed as often as they occur. */
export const signedHeaders = ['Date', 'Message-ID', 'MIME-Version', 'Content-Type', 'List-Id', 'Feedback-ID'] as const;

export interface DkimOptions {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export function loadDkim(dkim: Config['dkim']): DkimOptions | undefined {
  if (!dkim) return undefined;
  let privateKey: string;
  try {
    privateKey = fs.readFileSync(dkim.privateKeyFile, 'utf8');
  } catch (error) {
    throw new NewsdeskError('CONFIG_INVALID', `DKIM_PRIVATE_KEY_FILE ${dkim.privateKeyFile} could not be read: ${(error as Error).message}`, {
      hint: 'Point DKIM_PRIVATE_KEY_FILE at a PEM private key, or unset the DKIM_* variables to send unsigned.',
      cause: error,
    });
  }
  const options = { domainName: dkim.domain, keySelector: dkim.selector, privateKey };
  rsaKeyOf(options, dkim.privateKeyFile);
  return options;
}

export function rsaKeyOf(options: DkimOptions, source = 'the DKIM key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(options.privateKey);
  } catch (error) {
    throw new NewsdeskError('CONFIG_INVALID', `${source} is not a PEM private key: ${(error as Error).message}`, {
      hint: 'Generate one with `openssl genrsa -out dkim.pem 2048` and publish its public half as <selector>._domainkey.<domain>.',
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new NewsdeskError('CONFIG_INVALID', `${source} is a ${key.asymmetricKeyType} key; newsdesk signs with RSA (rsa-sha256), which every receiver verifies.`, {
      hint: 'Use an RSA key of 2048 bits: `openssl genrsa -out dkim.pem 2048`.',
    });
  }
  return key;
}

/** A nodemailer plugin ('stream' step) that signs each message as it is streamed out. */
export function dkimPlugin(options: DkimOptions) {
  const key = rsaKeyOf(options);
  return (mail: { message: { processFunc(fn: (input: Readable) => Readable): void } }, done: (error?: Error | null) => void) => {
    mail.message.processFunc((input) => {
      const output = new PassThrough();
      const chunks: Buffer[] = [];
      input.on('data', (chunk: Buffer) => chunks.push(chunk));
      input.once('error', (error) => output.destroy(error));
      input.once('end', () => {
        try {
          output.end(signMessage(Buffer.concat(chunks), options, key));
        } catch (error) {
          output.destroy(error as Error);
        }
      });
      return output;
    });
    done();
  };
}

/** The message with a DKIM-Signature header prepended; bare LF line ends become CRLF, as SMTP sends them. */
export function signMessage(message: Buffer, options: DkimOptions, key: KeyObject = rsaKeyOf(options)): Buffer {
  // Messages built from the MIME template already end every line with CRLF: their bytes
  // are hashed and sent as they are, not copied through a string for each recipient.
  const crlf = hasOnlyCrlf(message) ? message : Buffer.from(message.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
  const split = crlf.indexOf('\r\n\r\n');
  const head = split === -1 ? `${crlf.toString('latin1')}\r\n` : crlf.toString('latin1', 0, split + 2);
  const body = split === -1 ? crlf.subarray(crlf.length) : crlf.subarray(split + 4);
  const fields = parseHeaderFields(head);

  const names: string[] = [];
  const signedLines: string[] = [];
  for (const name of [...overSignedHeaders, ...signedHeaders]) {
    const lower = name.toLowerCase();
    // Several occurrences are signed from the bottom up (RFC 6376 §5.4.2).
    const present = fields.filter((f) => f.name === lower).reverse();
    for (const field of present) {
      names.push(lower);
      signedLines.push(canonicalHeader(field.raw));
    }
    if ((overSignedHeaders as readonly string[]).includes(name)) names.push(lower);
  }

  const bodyHash = createHash('sha256').update(canonicalBody(body.toString('latin1')), 'latin1').digest('base64');
  const unsigned =
    `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${options.domainName}; s=${options.keySelector};\r\n` +
    ` h=${foldList(names)};\r\n bh=${bodyHash};\r\n b=`;
  // The signature's own header is hashed last, with b= empty and no line end (§3.7).
  const signed = signedLines.join('') + canonicalHeader(unsigned).slice(0, -2);
  const signature = sign('sha256', Buffer.from(signed, 'latin1'), key).toString('base64');
  const header = `${unsigned}${signature.replace(/(.{72})(?=.)/g, '$1\r\n ')}\r\n`;
  return Buffer.concat([Buffer.from(header, 'latin1'), crlf]);
}

/** Whether every LF in the message follows a CR (a scan for line ends only, not every byte in JavaScript). */
function hasOnlyCrlf(message: Buffer): boolean {
  for (let at = message.indexOf(0x0a); at !== -1; at = message.indexOf(0x0a, at + 1)) {
    if (at === 0 || message[at - 1] !== 0x0d) return false;
  }
  return true;
}

interface HeaderField {
  /** Lower-cased field name. */
  name: string;
  /** The whole field as it stands, folding included, without the final CRLF. */
  raw: string;
}

function parseHeaderFields(head: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of head.split('\r\n')) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && fields.length > 0) fields.at(-1)!.raw += `\r\n${line}`;
    else fields.push({ name: line.slice(0, line.indexOf(':')).trim().toLowerCase(), raw: line });
  }
  return fields;
}

/** Relaxed header canonicalization (RFC 6376 §3.4.2): name lower-cased, unfolded, runs of white space as one space. */
function canonicalHeader(raw: string): string {
  const colon = raw.indexOf(':');
  const name = raw.slice(0, colon).trim().toLowerCase();
  const value = raw
    .slice(colon + 1)
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim();
  return `${name}:${value}\r\n`;
}

/**
 * Relaxed body canonicalization (RFC 6376 §3.4.4): white space runs as one space, none at
 * line ends, no trailing empty lines. Two passes of a regular expression over the whole
 * body, not one per line: an issue's body has a thousand lines, and is signed per recipient.
 */
function canonicalBody(body: string): string {
  // Quoted-printable never leaves white space at a line end: the first pass is mostly skipped.
  const endsInSpace = body.includes(' \r\n') || body.includes('\t\r\n') || body.endsWith(' ') || body.endsWith('\t');
  const relaxed = (endsInSpace ? body.replace(/[ \t]+(?=\r\n|$)/g, '') : body).replace(/[ \t]{2,}|\t/g, ' ');
  let end = relaxed.length;
  while (end >= 2 && relaxed.startsWith('\r\n', end - 2)) end -= 2;
  return end === 0 ? '' : `${relaxed.slice(0, end)}\r\n`;
}

/** "from:from:subject…" folded after a colon when a line would pass 72 characters. */
function foldList(names: string[]): string {
  const lines = [''];
  for (const [i, name] of names.entries()) {
    const piece = i < names.length - 1 ? `${name}:` : name;
    if (lines.at(-1)!.length + piece.length > 70) lines.push('');
    lines[lines.length - 1] += piece;
  }
  return lines.join('\r\n ');
}
