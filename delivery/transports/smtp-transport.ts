// SMTP: the real path. A pool of nodemailer SMTP connections (TLS follows the URL:
// smtps:// is implicit TLS, smtp:// upgrades with STARTTLS when offered), one message
// per connection at a time, each a transaction of our own (smtp-transaction.ts: the
// envelope pipelined when the relay offers it). The pool is ours rather than nodemailer's
// because the send loop must record the hand-off before a message can be complete (before
// its final "."), and because nodemailer's pool quietly re-sends a message whose
// connection closed mid-transmission, which could deliver it twice.
// nodemailer reports every lost connection alike (ECONNECTION or ETIMEDOUT, command
// "CONN"), so this pool watches the message itself: once all of it, the final "." too,
// has left the socket's buffer, a loss without a reply is OutcomeUnknown; before that
// the relay cannot have accepted it, so it is an ordinary retry.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { Config } from '../../core/config.ts';
import { NewsdeskError } from '../../core/errors.ts';
import { loadDkim, rsaKeyOf, signMessage, type DkimOptions } from '../signing/dkim-signer.ts';
import { toNodemailerMessage } from './nodemailer-message.ts';
import { runTransaction, supportsTransactions } from './smtp-transaction.ts';
import { HandOffRefused, OutcomeUnknown, type OutgoingMessage, type SendResult, type TransmitHooks, type Transport } from '../sending/transport.ts';

export interface SmtpTransportOptions {
  url: string;
  /** Connections kept open at most; the send loop keeps at most this many messages in flight. */
  maxConnections: number;
  dkim?: DkimOptions | undefined;
  /** Socket time-outs; tests shorten them. */
  timeoutMs?: number;
}

export class SmtpTransport implements Transport {
  readonly description: string;
  readonly #options: SMTPConnection.Options;
  readonly #auth: { user: string; pass: string } | undefined;
  readonly #max: number;
  readonly #dkim: { options: DkimOptions; key: ReturnType<typeof rsaKeyOf> } | undefined;
  readonly #idle: PooledConnection[] = [];
  readonly #waiting: Array<() => void> = [];
  #open = 0;
  #closed = false;

  constructor(options: SmtpTransportOptions) {
    const url = new URL(options.url);
    this.description = `SMTP ${url.protocol === 'smtps:' ? 'TLS ' : ''}${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 587)} (pool of ${options.maxConnections})`;
    const timeout = options.timeoutMs ?? 60_000;
    const { auth, ...parsed } = parseConnectionUrl(options.url) as SMTPConnection.Options & { auth?: { user?: string; pass?: string } };
    this.#options = { ...parsed, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout };
    this.#auth = auth?.user ? { user: auth.user, pass: auth.pass ?? '' } : undefined;
    this.#max = options.maxConnections;
    if (!supportsTransactions(new SMTPConnection({}))) {
      throw new NewsdeskError('SEND_FAILED', 'The installed nodemailer does not have the SMTP connection internals the SMTP transport drives (written for nodemailer 8).', {
        hint: 'Install the nodemailer version package.json pins (npm ci).',
      });
    }
    // Signed by our own signer: it over-signs the headers a relay must not add (delivery/signing/dkim-signer.ts).
    this.#dkim = options.dkim ? { options: options.dkim, key: rsaKeyOf(options.dkim) } : undefined;
  }

  static fromConfig(config: Pick<Config, 'send' | 'dkim'> & { transport: { kind: 'smtp'; url: string } }): SmtpTransport {
    return new SmtpTransport({ url: config.transport.url, maxConnections: config.send.concurrency, dkim: loadDkim(config.dkim) });
  }

  async send(message: OutgoingMessage, hooks: TransmitHooks = {}): Promise<SendResult> {
    // Signed, the message is one buffer; unsigned, it goes out in the pieces it was built from.
    const parts = this.#dkim ? [await this.#sign(message.mime ?? (await compose(message)))] : (message.mimeParts ?? [message.mime ?? (await compose(message))]);
    const connection = await this.#acquire();
    try {
      const response = await connection.send({ from: message.returnPath ?? message.from.address, to: message.to.address }, parts, hooks);
      return { messageId: message.messageId, response };
    } finally {
      this.#release(connection);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) c.quit();
    for (const wake of this.#waiting.splice(0)) wake();
  }

  async #sign(raw: Buffer): Promise<Buffer> {
    return this.#dkim ? signMessage(raw, this.#dkim.options, this.#dkim.key) : raw;
  }

  async #acquire(): Promise<PooledConnection> {
    for (;;) {
      if (this.#closed) throw Object.assign(new Error('The SMTP transport is closed'), { code: 'ECONNECTION' });
      const idle = this.#idle.pop();
      if (idle?.usable) return idle;
      if (idle) {
        this.#open--;
        continue;
      }
      if (this.#open < this.#max) {
        this.#open++;
        try {
          return await PooledConnection.open(this.#options, this.#auth);
        } catch (error) {
          this.#open--;
          this.#waiting.shift()?.();
          throw error;
        }
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #release(connection: PooledConnection): void {
    if (connection.usable && !this.#closed) this.#idle.push(connection);
    else {
      connection.close();
      this.#open--;
    }
    this.#waiting.shift()?.();
  }
}

/** One SMTP session: sends one message at a time, and fails the one in flight if the connection drops. */
class PooledConnection {
  readonly #connection: SMTPConnection;
  #usable = true;
  #inFlight: ((error: Error) => void) | undefined;

  private constructor(connection: SMTPConnection) {
    this.#connection = connection;
    const lost = (error?: Error) => {
      this.#usable = false;
      this.#inFlight?.(error ?? Object.assign(new Error('Connection closed by the server'), { code: 'ECONNECTION' }));
    };
    connection.on('error', lost);
    connection.on('end', () => lost());
  }

  static open(options: SMTPConnection.Options, auth: { user: string; pass: string } | undefined): Promise<PooledConnection> {
    return new Promise((resolve, reject) => {
      const connection = new SMTPConnection(options);
      let settled = false;
      const fail = (error?: Error) => {
        if (settled) return;
        settled = true;
        connection.close();
        reject(error ?? Object.assign(new Error('Connection closed before the greeting'), { code: 'ECONNECTION' }));
      };
      connection.once('error', fail);
      connection.once('end', () => fail());
      connection.connect(() => {
        const ready = () => {
          if (settled) return;
          settled = true;
          connection.removeListener('error', fail);
          resolve(new PooledConnection(connection));
        };
        // allowsAuth: the server offered AUTH (nodemailer's types leave it out).
        if (!auth || !(connection as unknown as { allowsAuth: boolean }).allowsAuth) return ready();
        connection.login(auth, (error) => (error ? fail(error) : ready()));
      });
    });
  }

  get usable(): boolean {
    return this.#usable;
  }

  send(envelope: { from: string; to: string }, parts: readonly Buffer[], hooks: TransmitHooks): Promise<string> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let transmitted = false;
      let abandoned = false;
      const finish = (error: Error | null, response?: string) => {
        if (settled) return;
        settled = true;
        this.#inFlight = undefined;
        if (!error) return resolve(response ?? '');
        const code = (error as { responseCode?: number }).responseCode;
        // No 4xx/5xx reply to a message sent in full: the relay may have queued it.
        if (transmitted && !(typeof code === 'number' && code >= 400)) {
          this.#usable = false;
          return reject(new OutcomeUnknown(error));
        }
        // The server refused this message but the session can go on: RSET before the next one.
        // Anything else (421, a dropped connection, a message left without its final dot) ends the session.
        if (abandoned || !this.#usable || typeof code !== 'number' || code === 421 || error instanceof HandOffRefused) {
          this.#usable = false;
          // Closed before anything else is written: a message without its final dot is discarded by the relay.
          if (abandoned) this.#connection.close();
          return reject(error);
        }
        let done = false;
        const after = (resetFailed: boolean) => {
          if (done) return;
          done = true;
          this.#inFlight = undefined;
          if (resetFailed) this.#usable = false;
          reject(error);
        };
        this.#inFlight = () => after(true);
        this.#connection.reset((resetError) => after(Boolean(resetError)));
      };
      const transaction = runTransaction(
        this.#connection,
        envelope,
        parts,
        hooks,
        {
          transmitted: () => (transmitted = true),
          abandoned: () => (abandoned = true),
        },
        finish,
      );
      // A lost connection after a refusal (a relay that says 421 and hangs up) reports the refusal.
      if (!settled) this.#inFlight = (error) => finish(transaction.refusal() ?? error);
    });
  }

  quit(): void {
    this.#usable = false;
    this.#connection.quit();
  }

  close(): void {
    this.#usable = false;
    this.#connection.close();
  }
}

/** Messages without a prebuilt body (transactional mail) are composed by nodemailer. */
function compose(message: OutgoingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new MailComposer(toNodemailerMessage(message)).compile().build((error, raw) => (error ? reject(error) : resolve(raw)));
  });
}
