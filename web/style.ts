// The site's one stylesheet. It is generated from the settings (the accent colour goes
// in as a custom property) rather than set with inline style attributes, so pages work
// under a strict CSP (style-src 'self'). The file name carries a hash of its bytes so a
// static host can cache it forever.
import { createHash } from 'node:crypto';
import type { Settings } from '../content/model.ts';

export function renderStylesheet(settings: Pick<Settings, 'accentColor'>): string {
  // accentColor is validated as #rrggbb by the read model; checked again because it lands in CSS.
  const accent = /^#[0-9a-fA-F]{6}$/.test(settings.accentColor) ? settings.accentColor : '#1d6b5f';
  return `:root{--accent:${accent};--bg:#fff;--fg:#1c1e21;--muted:#585e66;--line:#d9dde1;--card:#f5f7f8;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--accent:color-mix(in srgb,${accent} 45%,#fff);--bg:#15171a;--fg:#e6e8ea;--muted:#a9b0b8;--line:#343a40;--card:#1e2125}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:1.0625rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}
a{color:var(--accent);text-underline-offset:.15em}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.wrap{max-width:42rem;margin:0 auto;padding:0 1rem}
.skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5rem}
.skip:focus{left:1rem}
.site-header{border-bottom:1px solid var(--line);padding:1rem 0}
.site-header .wrap{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:baseline;justify-content:space-between}
.site-title{font-weight:700;font-size:1.2rem;color:var(--fg);text-decoration:none}
.site-nav ul,.pager ul,.issue-list,.link-list,.tag-list{list-style:none;margin:0;padding:0}
.site-nav ul{display:flex;gap:1rem}
main{padding:1.5rem 0 2rem}
h1{font-size:2rem;line-height:1.2;margin:.5rem 0}
h2{font-size:1.4rem;line-height:1.3;margin:2rem 0 .5rem}
h3{font-size:1.15rem;margin:1.5rem 0 .5rem}
.meta{color:var(--muted);font-size:.95rem}
.summary{font-size:1.1rem}
blockquote{margin:1rem 0;padding-left:1rem;border-left:3px solid var(--line);color:var(--muted)}
code{font-size:.9em;white-space:pre-wrap;background:var(--card);padding:.1em .3em;border-radius:3px}
img{max-width:100%;height:auto}
figure{margin:1.5rem 0}
figcaption{color:var(--muted);font-size:.9rem}
.ed-note{font-style:italic;color:var(--muted)}
div.ed-note{margin:1rem 0}
div.ed-note p{margin:.25rem 0}
.link-card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
.link-card p{margin:.25rem 0}
.link-card .site{color:var(--muted);font-size:.9rem}
.tags{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0}
.issue-list li,.link-list li{padding:1rem 0;border-bottom:1px solid var(--line)}
.issue-list h2,.link-list h3{margin:0 0 .25rem;font-size:1.2rem}
.link-uses{list-style:none;margin:.25rem 0 0;padding:0}
.link-uses li{padding:.25rem 0;border:0}
.link-uses .words{margin:.1rem 0 0 1rem;color:var(--muted)}
.link-filters p{margin:.25rem 0}
.domain-list,.page-index,.domain-groups{columns:14rem;padding-left:1.25rem}
.pager{border-top:1px solid var(--line);margin-top:2rem;padding-top:1rem}
.pager ul{display:flex;justify-content:space-between;gap:1rem}
.site-footer{border-top:1px solid var(--line);padding:1.5rem 0 3rem;color:var(--muted)}
.subscribe form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
.subscribe label{display:block;font-size:.9rem}
.subscribe input{font:inherit;padding:.4rem .5rem;border:1px solid var(--muted);border-radius:4px;background:var(--bg);color:var(--fg)}
.subscribe button{font:inherit;padding:.45rem 1rem;border:0;border-radius:4px;background:var(--accent);color:var(--bg);cursor:pointer}
.site-search{flex-basis:100%}
.site-search form,.site-search.is-live [data-search-fallback]{display:none}
.site-search.is-live form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.site-search label{font-size:.9rem}
.site-search input{font:inherit;flex:1 1 12rem;padding:.4rem .5rem;border:1px solid var(--muted);border-radius:4px;background:var(--bg);color:var(--fg)}
.site-search button{font:inherit;padding:.4rem 1rem;border:1px solid var(--accent);border-radius:4px;background:var(--bg);color:var(--accent);cursor:pointer}
.site-search p{margin:.25rem 0}
.search-list{list-style:none;margin:.5rem 0;padding:0}
.search-list li{padding:.5rem 0;border-bottom:1px solid var(--line)}
.search-list h3{margin:0;font-size:1.05rem}
mark{background:color-mix(in srgb,var(--accent) 20%,transparent);color:var(--fg)}
:target{scroll-margin-top:1rem;background:color-mix(in srgb,var(--accent) 10%,transparent)}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
`;
}

/** "style.1a2b3c4d.css": the stylesheet's site path for these settings. */
export function stylesheetPath(settings: Pick<Settings, 'accentColor'>): string {
  const hash = createHash('sha256').update(renderStylesheet(settings)).digest('hex').slice(0, 10);
  return `style.${hash}.css`;
}
