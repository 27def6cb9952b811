// The one translation from our OutgoingMessage to nodemailer's message options, shared
// by both nodemailer adapters (DKIM signing is in delivery/signing/dkim-signer.ts).
import type Mail from 'nodemailer/lib/mailer/index.js';
import { toHeaderText } from '../../core/render.ts';
import type { OutgoingMessage } from '../sending/transport.ts';

export function toNodemailerMessage(m: OutgoingMessage): Mail.Options {
  if (m.mime !== undefined) return { envelope: { from: m.returnPath ?? m.from.address, to: [m.to.address] }, raw: m.mime };
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
    ...(m.returnPath ? { envelope: { from: m.returnPath, to: [m.to.address] } } : {}),
  };
}
