// Fetches a captured page's metadata (title, description, site name, canonical URL)
// without letting a page hold capture hostage: one time-out for the whole exchange,
// redirects followed by hand and capped, the body read only up to a byte limit (the
// metadata lives in <head>, so a huge page is cut, not refused), and anything that is
// not HTML left unparsed. The HTML is handed to open-graph-scraper, which does the
// Open Graph / Twitter / <title> / <link rel=canonical> fallbacks.
import ogs from 'open-graph-scraper';
import type { Config } from '../../core/config.ts';
import { parseHttpUrl } from '../normalize-url.ts';

export type FetchLimits = Config['fetch'];

export interface PageMetadata {
  title: string | undefined;
  description: string | undefined;
  siteName: string | undefined;
  /** The page's own idea of its address (og:url or rel=canonical), absolute. */
  canonicalUrl: string | undefined;
}

export type PageFetch =
  | { status: 'fetched'; finalUrl: string; metadata: PageMetadata; truncated: boolean }
  /** Reachable, but a PDF, an image, JSON…: nothing to read metadata from, nothing to retry. */
  | { status: 'not-html'; finalUrl: string; contentType: string }
  /** Could not be fetched now (time-out, refused, redirect loop, 5xx…): worth retrying later. */
  | { status: 'unreachable'; reason: string };

export type FetchPage = (url: string) => Promise<PageFetch>;

export interface FetchPageOptions {
  limits: FetchLimits;
  /** Seam for tests and proxies; the global fetch by default. */
  fetch?: typeof fetch;
  /** Stops the fetch early (e.g. the CLI's SIGINT). */
  signal?: AbortSignal;
  userAgent?: string;
}

const defaultUserAgent = 'newsdesk-link-capture/0.1 (+https://github.com/newsdesk)';

/** Builds the fetcher capture uses, with its limits bound. */
export function makePageFetcher(options: FetchPageOptions): FetchPage {
  return (url) => fetchPageMetadata(url, options);
}

export async function fetchPageMetadata(url: string, options: FetchPageOptions): Promise<PageFetch> {
  const doFetch = options.fetch ?? fetch;
  const timeout = AbortSignal.timeout(options.limits.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const seen = new Set<string>();
  let current = url;
  try {
    for (let hops = 0; ; hops++) {
      if (!parseHttpUrl(current)) return { status: 'unreachable', reason: `redirected to a non-http(s) address ${current}` };
      seen.add(current);
      const response = await doFetch(current, {
        redirect: 'manual',
        signal,
        headers: {
          accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5',
          'user-agent': options.userAgent ?? defaultUserAgent,
        },
      });
      if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
        await response.body?.cancel().catch(() => undefined);
        const next = new URL(response.headers.get('location')!, current).toString();
        if (seen.has(next)) return { status: 'unreachable', reason: `redirect loop at ${next}` };
        if (hops + 1 > options.limits.maxRedirects) {
          return { status: 'unreachable', reason: `more than ${options.limits.maxRedirects} redirects` };
        }
        current = next;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        return { status: 'unreachable', reason: `HTTP ${response.status}` };
      }
      const contentType = response.headers.get('content-type') ?? '';
      if (!/^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType)) {
        await response.body?.cancel().catch(() => undefined);
        return { status: 'not-html', finalUrl: current, contentType: contentType.split(';')[0]!.trim() || '(none)' };
      }
      const { bytes, truncated } = await readLimited(response, options.limits.maxBytes);
      const html = decode(bytes, contentType);
      return { status: 'fetched', finalUrl: current, metadata: await extractMetadata(html, current), truncated };
    }
  } catch (error) {
    if (timeout.aborted) return { status: 'unreachable', reason: `no answer within ${options.limits.timeoutMs} ms` };
    if (options.signal?.aborted) return { status: 'unreachable', reason: 'stopped' };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { status: 'unreachable', reason: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}

async function readLimited(response: Response, maxBytes: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!response.body) return { bytes: new Uint8Array(), truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - total;
    if (value.byteLength >= room) {
      chunks.push(value.subarray(0, room));
      total += room;
      truncated = value.byteLength > room || !(await reader.read().then((r) => r.done));
      break;
    }
    chunks.push(value);
    total += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { bytes, truncated };
}

function decode(bytes: Uint8Array, contentType: string): string {
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Metadata from an HTML string; pure apart from open-graph-scraper's parsing. */
export async function extractMetadata(html: string, pageUrl: string): Promise<PageMetadata> {
  let result: Record<string, unknown>;
  try {
    const answer = await ogs({ html, onlyGetOpenGraphInfo: false });
    result = answer.result as Record<string, unknown>;
  } catch (failure) {
    // open-graph-scraper rejects with its error result when a page has nothing to offer.
    result = ((failure as { result?: Record<string, unknown> }).result ?? {}) as Record<string, unknown>;
  }
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.replace(/\s+/g, ' ').trim() : undefined);
  let canonicalUrl: string | undefined;
  const rawCanonical = text(result.ogUrl);
  if (rawCanonical) {
    try {
      const resolved = new URL(rawCanonical, pageUrl).toString();
      canonicalUrl = parseHttpUrl(resolved) ? resolved : undefined;
    } catch {
      canonicalUrl = undefined;
    }
  }
  return {
    title: text(result.ogTitle) ?? text(result.twitterTitle) ?? text(result.dcTitle),
    description: text(result.ogDescription) ?? text(result.twitterDescription) ?? text(result.dcDescription),
    siteName: text(result.ogSiteName) ?? text(result.twitterSite),
    canonicalUrl,
  };
}
