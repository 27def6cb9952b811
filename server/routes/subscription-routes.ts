// Subscribe (double opt-in), confirm (a page with one button that posts) and unsubscribe
// (the page with one button, and RFC 8058 one-click from mail providers): no GET or HEAD
// changes anything, since link scanners follow every link in a mail. No mail is sent
// while a request waits: the subscription step queues it (delivery/subscribers/subscriptions.ts), so a sign-up answers the
// same, in the same time, for a known and an unknown address and with the relay down.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Config } from '../../core/config.ts';
import { formatZodIssues, isNewsdeskError } from '../../core/errors.ts';
import { emailSchema } from '../../delivery/subscribers/subscriber.ts';
import type { Subscriptions } from '../../delivery/subscribers/subscriptions.ts';
import { bodyLimits, isJsonRequest, jsonError, limitBody, readBody, socketAddress, type Pages } from '../http.ts';
import { clientAddress, RateLimiter } from '../rate-limit.ts';

export interface SubscriptionRouteDeps {
  config: Pick<Config, 'server'>;
  subscriptions: Subscriptions;
  pages: Pages;
  /** Refuses form posts from other sites. */
  sameOrigin: MiddlewareHandler;
}

const subscribeSchema = z.object({
  email: emailSchema,
  name: z
    .string()
    .max(200, 'is longer than 200 characters')
    .transform((v) => v.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim() || undefined)
    .optional(),
  /** Honeypot: people never see it; a value means a bot filled in every field. */
  website: z.string().max(2000).optional(),
});

const tokenQuery = z.object({ token: z.string().min(1).max(512) });

export function subscriptionRoutes(deps: SubscriptionRouteDeps): Hono {
  const { config, subscriptions, pages, sameOrigin } = deps;
  const { page } = pages;
  const app = new Hono();
  const limiter = config.server.subscribeRate ? new RateLimiter(config.server.subscribeRate) : undefined;

  // A database kept busy by another process past every retry: "try again", never a 500.
  const busy = (c: Context, json: boolean) => (json ? jsonError(c, 'busy') : page(c, { kind: 'busy' }, 503));
  const orBusy = async (c: Context, json: boolean, handle: () => Promise<Response>) => {
    try {
      return await handle();
    } catch (error) {
      if (isNewsdeskError(error, 'DATABASE_BUSY')) return busy(c, json);
      throw error;
    }
  };

  app.get('/subscribe', (c) => page(c, { kind: 'subscribe' }));
  app.get('/subscribe/thanks', (c) => page(c, { kind: 'thanks' }));

  app.post('/subscribe', limitBody(bodyLimits.form, pages), sameOrigin, async (c) => {
    const json = isJsonRequest(c);
    if (limiter) {
      const verdict = limiter.take(clientAddress(socketAddress(c), c.req.header('x-forwarded-for'), config.server.trustProxy));
      if (!verdict.allowed) {
        c.header('retry-after', String(verdict.retryAfterSeconds));
        return json
          ? jsonError(c, 'rate_limited', { message: `Too many requests; try again in ${verdict.retryAfterSeconds} s.` })
          : page(c, { kind: 'rate-limited', retryAfterSeconds: verdict.retryAfterSeconds }, 429);
      }
    }
    const raw = await readBody(c);
    if (raw === undefined) return jsonError(c, 'unsupported');
    const parsed = subscribeSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = formatZodIssues(parsed.error.issues).map((p) => p.replace(/^email: /, 'Email address: ').replace(/^name: /, 'Name: '));
      return json ? jsonError(c, 'invalid', { message: 'Please check the form.', problems }) : page(c, { kind: 'subscribe-invalid', problems }, 400);
    }
    const accepted = () =>
      json
        ? c.json({ ok: true, message: 'Thanks! If the address can receive the newsletter, a confirmation link is on its way.' }, 202)
        : c.redirect('/subscribe/thanks', 303);
    // The honeypot answers exactly like a real sign-up so a bot learns nothing.
    if (parsed.data.website) return accepted();
    return orBusy(c, json, async () => {
      await subscriptions.subscribe({ email: parsed.data.email, name: parsed.data.name });
      return accepted();
    });
  });

  // GET (and HEAD) only show the button: mail scanners open links, people press buttons.
  app.get('/confirm', async (c) => {
    const query = tokenQuery.safeParse(c.req.query());
    if (!query.success) return page(c, { kind: 'confirm-invalid' }, 400);
    switch (subscriptions.checkConfirmLink(query.data.token)) {
      case 'expired':
        return page(c, { kind: 'confirm-expired' }, 410);
      case 'invalid':
        return page(c, { kind: 'confirm-invalid' }, 400);
      case 'valid':
        return page(c, { kind: 'confirm', token: query.data.token });
    }
  });

  app.post('/confirm', limitBody(bodyLimits.form, pages), sameOrigin, async (c) => {
    const query = tokenQuery.safeParse(c.req.query());
    if (!query.success) return page(c, { kind: 'confirm-invalid' }, 400);
    return orBusy(c, false, async () => {
      const outcome = await subscriptions.confirm(query.data.token);
      switch (outcome.kind) {
        case 'confirmed':
          return page(c, { kind: 'confirmed', alreadyActive: false });
        case 'already-active':
          return page(c, { kind: 'confirmed', alreadyActive: true });
        case 'used':
          return page(c, { kind: 'confirm-used', active: outcome.active }, 410);
        case 'expired':
          return page(c, { kind: 'confirm-expired' }, 410);
        case 'invalid':
          return page(c, { kind: 'confirm-invalid' }, 400);
      }
    });
  });

  app.get('/unsubscribe', async (c) => {
    const query = tokenQuery.safeParse(c.req.query());
    if (!query.success) return page(c, { kind: 'unsubscribe-invalid' }, 400);
    return orBusy(c, false, async () => {
      const found = await subscriptions.lookupUnsubscribe(query.data.token);
      if (found.kind === 'invalid') return page(c, { kind: 'unsubscribe-invalid' }, 400);
      if (found.kind === 'unknown') return page(c, { kind: 'unsubscribed', email: undefined });
      const { subscriber } = found;
      return page(c, { kind: 'unsubscribe', token: query.data.token, email: subscriber.email, alreadyUnsubscribed: subscriber.state !== 'active' && subscriber.state !== 'pending' });
    });
  });

  app.post('/unsubscribe', limitBody(bodyLimits.form, pages), async (c) => {
    const body = await readBody(c);
    // RFC 8058: mail providers POST "List-Unsubscribe=One-Click" cross-origin without cookies;
    // the signed token is the only authority, so no origin check applies to it.
    const oneClick = body !== undefined && !isJsonRequest(c) && body['List-Unsubscribe'] === 'One-Click';
    if (!oneClick) await sameOrigin(c, async () => undefined);
    const query = tokenQuery.safeParse(c.req.query());
    c.header('cache-control', 'no-store');
    if (!query.success) return oneClick ? c.text('This unsubscribe link is not valid.', 400) : page(c, { kind: 'unsubscribe-invalid' }, 400);
    try {
      const outcome = await subscriptions.unsubscribe(query.data.token, oneClick ? 'one-click' : 'page');
      if (outcome.kind === 'invalid') return oneClick ? c.text('This unsubscribe link is not valid.', 400) : page(c, { kind: 'unsubscribe-invalid' }, 400);
      return oneClick ? c.text('Unsubscribed.', 200) : page(c, { kind: 'unsubscribed', email: outcome.email });
    } catch (error) {
      if (!isNewsdeskError(error, 'DATABASE_BUSY')) throw error;
      // Mail providers retry a one-click POST that fails; Retry-After tells them when.
      c.header('retry-after', '5');
      return oneClick ? c.text('Busy; please try again in a moment.', 503) : page(c, { kind: 'busy' }, 503);
    }
  });

  return app;
}
