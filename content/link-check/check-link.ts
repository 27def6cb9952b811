// Checks one published address through the outbound fetch policy (public addresses
// only, every redirect checked, one deadline): HEAD first, GET when a server refuses HEAD,
// and only the answer's head is read — the body is dropped unread. Any error answer to HEAD
// is asked again with GET: some servers refuse HEAD (405, 403, 501) or answer it wrongly,
// and a link is called broken only on what a reader's browser would get. A 5xx, a time-out or a
// reset is tried once more before the link counts as broken.
import { fetchOutbound, OutboundFetchError, type OutboundLimits, type OutboundPolicy, type OutboundResponse } from '../capture/fetch-policy.ts';
import { linkKeyOf, type LinkCheckRecord, type LinkFailure, type LinkOutcome } from './link-health.ts';

export type LinkCheckResult = Omit<LinkCheckRecord, 'usedIn' | 'normalizedUrl'>;

export interface CheckLinkOptions {
  limits: Pick<OutboundLimits, 'timeoutMs' | 'maxRedirects'>;
  /** Which addresses may be fetched: public ones on ports 80/443 unless this allows more. */
  policy?: OutboundPolicy;
  /** Tries after the first for a 5xx, a time-out or a reset (default 1). */
  retries?: number;
  /** Waited before a retry, so a struggling site is not hit again at once. */
  retryDelayMs?: number;
  signal?: AbortSignal;
  userAgent?: string;
  now?: () => Date;
}

const defaultUserAgent = 'newsdesk-link-check/0.1 (+https://github.com/newsdesk)';
const permanentRedirects = new Set([301, 308]);

type Attempt = { kind: 'answer'; fetched: OutboundResponse } | { kind: 'failure'; failure: LinkFailure; detail: string };

async function attempt(url: string, method: 'HEAD' | 'GET', options: CheckLinkOptions): Promise<Attempt> {
  try {
    const fetched = await fetchOutbound(url, {
      method,
      limits: { ...options.limits, maxBytes: 0 },
      policy: options.policy,
      signal: options.signal,
      headers: { accept: '*/*', 'user-agent': options.userAgent ?? defaultUserAgent },
    });
    // Status and headers are all a check needs: the body is never read.
    await fetched.response.body?.cancel().catch(() => undefined);
    return { kind: 'answer', fetched };
  } catch (error) {
    if (!(error instanceof OutboundFetchError)) return { kind: 'failure', failure: 'network', detail: (error as Error).message };
    return { kind: 'failure', failure: failureOf(error), detail: error.message };
  }
}

function failureOf(error: OutboundFetchError): LinkFailure {
  switch (error.failure) {
    case 'refused':
      return 'blocked-by-policy';
    case 'timeout':
    case 'redirect-loop':
    case 'too-many-redirects':
      return error.failure;
    default:
      switch (error.code) {
        case 'ECONNRESET':
        case 'EPIPE':
          return 'reset';
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
        case 'EAI_NODATA':
          return 'dns';
        case 'ECONNREFUSED':
          return 'refused';
        case 'ETIMEDOUT':
          return 'timeout';
        default:
          // Node reports a peer that hung up mid-answer without an errno of its own.
          return /socket hang up|ECONNRESET/i.test(error.message) ? 'reset' : 'network';
      }
  }
}

const transient = (a: Attempt) => (a.kind === 'failure' ? a.failure === 'timeout' || a.failure === 'reset' : a.fetched.response.status >= 500);

/** HEAD, then GET when HEAD was refused; tried again on a transient failure. */
export async function checkLink(url: string, options: CheckLinkOptions): Promise<LinkCheckResult> {
  const retries = options.retries ?? 1;
  let result: Attempt;
  for (let tries = 0; ; tries++) {
    result = await attempt(url, 'HEAD', options);
    if (result.kind === 'answer' && result.fetched.response.status >= 400) result = await attempt(url, 'GET', options);
    if (!transient(result) || tries >= retries || options.signal?.aborted) break;
    if (options.retryDelayMs) await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs));
  }
  const checkedAt = (options.now?.() ?? new Date()).toISOString();
  if (result.kind === 'failure') {
    const outcome: LinkOutcome = result.failure === 'blocked-by-policy' ? 'unknown' : 'broken';
    return { url, outcome, failure: result.failure, detail: result.detail, finalUrl: url, redirects: 0, checkedAt };
  }
  const { response, finalUrl, redirects } = result.fetched;
  const status = response.status;
  // Where the permanent redirects at the start of the chain lead: a temporary hop after
  // them may point anywhere tomorrow, so it is not where the link should go.
  let movedTo: string | undefined;
  for (const hop of redirects) {
    if (!permanentRedirects.has(hop.status)) break;
    movedTo = hop.location;
  }
  if (movedTo !== undefined && linkKeyOf(movedTo) === linkKeyOf(url)) movedTo = undefined;
  return { url, outcome: outcomeOf(status, movedTo), status, finalUrl, ...(movedTo ? { movedTo } : {}), redirects: redirects.length, checkedAt };
}

function outcomeOf(status: number, movedTo: string | undefined): LinkOutcome {
  if (status === 404 || status === 410 || status >= 500) return 'broken';
  // 401, 403, 429…: the site turned the checker away; a 3xx without a Location says nothing.
  if (status >= 300) return 'unknown';
  return movedTo ? 'moved' : 'ok';
}
