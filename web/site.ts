// Where things live on the public site, as links a page can use: root-relative paths
// that keep working when the site is served under a sub-path of baseUrl, on the
// static host and from the server's own pages alike.
import type { RenderContext } from '../core/render.ts';

/** The last base sitePrefix parsed, and its prefix. */
let lastPrefix = { baseUrl: undefined as string | undefined, prefix: '' };

/** The path part of baseUrl without a trailing slash: "" or e.g. "/news". */
export function sitePrefix(ctx: Pick<RenderContext, 'baseUrl'>): string {
  // Asked for every link of every page, always of the same base: parsed once per base.
  if (ctx.baseUrl !== lastPrefix.baseUrl) {
    let pathname = '';
    try {
      pathname = new URL(ctx.baseUrl).pathname;
    } catch {
      pathname = '';
    }
    lastPrefix = { baseUrl: ctx.baseUrl, prefix: pathname.replace(/\/+$/, '') };
  }
  return lastPrefix.prefix;
}

/** A root-relative link to a site path such as "issues/12-x/" or "feed.xml". */
export function siteHref(ctx: Pick<RenderContext, 'baseUrl'>, sitePath: string): string {
  return `${sitePrefix(ctx)}/${sitePath.replace(/^\/+/, '')}`;
}

export const feedFiles = { rss: 'feed.xml', atom: 'atom.xml', json: 'feed.json' } as const;

/** How many issues each feed carries. */
export const feedLength = 20;

/**
 * Removes characters that are invalid in XML 1.0 and parse errors in HTML (C0 controls
 * other than tab/LF/CR, DEL, lone surrogates' neighbours U+FFFE/U+FFFF). Applied to
 * finished output, so no CMS text can smuggle them through any renderer.
 */
export function stripControlChars(text: string): string {
  return text.replace(controlChars, '');
}

/** Whether stripControlChars would change `text` (a look copies nothing, a strip copies it). */
export function hasControlChars(text: string): boolean {
  return controlChar.test(text);
}

/**
 * Whether JSON.stringify's text of some value may hold a string with a character
 * stripControlChars removes: as JSON writes them, escaped (\u0000-\u0008 as `\u0000`…`\b`,
 * \u000B, \u000C as `\f`, \u000E-\u001F) or as they are (DEL, U+FFFE, U+FFFF). Never false
 * when one is there; true now and then when none is (a backslash written before a `b`).
 */
export function jsonMayHoldControlChars(json: string): boolean {
  return jsonControlChar.test(json);
}
const jsonControlChar = /\\u00(?:0[0-8bcef]|1[0-9a-f])|\\[bf]|[\u007F\uFFFE\uFFFF]/;

/** The characters stripControlChars removes, as the inside of a RegExp character class. */
export const controlCharRange = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F\\uFFFE\\uFFFF';
const controlChar = new RegExp(`[${controlCharRange}]`);
const controlChars = new RegExp(controlChar.source, 'g');

/** Tag slugs become folder names, so only plain lower-case words joined by hyphens are used. */
export function isSafeSlug(slug: string): boolean {
  return /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug);
}
