// The outbox: every message written as an .eml file instead of being sent, exactly as
// it would have left (DKIM-signed too when configured). The default, so a newcomer can
// run a whole send and open what each subscriber would have received.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { dkimPlugin, loadDkim, type DkimOptions } from '../signing/dkim-signer.ts';
import { toNodemailerMessage } from './nodemailer-message.ts';
import type { OutgoingMessage, SendResult, TransmitHooks, Transport } from '../sending/transport.ts';
import type { Config } from '../../core/config.ts';

export class OutboxTransport implements Transport {
  readonly description: string;
  readonly #dir: string;
  readonly #mailer;

  constructor(options: { dir: string; dkim?: DkimOptions | undefined }) {
    this.#dir = options.dir;
    this.description = `outbox ${path.relative(process.cwd(), options.dir) || options.dir}`;
    this.#mailer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    if (options.dkim) this.#mailer.use('stream', dkimPlugin(options.dkim));
  }

  static fromConfig(config: Pick<Config, 'dkim'> & { transport: { kind: 'outbox'; dir: string } }): OutboxTransport {
    return new OutboxTransport({ dir: config.transport.dir, dkim: loadDkim(config.dkim) });
  }

  /** The file a message is (or would be) written to. */
  fileFor(messageId: string): string {
    return path.join(this.#dir, `${messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._-]+/g, '_')}.eml`);
  }

  async send(message: OutgoingMessage, hooks: TransmitHooks = {}): Promise<SendResult> {
    const info = await this.#mailer.sendMail(toNodemailerMessage(message));
    const file = this.fileFor(message.messageId);
    await fs.mkdir(this.#dir, { recursive: true });
    // The outbox's hand-off: from here the file may exist.
    await hooks.onTransmit?.();
    // Temp file then rename: a crash never leaves half a message in the outbox.
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    // As a mailbox would file it: the envelope sender on top, where a bounce goes.
    const returnPath = message.returnPath ? Buffer.from(`Return-Path: <${message.returnPath}>\r\n`) : undefined;
    await fs.writeFile(tmp, returnPath ? Buffer.concat([returnPath, info.message as Buffer]) : (info.message as Buffer));
    await fs.rename(tmp, file);
    return { messageId: message.messageId, response: `written to ${file}` };
  }

  async close(): Promise<void> {}
}
