// The one translation from our OutgoingMessage to nodemailer's message options, and
// the DKIM options both adapters share. DKIM signs the list headers too, so a relay
// cannot strip or alter the unsubscribe links without breaking the signature.
import fs from 'node:fs';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { Config } from '../core/config.ts';
import { NewsdeskError } from '../core/errors.ts';
import { toHeaderText } from '../core/render.ts';
import type { OutgoingMessage } from './transport.ts';

export const dkimSignedHeaders = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version', 'Content-Type',
  'List-Id', 'List-Unsubscribe', 'List-Unsubscribe-Post',
].join(':');

export interface DkimOptions {
  domainName: string;
  keySelector: string;
  privateKey: string;
  headerFieldNames: string;
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
  return { domainName: dkim.domain, keySelector: dkim.selector, privateKey, headerFieldNames: dkimSignedHeaders };
}

export function toNodemailerMessage(m: OutgoingMessage): Mail.Options {
  if (m.mime !== undefined) return { envelope: { from: m.from.address, to: [m.to.address] }, raw: m.mime };
  const headers: Record<string, string> = {};
  // Defence in depth: whatever built the message, no CR/LF reaches a header line.
  for (const [name, value] of Object.entries(m.headers)) headers[toHeaderText(name).replace(/[^A-Za-z0-9-]/g, '')] = toHeaderText(value);
  return {
    from: { name: toHeaderText(m.from.name), address: m.from.address },
    to: m.to.name ? { name: toHeaderText(m.to.name), address: m.to.address } : m.to.address,
    ...(m.replyTo ? { replyTo: m.replyTo } : {}),
    subject: toHeaderText(m.subject),
    text: m.text,
    html: m.html,
    messageId: m.messageId,
    date: m.date,
    headers,
  };
}
