// The reader-facing HTTP application (Hono): the built site, the subscribe / confirm /
// unsubscribe flow, the Sanity webhook that rebuilds the site, the Studio's previews
// and test sends, and the capture API. Handlers are web-standard Request -> Response,
// so tests can call app.fetch directly; server.ts puts it on a socket.
import { getConnInfo } from '@hono/node-server/conninfo';
import { isValidSignature, SIGNATURE_HEADER_NAME } from '@sanity/webhook';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { FetchPage } from '../content/capture/fetch-page.ts';
import { loadIssueById, loadSettings } from '../content/load.ts';
import { localMediaBase, withLocalMedia } from '../content/media.ts';
import type { Settings } from '../content/model.ts';
import type { ContentStore } from '../content/store.ts';
import type { Config } from '../core/config.ts';
import { formatZodIssues, isNewsdeskError } from '../core/errors.ts';
import { fillPlaceholders, type RenderContext } from '../core/render.ts';
import type { Database } from '../delivery/db.ts';
import { composeIssueMessage } from '../delivery/message.ts';
import type { SqliteSubscriberStore } from '../delivery/sqlite-subscriber-store.ts';
import { emailSchema } from '../delivery/subscriber.ts';
import type { Transport } from '../delivery/transport.ts';
import { renderIssueEmail } from '../emails/issue-email.ts';
import { renderIssueText } from '../emails/issue-text.ts';
import { renderNotFoundPage } from '../web/archive-page.tsx';
import { renderIssuePage } from '../web/issue-page.tsx';
import { renderStylesheet, stylesheetPath } from '../web/style.ts';
import { handleCaptureRequest } from './capture-api.ts';
import { renderServerPage, type ServerPage } from './pages.tsx';
import { clientAddress, RateLimiter } from './rate-limit.ts';
import type { RebuildScheduler } from './rebuild.ts';
import { emailPreviewCsp, isStudioOrigin, securityHeaders } from './security.ts';
import { StaticSite } from './static.ts';
import { Subscriptions } from './subscriptions.ts';

export interface AppDeps {
  config: Config;
  store: ContentStore;
  delivery: { db: Database; subscribers: SqliteSubscriberStore };
  transport: Transport;
  /** HMAC secret for confirm and unsubscribe links (delivery/secret.ts resolveSecret). */
  secret: string;
  /** The public base URL links in mails and pages point to, without a trailing slash. */
  publicUrl: () => string;
  /** Site rebuilds for the webhook; undefined answers the webhook without rebuilding. */
  rebuild: RebuildScheduler | undefined;
  /** Page fetcher for the capture API (title/description lookup). */
  fetchPage: FetchPage;
  now: () => Date;
  log: (line: string) => void;
  /** The local Studio's token, accepted like the preview secret when the Studio is served here. */
  studioToken?: string;
  /** Registers a callback for content changes made in this process or seen in the dataset. */
  onContentChange?: (listener: () => void) => void;
}

/** Request bodies: forms and small JSON; the webhook carries a whole document. */
export const bodyLimits = { form: 16 * 1024, webhook: 1024 * 1024, capture: 64 * 1024 } as const;

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
const previewParams = z.object({ id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'is not a document id') });
const previewQuery = z.object({
  as: z.enum(['email', 'web', 'text'], { error: 'must be one of email, web, text' }).default('web'),
  secret: z.string().max(512).optional(),
});
const sendTestSchema = z.object({ to: emailSchema });
const webhookBodySchema = z.looseObject({ _id: z.string().optional(), _type: z.string().optional() });

/** Stands in for the recipient in previews. */
const previewRecipient = { email: 'preview@example.invalid' } as const;

export function createApp(deps: AppDeps): Hono {
  const { config } = deps;
  const app = new Hono();
  const site = new StaticSite(config.outDir);
  const studioOrigins = config.server.studioOrigins;
  const limiter = config.server.subscribeRate ? new RateLimiter(config.server.subscribeRate) : undefined;

  let settingsPromise: Promise<Settings> | undefined;
  deps.onContentChange?.(() => {
    settingsPromise = undefined;
  });
  const settings = () => {
    settingsPromise ??= loadSettings(deps.store).catch((error: unknown) => {
      settingsPromise = undefined;
      throw error;
    });
    return settingsPromise;
  };
  const renderContext = async (): Promise<RenderContext> => ({ baseUrl: deps.publicUrl(), settings: await settings() });
  /** Previews render exactly as the build does: the configured or the newsletter's own site URL. */
  const buildContext = async (): Promise<RenderContext> => {
    const s = await settings();
    return { baseUrl: (config.baseUrl ?? s.siteUrl).replace(/\/+$/, ''), settings: s };
  };

  const subscriptions = new Subscriptions({
    db: deps.delivery.db,
    subscribers: deps.delivery.subscribers,
    transport: deps.transport,
    secret: deps.secret,
    confirmTtlHours: config.confirmTtlHours,
    now: deps.now,
    site: async () => ({ settings: await settings(), baseUrl: deps.publicUrl() }),
    unsubscribeMailto: config.unsubscribeMailto,
    log: deps.log,
  });

  const page = async (c: Context, p: ServerPage, status = 200) => {
    c.header('cache-control', 'no-store');
    if (p.kind === 'rate-limited') c.header('retry-after', String(p.retryAfterSeconds));
    return c.html(renderServerPage(p, await renderContext()), status as 200);
  };

  // Browser forms must come from our own pages; JSON needs a CORS preflight we never grant.
  const allowedOrigins = () => new Set([deps.publicUrl(), config.baseUrl].filter((u): u is string => Boolean(u)).map((u) => new URL(u).origin));
  const sameOrigin = csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || allowedOrigins().has(origin) });

  const limitBody = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: async (c) => (prefersJson(c) ? c.json({ ok: false, error: 'too_large', message: `The request body is larger than ${maxSize} bytes.` }, 413) : page(c, { kind: 'too-large' }, 413)),
    });

  app.use('*', securityHeaders({ studioOrigins, https: (config.baseUrl ?? '').startsWith('https:') }));

  app.onError(async (error, c) => {
    if (error instanceof HTTPException) {
      if (error.status === 403) return prefersJson(c) ? c.json({ ok: false, error: 'forbidden', message: 'Cross-site form posts are refused.' }, 403) : safePage(c, { kind: 'forbidden' }, 403);
      return error.getResponse();
    }
    deps.log(`${c.req.method} ${c.req.path}: ${isNewsdeskError(error) ? `${error.code} ${error.message}` : ((error as Error)?.stack ?? String(error))}`);
    return prefersJson(c) ? c.json({ ok: false, error: 'internal', message: 'Something went wrong on our side; please try again.' }, 500) : safePage(c, { kind: 'error' }, 500);
  });

  /** A page even when the settings cannot be loaded (the error might be exactly that). */
  const safePage = async (c: Context, p: ServerPage, status: number) => {
    try {
      return await page(c, p, status);
    } catch {
      return c.text(p.kind === 'forbidden' ? 'Request refused.' : 'Something went wrong; please try again.', status as 500);
    }
  };

  app.get('/healthz', (c) => {
    deps.delivery.db.prepare('SELECT 1').get();
    c.header('cache-control', 'no-store');
    return c.json({ ok: true, rebuilding: deps.rebuild?.busy ?? false });
  });

  // ── Subscribe ──────────────────────────────────────────────────────────────
  app.get('/subscribe', (c) => page(c, { kind: 'subscribe' }));
  app.get('/subscribe/thanks', (c) => page(c, { kind: 'thanks' }));

  app.post('/subscribe', limitBody(bodyLimits.form), sameOrigin, async (c) => {
    const json = isJsonRequest(c);
    if (limiter) {
      const verdict = limiter.take(clientAddress(socketAddress(c), c.req.header('x-forwarded-for'), config.server.trustProxy));
      if (!verdict.allowed) {
        c.header('retry-after', String(verdict.retryAfterSeconds));
        return json
          ? c.json({ ok: false, error: 'rate_limited', message: `Too many requests; try again in ${verdict.retryAfterSeconds} s.` }, 429)
          : page(c, { kind: 'rate-limited', retryAfterSeconds: verdict.retryAfterSeconds }, 429);
      }
    }
    const raw = await readBody(c);
    if (raw === undefined) {
      return c.json({ ok: false, error: 'unsupported', message: 'Send the form as application/x-www-form-urlencoded, multipart/form-data or application/json.' }, 415);
    }
    const parsed = subscribeSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = formatZodIssues(parsed.error.issues).map((p) => p.replace(/^email: /, 'Email address: ').replace(/^name: /, 'Name: '));
      return json ? c.json({ ok: false, error: 'invalid', message: 'Please check the form.', problems }, 400) : page(c, { kind: 'subscribe-invalid', problems }, 400);
    }
    const accepted = () =>
      json
        ? c.json({ ok: true, message: 'Thanks! If the address can receive the newsletter, a confirmation link is on its way.' }, 202)
        : c.redirect('/subscribe/thanks', 303);
    // The honeypot answers exactly like a real sign-up so a bot learns nothing.
    if (parsed.data.website) return accepted();
    const outcome = await subscriptions.subscribe({ email: parsed.data.email, name: parsed.data.name });
    if (outcome.kind === 'mail-failed') {
      return json
        ? c.json({ ok: false, error: 'mail_failed', message: 'We could not send the confirmation email just now. Please try again in a few minutes.' }, 503)
        : page(c, { kind: 'subscribe-mail-failed' }, 503);
    }
    return accepted();
  });

  app.get('/confirm', async (c) => {
    const query = tokenQuery.safeParse(c.req.query());
    if (!query.success) return page(c, { kind: 'confirm-invalid' }, 400);
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

  // ── Unsubscribe ────────────────────────────────────────────────────────────
  app.get('/unsubscribe', async (c) => {
    const query = tokenQuery.safeParse(c.req.query());
    if (!query.success) return page(c, { kind: 'unsubscribe-invalid' }, 400);
    const found = subscriptions.lookupUnsubscribe(query.data.token);
    if (found.kind === 'invalid') return page(c, { kind: 'unsubscribe-invalid' }, 400);
    if (found.kind === 'unknown') return page(c, { kind: 'unsubscribed', email: undefined });
    const { subscriber } = found;
    return page(c, { kind: 'unsubscribe', token: query.data.token, email: subscriber.email, alreadyUnsubscribed: subscriber.state !== 'active' && subscriber.state !== 'pending' });
  });

  app.post('/unsubscribe', limitBody(bodyLimits.form), async (c) => {
    const body = await readBody(c);
    // RFC 8058: mail providers POST "List-Unsubscribe=One-Click" cross-origin without cookies;
    // the signed token is the only authority, so no origin check applies to it.
    const oneClick = body !== undefined && !isJsonRequest(c) && body['List-Unsubscribe'] === 'One-Click';
    if (!oneClick) await sameOrigin(c, async () => undefined);
    const query = tokenQuery.safeParse(c.req.query());
    const outcome = query.success ? subscriptions.unsubscribe(query.data.token, oneClick ? 'one-click' : 'page') : ({ kind: 'invalid' } as const);
    c.header('cache-control', 'no-store');
    if (outcome.kind === 'invalid') return oneClick ? c.text('This unsubscribe link is not valid.', 400) : page(c, { kind: 'unsubscribe-invalid' }, 400);
    return oneClick ? c.text('Unsubscribed.', 200) : page(c, { kind: 'unsubscribed', email: outcome.email });
  });

  // ── Sanity webhook ─────────────────────────────────────────────────────────
  app.post('/hooks/sanity', limitBody(bodyLimits.webhook), async (c) => {
    const secret = config.server.webhookSecret;
    if (!secret) return c.json({ ok: false, error: 'webhook_disabled', message: 'Set SANITY_WEBHOOK_SECRET on the server to accept Sanity webhooks.' }, 401);
    const signature = c.req.header(SIGNATURE_HEADER_NAME);
    const payload = await c.req.text();
    if (!signature || !(await isValidSignature(payload, signature, secret).catch(() => false))) {
      return c.json({ ok: false, error: 'bad_signature', message: `Missing or invalid ${SIGNATURE_HEADER_NAME} header.` }, 401);
    }
    let what = 'document';
    try {
      const body = webhookBodySchema.parse(JSON.parse(payload));
      what = [body._type, body._id].filter(Boolean).join(' ') || what;
    } catch {
      // A projection may send anything; the rebuild does not depend on the body.
    }
    settingsPromise = undefined;
    if (!deps.rebuild) return c.json({ ok: true, message: 'Signature valid; rebuilds are off on this server.' }, 202);
    deps.rebuild.request(`webhook: ${what}`);
    return c.json({ ok: true, message: 'Rebuild scheduled.' }, 202);
  });

  // ── Previews for the Studio ───────────────────────────────────────────────
  app.use(
    '/preview/*',
    cors({
      origin: (origin) => (isStudioOrigin(origin, studioOrigins) ? origin : null),
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    }),
  );

  const previewRefusal = (c: Context, given: string | undefined) => {
    const accepted = [config.server.previewSecret, deps.studioToken].filter((s): s is string => Boolean(s));
    c.header('cache-control', 'no-store');
    if (accepted.length === 0) return c.json({ ok: false, error: 'previews_disabled', message: 'Previews are off: set NEWSDESK_PREVIEW_SECRET on the server (and the same value as SANITY_STUDIO_PREVIEW_SECRET for the Studio).' }, 403);
    if (!given || !accepted.some((expected) => secretsMatch(given, expected))) return c.json({ ok: false, error: 'unauthorized', message: 'The preview secret is missing or wrong.' }, 401);
    return undefined;
  };

  app.get('/preview/issues/:id', async (c) => {
    const query = previewQuery.safeParse(c.req.query());
    const refused = previewRefusal(c, bearer(c) ?? c.req.query('secret'));
    if (refused) return refused;
    const params = previewParams.safeParse(c.req.param());
    if (!params.success || !query.success) {
      return c.json({ ok: false, error: 'invalid', problems: formatZodIssues([...(params.error?.issues ?? []), ...(query.error?.issues ?? [])]) }, 400);
    }
    c.header('x-robots-tag', 'noindex');
    // The editor's browser sees uploaded images from this server until the site is built.
    const loaded = await loadDraft(deps.store, params.data.id, localMediaBase(config, deps.publicUrl()));
    if (loaded.kind === 'missing') return c.text(`There is no issue with id "${params.data.id}", as a draft or published.`, 404);
    if (loaded.kind === 'invalid') return c.text(`This draft cannot be previewed yet:\n\n${loaded.message}`, 422);
    const ctx = await buildContext();
    const fill = { unsubscribeUrl: `${ctx.baseUrl}/unsubscribe?token=preview`, recipientEmail: previewRecipient.email };
    switch (query.data.as) {
      case 'web':
        return c.html(renderIssuePage(loaded.issue, {}, ctx).html);
      case 'email': {
        const email = await renderIssueEmail(loaded.issue, ctx);
        c.header('content-security-policy', emailPreviewCsp(studioOrigins));
        return c.html(fillPlaceholders(email.html, fill, true));
      }
      case 'text':
        return c.text(fillPlaceholders(renderIssueText(loaded.issue, ctx).text, fill, false));
    }
  });

  app.post('/preview/issues/:id/send-test', limitBody(bodyLimits.form), async (c) => {
    const refused = previewRefusal(c, bearer(c));
    if (refused) return refused;
    const params = previewParams.safeParse(c.req.param());
    const body = sendTestSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!params.success || !body.success) {
      const problems = formatZodIssues([...(params.error?.issues ?? []), ...(body.error?.issues ?? [])]);
      return c.json({ ok: false, error: 'invalid', message: `Send {"to": "address"} as JSON: ${problems.join('; ')}` }, 400);
    }
    const ctx = await buildContext();
    // A test copy goes to a real inbox: its images come from the public site, as the issue's will.
    const loaded = await loadDraft(deps.store, params.data.id, localMediaBase(config, ctx.baseUrl));
    if (loaded.kind === 'missing') return c.json({ ok: false, error: 'not_found', message: `There is no issue with id "${params.data.id}".` }, 404);
    if (loaded.kind === 'invalid') return c.json({ ok: false, error: 'invalid_draft', message: `This draft cannot be sent yet: ${loaded.message}` }, 422);
    const email = await renderIssueEmail(loaded.issue, ctx);
    // A fresh recipient token per test: its own Message-ID, and an unsubscribe link that matches nobody.
    const message = composeIssueMessage(
      { ...email, subject: `[Test] ${email.subject}` },
      { email: body.data.to, name: undefined, token: randomBytes(16).toString('base64url') },
      { issueNumber: loaded.issue.number, settings: ctx.settings, baseUrl: ctx.baseUrl, secret: deps.secret, unsubscribeMailto: config.unsubscribeMailto, date: deps.now() },
    );
    try {
      await deps.transport.send(message);
    } catch (error) {
      deps.log(`send-test: issue ${loaded.issue.number} to a test address failed: ${(error as Error)?.message ?? String(error)}`);
      return c.json({ ok: false, error: 'send_failed', message: `The test email could not be sent through ${deps.transport.description}: ${(error as Error)?.message ?? String(error)}` }, 502);
    }
    return c.json({ ok: true, message: `Test email of issue #${loaded.issue.number}${loaded.issue.isDraft ? ' (draft)' : ''} sent to ${body.data.to} through ${deps.transport.description}.` });
  });

  // ── Capture API (bookmarklet) ─────────────────────────────────────────────
  app.on(['POST', 'OPTIONS'], '/api/links', limitBody(bodyLimits.capture), (c) =>
    handleCaptureRequest(c.req.raw, { store: deps.store, apiToken: config.server.apiToken, fetchPage: deps.fetchPage, now: deps.now, maxBodyBytes: bodyLimits.capture }),
  );

  // ── The built site ────────────────────────────────────────────────────────
  app.on(['GET', 'HEAD'], '*', async (c) => {
    const result = await site.serve(c.req.raw, c.req.path);
    if (result.kind === 'file') return result.response;
    if (result.kind === 'redirect') return c.redirect(result.location + (new URL(c.req.url).search || ''), 301);
    const ctx = await renderContext();
    // Server pages link the stylesheet even before the first build has written it.
    if (c.req.path === `/${stylesheetPath(ctx.settings)}`) {
      c.header('cache-control', 'public, max-age=31536000, immutable');
      return c.body(renderStylesheet(ctx.settings), 200, { 'content-type': 'text/css; charset=utf-8' });
    }
    return (await site.notFound(c.req.raw)) ?? c.html(renderNotFoundPage(ctx), 404);
  });

  app.notFound((c) => (prefersJson(c) ? c.json({ ok: false, error: 'not_found', message: `Nothing answers ${c.req.method} ${c.req.path}.` }, 404) : c.text('Not found.', 404)));

  return app;
}

type DraftLoad = { kind: 'ok'; issue: NonNullable<Awaited<ReturnType<typeof loadIssueById>>> } | { kind: 'missing' } | { kind: 'invalid'; message: string };

async function loadDraft(store: ContentStore, id: string, mediaBase: string | undefined): Promise<DraftLoad> {
  try {
    const issue = await loadIssueById(store, id);
    return issue ? { kind: 'ok', issue: withLocalMedia(issue, mediaBase) } : { kind: 'missing' };
  } catch (error) {
    // A draft mid-edit may not fit the read model yet; the editor should see why, not a 500.
    if (isNewsdeskError(error, 'CONTENT_INVALID')) return { kind: 'invalid', message: error.message };
    throw error;
  }
}

function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

function isJsonRequest(c: Context): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(c.req.header('content-type') ?? '');
}

function prefersJson(c: Context): boolean {
  if (isJsonRequest(c)) return true;
  const accept = c.req.header('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** Form or JSON body as a plain object; undefined for other content types. */
async function readBody(c: Context): Promise<Record<string, unknown> | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (isJsonRequest(c)) {
    const value: unknown = await c.req.json().catch(() => null);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  }
  if (/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    return (await c.req.parseBody().catch(() => ({}))) as Record<string, unknown>;
  }
  return undefined;
}

function bearer(c: Context): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
}

/** Constant-time comparison; hashing first makes the lengths equal. */
export function secretsMatch(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}
