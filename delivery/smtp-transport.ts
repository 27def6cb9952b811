// SMTP through nodemailer's connection pool: the real path. TLS follows the URL
// (smtps:// is implicit TLS; smtp:// upgrades with STARTTLS when offered).
import nodemailer from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import { dkimPlugin, loadDkim, type DkimOptions } from './dkim-signer.ts';
import { toNodemailerMessage } from './nodemailer-message.ts';
import type { OutgoingMessage, SendResult, Transport } from './transport.ts';
import type { Config } from '../core/config.ts';

export interface SmtpTransportOptions {
  url: string;
  /** Pooled connections; the send loop keeps at most this many messages in flight. */
  maxConnections: number;
  dkim?: DkimOptions | undefined;
  /** Socket time-outs; tests shorten them. */
  timeoutMs?: number;
}

export class SmtpTransport implements Transport {
  readonly description: string;
  readonly #mailer;

  constructor(options: SmtpTransportOptions) {
    const url = new URL(options.url);
    this.description = `SMTP ${url.protocol === 'smtps:' ? 'TLS ' : ''}${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 587)} (pool of ${options.maxConnections})`;
    const timeout = options.timeoutMs ?? 60_000;
    // nodemailer ignores every other option when given `url`, so the URL is parsed here
    // and the pool and time-outs are laid over it.
    this.#mailer = nodemailer.createTransport({
      ...parseConnectionUrl(options.url),
      pool: true,
      maxConnections: options.maxConnections,
      maxMessages: Infinity,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    } as Parameters<typeof nodemailer.createTransport>[0]);
    if (options.dkim) this.#mailer.use('stream', dkimPlugin(options.dkim));
  }

  static fromConfig(config: Pick<Config, 'send' | 'dkim'> & { transport: { kind: 'smtp'; url: string } }): SmtpTransport {
    return new SmtpTransport({ url: config.transport.url, maxConnections: config.send.concurrency, dkim: loadDkim(config.dkim) });
  }

  async send(message: OutgoingMessage): Promise<SendResult> {
    const info = await this.#mailer.sendMail(toNodemailerMessage(message));
    return { messageId: info.messageId ?? message.messageId, response: String(info.response ?? '') };
  }

  async close(): Promise<void> {
    this.#mailer.close();
  }
}
