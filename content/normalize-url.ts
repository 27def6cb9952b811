// The one spelling of a URL that link de-duplication compares: two captures of the same
// page (one from a newsletter with utm_* parameters, one typed by hand with a trailing
// slash) must land on the same `link` document. Pure; used by capture, import and the
// fidelity check.
import { NewsdeskError } from '../core/errors.ts';

/**
 * Query parameters that only say how someone arrived, never which page it is. Exact names;
 * anything starting with `utm_` is dropped as well.
 */
export const trackingParameters: ReadonlySet<string> = new Set([
  'fbclid',
  'gclid',
  'dclid',
  'gbraid',
  'wbraid',
  'msclkid',
  'twclid',
  'li_fat_id',
  'igshid',
  'yclid',
  'mc_cid',
  'mc_eid',
  '_hsenc',
  '_hsmi',
  'mkt_tok',
  'oly_anon_id',
  'oly_enc_id',
  'vero_id',
  'ref_src',
  '__s',
  's_cid',
  'spm',
]);

function isTrackingParameter(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('utm_') || trackingParameters.has(lower);
}

/** Parses an http(s) URL, or undefined for anything else (relative, mailto:, javascript:, junk). */
export function parseHttpUrl(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}

/**
 * The comparison form of an http(s) URL: lower-case scheme and host (WHATWG URL does
 * that), no default port, no fragment, no tracking parameters, remaining parameters
 * sorted, no trailing slash on a path (the root keeps none either). "www." and http vs
 * https are kept apart on purpose: they can serve different sites.
 * Throws CAPTURE_FAILED for anything that is not an absolute http(s) URL.
 */
export function normaliseUrl(value: string): string {
  const url = parseHttpUrl(value);
  if (!url) {
    throw new NewsdeskError('CAPTURE_FAILED', `"${value}" is not an http:// or https:// URL`, {
      hint: 'Give the whole address, starting with https:// or http://.',
    });
  }
  // Each setter serialises the whole URL again: a part is set only when it has something
  // to change (most addresses have no fragment, credentials or query), which is a third of
  // what de-duplicating every link of an archive costs. `href` is read for "#" and "?" as
  // an empty fragment or query reads as "" yet is still there to remove.
  const href = url.href;
  if (href.includes('#')) url.hash = '';
  if (url.username) url.username = '';
  if (url.password) url.password = '';
  // Trailing dot in a host name is the same host.
  if (url.hostname.endsWith('.')) url.hostname = url.hostname.replace(/\.+$/, '');
  if (href.includes('?')) {
    const kept = [...url.searchParams].filter(([name]) => !isTrackingParameter(name));
    kept.sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1));
    url.search = new URLSearchParams(kept).toString();
  }
  let pathname = url.pathname.replace(/\/{2,}/g, '/');
  if (pathname.length > 1) pathname = pathname.replace(/\/+$/, '');
  if (pathname !== url.pathname) url.pathname = pathname;
  let out = url.toString();
  // URL keeps "/" for an empty path; the bare origin is the shorter, canonical spelling.
  if (url.pathname === '/' && url.search === '') out = out.replace(/\/$/, '');
  return out;
}

/**
 * The URL as given minus tracking parameters: what a stored link keeps, so another
 * newsletter's campaign tags never travel on in ours. Case, fragment and order are left
 * as the author wrote them.
 */
export function stripTrackingParameters(value: string): string {
  const url = parseHttpUrl(value);
  if (!url) return value.trim();
  const names = [...url.searchParams.keys()];
  if (!names.some(isTrackingParameter)) return url.toString();
  for (const name of new Set(names)) if (isTrackingParameter(name)) url.searchParams.delete(name);
  return url.toString();
}

/** True when both are http(s) URLs that normalise to the same string. */
export function isSameUrl(a: string, b: string): boolean {
  const ua = parseHttpUrl(a);
  const ub = parseHttpUrl(b);
  return ua !== undefined && ub !== undefined && normaliseUrl(a) === normaliseUrl(b);
}
