// The local Studio beside the site: the built Studio under /studio/ and the local
// Content Lake under /lake/, on the same origin as `newsdesk serve`'s own routes, so the
// editor's browser talks to one server (one certificate, no cross-origin requests).
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContentLake } from '../content/lake/lake.ts';
import { StaticSite } from './static.ts';
import { interPackageDir, makeStudioPageOffline, removeHostedFontFaces, studioFontsPath } from './studio-offline.ts';

export const studioPaths = { studio: '/studio', lake: '/lake' } as const;

/** The built Studio (`npm run studio:build`). */
export const defaultStudioDir = path.resolve(import.meta.dirname, '../studio-dist');

export interface StudioHost {
  /** The response for a Studio or lake path; undefined for every other path. */
  fetch(request: Request): Promise<Response> | Response | undefined;
  /** Takes over the Studio's WebSocket upgrade; false for any other upgrade. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

/** `lake` may still be opening (`newsdesk studio` listens first): its requests wait for it, the Studio's files do not. */
export function createStudioHost(lake: ContentLake | Promise<ContentLake>, studioDir: string = defaultStudioDir): StudioHost {
  const files = new StaticSite(studioDir);
  const fonts = new StaticSite(path.join(interPackageDir, 'files'));
  let open: ContentLake | undefined = lake instanceof Promise ? undefined : lake;
  if (lake instanceof Promise) lake.then((l) => (open = l)).catch(() => undefined);
  return {
    fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === studioPaths.lake || url.pathname.startsWith(`${studioPaths.lake}/`)) {
        url.pathname = url.pathname.slice(studioPaths.lake.length) || '/';
        const forward = new Request(url, request);
        return open ? open.fetch(forward) : Promise.resolve(lake).then((l) => l.fetch(forward));
      }
      if (url.pathname === studioPaths.studio) return Response.redirect(new URL(`${studioPaths.studio}/${url.search}${url.hash}`, url), 301);
      if (url.pathname.startsWith(`${studioFontsPath}/`)) return serveFont(fonts, request, url.pathname.slice(studioFontsPath.length));
      if (url.pathname.startsWith(`${studioPaths.studio}/`)) return serveStudio(files, request, url.pathname.slice(studioPaths.studio.length));
      return undefined;
    },
    upgrade(request, socket, head) {
      const pathname = new URL(request.url ?? '/', 'http://lake').pathname;
      if (!pathname.startsWith(`${studioPaths.lake}/`)) return false;
      const rest = pathname.slice(studioPaths.lake.length);
      if (open) return open.handleUpgrade(request, socket, head, rest);
      // Still opening: hold the socket until the lake can say whether it is its own.
      Promise.resolve(lake).then(
        (l) => {
          if (!l.handleUpgrade(request, socket, head, rest)) socket.destroy();
        },
        () => socket.destroy(),
      );
      return true;
    },
  };
}

/**
 * The local Studio talks to nothing but this server: the policy keeps it from calling
 * Sanity's hosted services (version checks, telemetry, feedback) that would fail offline
 * and tell a third party the editor is at work.
 */
export const studioCsp = [
  "default-src 'self'",
  // The built page starts with one inline script (its error overlay).
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-src 'self'",
  "frame-ancestors 'self'",
  "base-uri 'self'",
  "object-src 'none'",
].join('; ');

/** A file of the built Studio, or its index.html for the Studio's own routes (/studio/structure/…). */
async function serveStudio(files: StaticSite, request: Request, sitePath: string): Promise<Response> {
  const indexFile = path.join(files.root, 'index.html');
  if (!fs.existsSync(indexFile)) {
    return new Response('The Studio has not been built yet: run `npm run studio:build`, then reload.', { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }
  // A stylesheet is rewritten below, so it is read as it is on disk (uncompressed).
  const result = sitePath === '/' || sitePath === '/index.html' ? ({ kind: 'miss' } as const) : await files.serve(request, sitePath, { compress: !sitePath.endsWith('.css') });
  if (result.kind === 'file' && result.response.status === 200 && sitePath.endsWith('.css')) {
    // Built stylesheets are a few hundred kB at most: rewritten on each (cached) request.
    const headers = new Headers(result.response.headers);
    headers.delete('content-length');
    const css = request.method === 'HEAD' ? null : removeHostedFontFaces(await result.response.text());
    return withStudioHeaders(new Response(css, { status: 200, headers }));
  }
  if (result.kind === 'file') return withStudioHeaders(result.response);
  if (result.kind === 'redirect') return Response.redirect(new URL(`${studioPaths.studio}${result.location}`, request.url), 301);
  if (/\.[a-z0-9]+$/i.test(sitePath) && sitePath !== '/index.html') return new Response('Not found.', { status: 404 });
  // The Studio's own routes all load index.html, made to ask nothing of Sanity's hosts.
  const html = makeStudioPageOffline(await fs.promises.readFile(indexFile, 'utf8'));
  return withStudioHeaders(new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } }));
}

/** The Studio's Inter, from the font package (see makeStudioPageOffline): woff2 files only. */
async function serveFont(fonts: StaticSite, request: Request, filePath: string): Promise<Response> {
  const result = /^\/[a-z0-9-]+\.woff2$/.test(filePath) ? await fonts.serve(request, filePath) : ({ kind: 'miss' } as const);
  if (result.kind !== 'file') return new Response('Not found.', { status: 404 });
  const response = withStudioHeaders(result.response);
  // The files change only with the package's version, which a restart picks up.
  if (response.status === 200) response.headers.set('cache-control', 'public, max-age=604800');
  return response;
}

function withStudioHeaders(response: Response): Response {
  const headers = new Headers(response.headers);
  headers.set('content-security-policy', studioCsp);
  headers.set('referrer-policy', 'same-origin');
  headers.set('x-content-type-options', 'nosniff');
  return new Response(response.body, { status: response.status, headers });
}
