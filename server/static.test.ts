import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../tests/helpers/temp.ts';
import { StaticSite, cacheControlFor, chooseEncoding, contentTypeFor, safeSegments } from './static.ts';

describe('safeSegments', () => {
  it('maps an ordinary page path to its folders', () => {
    expect(safeSegments('/issues/12-spring/')).toEqual(['issues', '12-spring']);
  });

  it('refuses parent folders however they are spelled', () => {
    for (const p of ['/../etc/passwd', '/issues/%2e%2e/%2e%2e/secret', '/a/..%2f..%2fb', '/a\\..\\b', '/%2e%2e']) {
      expect(safeSegments(p), p).toBeUndefined();
    }
  });

  it('refuses dot-files and the build staging folders', () => {
    expect(safeSegments('/.env')).toBeUndefined();
    expect(safeSegments('/.dist.staging-1-ab/index.html')).toBeUndefined();
  });

  it('refuses control characters and broken escapes', () => {
    expect(safeSegments('/index.html%00.png')).toBeUndefined();
    expect(safeSegments('/%E0%A4%A')).toBeUndefined();
  });
});

describe('headers for static files', () => {
  it('caches hashed assets forever and makes pages revalidate', () => {
    expect(cacheControlFor('/style.1a2b3c4d5e.css')).toContain('immutable');
    expect(cacheControlFor('/issues/12-x/')).toBe('public, no-cache');
    expect(cacheControlFor('/feed.xml')).toBe('public, max-age=300');
    expect(cacheControlFor('/search.js')).toBe('public, no-cache');
    expect(cacheControlFor('/search/meta.json')).toBe('public, no-cache');
    expect(cacheControlFor('/search/w/3.json')).toBe('public, max-age=300');
  });

  it('names the type and charset of text files', () => {
    expect(contentTypeFor('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('feed.xml')).toBe('application/xml; charset=utf-8');
    expect(contentTypeFor('style.abc.css')).toBe('text/css; charset=utf-8');
    expect(contentTypeFor('feed.json')).toBe('application/json; charset=utf-8');
  });
});

describe('compressed answers', () => {
  const page = `<!doctype html><title>x</title>${'<p>A paragraph about links, repeated as pages repeat their markup.</p>\n'.repeat(200)}`;

  async function site(): Promise<StaticSite> {
    const dir = await makeTempDir('newsdesk-static-');
    await fs.mkdir(path.join(dir, 'issues', '1-x'), { recursive: true });
    await fs.writeFile(path.join(dir, 'issues', '1-x', 'index.html'), page);
    await fs.writeFile(path.join(dir, 'tiny.json'), '{"a":1}');
    await fs.writeFile(path.join(dir, 'picture.png'), Buffer.alloc(4096, 7));
    return new StaticSite(dir);
  }

  async function get(s: StaticSite, urlPath: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
    const result = await s.serve(new Request(`http://localhost${urlPath}`, { method, headers }), urlPath);
    if (result.kind !== 'file') throw new Error(`${urlPath}: ${result.kind}`);
    return result.response;
  }

  it('sends a page brotli- or gzip-compressed as the client asks, the same bytes once decompressed', async () => {
    const s = await site();
    const br = await get(s, '/issues/1-x/', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('accept-encoding');
    const brBytes = Buffer.from(await br.arrayBuffer());
    expect(Number(br.headers.get('content-length'))).toBe(brBytes.length);
    expect(brBytes.length).toBeLessThan(page.length / 5);
    expect(zlib.brotliDecompressSync(brBytes).toString('utf8')).toBe(page);

    const gz = await get(s, '/issues/1-x/', { 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(zlib.gunzipSync(Buffer.from(await gz.arrayBuffer())).toString('utf8')).toBe(page);
    // The second answer of the same encoding comes from the kept copy: the same bytes.
    expect(Buffer.from(await (await get(s, '/issues/1-x/', { 'accept-encoding': 'br' })).arrayBuffer())).toEqual(brBytes);
  });

  it('sends the file as it is without an accepted encoding, and leaves small files and pictures alone', async () => {
    const s = await site();
    for (const accept of [undefined, 'identity', 'br;q=0, gzip;q=0', 'compress']) {
      const plain = await get(s, '/issues/1-x/', accept ? { 'accept-encoding': accept } : {});
      expect(plain.headers.get('content-encoding'), accept).toBeNull();
      expect(await plain.text()).toBe(page);
      expect(plain.headers.get('vary')).toBe('accept-encoding');
    }
    expect((await get(s, '/issues/1-x/', { 'accept-encoding': 'br;q=0, *' })).headers.get('content-encoding')).toBe('gzip');
    for (const small of ['/tiny.json', '/picture.png']) {
      const response = await get(s, small, { 'accept-encoding': 'br, gzip' });
      expect(response.headers.get('content-encoding'), small).toBeNull();
      expect(response.headers.get('vary'), small).toBeNull();
    }
  });

  it('answers HEAD with the compressed length and a matching validator with 304, whatever the encoding', async () => {
    const s = await site();
    const head = await get(s, '/issues/1-x/', { 'accept-encoding': 'gzip' }, 'HEAD');
    const full = await get(s, '/issues/1-x/', { 'accept-encoding': 'gzip' });
    expect(head.headers.get('content-length')).toBe(full.headers.get('content-length'));
    expect(await head.text()).toBe('');
    const again = await get(s, '/issues/1-x/', { 'accept-encoding': 'br', 'if-none-match': full.headers.get('etag')! });
    expect(again.status).toBe(304);
  });

  it('picks the encoding from Accept-Encoding: brotli first, q=0 refuses one', () => {
    expect(chooseEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(chooseEncoding('gzip')).toBe('gzip');
    expect(chooseEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(chooseEncoding('*')).toBe('br');
    expect(chooseEncoding('identity')).toBeUndefined();
    expect(chooseEncoding(null)).toBeUndefined();
  });
});
