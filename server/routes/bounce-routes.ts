// Email services' event webhooks: bounces and complaints reported by Amazon SES
// (through an SNS topic: POST /hooks/ses) and by Resend (POST /hooks/resend), applied
// by the same processor as the bounce mailbox. SNS messages must carry a valid SNS
// signature from an accepted topic, published within five minutes of now; a subscription is confirmed by visiting its
// SubscribeURL on an SNS host. Resend's calls must carry a valid signature (Svix's
// scheme, through the standardwebhooks library) made within five minutes of now.
// A replayed event finds its fingerprint recorded and changes nothing.
import { Hono } from 'hono';
import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Config } from '../../core/config.ts';
import type { BounceProcessor } from '../../delivery/bounces/bounce-processor.ts';
import { readResendEvent, readSesEvent } from '../../delivery/bounces/service-events.ts';
import { isAllowedSnsUrl, SnsVerifier } from '../../delivery/bounces/sns-message.ts';
import { bodyLimits, jsonError, limitBody, type Pages } from '../http.ts';
import { webhookMaxAgeMs } from './webhook-routes.ts';

export interface BounceRouteDeps {
  config: Pick<Config, 'bounces'>;
  processor: BounceProcessor;
  pages: Pages;
  now: () => Date;
  log: (line: string) => void;
  /** Reads certificates and confirms subscriptions; tests keep the default (loopback only). */
  fetch?: typeof fetch;
}

export function bounceRoutes(deps: BounceRouteDeps): Hono {
  const app = new Hono();
  const { sns, resendWebhookSecret } = deps.config.bounces;
  const httpFetch = deps.fetch ?? fetch;
  const verifier = new SnsVerifier({ certHosts: sns.certHosts, topicArns: sns.topicArns, now: deps.now, maxAgeMs: webhookMaxAgeMs });

  app.post('/hooks/ses', limitBody(bodyLimits.webhook, deps.pages), async (c) => {
    if (sns.topicArns.length === 0) return jsonError(c, 'ses_webhook_disabled');
    const verified = await verifier.verify(await c.req.text());
    if (!verified.ok) return jsonError(c, 'bad_signature', { message: `SNS message refused: ${verified.reason}.` });
    const message = verified.message;
    if (message.Type === 'SubscriptionConfirmation') {
      if (!message.SubscribeURL || !isAllowedSnsUrl(message.SubscribeURL, sns.certHosts)) return jsonError(c, 'invalid', { message: 'The SubscribeURL is not on an SNS host.' });
      const confirmed = await httpFetch(message.SubscribeURL, { redirect: 'error', signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => error as Error);
      if (confirmed instanceof Error || !confirmed.ok) {
        deps.log(`SNS subscription to ${message.TopicArn} not confirmed: ${confirmed instanceof Error ? confirmed.message : `status ${confirmed.status}`}`);
        return jsonError(c, 'busy', { message: 'The subscription could not be confirmed now; SNS will ask again.' });
      }
      deps.log(`SNS subscription to ${message.TopicArn} confirmed`);
      return c.json({ ok: true, message: 'Subscription confirmed.' });
    }
    if (message.Type === 'UnsubscribeConfirmation') {
      deps.log(`SNS: the subscription to ${message.TopicArn} was removed`);
      return c.json({ ok: true, message: 'Noted.' });
    }
    const event = readSesEvent(message.Message, message.MessageId, message.Message);
    if (!event) return c.json({ ok: true, outcome: 'ignored', message: 'Not a bounce, complaint or delivery event.' });
    const result = await deps.processor.processServiceEvent(event, 'ses');
    return c.json({ ok: true, ...result });
  });

  app.post('/hooks/resend', limitBody(bodyLimits.webhook, deps.pages), async (c) => {
    if (!resendWebhookSecret) return jsonError(c, 'resend_webhook_disabled');
    const body = await c.req.text();
    const id = c.req.header('svix-id') ?? c.req.header('webhook-id');
    const timestamp = c.req.header('svix-timestamp') ?? c.req.header('webhook-timestamp');
    const signatures = c.req.header('svix-signature') ?? c.req.header('webhook-signature');
    if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return jsonError(c, 'bad_signature', { message: 'Missing svix-id, svix-timestamp or svix-signature header.' });
    const age = deps.now().getTime() - Number(timestamp) * 1000;
    if (Math.abs(age) > webhookMaxAgeMs) {
      return jsonError(c, 'bad_signature', { message: `The event was signed ${Math.round(age / 60_000)} minute(s) from now; only events signed within 5 minutes are accepted (replay protection). Check the server's clock.` });
    }
    const expected = new Webhook(resendWebhookSecret).sign(id, new Date(Number(timestamp) * 1000), body).split(',')[1]!;
    const matches = signatures.split(' ').some((s) => {
      const [version, signature = ''] = s.split(',');
      return version === 'v1' && signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
    });
    if (!matches) return jsonError(c, 'bad_signature', { message: 'The svix-signature does not match the event.' });
    const event = readResendEvent(body, id);
    if (!event) return c.json({ ok: true, outcome: 'ignored', message: 'Not a bounce, complaint or delivery event.' });
    const result = await deps.processor.processServiceEvent(event, 'resend');
    return c.json({ ok: true, ...result });
  });

  return app;
}
