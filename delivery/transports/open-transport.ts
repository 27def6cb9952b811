// Room transports/: the adapters behind sending/transport.ts's Transport — a pool of
// SMTP connections, Amazon SES, Resend's batch API and the .eml outbox — each named
// <tech>-transport.ts, and this file, which picks one. They import the interface from
// its owner and are handed to the send loop and the mail worker.
// Picks the transport the configuration asks for: SMTP when SMTP_URL is set, the outbox
// folder otherwise, or an email service (SES, Resend) named by NEWSDESK_TRANSPORT.
import type { Config } from '../../core/config.ts';
import { OutboxTransport } from './outbox-transport.ts';
import { ResendTransport } from './resend-transport.ts';
import { SesTransport } from './ses-transport.ts';
import { SmtpTransport } from './smtp-transport.ts';
import type { Transport } from '../sending/transport.ts';

export function openTransport(config: Pick<Config, 'transport' | 'send' | 'dkim'>): Transport {
  const t = config.transport;
  switch (t.kind) {
    case 'smtp':
      return SmtpTransport.fromConfig({ ...config, transport: t });
    case 'ses':
      return SesTransport.fromConfig({ transport: t });
    case 'resend':
      return ResendTransport.fromConfig({ transport: t });
    case 'outbox':
      return OutboxTransport.fromConfig({ ...config, transport: t });
  }
}
