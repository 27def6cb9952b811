// Amazon SES (v2 API) through nodemailer's SES transport and @aws-sdk/client-sesv2,
// for lists beyond what one machine's SMTP relay takes. Messages go as they were
// built (raw MIME); SES signs them with the domain's Easy DKIM. The transport keeps to
// the account's maximum send rate (GetAccount, or SES_SEND_RATE), records the hand-off
// at the moment the request leaves, and leaves every retry to the send loop (the SDK's
// own retries are off: SES has no idempotency key, so a request retried after a lost
// answer could deliver twice without the ledger knowing). Throttling answers are
// passed on as "slow down", so the send lowers its pace and tries again later.
import type { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import nodemailer from 'nodemailer';
import type { Config } from '../../core/config.ts';
import { NewsdeskError } from '../../core/errors.ts';
import { toNodemailerMessage } from './nodemailer-message.ts';
import { SlotLimiter } from '../sending/rate-limiter.ts';
import { sleep } from '../../core/sleep.ts';
import { HandOffRefused, mayHaveBeenSent, OutcomeUnknown, ServiceError, type ClassifiedFailure, type OutgoingMessage, type SendResult, type TransmitHooks, type Transport } from '../sending/transport.ts';

export type SesTransportOptions = Omit<Extract<Config['transport'], { kind: 'ses' }>, 'kind'>;

/** The tag that carries a delivery's signed token into SES's bounce and complaint events. */
export const sesDeliveryTag = 'newsdesk_delivery';

// nodemailer merges the message's `ses` options into the SendEmail request; the hooks
// ride along under a symbol (never serialised) so the client below can find the hand-off
// of the very request it is about to send.
const hooksKey = Symbol('newsdesk.transmitHooks');

export class SesTransport implements Transport {
  readonly description: string;
  readonly #options: SesTransportOptions;
  #ready: ReturnType<typeof openSes> | undefined;
  #limiter: Promise<SlotLimiter> | undefined;

  constructor(options: SesTransportOptions) {
    this.#options = options;
    this.description = `Amazon SES ${options.region}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
  }

  #open() {
    return (this.#ready ??= openSes(this.#options));
  }

  static fromConfig(config: { transport: Extract<Config['transport'], { kind: 'ses' }> }): SesTransport {
    const { kind: _kind, ...options } = config.transport;
    return new SesTransport(options);
  }

  /** Messages per second this transport keeps to: SES_SEND_RATE, else the account's maximum. */
  async rate(): Promise<number> {
    if (this.#options.rate) return this.#options.rate;
    const { client, GetAccountCommand } = await this.#open();
    try {
      const account = await client.send(new GetAccountCommand({}));
      return Math.max(1, Math.floor(account.SendQuota?.MaxSendRate ?? 1));
    } catch (error) {
      throw new NewsdeskError('SEND_FAILED', `Could not read the SES account's send rate (GetAccount): ${(error as Error).message}`, {
        hint: 'Check SES_REGION and the AWS credentials (the key needs ses:GetAccount), or set SES_SEND_RATE to the rate your account allows.',
        cause: error,
      });
    }
  }

  async send(message: OutgoingMessage, hooks: TransmitHooks = {}): Promise<SendResult> {
    this.#limiter ??= this.rate().then(
      (rate) => new SlotLimiter(rate, { now: () => performance.now(), sleep }),
      (error: unknown) => {
        this.#limiter = undefined;
        throw error;
      },
    );
    await (await this.#limiter).take();
    // SES bounces through its own MAIL FROM domain and reports back by event: the
    // identity it checks is the From address, never a per-delivery return path.
    const ses: Record<string | symbol, unknown> = { [hooksKey]: hooks, FromEmailAddress: message.from.address };
    if (this.#options.configurationSet) ses.ConfigurationSetName = this.#options.configurationSet;
    if (message.deliveryToken) ses.EmailTags = [{ Name: sesDeliveryTag, Value: message.deliveryToken }];
    const { mailer } = await this.#open();
    const info = await mailer.sendMail({ ...toNodemailerMessage(message), ses } as nodemailer.SendMailOptions);
    return { messageId: message.messageId, response: `SES accepted it as ${String(info.response)}` };
  }

  async close(): Promise<void> {
    if (!this.#ready) return;
    const { mailer, client } = await this.#ready;
    mailer.close();
    client.destroy();
  }
}

/** The AWS SDK is loaded on first use: every other command starts without it. */
async function openSes(options: SesTransportOptions) {
  const { SESv2Client, SendEmailCommand, GetAccountCommand } = await import('@aws-sdk/client-sesv2');
  const client: SESv2Client = new SESv2Client({
    region: options.region,
    maxAttempts: 1,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: { accessKeyId: options.credentials.accessKeyId, secretAccessKey: options.credentials.secretAccessKey, ...(options.credentials.sessionToken ? { sessionToken: options.credentials.sessionToken } : {}) } } : {}),
  });
  const handingOff = {
    config: client.config,
    async send(command: SendEmailCommand) {
      const input = command.input as SendEmailCommand['input'] & { [hooksKey]?: TransmitHooks };
      const hooks = input[hooksKey];
      delete input[hooksKey];
      try {
        await hooks?.onTransmit?.();
      } catch (error) {
        throw new HandOffRefused(error);
      }
      try {
        return await client.send(command);
      } catch (error) {
        // SES has no idempotency key: a request that may have been taken is not sent again by itself.
        if (mayHaveBeenSent(error)) throw new OutcomeUnknown(error);
        throw new ServiceError(classifySesError(error), error);
      }
    },
  };
  const mailer = nodemailer.createTransport({ SES: { sesClient: handingOff, SendEmailCommand } });
  return { client, mailer, GetAccountCommand };
}

const throttling = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'LimitExceededException']);
/** Refusals of this message; refusals of the account (paused, suspended, bad key) are worth retrying once fixed. */
const messageRefusals = new Set(['MessageRejected', 'BadRequestException']);

/** Sorts an SES (or SDK) error: throttling slows the send down, a refused message is final, the rest is tried again. */
export function classifySesError(error: unknown): ClassifiedFailure {
  const e = (error ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  const message = `${status ? `${status} ` : ''}${name}: ${String(e.message ?? error).replace(/\s+/g, ' ').trim()}`.slice(0, 500);
  if (throttling.has(name) || status === 429) return { kind: 'transient', message, throttled: true };
  if (messageRefusals.has(name)) return { kind: 'permanent', message };
  return { kind: 'transient', message };
}
