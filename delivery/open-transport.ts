// Picks the transport the configuration asks for: SMTP when SMTP_URL is set, the outbox folder otherwise.
import type { Config } from '../core/config.ts';
import { OutboxTransport } from './outbox-transport.ts';
import { SmtpTransport } from './smtp-transport.ts';
import type { Transport } from './transport.ts';

export function openTransport(config: Pick<Config, 'transport' | 'send' | 'dkim'>): Transport {
  const t = config.transport;
  return t.kind === 'smtp' ? SmtpTransport.fromConfig({ ...config, transport: t }) : OutboxTransport.fromConfig({ ...config, transport: t });
}
