// data/listen: a server-sent event stream per listener. A `welcome` first; then a
// `mutation` event for each change to a document the filter matches; `reconnect` when
// the lake stops. Comments keep idle connections open through proxies.
import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import type { LakeContext } from '../lake.ts';
import { LakeError, paramsFromSearch } from '../protocol.ts';

const keepAliveMs = 15_000;

export function mountListenRoutes(app: Hono, ctx: LakeContext): void {
  app.get('/data/listen/:dataset', (c) => {
    ctx.requireDataset(c.req.param('dataset'));
    const search = new URL(c.req.url).searchParams;
    const query = search.get('query');
    if (!query) throw new LakeError(400, 'queryParseError', 'Listening needs a query, e.g. *[_type == "issue"].');
    const params = paramsFromSearch(search);
    const encoder = new TextEncoder();
    let remove: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const write = (text: string) => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            stop();
          }
        };
        const stop = () => {
          remove?.();
          clearInterval(timer);
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        try {
          remove = ctx.listeners.add({
            options: {
              query,
              params,
              includeResult: search.get('includeResult') !== 'false',
              includePreviousRevision: search.get('includePreviousRevision') === 'true',
              includeMutations: search.get('includeMutations') !== 'false',
              effectFormat: search.get('effectFormat') ?? undefined,
            },
            send: (event, data, id) => {
              write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
              if (event === 'reconnect') stop();
            },
          });
        } catch (error) {
          write(`event: channelError\ndata: ${JSON.stringify({ message: `The listen query is not valid GROQ: ${(error as Error).message}` })}\n\n`);
          return stop();
        }
        write(`event: welcome\ndata: ${JSON.stringify({ listenerName: `L${randomBytes(8).toString('hex')}` })}\n\n`);
        timer = setInterval(() => write(': keep-alive\n\n'), keepAliveMs);
        c.req.raw.signal.addEventListener('abort', stop, { once: true });
      },
      cancel() {
        remove?.();
        clearInterval(timer);
      },
    });
    return new Response(stream, {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
    });
  });
}
