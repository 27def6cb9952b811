// The one way newsdesk fetches an address a person or a page gave it (link capture,
// enrichment, and any future preview or link check): public addresses only, so an API
// token holder cannot make the server read its own admin pages, the cloud metadata
// service or the office network. Every hop is checked after name resolution, and the
// connection goes to the very address that was checked (the check runs inside the
// socket's `lookup`, so a name that changes its answer between check and connect —
// DNS rebinding — gains nothing). Redirects are followed here, by hand, each one checked
// again; only ports 80 and 443; one deadline for the whole exchange; bodies read up to a
// byte limit and then cut.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';

export interface OutboundPolicy {
  /** Ports any public address may be reached on; 80 and 443 unless set. */
  ports?: readonly number[];
  /**
   * Exact "address:port" pairs (e.g. "127.0.0.1:8080", "[::1]:8080") that may be reached
   * although private or on another port. For tests and a deliberate intranet setup only;
   * nothing is allowed by default.
   */
  allowPrivateAddresses?: readonly string[];
  /** Name resolution; the system resolver (dns.lookup, every address) unless set. Seam for tests. */
  resolve?: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
}

export interface OutboundLimits {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
}

export interface OutboundRequest {
  limits: OutboundLimits;
  /** GET unless set; a link check asks HEAD first. Redirects keep the method. */
  method?: 'GET' | 'HEAD';
  policy?: OutboundPolicy;
  headers?: Record<string, string>;
  /** Stops the fetch early (e.g. the CLI's SIGINT). */
  signal?: AbortSignal;
}

/** The answer of the last hop, and where it came from; read its body with readBodyLimited. */
export interface OutboundResponse {
  response: Response;
  finalUrl: string;
  /** Each redirect followed, in order: the status that sent the fetch on, and where to. */
  redirects: Array<{ status: number; location: string }>;
}

/** Why a fetch failed, for callers that sort failures (a link check's report). */
export type OutboundFailure = 'refused' | 'timeout' | 'redirect-loop' | 'too-many-redirects' | 'stopped' | 'network';

/** A fetch that did not happen or did not finish; `refused` when the policy said no. */
export class OutboundFetchError extends Error {
  constructor(
    message: string,
    readonly refused: boolean,
    readonly failure: OutboundFailure = refused ? 'refused' : 'network',
    /** The system's error code for a network failure (ECONNRESET, ENOTFOUND…). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'OutboundFetchError';
  }
}

const defaultPorts: readonly number[] = [80, 443];

// Addresses that are not on the public internet (IANA special-purpose registries).
const notPublicV4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'an unspecified ("this network") address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a carrier-grade NAT address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address (cloud metadata lives here)'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'an IETF protocol address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.88.99.0', 24, 'a 6to4 relay address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved or broadcast address'],
];
const notPublicV6: Array<[string, number, string]> = [
  ['::', 128, 'an unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['64:ff9b:1::', 48, 'a local NAT64 address'],
  ['100::', 64, 'a discard-only address'],
  ['2001::', 23, 'an IETF protocol address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['2002::', 16, 'a 6to4 address (it can embed any IPv4 address)'],
  ['fc00::', 7, 'a unique-local (private) address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];

// One BlockList per range so the refusal can say which kind of address it was. IPv4 ranges
// are checked as IPv4 only: a BlockList also matches IPv4-mapped IPv6 against them,
// which the mapped-address rule below refuses anyway.
const v4Ranges = notPublicV4.map(([network, prefix, kind]) => ({ list: blockListOf(network, prefix, 'ipv4'), kind }));
const v6Ranges = notPublicV6.map(([network, prefix, kind]) => ({ list: blockListOf(network, prefix, 'ipv6'), kind }));
const mappedV6 = blockListOf('::ffff:0:0', 96, 'ipv6');
const compatibleV6 = blockListOf('::', 96, 'ipv6');
const nat64 = blockListOf('64:ff9b::', 96, 'ipv6');

function blockListOf(network: string, prefix: number, type: 'ipv4' | 'ipv6'): net.BlockList {
  const list = new net.BlockList();
  list.addSubnet(network, prefix, type);
  return list;
}

/** Why an IP address is not public, or undefined when it is. */
export function whyNotPublic(address: string): string | undefined {
  const family = net.isIP(address);
  if (family === 4) return v4Ranges.find((r) => r.list.check(address, 'ipv4'))?.kind;
  if (family !== 6) return 'not an IP address';
  // Mapped (::ffff:a.b.c.d) and compatible (::a.b.c.d) forms reach IPv4 hosts: refused whole.
  if (mappedV6.check(address, 'ipv6')) return 'an IPv4-mapped IPv6 address';
  const own = v6Ranges.find((r) => r.list.check(address, 'ipv6'))?.kind;
  if (own) return own;
  if (compatibleV6.check(address, 'ipv6')) return 'an IPv4-compatible IPv6 address';
  // NAT64 is public only for the public IPv4 address it embeds.
  if (nat64.check(address, 'ipv6')) {
    const embedded = embeddedV4(address);
    const why = embedded ? whyNotPublic(embedded) : 'a NAT64 address';
    return why ? `a NAT64 address for ${why}` : undefined;
  }
  return undefined;
}

function embeddedV4(address: string): string | undefined {
  const groups = expandV6(address);
  if (!groups) return undefined;
  const [hi, lo] = [groups[6]!, groups[7]!];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

function expandV6(address: string): number[] | undefined {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -dotted[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (tail === undefined && fill !== 0)) return undefined;
  return [...left, ...Array<number>(fill).fill(0), ...right];
}

/** The refusal for connecting to this address and port, or undefined when the policy allows it. */
export function checkDestination(address: string, port: number, policy: OutboundPolicy = {}): string | undefined {
  const allowance = net.isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
  if (policy.allowPrivateAddresses?.includes(allowance)) return undefined;
  const why = whyNotPublic(address);
  if (why) return `${address} is ${why}; newsdesk only fetches pages on public addresses`;
  const ports = policy.ports ?? defaultPorts;
  if (!ports.includes(port)) return `port ${port} is not allowed; newsdesk only fetches pages on port ${ports.join(' or ')}`;
  return undefined;
}

const systemResolve = async (hostname: string) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** A socket `lookup` that resolves, keeps only the addresses the policy allows, and connects to one of those. */
function checkedLookup(policy: OutboundPolicy, port: number): LookupFunction {
  const resolve = policy.resolve ?? systemResolve;
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const refusals: string[] = [];
        const allowed = found.filter((entry) => {
          const refusal = checkDestination(entry.address, port, policy);
          if (refusal) refusals.push(refusal);
          return refusal === undefined && (!options.family || options.family === entry.family);
        });
        if (allowed.length === 0) {
          const reason = refusals[0] ? `${hostname} resolves only to addresses newsdesk does not fetch: ${refusals[0]}` : `${hostname} has no address`;
          callback(new OutboundFetchError(reason, refusals.length > 0, undefined, refusals.length > 0 ? undefined : 'ENOTFOUND'), '', 0);
          return;
        }
        if (options.all) (callback as unknown as (e: null, a: typeof allowed) => void)(null, allowed);
        else callback(null, allowed[0]!.address, allowed[0]!.family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}

/**
 * GETs a URL under the policy, following up to limits.maxRedirects redirects, each
 * checked like the first. Throws OutboundFetchError (refused, loop, too many redirects,
 * time-out, network failure); any HTTP status of the last hop is returned as is.
 */
export async function fetchOutbound(url: string, request: OutboundRequest): Promise<OutboundResponse> {
  const { limits, policy = {} } = request;
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  const seen = new Set<string>();
  const redirects: OutboundResponse['redirects'] = [];
  let current = url;
  try {
    for (let hops = 0; ; hops++) {
      seen.add(current);
      const response = await requestOnce(current, request.method ?? 'GET', policy, request.headers ?? {}, signal);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => undefined);
        const next = new URL(location, current).toString();
        if (seen.has(next)) throw new OutboundFetchError(`redirect loop at ${next}`, false, 'redirect-loop');
        if (hops + 1 > limits.maxRedirects) throw new OutboundFetchError(`more than ${limits.maxRedirects} redirects`, false, 'too-many-redirects');
        redirects.push({ status: response.status, location: next });
        current = next;
        continue;
      }
      return { response, finalUrl: current, redirects };
    }
  } catch (error) {
    if (error instanceof OutboundFetchError) throw error;
    if (timeout.aborted) throw new OutboundFetchError(`no answer within ${limits.timeoutMs} ms`, false, 'timeout');
    if (request.signal?.aborted) throw new OutboundFetchError('stopped', false, 'stopped');
    const code = (error as NodeJS.ErrnoException).code;
    throw new OutboundFetchError(code ?? (error as Error).message, false, 'network', code);
  }
}

function requestOnce(target: string, method: 'GET' | 'HEAD', policy: OutboundPolicy, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return Promise.reject(new OutboundFetchError(`${target} is not a URL`, true));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new OutboundFetchError(`${target} is not an http(s) address`, true));
  }
  if (url.username || url.password) return Promise.reject(new OutboundFetchError('addresses with a user name or password are not fetched', true));
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  // The WHATWG parser already turned 2130706433, 0x7f000001 and 127.1 into 127.0.0.1.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // Node connects to an IP literal without calling lookup, so literals are checked here.
  if (net.isIP(host)) {
    const refusal = checkDestination(host, port, policy);
    if (refusal) return Promise.reject(new OutboundFetchError(refusal, true));
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = client.request(
      url,
      {
        method,
        headers,
        signal,
        // A fresh connection each time: a pooled socket would skip the checked lookup.
        agent: false,
        lookup: checkedLookup(policy, port),
      },
      (incoming) => {
        const responseHeaders = new Headers();
        for (let i = 0; i < incoming.rawHeaders.length; i += 2) responseHeaders.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!);
        const status = incoming.statusCode ?? 502;
        const bodyless = method === 'HEAD' || status === 204 || status === 205 || status === 304 || status < 200;
        if (bodyless) incoming.resume();
        const body = bodyless ? null : (Readable.toWeb(incoming) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status: status < 200 ? 502 : status, headers: responseHeaders }));
      },
    );
    outgoing.on('error', (error) => reject(error));
    outgoing.end();
  });
}

/** Reads a body up to maxBytes and stops there (the rest is never downloaded). */
export async function readBodyLimited(response: Response, maxBytes: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
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
