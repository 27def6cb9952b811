// Fetches a captured page's metadata (title, description, site name, canonical URL)
// through the outbound fetch policy (fetch-policy.ts: public addresses only, one
// time-out, redirects checked and capped, the body read only up to a byte limit — the
// metadata lives in <head>, so a huge page is cut, not refused), and leaves anything
// that is not HTML unparsed. The HTML is handed to open-graph-scraper, which does the
// Open Graph / Twitter / <title> / <link rel=canonical> fallbacks.
import ogs from 'open-graph-scraper';
import { parseHttpUrl } from '../normalize-url.ts';
import { fetchOutbound, OutboundFetchError, readBodyLimited, type OutboundLimits, type OutboundPolicy } from './fetch-policy.ts';

export type FetchLimits = OutboundLimits;

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
  /**
   * Could not be fetched now (time-out, connection refused, redirect loop, 5xx…): worth
   * retrying later; `refused` when the fetch policy will not fetch it at all.
   */
  | { status: 'unreachable'; reason: string; refused?: true };

export type FetchPage = (url: string) => Promise<PageFetch>;

export interface FetchPageOptions {
  limits: FetchLimits;
  /** Which addresses may be fetched: public ones on ports 80/443 unless this allows more (tests). */
  policy?: OutboundPolicy;
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
  try {
    const { response, finalUrl } = await fetchOutbound(url, {
      limits: options.limits,
      policy: options.policy,
      signal: options.signal,
      headers: {
        accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5',
        'user-agent': options.userAgent ?? defaultUserAgent,
      },
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return { status: 'unreachable', reason: `HTTP ${response.status}` };
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!/^\s*(text\/html|application\/xhtml\+xml)\b/i.test(contentType)) {
      await response.body?.cancel().catch(() => undefined);
      return { status: 'not-html', finalUrl, contentType: contentType.split(';')[0]!.trim() || '(none)' };
    }
    const { bytes, truncated } = await readBodyLimited(response, options.limits.maxBytes);
    const html = decode(bytes, contentType);
    return { status: 'fetched', finalUrl, metadata: await extractMetadata(html, finalUrl), truncated };
  } catch (error) {
    if (error instanceof OutboundFetchError) return error.refused ? { status: 'unreachable', reason: `refused: ${error.message}`, refused: true } : { status: 'unreachable', reason: error.message };
    if (options.signal?.aborted) return { status: 'unreachable', reason: 'stopped' };
    return { status: 'unreachable', reason: (error as Error).message };
  }
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
