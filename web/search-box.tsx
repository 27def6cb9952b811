// The reader search box on the archive and every issue page, and the script behind it.
// Without JavaScript it is a plain link to the archive (the stylesheet hides the form
// until the script marks the box "is-live"); the script (search.js, written by the build)
// swaps in the form and searches the static index in search/ as the reader
// types. The script is the tokenizer's and the client's source, so it needs no bundler
// and matches the index the build made with the same tokenizer.
import type { RenderContext } from '../core/render.ts';
import { searchClient } from './search-client.ts';
import { siteHref } from './site.ts';
import { searchTokenizer } from './search-tokens.ts';

/** Not content-hashed: pages name it, and they must not change when the script does. */
export const searchScriptPath = 'search.js';

/**
 * The functions' source as this process holds it. A TypeScript loader that keeps function
 * names (tsx, esbuild's keepNames) wraps inner functions in calls to its `__name` helper,
 * which lives outside the function: the script defines a stand-in that does nothing.
 */
export function renderSearchScript(): string {
  return [
    "// newsdesk reader search: the static index in search/ (see the project's build/search-index.ts).",
    'const __name = (target) => target;',
    `(${searchClient.toString()})((${searchTokenizer.toString()})());`,
    '',
  ].join('\n');
}

export function SearchBox({ ctx }: { ctx: RenderContext }) {
  const archive = siteHref(ctx, '');
  return (
    <div className="site-search" data-search={siteHref(ctx, 'search/')} data-site={archive}>
      <p data-search-fallback="">
        <a href={archive}>Search the archive</a>
      </p>
      <form role="search" action={archive} method="get">
        <label htmlFor="search-query">Search every issue</label>
        <input id="search-query" name="q" type="search" autoComplete="off" />
        <button type="submit">Search</button>
      </form>
      <div data-search-results="" aria-live="polite" />
      <script type="module" src={siteHref(ctx, searchScriptPath)} />
    </div>
  );
}
