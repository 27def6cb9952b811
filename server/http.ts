// What every route family shares: the one table of JSON error answers, the server's
// own pages inside the site's layout, the newsletter settings cache, body limits and
// the small request helpers (JSON or form, bearer token, client address).
import { getConnInfo } from '@hono/node-server/conninfo';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { loadSettings } from '../content/load.ts';
import type { Settings } from '../content/model.ts';
import type { ContentStore } from '../content/store.ts';
import type { RenderContext } from '../core/render.ts';
import { parseJsonText, RequestBodyError } from '../core/request-body.ts';
import { renderServerPage, type ServerPage } from './pages.tsx';

/** Request bodies: forms and small JSON; the webhook carries a whole document. */
export const bodyLimits = { form: 16 * 1024, webhook: 1024 * 1024, capture: 64 * 1024 } as const;

/** Every JSON error the server answers with: its status and what the reader (or client) is told. */
export const apiErrors = {
  invalid: { status: 400, message: 'Please check the request.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  bad_signature: { status: 401, message: 'Missing, invalid or expired signature.' },
  webhook_disabled: { status: 401, message: 'Set SANITY_WEBHOOK_SECRET on the server to accept Sanity webhooks.' },
  ses_webhook_disabled: { status: 401, message: 'Set SES_SNS_TOPIC_ARNS on the server to accept SES notifications through SNS.' },
  resend_webhook_disabled: { status: 401, message: "Set RESEND_WEBHOOK_SECRET on the server (the webhook's signing secret) to accept Resend events." },
  unauthorized: { status: 401, message: 'The preview secret is missing or wrong.' },
  previews_disabled: { status: 403, message: 'Previews are off: set NEWSDESK_PREVIEW_SECRET on the server (and the same value as SANITY_STUDIO_PREVIEW_SECRET for the Studio).' },
  forbidden: { status: 403, message: 'Cross-site form posts are refused.' },
  not_found: { status: 404, message: 'Nothing answers this request.' },
  send_refused: { status: 409, message: 'The send cannot be scheduled or started as things are.' },
  too_large: { status: 413, message: 'The request body is too large.' },
  unsupported: { status: 415, message: 'Send the form as application/x-www-form-urlencoded, multipart/form-data or application/json.' },
  invalid_draft: { status: 422, message: 'This draft cannot be used yet.' },
  rate_limited: { status: 429, message: 'Too many requests; try again later.' },
  internal: { status: 500, message: 'Something went wrong on our side; please try again.' },
  send_failed: { status: 502, message: 'The test email could not be sent.' },
  busy: { status: 503, message: 'The server is busy; please try again in a moment.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ApiError = keyof typeof apiErrors;

/** A JSON error from the table; `message` and extra fields refine it for this request. */
export function jsonError(c: Context, error: ApiError, extra: { message?: string; [key: string]: unknown } = {}): Response {
  const { status, message } = apiErrors[error];
  c.header('cache-control', 'no-store');
  return c.json({ ok: false, error, message, ...extra }, status);
}

/** The newsletter settings, loaded once and kept until a webhook says content changed. */
export class SettingsCache {
  readonly #store: ContentStore;
  #settings: Promise<Settings> | undefined;

  constructor(store: ContentStore) {
    this.#store = store;
  }

  get(): Promise<Settings> {
    this.#settings ??= loadSettings(this.#store).catch((error: unknown) => {
      this.#settings = undefined;
      throw error;
    });
    return this.#settings;
  }

  invalidate(): void {
    this.#settings = undefined;
  }
}

/** Renders the server's own pages (no-store, Retry-After when rate limited); a plain-text answer when even the settings fail. */
export function pageResponder(renderContext: () => Promise<RenderContext>) {
  const page = async (c: Context, p: ServerPage, status = 200): Promise<Response> => {
    c.header('cache-control', 'no-store');
    if (p.kind === 'rate-limited') c.header('retry-after', String(p.retryAfterSeconds));
    return c.html(renderServerPage(p, await renderContext()), status as 200);
  };
  const safePage = async (c: Context, p: ServerPage, status: number): Promise<Response> => {
    try {
      return await page(c, p, status);
    } catch {
      return c.text(p.kind === 'forbidden' ? 'Request refused.' : 'Something went wrong; please try again.', status as 500);
    }
  };
  return { page, safePage };
}

export type Pages = ReturnType<typeof pageResponder>;

export function limitBody(maxSize: number, pages: Pages) {
  return bodyLimit({
    maxSize,
    onError: async (c) => (prefersJson(c) ? jsonError(c, 'too_large', { message: `The request body is larger than ${maxSize} bytes.` }) : pages.page(c, { kind: 'too-large' }, 413)),
  });
}

export function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

export function isJsonRequest(c: Context): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(c.req.header('content-type') ?? '');
}

export function prefersJson(c: Context): boolean {
  if (isJsonRequest(c)) return true;
  const accept = c.req.header('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/**
 * The JSON body; malformed, empty or too deeply nested JSON is answered with a 400 that
 * says so (thrown, for app.onError to send). The size limit is the route's limitBody.
 */
export async function readJson(c: Context): Promise<unknown> {
  try {
    return parseJsonText(await c.req.text());
  } catch (error) {
    if (error instanceof RequestBodyError) throw new HTTPException(400, { res: jsonError(c, 'invalid_json', { message: error.message }) });
    throw error;
  }
}

/** Form or JSON body as a plain object; undefined for other content types. */
export async function readBody(c: Context): Promise<Record<string, unknown> | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (isJsonRequest(c)) {
    const value = await readJson(c);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  }
  if (/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
    return (await c.req.parseBody().catch(() => ({}))) as Record<string, unknown>;
  }
  return undefined;
}

export function bearer(c: Context): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
}

/** Constant-time comparison; hashing first makes the lengths equal. */
export function secretsMatch(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}
