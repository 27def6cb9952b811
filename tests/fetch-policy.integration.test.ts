// The outbound fetch policy against real loopback servers: the capture API, given an
// internal address in any spelling, a redirect to one, or a name that resolves to one,
// fetches nothing and returns no title; only an exact test-only allowance opens a
// private address and port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePageFetcher } from '../content/capture/fetch-page.ts';
import { checkDestination, fetchOutbound, OutboundFetchError, whyNotPublic, type OutboundPolicy } from '../content/capture/fetch-policy.ts';
import { jsonPost, startTestServer, type TestServer } from './server-kit.ts';

const limits = { timeoutMs: 2000, maxBytes: 64 * 1024, maxRedirects: 3 };
const apiToken = 'api-token-for-fetch-policy-tests';

interface Internal {
  port: number;
  hits: string[];
  close(): Promise<void>;
}

/** A loopback server: /admin is the internal page, /to-admin (on the "public" one) redirects to it. */
async function startInternal(host: string, redirectTo?: () => string): Promise<Internal> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '/');
    if (req.url === '/to-admin' && redirectTo) {
      res.writeHead(302, { location: redirectTo() });
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html><head><title>Internal admin</title></head><body>secrets</body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function refusal(url: string, policy: OutboundPolicy = {}): Promise<OutboundFetchError> {
  const failure = await fetchOutbound(url, { limits, policy }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(OutboundFetchError);
  return failure as OutboundFetchError;
}

let admin: Internal;
let publicSite: Internal;
let server: TestServer;

beforeAll(async () => {
  admin = await startInternal('127.0.0.1');
  publicSite = await startInternal('127.0.0.1', () => `http://127.0.0.1:${admin.port}/admin`);
  // No fetchPage given: the server builds its own fetcher, as in production.
  server = await startTestServer({ build: false, env: { NEWSDESK_API_TOKEN: apiToken } });
});
afterAll(async () => {
  await server?.close();
  await admin?.close();
  await publicSite?.close();
});

describe('the capture API', () => {
  const spellings = (port: number) => [
    `http://127.0.0.1:${port}/admin`,
    `http://localhost:${port}/admin`,
    `http://2130706433:${port}/admin`,
    `http://0x7f000001:${port}/admin`,
    `http://127.1:${port}/admin`,
    `http://[::ffff:127.0.0.1]:${port}/admin`,
    `http://0.0.0.0:${port}/admin`,
  ];

  it('fetches no internal page, in any spelling, and returns no title', async () => {
    // A different path each time, so that no spelling is merged into an earlier capture.
    for (const [i, spelling] of spellings(admin.port).entries()) {
      const url = `${spelling}/${i}`;
      const response = await jsonPost(`${server.url}/api/links`, { url }, { authorization: `Bearer ${apiToken}` });
      const body = (await response.json()) as { title: string | null; message: string };
      expect(body.title, url).toBeNull();
      expect(body.message, url).toMatch(/only fetches pages on public addresses/);
      expect(body.message, url).not.toContain('links enrich');
    }
    expect(admin.hits).toEqual([]);
    // Nothing to retry: a refused address is not flagged for enrichment.
    const captured = await server.store.fetch<Array<{ needsEnrichment?: boolean }>>('*[_type == "link" && url match $port]{ needsEnrichment }', { port: `*:${admin.port}*` }, { perspective: 'raw' });
    expect(captured.length).toBe(spellings(admin.port).length);
    expect(captured.filter((l) => l.needsEnrichment)).toEqual([]);
  });
});

describe('the policy', () => {
  it('refuses every literal form of loopback, private, link-local and unspecified addresses', async () => {
    const cases: Array<[string, RegExp]> = [
      [`http://127.0.0.1:${admin.port}/admin`, /loopback/],
      [`http://2130706433:${admin.port}/`, /loopback/],
      [`http://0x7f000001:${admin.port}/`, /loopback/],
      [`http://[::1]:${admin.port}/`, /loopback/],
      [`http://[::ffff:127.0.0.1]:${admin.port}/`, /IPv4-mapped/],
      [`http://0.0.0.0:${admin.port}/`, /unspecified/],
      ['http://169.254.169.254/latest/meta-data/', /link-local/],
      ['http://10.1.2.3/', /private/],
      ['http://192.168.1.1/', /private/],
      ['http://100.64.0.1/', /carrier-grade NAT/],
      ['http://[fd00::1]/', /unique-local/],
      ['http://[fe80::1]/', /link-local/],
      ['http://224.0.0.1/', /multicast/],
    ];
    for (const [url, why] of cases) {
      const error = await refusal(url);
      expect(error.refused, url).toBe(true);
      expect(error.message, url).toMatch(why);
    }
    expect(admin.hits).toEqual([]);
  });

  it('refuses a name that resolves to loopback, through the system resolver and through an injected one', async () => {
    const local = await refusal(`http://localhost:${admin.port}/admin`);
    expect(local).toMatchObject({ refused: true });
    expect(local.message).toMatch(/^localhost resolves only to addresses newsdesk does not fetch: .* is a loopback address/);
    const rebinding: OutboundPolicy = { resolve: async () => [{ address: '127.0.0.1', family: 4 }] };
    const named = await refusal(`http://news.example.org:${admin.port}/admin`, rebinding);
    expect(named.message).toMatch(/^news\.example\.org resolves only to addresses newsdesk does not fetch: 127\.0\.0\.1 is a loopback address/);
    expect(admin.hits).toEqual([]);
  });

  it('connects to the checked address: a name mapped to an allowed address reaches exactly that one', async () => {
    const policy: OutboundPolicy = { resolve: async () => [{ address: '127.0.0.1', family: 4 }], allowPrivateAddresses: [`127.0.0.1:${admin.port}`] };
    const { response } = await fetchOutbound(`http://intranet.example:${admin.port}/admin`, { limits, policy });
    expect(response.status).toBe(200);
    await response.body?.cancel();
    expect(admin.hits).toEqual(['/admin']);
    admin.hits.length = 0;
  });

  it('checks every redirect again: an allowed server cannot send the fetch to an internal one', async () => {
    const policy: OutboundPolicy = { allowPrivateAddresses: [`127.0.0.1:${publicSite.port}`] };
    const error = await refusal(`http://127.0.0.1:${publicSite.port}/to-admin`, policy);
    expect(error.message).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(publicSite.hits).toContain('/to-admin');
    expect(admin.hits).toEqual([]);
    const page = await makePageFetcher({ limits, policy })(`http://127.0.0.1:${publicSite.port}/to-admin`);
    expect(page).toMatchObject({ status: 'unreachable', reason: expect.stringMatching(/^refused: /) });
    expect(admin.hits).toEqual([]);
  });

  it('allows only the exact address and port of an allowance, and only ports 80 and 443 for public addresses', () => {
    const policy = { allowPrivateAddresses: ['127.0.0.1:8080'] };
    expect(checkDestination('127.0.0.1', 8080, policy)).toBeUndefined();
    expect(checkDestination('127.0.0.1', 8081, policy)).toMatch(/loopback/);
    expect(checkDestination('127.0.0.2', 8080, policy)).toMatch(/loopback/);
    expect(checkDestination('93.184.215.14', 443)).toBeUndefined();
    expect(checkDestination('93.184.215.14', 80)).toBeUndefined();
    expect(checkDestination('93.184.215.14', 22)).toMatch(/port 22 is not allowed/);
    expect(checkDestination('2606:4700::6810:84e5', 443)).toBeUndefined();
    expect(whyNotPublic('64:ff9b::a00:1')).toMatch(/NAT64 .* private/);
    expect(whyNotPublic('64:ff9b::5db8:d70e')).toBeUndefined();
    expect(whyNotPublic('::127.0.0.1')).toMatch(/IPv4-compatible/);
  });

  it('refuses non-http schemes and credentials in the address', async () => {
    expect((await refusal('file:///etc/passwd')).refused).toBe(true);
    expect((await refusal('http://user:pass@93.184.215.14/')).refused).toBe(true);
  });
});
