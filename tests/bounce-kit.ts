// Shared parts of the bounce tests: a real send of an issue to the outbox (each message
// with its signed return path), the report fixtures filled in with what that send
// really put on the wire, and an mbox or Maildir written from them.
import fs from 'node:fs';
import path from 'node:path';
import { OutboxTransport } from '../delivery/transports/outbox-transport.ts';
import { aMessageContext, aRenderedEmail, sendIssueWith, type DeliveryDb } from './delivery-kit.ts';
import type { DeliveryStores } from '../delivery/open-delivery.ts';

export const bounceAddress = 'bounces@bounce.news.example.org';
export const secret = aMessageContext().secret;

/** What one message of a send carried: enough to write a report about it. */
export interface SentMessage {
  'return-path': string;
  'message-id': string;
  recipient: string;
  subject: string;
}

/** Sends `issue` to every active subscriber through the outbox and reads back what each message carried. */
export async function sendToOutbox(delivery: Pick<DeliveryDb, 'dir'> & Pick<DeliveryStores, 'ledger' | 'subscribers'>, issue: number): Promise<Map<string, SentMessage>> {
  const dir = path.join(delivery.dir, `outbox-${issue}`);
  const email = aRenderedEmail({ subject: `Ecosystem Tracker #${issue}: Lockfiles everywhere` });
  await sendIssueWith(delivery, new OutboxTransport({ dir }), { issue, email, context: { bounceAddress } });
  const sent = new Map<string, SentMessage>();
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const raw = fs.readFileSync(path.join(dir, file), 'utf8');
    const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(raw)?.[1]?.trim() ?? '';
    const recipient = header('To');
    sent.set(recipient, { 'return-path': header('Return-Path').replace(/^<|>$/g, ''), 'message-id': header('Message-ID'), recipient, subject: email.subject });
  }
  return sent;
}

const fixtures = path.resolve(import.meta.dirname, 'fixtures/bounces');

/** A report fixture about one sent message. */
export function aReport(name: string, about: SentMessage): Buffer {
  let text = fs.readFileSync(path.join(fixtures, name), 'utf8');
  for (const [key, value] of Object.entries(about)) text = text.replaceAll(`{{${key}}}`, value);
  return Buffer.from(text);
}

/** An mboxrd file of these messages, as a mail program exports a folder. */
export function writeMbox(file: string, messages: Buffer[]): void {
  const body = messages
    .map((m) => `From MAILER-DAEMON Sat Mar 14 09:05:00 2026\n${m.toString('utf8').replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1').replace(/\n*$/, '\n')}\n`)
    .join('');
  fs.writeFileSync(file, body);
}

/** A Maildir with these messages delivered to new/. */
export function writeMaildir(dir: string, messages: Buffer[]): void {
  for (const sub of ['new', 'cur', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  messages.forEach((m, i) => fs.writeFileSync(path.join(dir, 'new', `1773478872.M${i}P4242.mx1`), m));
}
