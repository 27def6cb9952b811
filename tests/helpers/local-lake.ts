// The local Content Lake on plain HTTP and port 0, for tests that point the real
// @sanity/client (or `sanity dataset import`'s importer) at it: the same component
// `newsdesk studio` serves the Studio from, so there is one implementation.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { GroqJsStore } from '../../content/groq-js-store.ts';
import { ContentLake, lakeDirFor } from '../../content/lake/lake.ts';

export interface LocalLake {
  /** Base URL to pass as apiHost (with useProjectHostname: false), e.g. http://127.0.0.1:43121 */
  url: string;
  token: string;
  /** Every request answered: method, path without the API version, perspective asked for. */
  requests: Array<{ method: string; path: string; perspective: string | null }>;
  lake: ContentLake;
  close(): Promise<void>;
}

export async function startLocalLake(store: GroqJsStore, options: { token?: string; dataset?: string } = {}): Promise<LocalLake> {
  const requests: LocalLake['requests'] = [];
  let url = '';
  const lake = await ContentLake.open({
    store,
    lakeDir: lakeDirFor(path.resolve(store.datasetPath)),
    projectId: 'newsdesk0',
    dataset: options.dataset ?? 'production',
    token: options.token ?? 'local-lake-test-token',
    allowedOrigins: [],
    publicUrl: () => url,
    onRequest: (r) => requests.push({ method: r.method, path: r.path, perspective: r.search.get('perspective') }),
  });
  let server: ServerType;
  const address = await new Promise<AddressInfo>((resolve) => {
    server = serve({ fetch: lake.fetch, hostname: '127.0.0.1', port: 0 }, resolve);
  });
  url = `http://127.0.0.1:${address.port}`;
  server!.on('upgrade', (request, socket, head) => {
    if (!lake.handleUpgrade(request, socket, head, new URL(request.url ?? '/', url).pathname)) socket.destroy();
  });
  return {
    url,
    token: lake.token,
    requests,
    lake,
    close: async () => {
      lake.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    },
  };
}
