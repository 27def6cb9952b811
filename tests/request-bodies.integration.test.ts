// Request bodies against the real lake and the real server: a chunked upload (no length
// to check first) past the limit is answered 413 while it is still arriving and cut
// short, not buffered whole; malformed and absurdly nested JSON is a 400 that says what
// is wrong, on every JSON endpoint, never a 500.
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { assetLimits } from '../content/lake/assets.ts';
import { startLocalLake, type LocalLake } from './helpers/local-lake.ts';
import { makeTempDir } from './helpers/temp.ts';
import { previewSecret, startTestServer, type TestServer } from './server-kit.ts';

interface StreamedUpload {
  status: number | undefined;
  body: string;
  /** Bytes the client managed to hand to the socket before the server answered or hung up. */
  written: number;
}

/**
 * Sends up to `total` bytes as a chunked body (no content-length), 1 MB at a time with
 * back-pressure, and stops as soon as the server answers or closes the connection.
 */
function streamUpload(url: string, total: number, headers: Record<string, string>): Promise<StreamedUpload> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let written = 0;
    let answered = false;
    let result: StreamedUpload | undefined;
    const finish = (r: StreamedUpload) => {
      if (result) return;
      result = r;
      resolve(r);
    };
    const request = http.request(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (response) => {
      answered = true;
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (d: string) => (body += d));
      response.on('end', () => finish({ status: response.statusCode, body, written }));
      response.on('error', () => finish({ status: response.statusCode, body, written }));
    });
    request.on('error', () => setTimeout(() => finish({ status: undefined, body: '', written }), 0));
    const pump = () => {
      while (!answered && !request.destroyed && written < total) {
        written += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', pump);
      }
      if (!answered && written >= total) request.end();
    };
    pump();
  });
}

const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe('the Content Lake', () => {
  let lake: LocalLake;
  beforeAll(async () => {
    const dir = await makeTempDir('newsdesk-bodies-');
    const datasetPath = path.join(dir, 'dataset.ndjson');
    await fs.writeFile(datasetPath, `${JSON.stringify({ _id: 'tag-a', _type: 'tag', title: 'A' })}\n`);
    lake = await startLocalLake(new GroqJsStore({ datasetPath }));
  });
  afterAll(() => lake?.close());

  const post = (route: string, body: string) =>
    fetch(`${lake.url}/v2026-05-04/data/${route}/production`, { method: 'POST', headers: { authorization: `Bearer ${lake.token}`, 'content-type': 'application/json' }, body });

  it('answers a chunked upload past the limit with 413 while it is arriving, and cuts it short', async () => {
    const total = 400 * 1024 * 1024;
    const upload = await streamUpload(`${lake.url}/v2026-05-04/assets/files/production?filename=big.bin`, total, {
      authorization: `Bearer ${lake.token}`,
      'content-type': 'application/octet-stream',
    });
    expect(upload.status).toBe(413);
    expect(upload.body).toContain(`Uploads are limited to ${assetLimits.maxBytes / 1024 / 1024} MB`);
    // Read up to the limit, then at most the server library's short drain before it hangs up.
    expect(upload.written).toBeLessThan(total / 2);
  });

  it('answers malformed JSON to mutate, query and actions with 400 and what is wrong', async () => {
    for (const route of ['mutate', 'query', 'actions']) {
      const response = await post(route, '{"mutations": [');
      expect(response.status, route).toBe(400);
      const body = (await response.json()) as { error: { description: string; type: string } };
      expect(body.error.type, route).toBe('invalidJsonError');
      expect(body.error.description, route).toMatch(/^The request body is not valid JSON/);
    }
  });

  it('answers JSON nested 100,000 levels deep with 400, not a 500 from a blown stack', async () => {
    const response = await post('mutate', `{"mutations":[{"create":{"_id":"deep","_type":"tag","nested":${deep(100_000)}}}]}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { description: string } }).error.description).toMatch(/nested more than 100 levels/);
    expect((await post('query', `{"query":"*","params":{"x":${deep(100_000)}}}`)).status).toBe(400);
    const inUrl = await fetch(`${lake.url}/v2026-05-04/data/query/production?query=*&$x=${deep(5_000)}`, { headers: { authorization: `Bearer ${lake.token}` } });
    expect(inUrl.status).toBe(400);
  });
});

describe('the server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ build: false, env: { NEWSDESK_API_TOKEN: 'api-token-for-body-tests' } });
  });
  afterAll(() => server?.close());

  it('answers a chunked webhook body past the limit with 413 and cuts it short', async () => {
    const total = 300 * 1024 * 1024;
    const upload = await streamUpload(`${server.url}/hooks/sanity`, total, { 'content-type': 'application/json' });
    expect(upload.status).toBe(413);
    expect(upload.written).toBeLessThan(total / 2);
  });

  it('answers malformed JSON with 400 and what is wrong, on every JSON endpoint', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['/subscribe', {}],
      ['/preview/issues/issue-1/schedule', { authorization: `Bearer ${previewSecret}` }],
      ['/preview/issues/issue-1/send-now', { authorization: `Bearer ${previewSecret}` }],
      ['/preview/issues/issue-1/send-test', { authorization: `Bearer ${previewSecret}` }],
      ['/api/links', { authorization: 'Bearer api-token-for-body-tests' }],
    ];
    for (const [route, headers] of cases) {
      for (const body of ['{"email": ', deep(5_000)]) {
        const response = await fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
        expect(response.status, `${route} ${body.slice(0, 12)}`).toBe(400);
        const answer = (await response.json()) as { error: string; message: string };
        expect(answer.error, route).toBe('invalid_json');
        expect(answer.message, route).toMatch(/not valid JSON|nested more than 100 levels/);
      }
    }
  });
});
