// Serves the built web output (config.outDir) safely: only files inside the folder
// (no "..", no encoded tricks, no dot-files such as a build's staging folders, no
// symlinks leading out), the right content type, validators for conditional requests,
// and cache lifetimes by kind (hashed assets forever, HTML revalidated every time).
// Text (pages, feeds, the search index, styles, scripts) is compressed for a client that
// accepts it, brotli before gzip, as a CDN would: an issue page travels at a third of its
// size or less, a long list page at an eighth. Compressed copies are kept by file and validator (up to
// 32 MB of them), so a page read a thousand times is compressed once.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { getMimeType } from 'hono/utils/mime';

export type StaticResult =
  | { kind: 'file'; response: Response }
  | { kind: 'redirect'; location: string }
  | { kind: 'miss' };

/** Files above this size are streamed; smaller ones are read whole (faster for pages). */
const streamAbove = 512 * 1024;

const extraTypes: Record<string, string> = {
  xml: 'application/xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  eml: 'message/rfc822',
};

/** Smaller files gain too little from compression to be worth a client's decompressing. */
const compressAbove = 1024;
/** Larger text files (none a build makes) are sent as they are, streamed. */
const compressUpTo = 8 * 1024 * 1024;
/** Bytes of compressed copies kept in memory (least recently used dropped first). */
const compressedCacheBytes = 32 * 1024 * 1024;

type Encoding = 'br' | 'gzip';
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
// Brotli quality 5: most of its gain over gzip at a few milliseconds for a large page.
const brotliOptions = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } };

/** Whether a file of this content type is text worth compressing. */
export function isCompressible(contentType: string): boolean {
  return /^text\/|^application\/(json|xml|javascript|rss\+xml|atom\+xml|feed\+json)|\+xml|svg/.test(contentType);
}

/** The encoding to answer an Accept-Encoding header with: brotli, else gzip, else none (q=0 refuses one). */
export function chooseEncoding(acceptEncoding: string | null): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (name) accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const weight = (name: Encoding) => accepted.get(name) ?? (accepted.get('*') ?? 0);
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return undefined;
}

export function contentTypeFor(file: string): string {
  const ext = path.extname(file).slice(1).toLowerCase();
  if (extraTypes[ext]) return extraTypes[ext];
  const type = getMimeType(file) ?? 'application/octet-stream';
  return /^text\/|javascript|svg\+xml/.test(type) && !/charset=/i.test(type) ? `${type}; charset=utf-8` : type;
}

export function cacheControlFor(sitePath: string): string {
  if (/\.[0-9a-f]{8,}\.(css|js|woff2?|png|jpe?g|svg|webp|avif)$/i.test(sitePath)) return 'public, max-age=31536000, immutable';
  // Reader search's script and the index file naming the rest (by version) change with every build.
  if (/(\.html|\/)$/.test(sitePath) || /(^|\/)search(\.js|\/meta\.json)$/.test(sitePath)) return 'public, no-cache';
  if (/\.(xml|json)$/.test(sitePath)) return 'public, max-age=300';
  return 'public, max-age=3600';
}

/** The decoded path segments of a URL path, or undefined when any is unsafe to map to a file. */
export function safeSegments(urlPath: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (/[\u0000-\u001f\\]/.test(decoded)) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '');
  // A leading dot covers ".", "..", ".env" and the build's ".dist.staging-…" siblings alike.
  if (segments.some((s) => s.startsWith('.'))) return undefined;
  return segments;
}

export class StaticSite {
  readonly root: string;
  #realRoot: string | undefined;
  /** Compressed copies by file, validator and encoding (Map order: least recently used first). */
  readonly #compressed = new Map<string, Uint8Array<ArrayBuffer>>();
  #compressedBytes = 0;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** `options.compress: false`: the file as it is on disk, whatever the client accepts (for a caller that rewrites it). */
  async serve(request: Request, urlPath: string, options: { compress?: boolean } = {}): Promise<StaticResult> {
    const segments = safeSegments(urlPath);
    if (!segments) return { kind: 'miss' };
    let file = path.join(this.root, ...segments);
    let stat = await statOrUndefined(file);
    if (stat?.isDirectory()) {
      // Pages are folders ("issues/12-x/"); without the slash their relative links would break.
      file = path.join(file, 'index.html');
      stat = await statOrUndefined(file);
      if (stat?.isFile() && !urlPath.endsWith('/')) return { kind: 'redirect', location: `${urlPath}/` };
    }
    if (!stat?.isFile() || !(await this.#inside(file))) return { kind: 'miss' };
    return { kind: 'file', response: await this.#respond(request, file, stat, urlPath, 200, options.compress ?? true) };
  }

  /** 404.html from the output, when the build made one. */
  async notFound(request: Request): Promise<Response | undefined> {
    const file = path.join(this.root, '404.html');
    const stat = await statOrUndefined(file);
    if (!stat?.isFile()) return undefined;
    return this.#respond(request, file, stat, '/404.html', 404, true);
  }

  async hasIndex(): Promise<boolean> {
    return Boolean((await statOrUndefined(path.join(this.root, 'index.html')))?.isFile());
  }

  async #inside(file: string): Promise<boolean> {
    // The output folder is swapped whole by each build, so its real path is looked up again when missing.
    try {
      this.#realRoot ??= await fs.realpath(this.root);
      const real = await fs.realpath(file);
      if (real.startsWith(this.#realRoot + path.sep)) return true;
      this.#realRoot = await fs.realpath(this.root);
      return real.startsWith(this.#realRoot + path.sep);
    } catch {
      return false;
    }
  }

  async #respond(request: Request, file: string, stat: import('node:fs').Stats, sitePath: string, status: number, compress: boolean): Promise<Response> {
    const etag = `W/"${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`;
    const headers = new Headers({
      'content-type': contentTypeFor(file),
      'cache-control': status === 404 ? 'no-store' : cacheControlFor(sitePath),
      etag,
      'last-modified': stat.mtime.toUTCString(),
    });
    const compressible = compress && stat.size > compressAbove && stat.size <= compressUpTo && isCompressible(headers.get('content-type')!);
    // The weak validator stands for every encoding of the same bytes (RFC 9110 8.8.1).
    if (compressible) headers.set('vary', 'accept-encoding');
    if (status === 200 && matchesEtag(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
    const encoding = compressible ? chooseEncoding(request.headers.get('accept-encoding')) : undefined;
    if (encoding) headers.set('content-encoding', encoding);
    if (stat.size > streamAbove && !encoding) {
      headers.set('content-length', String(stat.size));
      if (request.method === 'HEAD') return new Response(null, { status, headers });
      return new Response(Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, { status, headers });
    }
    const body = encoding ? await this.#compressedCopy(file, etag, encoding) : new Uint8Array(await fs.readFile(file));
    headers.set('content-length', String(body.byteLength));
    if (request.method === 'HEAD') return new Response(null, { status, headers });
    return new Response(body, { status, headers });
  }

  async #compressedCopy(file: string, etag: string, encoding: Encoding): Promise<Uint8Array<ArrayBuffer>> {
    const key = `${file}\0${etag}\0${encoding}`;
    const known = this.#compressed.get(key);
    if (known) {
      // Most recently used moves to the end.
      this.#compressed.delete(key);
      this.#compressed.set(key, known);
      return known;
    }
    const raw = await fs.readFile(file);
    const body = new Uint8Array(encoding === 'br' ? await brotli(raw, brotliOptions) : await gzip(raw));
    this.#compressed.set(key, body);
    this.#compressedBytes += body.byteLength;
    for (const [old, bytes] of this.#compressed) {
      if (this.#compressedBytes <= compressedCacheBytes) break;
      this.#compressed.delete(old);
      this.#compressedBytes -= bytes.byteLength;
    }
    return body;
  }
}

function matchesEtag(header: string | null, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v === etag || v === etag.slice(2);
  });
}

async function statOrUndefined(file: string) {
  try {
    return await fs.stat(file);
  } catch {
    return undefined;
  }
}
