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

/** The system font stack, for the page's own CSS variable (the theme sets the Studio's fonts: studio/theme.ts). */
const systemSans = `-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", Helvetica, Arial, system-ui, sans-serif`;

/**
 * The built page, offline: without the hosted dashboard's bridge script, with the fetch
 * guard before any Studio code runs, and with the page's base font set to the system's
 * (Sanity's stylesheet names Inter first, which would be fetched from its font host).
 */
export function makeStudioPageOffline(html: string, version: string = pinnedStudioVersion): string {
  const guard = `<script>${createFetchGuard(version)}</script>`;
  const fonts = `<style>:root{--sans:${systemSans}}</style>`;
  return removeHostedFontFaces(html)
    .replace(/<script[^>]*\bsrc="https:\/\/[^"]*"[^>]*><\/script>/g, '')
    .replace(/<head>/, `<head>${guard}`)
    .replace(/<\/head>/, `${fonts}</head>`);
}

/**
 * Drops the @font-face rules whose files live on another host (Sanity's stylesheet and
 * page declare Inter from its font CDNs; no installed package ships the files). The
 * Studio's font stacks name the system fonts after Inter, so text falls through to them;
 * an editor who has Inter installed still sees it through local().
 */
export function removeHostedFontFaces(css: string): string {
  return css.replace(/@font-face\s*\{[^}]*\}/g, (rule) => (/url\(\s*["']?(https?:)?\/\//.test(rule) ? '' : rule));
}
