// A local stand-in for Resend's HTTP API, as its documentation describes it, for the
// transport and webhook tests: POST /emails/batch with a bearer key, up to 100 emails,
// strict or permissive validation (x-batch-validation), Idempotency-Key (the same key
// and body answer the first answer again without sending; another body is a 409), and
// a per-second request limit answered with 429 rate_limit_exceeded and the
// ratelimit-*/retry-after headers. It can drop the answer to one accepted request (the
// request was processed, the client never hears). `signWebhook` signs an event the
// way Resend signs its webhooks (Svix: HMAC-SHA256 over "id.timestamp.body" with the
// base64 secret after "whsec_", sent as "v1,<base64>").
import { createHash, createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ResendEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  reply_to?: string | string[];
  headers?: Record<string, string>;
  tags?: Array<{ name: string; value: string }>;
}

export interface ResendStandIn {
  url: string;
  apiKey: string;
  /** Every email the stand-in accepted, once per send (idempotent repeats are not added again). */
  sent: ResendEmail[];
  /** Requests to /emails/batch, each with the number of emails in it and its answer's status. */
  requests: Array<{ size: number; status: number; idempotencyKey: string | undefined }>;
  /** Process the next accepted batch but cut the connection before answering. */
  dropNextAnswer(): void;
  /** Hangs up instead of answering the next n batch posts, new or repeated (what Resend took, it keeps). */
  dropAnswers(n: number): void;
  close(): Promise<void>;
}

export async function startResendStandIn(options: { requestsPerSecond?: number; refuse?: (email: ResendEmail) => string | undefined } = {}): Promise<ResendStandIn> {
  const apiKey = `re_${randomUUID().replace(/-/g, '')}`;
  const sent: ResendEmail[] = [];
  const requests: ResendStandIn['requests'] = [];
  const idempotent = new Map<string, { bodyHash: string; status: number; body: string }>();
  const window = { start: 0, count: 0 };
  let dropNext = false;
  /** Answers to hang up on, whether the batch is new or a repeat under a known key. */
  let dropAll = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        const text = JSON.stringify(body);
        if (req.url === '/emails/batch') requests.push({ size: Array.isArray(safeJson(raw)) ? (safeJson(raw) as unknown[]).length : 0, status, idempotencyKey: header('idempotency-key') });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
        return text;
      };
      const header = (name: string) => (req.headers[name] as string | undefined) ?? undefined;
      const error = (status: number, name: string, message: string, headers: Record<string, string> = {}) => answer(status, { statusCode: status, name, message }, headers);

      if (req.method !== 'POST' || req.url !== '/emails/batch') return error(404, 'not_found', 'The requested endpoint does not exist.');
      const auth = /^Bearer (\S+)$/.exec(header('authorization') ?? '');
      if (!auth) return error(401, 'missing_api_key', 'Missing API key in the authorization header.');
      if (auth[1] !== apiKey) return error(403, 'invalid_api_key', 'API key is invalid.');

      const limit = options.requestsPerSecond ?? 1000;
      const now = Date.now();
      if (now - window.start >= 1000) Object.assign(window, { start: now, count: 0 });
      const rateHeaders = (remaining: number) => ({ 'ratelimit-limit': String(limit), 'ratelimit-remaining': String(remaining), 'ratelimit-reset': '1' });
      if (++window.count > limit) return error(429, 'rate_limit_exceeded', `Too many requests. You can only make ${limit} requests per second.`, { ...rateHeaders(0), 'retry-after': '1' });

      const emails = safeJson(raw);
      if (!Array.isArray(emails) || emails.length === 0) return error(422, 'validation_error', 'The request body must be an array of emails.');
      if (emails.length > 100) return error(422, 'validation_error', 'Too many emails in the batch: the maximum is 100.');

      const key = header('idempotency-key');
      const bodyHash = createHash('sha256').update(raw).digest('hex');
      if (key) {
        if (key.length > 256) return error(422, 'invalid_idempotency_key', 'The key must be between 1-256 chars.');
        const earlier = idempotent.get(key);
        if (earlier && earlier.bodyHash !== bodyHash) return error(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload. Change your idempotency key or payload.');
        if (earlier && dropAll > 0) {
          dropAll--;
          requests.push({ size: emails.length, status: 0, idempotencyKey: key });
          return req.socket.destroy();
        }
        if (earlier) {
          requests.push({ size: emails.length, status: earlier.status, idempotencyKey: key });
          return res.writeHead(earlier.status, { 'content-type': 'application/json', ...rateHeaders(limit - window.count) }).end(earlier.body);
        }
      }

      const problems = (emails as ResendEmail[]).map((e, index) => ({ index, message: validate(e) ?? options.refuse?.(e) })).filter((p): p is { index: number; message: string } => p.message !== undefined);
      const permissive = header('x-batch-validation') === 'permissive';
      if (problems.length > 0 && !permissive) return error(422, 'validation_error', problems[0]!.message);
      const refused = new Set(problems.map((p) => p.index));
      const data: Array<{ id: string }> = [];
      (emails as ResendEmail[]).forEach((e, index) => {
        if (refused.has(index)) return;
        const id = randomUUID();
        sent.push({ ...e, id, to: ([] as string[]).concat(e.to) });
        data.push({ id });
      });
      const body = JSON.stringify(permissive ? { data, errors: problems } : { data });
      if (key) idempotent.set(key, { bodyHash, status: 200, body });
      if (dropNext || dropAll > 0) {
        if (dropNext) dropNext = false;
        else dropAll--;
        requests.push({ size: emails.length, status: 0, idempotencyKey: key });
        return req.socket.destroy();
      }
      requests.push({ size: emails.length, status: 200, idempotencyKey: key });
      res.writeHead(200, { 'content-type': 'application/json', ...rateHeaders(limit - window.count) }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey,
    sent,
    requests,
    dropNextAnswer: () => void (dropNext = true),
    dropAnswers: (n) => void (dropAll = n),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function validate(e: ResendEmail): string | undefined {
  if (!e || typeof e !== 'object') return 'Each email must be an object.';
  if (!e.from) return 'The `from` field is missing.';
  if (!e.to || ([] as string[]).concat(e.to).length === 0) return 'The `to` field is missing.';
  if (([] as string[]).concat(e.to).length > 50) return 'The `to` field can have at most 50 addresses.';
  if (!e.subject) return 'The `subject` field is missing.';
  if (!e.html && !e.text) return 'Either `html` or `text` must be provided.';
  for (const tag of e.tags ?? []) if (!/^[A-Za-z0-9_-]{1,256}$/.test(tag.name) || !/^[A-Za-z0-9_-]{1,256}$/.test(tag.value)) return 'Tags should only contain ASCII letters, numbers, underscores, or dashes.';
  return undefined;
}

/** The headers Resend sends with a webhook, signed for `body` at `timestamp` (seconds). */
export function signWebhook(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000), id = `msg_${randomUUID().replace(/-/g, '')}`): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'svix-id': id, 'svix-timestamp': String(timestamp), 'svix-signature': `v1,${signature}`, 'content-type': 'application/json' };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
