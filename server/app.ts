// The reader-facing HTTP application (Hono), built from its collaborators: the built
// site, the subscribe / confirm / unsubscribe flow, the Sanity webhook that rebuilds
// the site, the email services' bounce and complaint webhooks, the Studio's previews
// and test sends, the capture API, and any further route families the caller mounts. Handlers are web-standard Request -> Response, so
// tests can call app.fetch directly; server.ts puts it on a socket.
import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import type { FetchPage } from '../content/capture/fetch-page.ts';
import type { ContentStore } from '../content/store.ts';
import type { Config } from '../core/config.ts';
import { isNewsdeskError } from '../core/errors.ts';
import type { RenderContext } from '../core/render.ts';
import type { BounceProcessor } from '../delivery/bounces/bounce-processor.ts';
import type { Subscriptions } from '../delivery/subscribers/subscriptions.ts';
import type { Transport } from '../delivery/sending/transport.ts';
import { renderNotFoundPage } from '../web/archive-page.tsx';
import { renderStylesheet, stylesheetPath } from '../web/style.ts';
import { handleCaptureRequest } from './capture-api.ts';
import { bodyLimits, jsonError, limitBody, pageResponder, prefersJson, SettingsCache } from './http.ts';
import type { RebuildScheduler } from './rebuild.ts';
import { bounceRoutes } from './routes/bounce-routes.ts';
import { previewRoutes } from './routes/preview-routes.ts';
import { subscriptionRoutes } from './routes/subscription-routes.ts';
import { webhookRoutes } from './routes/webhook-routes.ts';
import { securityHeaders } from './security.ts';
import { StaticSite } from './static.ts';

export interface AppDeps {
  config: Config;
  store: ContentStore;
  subscriptions: Subscriptions;
  /** Throws when the delivery database cannot be read (the health check). */
  checkHealth: () => Promise<void>;
  /** For the Studio's test sends; subscription mail goes through the mail queue instead. */
  transport: Transport;
  /** HMAC secret for confirm and unsubscribe links (delivery/signing/secret.ts resolveSecret). */
  secret: string;
  /** The public base URL links in mails and pages point to, without a trailing slash. */
  publicUrl: () => string;
  /** Site rebuilds for the webhook; undefined answers the webhook without rebuilding. */
  rebuild: RebuildScheduler | undefined;
  /** Page fetcher for the capture API (title/description lookup). */
  fetchPage: FetchPage;
  now: () => Date;
  log: (line: string) => void;
  /** Further route families (e.g. a Studio backend), mounted before the static site. */
  routes?: Array<{ path: string; app: Hono }>;
  /** The newsletter settings, shared with whoever else renders for this server (the mail worker). */
  settings?: SettingsCache;
  /** The local Studio's token, accepted like the preview secret when the Studio is served here. */
  studioToken?: string | undefined;
  /** Applies bounces and complaints from the email services' webhooks; undefined leaves those routes out. */
  bounces?: BounceProcessor | undefined;
}

export function createApp(deps: AppDeps): Hono {
  const { config } = deps;
  const app = new Hono();
  const site = new StaticSite(config.outDir);
  const settings = deps.settings ?? new SettingsCache(deps.store);
  const renderContext = async (): Promise<RenderContext> => ({ baseUrl: deps.publicUrl(), settings: await settings.get() });
  const buildContext = async (): Promise<RenderContext> => {
    const s = await settings.get();
    return { baseUrl: (config.baseUrl ?? s.siteUrl).replace(/\/+$/, ''), settings: s };
  };
  const pages = pageResponder(renderContext);

  // Browser forms must come from our own pages; JSON needs a CORS preflight we never grant.
  const allowedOrigins = () => new Set([deps.publicUrl(), config.baseUrl].filter((u): u is string => Boolean(u)).map((u) => new URL(u).origin));
  const sameOrigin = csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || allowedOrigins().has(origin) });

  app.use('*', securityHeaders({ studioOrigins: config.server.studioOrigins, https: (config.baseUrl ?? '').startsWith('https:') }));

  app.onError(async (error, c) => {
    if (error instanceof HTTPException) {
      if (error.status === 403) return prefersJson(c) ? jsonError(c, 'forbidden') : pages.safePage(c, { kind: 'forbidden' }, 403);
      return error.getResponse();
    }
    deps.log(`${c.req.method} ${c.req.path}: ${isNewsdeskError(error) ? `${error.code} ${error.message}` : ((error as Error)?.stack ?? String(error))}`);
    return prefersJson(c) ? jsonError(c, 'internal') : pages.safePage(c, { kind: 'error' }, 500);
  });

  app.get('/healthz', async (c) => {
    await deps.checkHealth();
    c.header('cache-control', 'no-store');
    return c.json({ ok: true, rebuilding: deps.rebuild?.busy ?? false });
  });

  app.route('/', subscriptionRoutes({ config, subscriptions: deps.subscriptions, pages, sameOrigin }));
  app.route('/', webhookRoutes({ config, rebuild: deps.rebuild, onContentChanged: () => settings.invalidate(), pages, now: deps.now }));
  if (deps.bounces) app.route('/', bounceRoutes({ config, processor: deps.bounces, pages, now: deps.now, log: deps.log }));
  app.route('/', previewRoutes({ config, store: deps.store, transport: deps.transport, secret: deps.secret, buildContext, pages, now: deps.now, log: deps.log, publicUrl: deps.publicUrl, studioToken: deps.studioToken }));
  app.on(['POST', 'OPTIONS'], '/api/links', limitBody(bodyLimits.capture, pages), (c) =>
    handleCaptureRequest(c.req.raw, { store: deps.store, apiToken: config.server.apiToken, fetchPage: deps.fetchPage, now: deps.now, maxBodyBytes: bodyLimits.capture }),
  );
  for (const { path, app: routes } of deps.routes ?? []) app.route(path, routes);

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

  app.notFound((c) => (prefersJson(c) ? jsonError(c, 'not_found', { message: `Nothing answers ${c.req.method} ${c.req.path}.` }) : c.text('Not found.', 404)));

  return app;
}
