// What the studio host adds to the built Studio's page so that opening it asks nothing
// of Sanity's hosted services. Sanity 6.9.2 offers no setting for two of its calls: the
// version check (sanity-cdn.com/v1/modules/…, every 15 minutes, in every Studio) and the
// feedback probe (a POST to api.sanity.io/vX/intake/feedback from the help menu). The
// policy blocks both, but the browser still logs each blocked call as an error; answering
// them in the page keeps the console clean and the network silent.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The Studio version the build was made from: the version check is told it is the latest. */
export const pinnedStudioVersion = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../node_modules/sanity/package.json'), 'utf8')) as { version: string }).version;

/** Sanity's hosted services, on every subdomain (api., core., design-system-static., …). */
export const sanityHostedPattern = /^https:\/\/([a-z0-9-]+\.)*(sanity\.io|sanity\.work|sanity-cdn\.com|sanity-cdn\.work)\//;

/**
 * Runs before the Studio's bundle. The module CDN's version answer names the pinned
 * version (nothing newer to announce: the Studio is updated with npm); every other call
 * to a hosted service gets 503, which the feedback probe reads as "no feedback menu".
 */
function createFetchGuard(version: string): string {
  return `(function () {
  var hosted = ${sanityHostedPattern.toString()};
  var versionCheck = /\\/v1\\/modules\\//;
  var pinned = ${JSON.stringify(version)};
  var networkFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = typeof input === 'string' ? input : input instanceof URL ? input.href : input && input.url;
    if (typeof url !== 'string' || !hosted.test(url)) return networkFetch(input, init);
    var json = { 'content-type': 'application/json' };
    if (versionCheck.test(url)) return Promise.resolve(new Response(JSON.stringify({ latest: pinned, packageVersion: pinned }), { status: 200, headers: json }));
    return Promise.resolve(new Response('{"error":"The local Studio does not call Sanity\\'s hosted services."}', { status: 503, headers: json }));
  };
})();`;
}

/** The font package the Studio's Inter comes from (its woff2 files are served under studioFontsPath). */
export const interPackageDir = path.resolve(import.meta.dirname, '../node_modules/@fontsource-variable/inter');

/** Where the studio host serves the font files, on the Studio's own origin. */
export const studioFontsPath = '/studio/fonts';

/**
 * @font-face rules for "Inter", the family Sanity's stylesheet and theme name first, from
 * the variable font package (upright and italic, weights 100–900, one file a script,
 * fetched only for the characters a page uses), pointing at this server.
 */
function localInterFaces(): string {
  return ['wght.css', 'wght-italic.css']
    .map((file) => readFileSync(path.join(interPackageDir, file), 'utf8'))
    .join('\n')
    .replace(/\/\*[^*]*\*\//g, '')
    .replace(/font-family:\s*'Inter Variable'/g, 'font-family: Inter')
    .replace(/url\(\.\/files\/([a-z0-9-]+\.woff2)\)/g, `url(${studioFontsPath}/$1)`)
    .replace(/\n\s*\n/g, '\n');
}

let interFaces: string | undefined;

/**
 * The built page, offline: without the hosted dashboard's bridge script, with the fetch
 * guard before any Studio code runs, and with Inter declared from this server in place of
 * Sanity's font hosts (its stylesheet's font stacks already name Inter first).
 */
export function makeStudioPageOffline(html: string, version: string = pinnedStudioVersion): string {
  const guard = `<script>${createFetchGuard(version)}</script>`;
  interFaces ??= localInterFaces();
  const fonts = `<style>${interFaces}</style>`;
  return removeHostedFontFaces(html)
    .replace(/<script[^>]*\bsrc="https:\/\/[^"]*"[^>]*><\/script>/g, '')
    .replace(/<head>/, `<head>${guard}`)
    .replace(/<\/head>/, `${fonts}</head>`);
}

/**
 * Drops the @font-face rules whose files live on another host (Sanity's stylesheet and
 * page declare Inter from its font CDNs); the page declares Inter from this server instead.
 */
export function removeHostedFontFaces(css: string): string {
  return css.replace(/@font-face\s*\{[^}]*\}/g, (rule) => (/url\(\s*["']?(https?:)?\/\//.test(rule) ? '' : rule));
}
