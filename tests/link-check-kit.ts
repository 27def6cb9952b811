// A loopback web site for link checks (tests and the bench): pages that answer 200, move
// for good through a chain of 301s, move for now (302), are gone (404, 410), fail (500s),
// never answer, reset the connection, or refuse HEAD. It counts requests per path and
// method, and requests in flight per Host header, so politeness is asserted by counting
// on the server side. `holdUntil(n)` keeps every answer back until n requests are in
// flight at once, so a test can see the most the checker ever sends in parallel.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OutboundPolicy } from '../content/capture/fetch-policy.ts';

export interface LinkSite {
  port: number;
  /** http://127.0.0.1:<port> */
  base: string;
  /** "HEAD /ok", "GET /no-head"… in arrival order. */
  requests: string[];
  /** The most requests in flight at once, per Host header and overall. */
  peakPerHost: Map<string, number>;
  peak(): number;
  /** Holds every answer until this many requests are in flight together, then lets all go. */
  holdUntil(count: number): void;
  /** A policy that lets the checker reach this site, under any host name (for many "sites"). */
  policy(): OutboundPolicy;
  close(): Promise<void>;
}

export async function startLinkSite(): Promise<LinkSite> {
  const requests: string[] = [];
  const peakPerHost = new Map<string, number>();
  const inFlightPerHost = new Map<string, number>();
  let inFlight = 0;
  let peak = 0;
  let holdTarget = 0;
  let held: Array<() => void> = [];
  const flaky = new Map<string, number>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    const host = req.headers.host ?? '';
    requests.push(`${req.method} ${url.pathname}`);
    inFlight++;
    peak = Math.max(peak, inFlight);
    const mine = (inFlightPerHost.get(host) ?? 0) + 1;
    inFlightPerHost.set(host, mine);
    peakPerHost.set(host, Math.max(peakPerHost.get(host) ?? 0, mine));
    // Counted as answered before the answer leaves, so the client cannot start its next
    // request while this one still counts.
    const answer = (status: number, headers: Record<string, string> = {}, body = '') => {
      inFlight--;
      inFlightPerHost.set(host, inFlightPerHost.get(host)! - 1);
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const respond = () => {
      switch (url.pathname) {
        case '/hang':
          // Never answers; the checker's time-out ends it.
          return;
        case '/reset':
          inFlight--;
          inFlightPerHost.set(host, inFlightPerHost.get(host)! - 1);
          req.socket.destroy();
          return;
        case '/old':
          return answer(301, { location: '/older' });
        case '/older':
          return answer(308, { location: '/new' });
        case '/temporary':
          return answer(302, { location: '/ok' });
        case '/moved-then-temporary':
          return answer(301, { location: '/campaign' });
        case '/campaign':
          return answer(302, { location: '/ok' });
        case '/gone':
          return answer(410, {}, 'Gone');
        case '/down':
          return answer(503, {}, 'Down for maintenance');
        case '/flaky': {
          const seen = (flaky.get(host) ?? 0) + 1;
          flaky.set(host, seen);
          return seen === 1 ? answer(500, {}, 'Oops') : answer(200, {}, '<p>Back again.</p>');
        }
        case '/no-head':
          return req.method === 'HEAD' ? answer(405, { allow: 'GET' }) : answer(200, {}, `<p>${'A long page. '.repeat(50_000)}</p>`);
        case '/forbidden':
          return answer(403, {}, 'No robots');
        default:
          if (url.pathname === '/new' || url.pathname === '/ok' || url.pathname.startsWith('/page/')) return answer(200, {}, '<p>Here.</p>');
          return answer(404, {}, 'Not found');
      }
    };
    if (holdTarget > 0) {
      held.push(respond);
      if (inFlight >= holdTarget) {
        holdTarget = 0;
        const release = held;
        held = [];
        for (const go of release) go();
      }
      return;
    }
    respond();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    requests,
    peakPerHost,
    peak: () => peak,
    holdUntil: (count) => {
      holdTarget = count;
    },
    policy: () => ({ allowPrivateAddresses: [`127.0.0.1:${port}`], resolve: async () => [{ address: '127.0.0.1', family: 4 }] }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
