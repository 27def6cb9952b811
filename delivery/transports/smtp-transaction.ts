// One mail transaction (MAIL FROM, RCPT TO, DATA, the message) on an open nodemailer SMTP
// connection, written by the pool itself rather than by nodemailer's send(), for two
// reasons. When the relay offers PIPELINING (RFC 2920) the envelope and DATA go out in one
// write and their three replies come back together: one round trip where nodemailer waits
// for each. And the hand-off is recorded while the message is already on its way: the
// message is written as soon as DATA is accepted, and only the final "." waits for the
// hand-off hook. Until that dot the relay cannot have accepted anything, so a hook that
// refuses (or a process killed meanwhile) leaves nothing delivered; the connection is then
// closed without it. The replies are read through nodemailer's own response queue, so its
// parsing, time-outs and TLS stay in charge of the connection.
import type { Socket } from 'node:net';
import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { HandOffRefused, type TransmitHooks } from '../sending/transport.ts';

/** The parts of nodemailer's SMTPConnection (8.x) a transaction drives; checked by supportsTransactions. */
interface ConnectionInternals {
  _supportedExtensions: string[];
  _responseActions: Array<(reply: string) => void>;
  _socket: Socket | false | null | undefined;
  _destroyed: boolean;
  _formatError(message: string, code: string, response: string | false, command: string): Error & { responseCode?: number };
  /** A DataStream piped to the socket: dots doubled as it writes, the final "." written when it ends; its reply goes to callback. */
  _createSendStream(callback: (error: Error | null, reply?: string) => void): NodeJS.WritableStream & NodeJS.EventEmitter;
}

export interface TransactionEvents {
  /** Every byte of the message, the final "." too, has left the socket's buffer. */
  transmitted(): void;
  /** The message reached the wire without its final dot and the connection must not carry another one. */
  abandoned(): void;
}

/** Whether this nodemailer connection has the internals a transaction needs (another nodemailer version may not). */
export function supportsTransactions(connection: SMTPConnection): boolean {
  const c = connection as unknown as Partial<ConnectionInternals>;
  return Array.isArray(c._supportedExtensions) && Array.isArray(c._responseActions) && typeof c._createSendStream === 'function' && typeof c._formatError === 'function';
}

export function offersPipelining(connection: SMTPConnection): boolean {
  return (connection as unknown as ConnectionInternals)._supportedExtensions.includes('PIPELINING');
}

/**
 * Runs one transaction. `done` is called once: with the relay's reply to the message, or
 * with the first refusal (MAIL FROM, then RCPT TO, then DATA: with pipelining every reply
 * is read, and a refused sender or recipient is what is reported, not the DATA refusal that
 * follows from it). A lost connection reaches the caller through the connection's events.
 */
export function runTransaction(
  connection: SMTPConnection,
  envelope: { from: string; to: string },
  raw: Buffer,
  hooks: TransmitHooks,
  events: TransactionEvents,
  done: (error: Error | null, reply?: string) => void,
): { refusal(): Error | undefined } {
  const c = connection as unknown as ConnectionInternals;
  let refusal: Error | undefined;
  const state = { refusal: () => refusal };
  for (const [address, command] of [
    [envelope.from, 'MAIL FROM'],
    [envelope.to, 'RCPT TO'],
  ] as const) {
    if (/[\r\n<>]/.test(address) || (command === 'RCPT TO' && !address)) {
      done(c._formatError(`Invalid ${command === 'MAIL FROM' ? 'sender' : 'recipient'} ${JSON.stringify(address)}`, 'EENVELOPE', false, 'API'));
      return state;
    }
  }
  const socket = c._socket;
  if (c._destroyed || !socket || socket.destroyed) {
    done(c._formatError('Connection closed', 'ECONNECTION', false, 'API'));
    return state;
  }
  // As nodemailer does: an address beyond ASCII needs SMTPUTF8, when the relay offers it.
  const utf8 = /[\x80-\uFFFF]/.test(envelope.from + envelope.to) && c._supportedExtensions.includes('SMTPUTF8') ? ' SMTPUTF8' : '';
  const mail = `MAIL FROM:<${envelope.from}>${utf8}\r\n`;
  const rcpt = `RCPT TO:<${envelope.to}>\r\n`;
  const pipelining = c._supportedExtensions.includes('PIPELINING');

  const onData = (reply: string) => {
    if (!/^[23]/.test(reply)) return done(refusal ?? c._formatError('Data command failed', 'EENVELOPE', reply, 'DATA'));
    if (refusal) {
      // RFC 2920 §3.1: DATA accepted although the envelope was refused; a lone dot ends an empty message nobody receives.
      c._responseActions.push(() => done(refusal!));
      socket.write('.\r\n');
      return;
    }
    sendMessage();
  };
  const onRcpt = (reply: string) => {
    if (!reply.startsWith('2')) refusal ??= Object.assign(c._formatError('Recipient command failed', 'EENVELOPE', reply, 'RCPT TO'), { recipient: envelope.to });
    if (pipelining) return;
    if (refusal) return done(refusal);
    c._responseActions.push(onData);
    socket.write('DATA\r\n');
  };
  const onMail = (reply: string) => {
    if (!reply.startsWith('2')) refusal ??= c._formatError('Mail command failed', 'EENVELOPE', reply, 'MAIL FROM');
    if (pipelining) return;
    if (refusal) return done(refusal);
    c._responseActions.push(onRcpt);
    socket.write(rcpt);
  };

  const sendMessage = () => {
    let ended = false;
    const stream = c._createSendStream((error, reply) => {
      // A reply before the dot was written: the relay gave up on the message part-way.
      if (!ended) events.abandoned();
      done(error, reply);
    });
    stream.write(raw);
    Promise.resolve()
      .then(() => hooks.onTransmit?.())
      .then(
        () => {
          if (c._destroyed) return;
          ended = true;
          stream.once('end', () => {
            // The dot follows the message into the socket's buffer; it has left once that is empty.
            if (!socket.writableLength) events.transmitted();
            else socket.once('drain', () => events.transmitted());
          });
          stream.end();
        },
        (error: unknown) => {
          events.abandoned();
          done(new HandOffRefused(error));
        },
      );
  };

  if (pipelining) {
    c._responseActions.push(onMail, onRcpt, onData);
    socket.write(mail + rcpt + 'DATA\r\n');
  } else {
    c._responseActions.push(onMail);
    socket.write(mail);
  }
  return state;
}
