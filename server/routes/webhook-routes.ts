// The Sanity webhook: a signed POST on publish schedules a debounced rebuild. The
// signature covers the body and a timestamp; a call signed more than five minutes
// away from now is refused, so a captured request cannot be replayed later.
import { decodeSignatureHeader, isValidSignature, SIGNATURE_HEADER_NAME } from '@sanity/webhook';
import { Hono } from 'hono';
import { z } from 'zod';
import type { Config } from '../../core/config.ts';
import { bodyLimits, jsonError, limitBody, type Pages } from '../http.ts';
import type { RebuildScheduler } from '../rebuild.ts';

export interface WebhookRouteDeps {
  config: Pick<Config, 'server'>;
  rebuild: RebuildScheduler | undefined;
  /** Told that content changed, so cached settings are read again. */
  onContentChanged: () => void;
  pages: Pages;
  now: () => Date;
}

/** How far a signature's timestamp may be from now, either way (clocks drift a little). */
export const webhookMaxAgeMs = 5 * 60_000;

const webhookBodySchema = z.looseObject({ _id: z.string().optional(), _type: z.string().optional() });

export function webhookRoutes(deps: WebhookRouteDeps): Hono {
  const app = new Hono();
  app.post('/hooks/sanity', limitBody(bodyLimits.webhook, deps.pages), async (c) => {
    const secret = deps.config.server.webhookSecret;
    if (!secret) return jsonError(c, 'webhook_disabled');
    const signature = c.req.header(SIGNATURE_HEADER_NAME);
    const payload = await c.req.text();
    if (!signature || !(await isValidSignature(payload, signature, secret).catch(() => false))) {
      return jsonError(c, 'bad_signature', { message: `Missing or invalid ${SIGNATURE_HEADER_NAME} header.` });
    }
    const age = deps.now().getTime() - decodeSignatureHeader(signature).timestamp;
    if (Math.abs(age) > webhookMaxAgeMs) {
      return jsonError(c, 'bad_signature', { message: `The signature was made ${Math.round(age / 60_000)} minute(s) from now; only calls signed within 5 minutes are accepted (replay protection). Check the server's clock.` });
    }
    let what = 'document';
    try {
      const body = webhookBodySchema.parse(JSON.parse(payload));
      what = [body._type, body._id].filter(Boolean).join(' ') || what;
    } catch {
      // A projection may send anything; the rebuild does not depend on the body.
    }
    deps.onContentChanged();
    if (!deps.rebuild) return c.json({ ok: true, message: 'Signature valid; rebuilds are off on this server.' }, 202);
    deps.rebuild.request(`webhook: ${what}`);
    return c.json({ ok: true, message: 'Rebuild scheduled.' }, 202);
  });
  return app;
}
