// Puts the app on a socket: opens whatever the caller did not hand in (content store,
// delivery database, transport, secret, rebuilds), starts the worker that sends the
// queued confirmation and welcome mails and, when configured, the reader of the bounce
// mailbox over IMAP, listens on the configured host and port (0 picks a free one, as
// tests do) and closes everything it opened, in order.
import { serve, type ServerType } from '@hono/node-server';
import { createSecureServer, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { buildSite, forgetEarlierBuilds, workerThreshold } from '../build/build-site.ts';
import { collectGarbage } from '../core/collect-garbage.ts';
import type { FetchPage } from '../content/capture/fetch-page.ts';
import { openContentStore } from '../content/open-store.ts';
import type { ContentStore } from '../content/store.ts';
import type { Config } from '../core/config.ts';
import { openDelivery, type Delivery } from '../delivery/open-delivery.ts';
import { openTransport } from '../delivery/transports/open-transport.ts';
import { BounceProcessor } from '../delivery/bounces/bounce-processor.ts';
import type { ImapBouncePoller } from '../delivery/bounces/imap-bounce-poller.ts';
import { MailWorker, type MailWorkerOptions } from '../delivery/mail-queue/mail-worker.ts';
import { resolveSecret } from '../delivery/signing/secret.ts';
import { Subscriptions } from '../delivery/subscribers/subscriptions.ts';
import { createTransactionalComposer } from '../delivery/mail-queue/transactional-message.ts';
import type { SendScheduler } from '../delivery/schedule/scheduler.ts';
import type { SendOptions } from '../delivery/sending/send-loop.ts';
import type { ScheduleStore } from '../delivery/schedule/scheduler.ts';
import { setUpScheduledSends } from './scheduled-sends.ts';
import type { Transport } from '../delivery/sending/transport.ts';
import type { Hono } from 'hono';
import { createApp } from './app.ts';
import { SettingsCache } from './http.ts';
import { GroqJsStore, type StoreTransaction } from '../content/groq-js-store.ts';
import { ContentLake, lakeDirFor, lakeToken, type LakeOptions } from '../content/lake/lake.ts';
import { localImagesDir } from '../content/media.ts';
import { NewsdeskError } from '../core/errors.ts';
import { studioDefaults } from '../studio/env.ts';
import { serveLocalMedia } from './local-media.ts';
import { RebuildScheduler } from './rebuild.ts';
import { createStudioHost, defaultStudioDir, studioPaths } from './studio-host.ts';

export interface ServerOptions {
  config: Config;
  store?: ContentStore;
  delivery?: Delivery;
  transport?: Transport;
  secret?: string;
  now?: () => Date;
  fetchPage?: FetchPage;
  /** Runs a rebuild; defaults to buildSite over the store. */
  rebuildSite?: (reasons: string[]) => Promise<void>;
  /** Quiet time before a webhook rebuild starts (default 2 s: publishing fires bursts). */
  rebuildDebounceMs?: number;
  /** A build of the site running in another process as the server starts (scripts/serve.ts): its rebuilds wait for it. */
  rebuildAfter?: Promise<unknown>;
  /**
   * Builds the site in another process (`newsdesk build`: scripts/build-first.ts), for a
   * rebuild that renders many of the issues (handOffRebuild): a change to the site's
   * settings renders every one. Without it, every rebuild runs in the server's process.
   */
  buildElsewhere?: () => Promise<void>;
  /** Retry timing of the transactional mail worker (tests shorten it). */
  mailWorker?: Partial<MailWorkerOptions>;
  /** Further route families, mounted before the static site. */
  routes?: Array<{ path: string; app: Hono }>;
  log?: (line: string) => void;
  /**
   * Serve the local Studio (/studio/) and Content Lake (/lake/) too; needs the local
   * dataset. `studioDir` is the built Studio (default studio-dist/).
   */
  studio?: {
    studioDir?: string;
    allowedOrigins?: string[];
    editorName?: string;
    onRequest?: LakeOptions['onRequest'];
    /**
     * Listen before the dataset is loaded and the lake opened (lake requests wait for
     * them), so `newsdesk studio` answers as soon as it starts however big the archive;
     * `lake` is set once open (`lakeReady`).
     */
    openInBackground?: boolean;
  };
  /**
   * The scheduler that starts scheduled sends (on unless false); tests shorten its look
   * interval, the send's retry timing and the lease.
   */
  scheduler?: false | { pollMs?: number; leaseTtlMs?: number; send?: Partial<SendOptions> };
  /** Listen with TLS and HTTP/2 (HTTP/1.1 still accepted), as the Studio needs locally. */
  tls?: { key: string; cert: string };
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Where links in mails and pages point: NEWSDESK_BASE_URL, or this server's own URL. */
  publicUrl: string;
  rebuilds: RebuildScheduler;
  delivery: Delivery;
  transport: Transport;
  /** Sends the queued confirmation and welcome mails; idle() resolves once nothing is due. */
  mail: MailWorker;
  /** The local Content Lake, when the Studio is served (with studio.openInBackground: once open). */
  lake: ContentLake | undefined;
  /** Resolves once the dataset is loaded and the lake (if any) is open. */
  lakeReady: Promise<ContentLake | undefined>;
  /** The token the Studio signs in with, when it is served. */
  studioToken: string | undefined;
  /** Reads the bounce mailbox over IMAP, when NEWSDESK_BOUNCE_IMAP_URL is set. */
  bounceMailbox: ImapBouncePoller | undefined;
  schedules: ScheduleStore;
  /** Starts scheduled sends; undefined when turned off. */
  scheduler: SendScheduler | undefined;
  close(): Promise<void>;
}

/** Changes to published documents are what the built site shows; drafts never reach it. */
function publishedChange(transaction: StoreTransaction): string | undefined {
  const change = transaction.changes.find((c) => !c.id.startsWith('drafts.') && !c.id.startsWith('versions.'));
  if (!change) return undefined;
  const type = change.after?._type ?? change.before?._type ?? 'document';
  return `${change.after ? 'published' : 'removed'} ${type} ${change.id}`;
}

/**
 * Whether a server leaves a rebuild to another process (ServerOptions.buildElsewhere): when
 * it renders more issues than a build renders without workers, and more than a quarter of
 * them. A rebuild that renders most of the issues (every one after a change to the site's
 * settings) left the server's process holding what such a build leaves: on 1,000 issues,
 * 543 MB after it and 598-659 MB over five publishes after that (peak 660 MB). Left to
 * `newsdesk build`: 241-315 MB after it, 373-422 MB over the publishes (peak 437-457 MB); the
 * two processes held 653-734 MB together at most while it built, for about 17 s. `newsdesk
 * studio` (the Studio's lake holds every document): 584 MB after it against 780 MB, 1,026 MB
 * together at most.
 */
export function handOffRebuild(toRender: number, issues: number): boolean {
  return toRender > workerThreshold && toRender * 4 > issues;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store = options.store ?? openContentStore(config.content, { lazy: !options.studio });
  const delivery = options.delivery ?? (await openDelivery(config));
  const transport = options.transport ?? openTransport(config);
  const secret = options.secret ?? resolveSecret(config);
  const rebuilds = new RebuildScheduler(
    options.rebuildSite ??
      (async () => {
        // In place: a publish rewrites the pages it changes, not a new copy of the whole site.
        const elsewhere = options.buildElsewhere;
        const summary = await buildSite({ config, store, withheld: await scheduled.withheld(), inPlace: true, ...(elsewhere ? { handOff: handOffRebuild } : {}) });
        if (elsewhere && summary.handedOff) {
          log(`rebuild: ${summary.rendered} of ${summary.issues} issue(s) to render; left to \`newsdesk build\` in a process of its own`);
          // What this process kept for its next rebuild described the site before: let go before
          // that build starts, not held beside it. No rebuild runs here meanwhile (they wait for
          // this one), so the next starts from what that build left, as a new process would.
          forgetEarlierBuilds();
          collectGarbage();
          await elsewhere();
          return;
        }
        log(
          `rebuild: ${summary.issues} issue(s), ${summary.rendered} rendered, ${summary.reused} reused, ${summary.written} file(s) written${summary.inPlace ? ' in place' : ''} in ${Math.round(summary.durationMs)} ms`,
        );
      }),
    // A Sanity publish fires a burst of webhooks; a local publish is one transaction.
    {
      debounceMs: options.rebuildDebounceMs ?? (store instanceof GroqJsStore ? 300 : 2000),
      onError: (error) => log(`rebuild failed: ${(error as Error)?.message ?? String(error)}`),
      ...(options.rebuildAfter ? { after: options.rebuildAfter } : {}),
    },
  );

  let publicUrl = config.baseUrl ?? '';
  let lake: ContentLake | undefined;
  let stopWatching = () => {};
  const studio = options.studio;
  if (studio && !(store instanceof GroqJsStore)) {
    throw new NewsdeskError('USAGE', 'The local Studio edits the local dataset, but SANITY_PROJECT_ID points newsdesk at a Sanity project', {
      hint: 'With a Sanity project, run the Studio with `npm run studio:dev` or deploy it; unset SANITY_PROJECT_ID to edit the local dataset.',
    });
  }
  const lakeDir = studio && store instanceof GroqJsStore ? lakeDirFor(store.datasetPath) : undefined;
  const studioToken = lakeDir ? await lakeToken(lakeDir) : undefined;
  // Both load the whole dataset: with a big archive, seconds that need not stand between starting and answering.
  const opening = (async () => {
    if (store instanceof GroqJsStore) {
      // Writes by the Studio here and by the CLI elsewhere both rebuild the site: no webhook needed locally.
      await store.watchForOutsideChanges();
      const unsubscribe = store.subscribe((transaction) => {
        const reason = publishedChange(transaction);
        if (!reason) return;
        settings.invalidate();
        rebuilds.request(reason);
      });
      stopWatching = () => {
        unsubscribe();
        void store.close();
      };
    }
    if (studio && lakeDir && store instanceof GroqJsStore) {
      lake = await ContentLake.open({
        store,
        lakeDir,
        token: studioToken,
        projectId: studioDefaults.projectId,
        dataset: studioDefaults.dataset,
        allowedOrigins: studio.allowedOrigins ?? [],
        publicUrl: () => `${publicUrl}${studioPaths.lake}`,
        editorName: studio.editorName,
        onRequest: studio.onRequest,
        log,
      });
    }
    return lake;
  })();
  // In the background, the caller hears of a failure through lakeReady.
  if (studio?.openInBackground) opening.catch(() => undefined);
  else await opening;
  const now = options.now ?? (() => new Date());
  const settings = new SettingsCache(store);
  // A request records a sign-up and wakes the worker, which admits it and sends its mail.
  const subscriptions = new Subscriptions({ store: delivery.subscribers, secret, now, onMailQueued: () => mail.wake() });
  const mail = new MailWorker({
    queue: delivery.mailQueue(),
    beforeEachLook: async () => {
      while ((await subscriptions.admitSignups(200)).length === 200);
    },
    transport,
    compose: createTransactionalComposer({
      secret,
      confirmTtlHours: config.confirmTtlHours,
      now,
      // The pages' settings cache: a webhook reload reaches the next mail too.
      site: async () => ({ settings: await settings.get(), baseUrl: publicUrl }),
      unsubscribeMailto: config.unsubscribeMailto,
      bounceAddress: config.bounces.address,
    }),
    now,
    options: options.mailWorker,
    log,
  });

  const bounces = new BounceProcessor({ store: delivery.bounces, secret, softLimit: config.bounces.softLimit, now });
  // The IMAP client (and the page fetcher below) load only when used: they weigh on every start.
  const bounceMailbox = config.bounces.imap
    ? new (await import('../delivery/bounces/imap-bounce-poller.ts')).ImapBouncePoller({ options: config.bounces.imap, processor: bounces, log })
    : undefined;
  const scheduled = setUpScheduledSends({
    config,
    store,
    delivery,
    transport,
    secret,
    now,
    log,
    rebuilds: () => rebuilds,
    settings,
    publicUrl: () => publicUrl,
    studioToken,
    scheduler: options.scheduler,
  });
  const { schedules, scheduler } = scheduled;

  const app = createApp({
    config,
    store,
    subscriptions,
    checkHealth: () => delivery.checkHealth(),
    transport,
    secret,
    publicUrl: () => publicUrl,
    rebuild: rebuilds,
    fetchPage: options.fetchPage ?? fetchPagesLazily(config.fetch),
    now,
    log,
    settings,
    routes: [...(options.routes ?? []), scheduled.routes],
    studioToken,
    bounces,
  });
  const studioHost = studio ? createStudioHost(lake ?? opening.then((l) => l!), studio.studioDir ?? defaultStudioDir) : undefined;
  const imagesDir = localImagesDir(config);
  const media = imagesDir ? serveLocalMedia(imagesDir) : undefined;
  const fetch = async (request: Request): Promise<Response> =>
    (await studioHost?.fetch(request)) ?? (await media?.(request)) ?? app.fetch(request);

  let server: ServerType;
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server = options.tls
      ? serve(
          {
            fetch,
            hostname: config.server.host,
            port: config.server.port,
            createServer: createSecureServer,
            serverOptions: { key: options.tls.key, cert: options.tls.cert, allowHTTP1: true },
          },
          (info) => resolve(info),
        )
      : serve({ fetch, hostname: config.server.host, port: config.server.port }, (info) => resolve(info));
    server.once('error', reject);
  });
  if (studioHost) {
    server!.on('upgrade', (request, socket, head) => {
      if (!studioHost.upgrade(request, socket, head)) socket.destroy();
    });
  }
  const url = `${options.tls ? 'https' : 'http'}://${urlHost(address.address, Boolean(options.tls))}:${address.port}`;
  publicUrl ||= url;

  // HTTP/2 sessions (and the Studio's event streams in them) stay open until told to go.
  const sessions = new Set<ServerHttp2Session>();
  const sockets = new Set<Socket>();
  server!.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server!.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  mail.start();
  bounceMailbox?.start();
  scheduler?.start();

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      // The lake first: its listeners are told to reconnect and its sockets close.
      (await opening.catch(() => undefined))?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open until they time out.
        if ('closeIdleConnections' in server) server.closeIdleConnections();
        for (const session of sessions) session.close();
        // Whatever is still open after a moment (a stream mid-response) is cut.
        setTimeout(() => {
          for (const session of sessions) session.destroy();
          for (const socket of sockets) socket.destroy();
        }, 1000).unref();
      });
      // A send in flight finishes what is on the wire and records itself interrupted, to be resumed.
      await scheduler?.stop();
      stopWatching();
      await rebuilds.close();
      await mail.stop();
      await bounceMailbox?.stop();
      if (!options.transport) await transport.close();
      if (!options.delivery) await delivery.close();
    })());

  return {
    url,
    publicUrl,
    rebuilds,
    delivery,
    transport,
    mail,
    get lake() {
      return lake;
    },
    lakeReady: opening,
    studioToken,
    bounceMailbox,
    schedules,
    scheduler,
    close,
  };
}

/** makePageFetcher, loaded (with its HTML parser and HTTP client) on the first capture. */
function fetchPagesLazily(limits: Config['fetch']): FetchPage {
  let fetcher: Promise<FetchPage> | undefined;
  return async (url) => (await (fetcher ??= import('../content/capture/fetch-page.ts').then((m) => m.makePageFetcher({ limits }))))(url);
}

/** The host part of a URL for a listening address (localhost for loopback over TLS: the certificate names it). */
export function urlHost(address: string, tls = false): string {
  // The local certificate names localhost; the address itself would not match it in a browser.
  if (address === '0.0.0.0' || address === '::' || (tls && (address === '127.0.0.1' || address === '::1'))) return 'localhost';
  return address.includes(':') ? `[${address}]` : address;
}
