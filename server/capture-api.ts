// The capture API behind the bookmarklet: `POST /api/links` with a bearer token and a
// JSON body {url, tags?, note?, foundAt?}. A web-standard handler (Request in, Response
// out) so the HTTP server can mount it as it is, and tests can call it directly. CORS
// is open because the caller is a bookmarklet running on any page; that is safe since
// the only credential is the bearer token, never a cookie.
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { formatZodIssues } from '../core/errors.ts';
import { readJsonBody, RequestBodyError } from '../core/request-body.ts';
import { captureLink, type CaptureDeps, type CaptureOutcome } from '../content/capture/capture-link.ts';
import { describeLinkedIn, loadLinkedIn } from '../content/capture/linked-in.ts';
import type { ContentStore } from '../content/store.ts';

export interface CaptureApiDeps extends CaptureDeps {
  store: ContentStore;
  /** config.server.apiToken; when unset the API answers 503 rather than accepting anyone. */
  apiToken: string | undefined;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
}

export const captureRequestSchema = z.strictObject({
  url: z.string().trim().min(1, 'is required').max(4096),
  tags: z.array(z.string().trim().min(1).max(100)).max(20).optional(),
  note: z.string().max(4000).optional(),
  foundAt: z.string().max(500).optional(),
});
export type CaptureRequest = z.infer<typeof captureRequestSchema>;

const corsHeaders = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
} as const;

function json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...corsHeaders, ...extra },
  });
}

/** Compares secrets in time that does not depend on where they differ (hashing first equalises lengths). */
export function tokensMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

const statusFor: Record<CaptureOutcome['kind'], number> = { created: 201, offline: 201, merged: 200, invalid: 400 };

export async function handleCaptureRequest(request: Request, deps: CaptureApiDeps): Promise<Response> {
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: corsHeaders });
  if (request.method !== 'POST') return json(405, { error: 'method_not_allowed', message: 'Use POST.' }, { allow: 'POST, OPTIONS' });

  if (!deps.apiToken) {
    return json(503, { error: 'capture_disabled', message: 'The capture API is off: set NEWSDESK_API_TOKEN on the server to turn it on.' });
  }
  const auth = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!match) {
    return json(401, { error: 'missing_token', message: 'Send the API token as "Authorization: Bearer <token>".' }, { 'www-authenticate': 'Bearer realm="newsdesk"' });
  }
  if (!tokensMatch(match[1]!, deps.apiToken)) {
    return json(401, { error: 'wrong_token', message: 'The API token is not right.' }, { 'www-authenticate': 'Bearer realm="newsdesk", error="invalid_token"' });
  }

  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
    return json(415, { error: 'unsupported_media_type', message: 'Send a JSON body with content-type: application/json.' });
  }
  const limit = deps.maxBodyBytes ?? 16_384;
  let body: unknown;
  try {
    body = await readJsonBody(request, limit);
  } catch (error) {
    if (!(error instanceof RequestBodyError)) throw error;
    if (error.reason === 'too_large') return json(413, { error: 'too_large', message: `The body may be at most ${limit} bytes.` });
    return json(400, { error: 'invalid_json', message: error.message });
  }
  const parsed = captureRequestSchema.safeParse(body);
  if (!parsed.success) {
    return json(400, { error: 'invalid_request', message: 'The request does not fit {url, tags?, note?, foundAt?}.', problems: formatZodIssues(parsed.error.issues) });
  }

  try {
    // Reading the published issues takes as long as the archive is big: do it while the page is fetched.
    const [outcome, linkedInLookup] = await Promise.all([captureLink(deps.store, parsed.data, deps), loadLinkedIn(deps.store)]);
    if (outcome.kind === 'invalid') return json(400, { error: 'invalid_url', outcome: outcome.kind, url: outcome.url, message: outcome.message });
    // The address as given and the one it was merged into may differ (canonical, redirect).
    const linkedIn = linkedInLookup([parsed.data.url, outcome.url]);
    // The bookmarklet shows only the message, so it says it too.
    const message = linkedIn.length ? `${outcome.message}; already linked in ${describeLinkedIn(linkedIn)}` : outcome.message;
    return json(statusFor[outcome.kind], { outcome: outcome.kind, id: outcome.id, url: outcome.url, title: outcome.title ?? null, message, linkedIn });
  } catch (error) {
    return json(500, { error: 'capture_failed', message: (error as Error).message });
  }
}

/**
 * The bookmarklet: a javascript: URL that posts the current page to the capture API,
 * asking for tags and a note first. It carries the token, so it is printed for the
 * editor's own browser only.
 */
export function buildBookmarklet(baseUrl: string, apiToken: string): string {
  const endpoint = `${baseUrl.replace(/\/+$/, '')}/api/links`;
  const source = `(function(){
var u=${JSON.stringify(endpoint)};
var a=prompt('newsdesk: tags, comma separated (then | and a note)','');
if(a===null)return;
var p=a.split('|'),t=p.shift().split(',').map(function(s){return s.trim()}).filter(Boolean),n=p.join('|').trim();
var b={url:location.href,tags:t};if(n)b.note=n;if(document.referrer)b.foundAt=document.referrer;
fetch(u,{method:'POST',headers:{'content-type':'application/json',authorization:'Bearer '+${JSON.stringify(apiToken)}},body:JSON.stringify(b)})
.then(function(r){return r.json()}).then(function(j){alert('newsdesk: '+j.message)})
.catch(function(e){alert('newsdesk: could not reach '+u+' ('+e+')')});
})();`;
  return `javascript:${encodeURIComponent(source.replace(/\n/g, ''))}`;
}
