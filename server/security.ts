// Response headers and origin rules. Site pages get a strict CSP (no inline scripts or
// styles, scripts only the site's own: the reader search) and may not be framed; previews may be framed by the Studio only;
// the email preview, whose HTML must carry inline styles to look like a mail client,
// is sandboxed instead (no scripts, no forms, no same-origin access).
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** Origins that may embed previews and call the preview API, as CSP source expressions. */
export function frameAncestors(studioOrigins: readonly string[]): string {
  return ["'self'", ...studioOrigins].join(' ');
}

/** Whether an Origin header value is one of the Studio origins (patterns may start with "*."). */
export function isStudioOrigin(origin: string, studioOrigins: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return studioOrigins.some((pattern) => {
    const wildcard = /^(https?):\/\/\*\.(.+)$/i.exec(pattern);
    if (!wildcard) return origin.toLowerCase() === pattern.toLowerCase();
    const [, scheme, suffix] = wildcard as unknown as [string, string, string];
    return url.protocol === `${scheme.toLowerCase()}:` && url.host.toLowerCase().endsWith(`.${suffix.toLowerCase()}`);
  });
}

const siteCsp = {
  defaultSrc: ["'self'"],
  // The reader search box's script (search.js) and nothing else: no inline code, no eval.
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  // Issue pages show images from the CMS's CDN.
  imgSrc: ["'self'", 'https:', 'data:'],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export function securityHeaders(options: { studioOrigins: readonly string[]; https: boolean }): MiddlewareHandler {
  const common = {
    // Static files are fetched cross-origin by feed readers and webmail image proxies.
    crossOriginResourcePolicy: false,
    referrerPolicy: 'no-referrer',
    // HSTS over plain http is ignored by browsers and misleading in a dev setup.
    strictTransportSecurity: options.https ? 'max-age=15552000' : false,
    // Route handlers may set their own CSP (the email preview); theirs wins.
    overwrite: false,
  } as const;
  const site = secureHeaders({ ...common, xFrameOptions: 'DENY', contentSecurityPolicy: siteCsp });
  const preview = secureHeaders({
    ...common,
    xFrameOptions: false,
    contentSecurityPolicy: { ...siteCsp, frameAncestors: ["'self'", ...options.studioOrigins] },
  });
  return (c, next) => (c.req.path.startsWith('/preview/') ? preview(c, next) : site(c, next));
}

/** CSP for the email preview: inline styles allowed (mail HTML needs them), everything active off. */
export function emailPreviewCsp(studioOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src 'self' https: data:",
    "font-src https:",
    `frame-ancestors ${frameAncestors(studioOrigins)}`,
    "base-uri 'none'",
    "form-action 'none'",
    'sandbox allow-popups allow-popups-to-escape-sandbox',
  ].join('; ');
}
