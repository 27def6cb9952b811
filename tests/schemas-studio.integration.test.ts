// The Studio's "Send test email" request against a real HTTP server standing in for
// `newsdesk serve`: the exact URL, method, headers and body, and how each answer is
// turned into the message the editor sees.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestTestEmail } from '../studio/preview-urls.ts';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

let server: http.Server;
let baseUrl: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      if (req.headers.authorization !== 'Bearer right-secret') {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: 'Unauthorized', message: 'wrong preview secret' }));
      }
      if (req.url?.includes('issue-missing')) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('no such issue');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `Sent issue 12 to ${(JSON.parse(body) as { to: string }).to}.` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('send test email', () => {
  it('POSTs the address as JSON to /preview/issues/<id>/send-test with the secret as a bearer token', async () => {
    seen.length = 0;
    const result = await requestTestEmail({ previewUrl: baseUrl, previewSecret: 'right-secret' }, 'drafts.issue-12', 'ed@example.org');
    expect(result).toEqual({ ok: true, message: 'Sent issue 12 to ed@example.org.' });
    expect(seen).toEqual([
      { method: 'POST', url: '/preview/issues/issue-12/send-test', authorization: 'Bearer right-secret', contentType: 'application/json', body: '{"to":"ed@example.org"}' },
    ]);
  });

  it('shows the server’s own explanation when the secret is refused', async () => {
    const result = await requestTestEmail({ previewUrl: baseUrl, previewSecret: 'wrong' }, 'issue-12', 'ed@example.org');
    expect(result).toEqual({ ok: false, message: 'Sending failed (HTTP 401): wrong preview secret' });
  });

  it('shows a plain-text error body as it came', async () => {
    const result = await requestTestEmail({ previewUrl: baseUrl, previewSecret: 'right-secret' }, 'issue-missing', 'ed@example.org');
    expect(result).toEqual({ ok: false, message: 'Sending failed (HTTP 404): no such issue' });
  });

  it('says which address it could not reach and what to check when no server answers', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await requestTestEmail({ previewUrl: deadUrl, previewSecret: 'x' }, 'issue-12', 'ed@example.org');
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(new RegExp(`^Could not reach the preview server at ${deadUrl.replace(/\./g, '\\.')} .*SANITY_STUDIO_PREVIEW_URL`));
  });
});
