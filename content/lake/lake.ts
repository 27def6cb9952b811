// The local Content Lake: the HTTP API the Sanity Studio and @sanity/client speak
// (query, doc, mutate, actions, listen, history, assets, and the project and user
// endpoints the Studio asks at start-up), answered from the local dataset. It is the
// one writer the Studio uses; writes the CLI makes to the same file are seen and sent
// to the Studio as live changes, and both are kept in the document history.
import { randomBytes, createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Hono, type Context } from 'hono';
import type { GroqJsStore } from '../groq-js-store.ts';
import { DocumentHistory } from './history.ts';
import { assetsDirIn } from './paths.ts';
import { ListenHub } from './listen-hub.ts';
import { PresenceHub } from './presence.ts';
import { errorResponse, LakeError, versionPrefix } from './protocol.ts';
import { QueryPool, type QueryBudget } from './query-pool.ts';
import { mountAssetRoutes } from './routes/assets.ts';
import { mountDataRoutes } from './routes/data.ts';
import { mountHistoryRoutes } from './routes/history.ts';
import { mountListenRoutes } from './routes/listen.ts';
import { mountProjectRoutes } from './routes/project.ts';
import { editorId, lakeUsers, userIdOf, type LakeUser } from './users.ts';

export interface LakeOptions {
  store: GroqJsStore;
  /** Folder for the lake's own files: history, per-user settings, uploaded assets, token. */
  lakeDir: string;
  /** What the Studio calls the project and dataset (they appear in paths and asset URLs). */
  projectId: string;
  dataset: string;
  /** Required on every request but asset downloads; generated into lakeDir when not given. */
  token?: string;
  /** Origins besides the lake's own that may call it (e.g. `sanity dev` on http://localhost:3333). */
  allowedOrigins: string[];
  /** The lake's public base URL, e.g. https://localhost:3334/lake (asset documents carry it). */
  publicUrl: () => string;
  editorName?: string;
  now?: () => Date;
  log?: (line: string) => void;
  /** How long, and with how much memory, one GROQ query may run (default 5 s, 384 MB). */
  queryBudget?: Partial<QueryBudget>;
  /** Told about every request answered (method, path without the API version, status): traces and contract tests. */
  onRequest?: (request: LakeRequest) => void;
}

export interface LakeRequest {
  method: string;
  path: string;
  search: URLSearchParams;
  status: number;
  ms: number;
}

/** What the route modules share. */
export interface LakeContext {
  store: GroqJsStore;
  projectId: string;
  dataset: string;
  users: Record<string, LakeUser>;
  history: DocumentHistory;
  /** Where GROQ queries run: worker threads, each query within its budget. */
  queries: QueryPool;
  listeners: ListenHub;
  assetsDir: string;
  keyValueFile: string;
  publicUrl: () => string;
  now: () => Date;
  log: (line: string) => void;
  /** Refuses a dataset other than the lake's own with Sanity's 404. */
  requireDataset(name: string): void;
}

export class ContentLake {
  readonly app: Hono;
  readonly presence: PresenceHub;
  readonly token: string;
  readonly #context: LakeContext;
  readonly #unsubscribe: () => void;
  readonly #allowedOrigins: Set<string>;
  readonly #onRequest: LakeOptions['onRequest'];

  private constructor(options: LakeOptions, token: string, history: DocumentHistory, queries: QueryPool) {
    this.token = token;
    const users = lakeUsers(options.editorName ?? 'Editor');
    const listeners = new ListenHub(userIdOf);
    this.#context = {
      store: options.store,
      projectId: options.projectId,
      dataset: options.dataset,
      users,
      history,
      queries,
      listeners,
      assetsDir: assetsDirIn(options.lakeDir),
      keyValueFile: path.join(options.lakeDir, 'keyvalue.json'),
      publicUrl: options.publicUrl,
      now: options.now ?? (() => new Date()),
      log: options.log ?? (() => undefined),
      requireDataset: (name) => {
        if (name !== options.dataset) throw new LakeError(404, 'notFound', `Dataset "${name}" not found: this local Content Lake serves "${options.dataset}".`);
      },
    };
    this.#allowedOrigins = new Set(options.allowedOrigins);
    this.#onRequest = options.onRequest;
    // The store acknowledges a write once the history has it on disk (the promise returned).
    this.#unsubscribe = options.store.subscribe((transaction) => {
      listeners.publish(transaction);
      return history.record(transaction);
    });
    this.presence = new PresenceHub({ authorize: (t) => this.#tokenMatches(t), userId: editorId });
    this.app = this.#buildApp();
  }

  /** Opens the lake over a store: reads the history, watches the dataset for the CLI's writes. */
  static async open(options: LakeOptions): Promise<ContentLake> {
    await fs.mkdir(options.lakeDir, { recursive: true });
    const token = options.token ?? (await lakeToken(options.lakeDir));
    const history = await DocumentHistory.open(path.join(options.lakeDir, 'history.ndjson'));
    await options.store.watchForOutsideChanges();
    const queries = await QueryPool.start(options.store, { budget: options.queryBudget });
    return new ContentLake(options, token, history, queries);
  }

  /** The lake's requests, with the API version stripped from the path: /v2026-05-04/data/… → /data/…. */
  fetch = (request: Request): Response | Promise<Response> => {
    const url = new URL(request.url);
    const stripped = url.pathname.replace(versionPrefix, '');
    if (stripped !== url.pathname) {
      url.pathname = stripped;
      return this.app.fetch(new Request(url, request));
    }
    return this.app.fetch(request);
  };

  /** True when the upgrade was the Studio's socket and has been taken over. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, pathname: string): boolean {
    if (!/\/v[\w-]+\/socket\/[\w-]+$/.test(pathname)) return false;
    const origin = request.headers.origin;
    if (origin && !this.#originAllowed(origin, `https://${request.headers.host}`)) {
      socket.destroy();
      return true;
    }
    this.presence.handleUpgrade(request, socket, head);
    return true;
  }

  close(): void {
    this.#unsubscribe();
    this.#context.queries.close();
    this.#context.listeners.disconnectAll();
    this.presence.close();
    void this.#context.store.close();
  }

  #tokenMatches(given: string): boolean {
    const a = createHash('sha256').update(given).digest();
    const b = createHash('sha256').update(this.token).digest();
    return timingSafeEqual(a, b);
  }

  #originAllowed(origin: string, own: string): boolean {
    return origin === own || this.#allowedOrigins.has(origin) || origin === new URL(this.#context.publicUrl()).origin;
  }

  #buildApp(): Hono {
    const app = new Hono();
    const ctx = this.#context;

    app.onError((error, c) => {
      const { status, body } = errorResponse(error);
      if (status >= 500) ctx.log(`lake: ${c.req.method} ${c.req.path}: ${(error as Error)?.stack ?? String(error)}`);
      return c.json(body, status as 500);
    });
    app.notFound((c) => c.json(errorResponse(new LakeError(404, 'notFound', `The local Content Lake has no ${c.req.method} ${c.req.path}.`)).body, 404));

    if (this.#onRequest) {
      const onRequest = this.#onRequest;
      app.use('*', async (c, next) => {
        const started = performance.now();
        await next();
        onRequest({ method: c.req.method, path: c.req.path, search: new URL(c.req.url).searchParams, status: c.res.status, ms: performance.now() - started });
      });
    }
    // Origin (CORS) first: a page from another site never reaches the data, even with a token.
    app.use('*', async (c, next) => {
      const origin = c.req.header('origin');
      if (origin) {
        if (!this.#originAllowed(origin, new URL(c.req.url).origin)) {
          return c.json(errorResponse(new LakeError(403, 'corsOriginError', `Origin ${origin} may not use this Content Lake. Add it to NEWSDESK_STUDIO_ORIGIN if it is your Studio.`)).body, 403);
        }
        c.header('access-control-allow-origin', origin);
        c.header('access-control-allow-credentials', 'true');
        c.header('vary', 'origin');
      }
      if (c.req.method === 'OPTIONS') {
        c.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
        c.header('access-control-allow-headers', c.req.header('access-control-request-headers') ?? 'authorization, content-type');
        c.header('access-control-max-age', '600');
        return c.body(null, 204);
      }
      await next();
    });

    // Asset downloads are public, as a public dataset's CDN is: <img> cannot send a token.
    mountAssetRoutes(app, ctx, { publicOnly: true });
    // The Studio checks the connection before it has a token.
    app.get('/ping', (c) => c.json({ ok: true }));
    // Telemetry has nowhere to go: say it is off, and accept batches without keeping them.
    app.get('/intake/telemetry-status', (c) => c.json({ status: 'denied' }));
    app.post('/intake/*', (c) => c.json({}));
    // Where the Studio's login screen points when it has no token.
    app.get('/auth/local', (c) =>
      c.html(
        '<!doctype html><meta charset="utf-8"><title>newsdesk Studio</title><body style="font:16px/1.5 system-ui;max-width:40em;margin:3em auto">' +
          '<h1>Open the Studio with its link</h1><p>The local Studio needs the token in the link that <code>newsdesk studio</code> prints ' +
          '(the line starting with <code>Studio:</code>). Open that link once in this browser; it remembers the token.</p>' +
          '<p>Lost it? Run <code>npm run newsdesk -- studio --print-url</code>.</p></body>',
      ),
    );

    app.use('*', async (c, next) => {
      const given = bearer(c) ?? c.req.query('token');
      if (!given || !this.#tokenMatches(given)) {
        throw new LakeError(401, 'unauthorizedError', 'Missing or wrong token: open the Studio through the link `newsdesk studio` prints (it carries the token).');
      }
      await next();
    });

    mountProjectRoutes(app, ctx);
    mountDataRoutes(app, ctx);
    mountListenRoutes(app, ctx);
    mountHistoryRoutes(app, ctx);
    mountAssetRoutes(app, ctx, { publicOnly: false });
    return app;
  }
}

function bearer(c: Context): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
}

/** The lake's token: kept in the lake folder (owner-only), created once. */
export async function lakeToken(lakeDir: string): Promise<string> {
  await fs.mkdir(lakeDir, { recursive: true });
  const file = path.join(lakeDir, 'token');
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch {
    // none yet
  }
  const token = `nd${randomBytes(24).toString('base64url')}`;
  await fs.writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

export { lakeDirFor } from './paths.ts';
