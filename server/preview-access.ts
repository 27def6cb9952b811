// Who may use the Studio's endpoints on this server (previews, test sends, scheduling
// and watching sends): calls from the Studio's origins (CORS), proving themselves with
// NEWSDESK_PREVIEW_SECRET or, when the local Studio is served here, the Studio's token.
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { Config } from '../core/config.ts';
import { jsonError, secretsMatch } from './http.ts';
import { isStudioOrigin } from './security.ts';

export interface StudioAccess {
  cors: MiddlewareHandler;
  /** The refusal to answer with, or undefined when `given` is an accepted secret. */
  refusal(c: Context, given: string | undefined): Response | undefined;
}

export function studioAccess(config: Pick<Config, 'server'>, studioToken: string | undefined): StudioAccess {
  return {
    cors: cors({
      origin: (origin) => (isStudioOrigin(origin, config.server.studioOrigins) ? origin : null),
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    }),
    refusal(c, given) {
      const accepted = [config.server.previewSecret, studioToken].filter((s): s is string => Boolean(s));
      c.header('cache-control', 'no-store');
      if (accepted.length === 0) return jsonError(c, 'previews_disabled');
      if (!given || !accepted.some((expected) => secretsMatch(given, expected))) return jsonError(c, 'unauthorized');
      return undefined;
    },
  };
}
