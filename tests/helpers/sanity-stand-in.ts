// A local stand-in for the Content Lake's query and mutate endpoints, backed by the
// local groq-js store. Tests point the real @sanity/client at it, so the Sanity
// adapter's whole request path (URL building, params, perspectives, mutations) runs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GroqJsStore } from '../../content/groq-js-store.ts';
import type { Mutation, Perspective } from '../../content/store.ts';

export interface SanityStandIn {
  /** Base URL to pass as apiHost, e.g. http://127.0.0.1:43121 */
  url: string;
  /** Every request seen, for assertions about what the client sent. */
  requests: Array<{ method: string; path: string; perspective: string | null }>;
  close(): Promise<void>;
}

export async function startSanityStandIn(store: GroqJsStore, options: { token?: string } = {}): Promise<SanityStandIn> {
  const requests: SanityStandIn['requests'] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const match = /^\/v[\w-]+\/data\/(query|mutate)\/([\w-]+)$/.exec(url.pathname);
      requests.push({ method: req.method ?? 'GET', path: url.pathname, perspective: url.searchParams.get('perspective') });
      if (!match) return send(404, { error: 'Not Found', message: `no route ${url.pathname}` });
      if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
        return send(401, { error: 'Unauthorized', message: 'missing or wrong token' });
      }
      const body = req.method === 'POST' ? JSON.parse((await readBody(req)) || '{}') : {};
      if (match[1] === 'query') {
        const query = (body.query as string | undefined) ?? url.searchParams.get('query') ?? '';
        const params: Record<string, unknown> = { ...(body.params ?? {}) };
        for (const [k, v] of url.searchParams) if (k.startsWith('$')) params[k.slice(1)] = JSON.parse(v);
        const perspective = (url.searchParams.get('perspective') ?? body.perspective ?? 'raw') as Perspective;
        const started = performance.now();
        const result = await store.fetch(query, params, { perspective: perspective === 'drafts' || perspective === 'published' ? perspective : 'raw' });
        return send(200, { result, ms: Math.round(performance.now() - started), query });
      }
      if (req.method !== 'POST') return send(405, { error: 'Method Not Allowed' });
      const result = await store.mutate(body.mutations as Mutation[]);
      return send(200, { transactionId: result.transactionId, results: result.results });
    } catch (error) {
      return send(400, { error: { description: (error as Error).message, type: 'validationError' } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
