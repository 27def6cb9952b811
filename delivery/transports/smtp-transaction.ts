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
import { dataTerminator, encodeDataChunk } from './smtp-data.ts';

/** The parts of nodemailer's SMTPConnection (8.x) a transaction drives; checked by supportsTransactions. */
interface ConnectionInternals {
  _supportedExtensions: string[];
  _responseActions: Array<(reply: string) => void>;
  _socket: Socket | false | null | undefined;
  _destroyed: boolean;
  _formatError(message: string, code: string, response: string | false, command: string): Error & { responseCode?: number };
}

export interface TransactionEvents {
  /** Every byte of the message, the final "." too, has left the socket's buffer. */
  transmitted(): void;
  /** The message went out without its final dot, which must never follow: the connection is to be closed. */
  abandoned(): void;
}

/** Whether this nodemailer connection has the internals a transaction needs (another nodemailer version may not). */
export function supportsTransactions(connection: SMTPConnection): boolean {
  const c = connection as unknown as Partial<ConnectionInternals>;
  return Array.isArray(c._supportedExtensions) && Array.isArray(c._responseActions) && typeof c._formatError === 'function';
}

/**
 * Runs one transaction. `done` gets the relay's reply to the message, or the first
 * refusal (MAIL FROM, then RCPT TO, then DATA: with pipelining every reply
 * is read, and a refused sender or recipient is what is reported, not the DATA refusal that
 * follows from it); only its first call counts. A lost connection reaches the caller
 * through the connection's events, with refusal() saying what the relay refused before it.
 */
export function runTransaction(
  connection: SMTPConnection,
  envelope: { from: string; to: string },
  parts: readonly Buffer[],
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
    // The whole message in one write (the socket's writev), its dot left for after the hand-off.
    let lastByte: number | false = false;
    socket.cork();
    for (const part of parts) {
      if (part.length === 0) continue;
      socket.write(encodeDataChunk(part, lastByte));
      lastByte = part[part.length - 1]!;
    }
    socket.uncork();
    Promise.resolve()
      .then(() => hooks.onTransmit?.())
      .then(
        () => {
          // Lost meanwhile: the connection's events have already failed the transaction.
          if (c._destroyed || socket.destroyed) return;
          c._responseActions.push((reply) => done(reply.startsWith('2') ? null : c._formatError('Message failed', 'EMESSAGE', reply, 'DATA'), reply));
          // Called once the dot, and so all of the message, has left the socket's buffer.
          socket.write(dataTerminator(lastByte), (error) => {
            if (!error) events.transmitted();
          });
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
