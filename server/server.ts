// Puts the app on a socket: opens whatever the caller did not hand in (content store,
// delivery database, transport, secret, rebuilds), starts the worker that sends the
// queued confirmation and welcome mails, listens on the configured host and port (0
// picks a free one, as tests do) and closes everything it opened, in order.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { buildSite } from '../build/build-site.ts';
import { makePageFetcher, type FetchPage } from '../content/capture/fetch-page.ts';
import { openContentStore } from '../content/open-store.ts';
import type { ContentStore } from '../content/store.ts';
import type { Config } from '../core/config.ts';
import { openDelivery, type Delivery } from '../delivery/open-delivery.ts';
import { openTransport } from '../delivery/open-transport.ts';
import { SqliteMailQueue } from '../delivery/mail-queue.ts';
import { MailWorker, type MailWorkerOptions } from '../delivery/mail-worker.ts';
import { resolveSecret } from '../delivery/secret.ts';
import { Subscriptions } from '../delivery/subscriptions.ts';
import { createTransactionalComposer } from '../delivery/transactional-message.ts';
import type { Transport } from '../delivery/transport.ts';
import type { Hono } from 'hono';
import { createApp } from './app.ts';
import { SettingsCache } from './http.ts';
import { RebuildScheduler } from './rebuild.ts';

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
  /** Retry timing of the transactional mail worker (tests shorten it). */
  mailWorker?: Partial<MailWorkerOptions>;
  /** Further route families, mounted before the static site. */
  routes?: Array<{ path: string; app: Hono }>;
  log?: (line: string) => void;
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
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store = options.store ?? openContentStore(config.content);
  const delivery = options.delivery ?? openDelivery(config);
  const transport = options.transport ?? openTransport(config);
  const secret = options.secret ?? resolveSecret(config);
  const rebuilds = new RebuildScheduler(
    options.rebuildSite ??
      (async () => {
        const summary = await buildSite({ config, store });
        log(`rebuild: ${summary.issues} issue(s), ${summary.rendered} rendered, ${summary.reused} reused in ${Math.round(summary.durationMs)} ms`);
      }),
    { debounceMs: options.rebuildDebounceMs ?? 2000, onError: (error) => log(`rebuild failed: ${(error as Error)?.message ?? String(error)}`) },
  );

  let publicUrl = config.baseUrl ?? '';
  const now = options.now ?? (() => new Date());
  const settings = new SettingsCache(store);
  // A request records a sign-up and wakes the worker, which admits it and sends its mail.
  const subscriptions = new Subscriptions({ store: delivery.subscribers, secret, now, onMailQueued: () => mail.wake() });
  const mail = new MailWorker({
    queue: new SqliteMailQueue(delivery.db),
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
    }),
    now,
    options: options.mailWorker,
    log,
  });

  const app = createApp({
    config,
    store,
    subscriptions,
    checkHealth: () => delivery.checkHealth(),
    transport,
    secret,
    publicUrl: () => publicUrl,
    rebuild: rebuilds,
    fetchPage: options.fetchPage ?? makePageFetcher({ limits: config.fetch }),
    now,
    log,
    settings,
    ...(options.routes ? { routes: options.routes } : {}),
  });

  let server: ServerType;
  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: app.fetch, hostname: config.server.host, port: config.server.port }, (info) => resolve(info));
    server.once('error', reject);
  });
  const url = `http://${urlHost(address.address)}:${address.port}`;
  publicUrl ||= url;
  mail.start();

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open until they time out.
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      await rebuilds.close();
      await mail.stop();
      if (!options.transport) await transport.close();
      if (!options.delivery) delivery.close();
    })());

  return { url, publicUrl, rebuilds, delivery, transport, mail, close };
}

function urlHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return 'localhost';
  return address.includes(':') ? `[${address}]` : address;
}
