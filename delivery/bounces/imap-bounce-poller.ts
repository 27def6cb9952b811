// Reads the bounce mailbox over IMAP inside `serve` (imapflow): every unseen message
// is handed to the bounce processor, then flagged \Seen and, when a folder is
// configured, moved there, so it is not read again. Should the server stop between
// the two, the message is read once more and its report, already recorded, changes
// nothing. It looks when the server announces new mail (IDLE) and every poll
// interval, and reconnects with a growing pause when the connection fails.
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import type { BounceProcessor, ReportOutcome } from './bounce-processor.ts';
import { retryDelayMs } from '../sending/retry-delay.ts';
import { sleep } from '../../core/sleep.ts';

export interface ImapBounceOptions {
  /** imap(s)://user:pass@host[:port][/mailbox] */
  url: string;
  moveTo: string | undefined;
  pollMs: number;
}

export interface ImapBouncePollerDeps {
  options: ImapBounceOptions;
  processor: BounceProcessor;
  log: (line: string) => void;
  /** Called with every result, for tests and logs. */
  onResult?: (result: ReportOutcome) => void;
}

export function imapClientOptions(url: string): { client: ImapFlowOptions; mailbox: string } {
  const u = new URL(url);
  const secure = u.protocol === 'imaps:';
  return {
    client: {
      host: u.hostname,
      port: Number(u.port) || (secure ? 993 : 143),
      secure,
      auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) },
      logger: false,
    },
    mailbox: decodeURIComponent(u.pathname.replace(/^\/+/, '')) || 'INBOX',
  };
}

export class ImapBouncePoller {
  readonly #deps: ImapBouncePollerDeps;
  readonly #stop = new AbortController();
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;
  #client: ImapFlow | undefined;
  #drained: Array<() => void> = [];

  constructor(deps: ImapBouncePollerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  /** Looks at the mailbox now; resolves once what was there has been processed. */
  pollNow(): Promise<void> {
    return new Promise((resolve) => {
      this.#drained.push(resolve);
      this.#wake?.();
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    // A connection attempt to a server that does not answer would otherwise hold the stop for its whole time-out.
    this.#client?.close();
    await this.#running;
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  async #run(): Promise<void> {
    const { ImapFlow } = await import('imapflow');
    const { client: options, mailbox } = imapClientOptions(this.#deps.options.url);
    const where = `${options.host}:${options.port}/${mailbox}`;
    for (let failures = 0; !this.#stop.signal.aborted; ) {
      const client = (this.#client = new ImapFlow(options));
      // imapflow reports a dropped connection as an event; the loop below notices it closed.
      client.on('error', (error: Error) => this.#deps.log(`bounce mailbox ${where}: ${error.message}`));
      client.on('exists', () => this.#wake?.());
      try {
        await client.connect();
        await client.mailboxOpen(mailbox);
        failures = 0;
        while (!this.#stop.signal.aborted && client.usable) {
          const waiting = this.#drained.splice(0);
          await this.#drain(client, mailbox);
          for (const resolve of waiting) resolve();
          if (this.#drained.length > 0) continue;
          const waited = new AbortController();
          const wake = () => waited.abort();
          this.#wake = wake;
          client.once('close', wake);
          await sleep(this.#deps.options.pollMs, AbortSignal.any([this.#stop.signal, waited.signal]));
          client.off('close', wake);
          this.#wake = undefined;
        }
      } catch (error) {
        failures++;
        this.#deps.log(`bounce mailbox ${where}: ${(error as Error).message}; trying again`);
      } finally {
        await client.logout().catch(() => client.close());
      }
      if (!this.#stop.signal.aborted) await sleep(retryDelayMs({ baseMs: 1000, maxMs: 5 * 60_000 }, Math.max(1, failures)), this.#stop.signal);
    }
  }

  async #drain(client: ImapFlow, mailbox: string): Promise<void> {
    const lock = await client.getMailboxLock(mailbox);
    try {
      const uids = (await client.search({ seen: false }, { uid: true })) || [];
      for (const uid of uids) {
        if (this.#stop.signal.aborted) break;
        const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
        if (!message || !message.source) continue;
        for (const result of await this.#deps.processor.processMessage(message.source, 'imap')) this.#deps.onResult?.(result);
        await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
        if (this.#deps.options.moveTo) await client.messageMove(String(uid), this.#deps.options.moveTo, { uid: true });
      }
    } finally {
      lock.release();
    }
  }
}
