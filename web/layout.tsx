// The page frame every web page shares (static pages here, and the server's subscribe /
// confirm / unsubscribe pages): head metadata, header, main, footer with the subscribe
// form, and the reader search box on the pages that ask for it. No inline scripts or
// styles, so a strict CSP (default-src 'self') holds.
import type { ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { absoluteUrl, type RenderContext } from '../core/render.ts';
import { SearchBox } from './search-box.tsx';
import { feedFiles, siteHref, stripControlChars } from './site.ts';
import { stylesheetPath } from './style.ts';

export interface LayoutProps {
  /** The page's own title; the newsletter title is appended unless they are the same. */
  title: string;
  ctx: RenderContext;
  /** Meta description and Open Graph description; defaults to the newsletter description. */
  description?: string | undefined;
  /** Site path of the page ("" for the archive), for the canonical URL; omit for pages without one (404). */
  canonicalPath?: string | undefined;
  /** Open Graph type: "article" for issues, "website" otherwise. */
  ogType?: 'article' | 'website';
  /** Extra meta tags (e.g. article:published_time), already as elements. */
  head?: ReactNode;
  /** Shown above the page content on the server's pages; false hides the subscribe form (e.g. on the subscribe page itself). */
  showSubscribe?: boolean;
  /** Shows the reader search box under the header (the archive and issue pages). */
  search?: boolean;
  children: ReactNode;
}

export function Layout({ title, ctx, description, canonicalPath, ogType = 'website', head, showSubscribe = true, search = false, children }: LayoutProps) {
  const { settings } = ctx;
  const fullTitle = title === settings.title ? title : `${title} · ${settings.title}`;
  const desc = description ?? settings.description;
  const canonical = canonicalPath === undefined ? undefined : absoluteUrl(ctx, canonicalPath);
  return (
    <html lang={settings.language}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{fullTitle}</title>
        {desc ? <meta name="description" content={desc} /> : null}
        {canonical ? <link rel="canonical" href={canonical} /> : null}
        <meta property="og:site_name" content={settings.title} />
        <meta property="og:title" content={title} />
        <meta property="og:type" content={ogType} />
        {canonical ? <meta property="og:url" content={canonical} /> : null}
        {desc ? <meta property="og:description" content={desc} /> : null}
        {settings.logoUrl ? <meta property="og:image" content={settings.logoUrl} /> : null}
        <meta name="twitter:card" content="summary" />
        <meta name="twitter:title" content={title} />
        {desc ? <meta name="twitter:description" content={desc} /> : null}
        {head}
        <link rel="alternate" type="application/rss+xml" title={`${settings.title} (RSS)`} href={siteHref(ctx, feedFiles.rss)} />
        <link rel="alternate" type="application/atom+xml" title={`${settings.title} (Atom)`} href={siteHref(ctx, feedFiles.atom)} />
        <link rel="alternate" type="application/feed+json" title={`${settings.title} (JSON Feed)`} href={siteHref(ctx, feedFiles.json)} />
        <link rel="stylesheet" href={siteHref(ctx, stylesheetPath(settings))} />
      </head>
      <body>
        <a className="skip" href="#main">Skip to content</a>
        <header className="site-header">
          <div className="wrap">
            <a className="site-title" href={siteHref(ctx, '')}>{settings.title}</a>
            <nav className="site-nav" aria-label="Site">
              <ul>
                <li><a href={siteHref(ctx, '')}>Archive</a></li>
                <li><a href={siteHref(ctx, 'links/')}>Links</a></li>
                <li><a href={siteHref(ctx, feedFiles.rss)}>RSS</a></li>
                <li><a href={siteHref(ctx, '#subscribe')}>Subscribe</a></li>
              </ul>
            </nav>
            {search ? <SearchBox ctx={ctx} /> : null}
          </div>
        </header>
        <main id="main" className="wrap">{children}</main>
        <footer className="site-footer">
          <div className="wrap">
            {showSubscribe ? <SubscribeForm ctx={ctx} /> : null}
            {settings.description ? <p>{settings.description}</p> : null}
            <p>
              Feeds: <a href={siteHref(ctx, feedFiles.rss)}>RSS</a> · <a href={siteHref(ctx, feedFiles.atom)}>Atom</a> ·{' '}
              <a href={siteHref(ctx, feedFiles.json)}>JSON Feed</a>
            </p>
          </div>
        </footer>
      </body>
    </html>
  );
}

/**
 * Posts to /subscribe. The "website" field is a honeypot: people never see or reach it
 * (off-screen, aria-hidden, not in the tab order, no autofill), bots that fill every
 * field give themselves away.
 */
export function SubscribeForm({ ctx }: { ctx: RenderContext }) {
  return (
    <section className="subscribe" id="subscribe" aria-labelledby="subscribe-heading">
      <h2 id="subscribe-heading">Subscribe to {ctx.settings.title}</h2>
      <form method="post" action={siteHref(ctx, 'subscribe')}>
        <div>
          <label htmlFor="subscribe-email">Email address</label>
          <input id="subscribe-email" name="email" type="email" required autoComplete="email" />
        </div>
        <div>
          <label htmlFor="subscribe-name">Name (optional)</label>
          <input id="subscribe-name" name="name" type="text" autoComplete="name" />
        </div>
        <div className="hp" aria-hidden="true">
          <label htmlFor="subscribe-website">Leave this field empty</label>
          <input id="subscribe-website" name="website" type="text" tabIndex={-1} autoComplete="off" />
        </div>
        <button type="submit">Subscribe</button>
      </form>
    </section>
  );
}

/** A whole HTML document from a <Layout> element: doctype, markup, no control characters. */
export function renderDocument(page: ReactNode): string {
  return `<!DOCTYPE html>\n${stripControlChars(renderToStaticMarkup(page))}\n`;
}
