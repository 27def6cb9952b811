// `newsdesk serve`: the reader-facing server (built site, subscribe/confirm/unsubscribe,
// Sanity webhook rebuilds, Studio previews, capture API) on NEWSDESK_HOST:NEWSDESK_PORT.
// Builds the site first when the output folder has none (and again, while it starts, when
// it was built with other templates), and runs until SIGINT/SIGTERM.
import fs from 'node:fs';
import path from 'node:path';
import { buildSiteToServe, buildsInOwnProcesses } from './build-first.ts';
import { type Command, parseOptions } from './cli.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the site with sign-up, confirm, unsubscribe, webhook rebuilds, Studio previews and scheduled sends',
  usage: 'serve [--no-build] [--studio]',
  options: [
    ['--no-build', 'do not build the site first when the output folder has no index.html, nor again when it was built with other templates'],
    ['--studio', 'also serve the local Studio (/studio/) and its Content Lake (/lake/) on the same port; put an HTTPS proxy with HTTP/2 in front'],
  ],
  examples: [
    'newsdesk serve',
    'NEWSDESK_PORT=8080 NEWSDESK_BASE_URL=https://news.example.org NEWSDESK_TRUST_PROXY=1 newsdesk serve',
    'NEWSDESK_PREVIEW_SECRET=$(openssl rand -hex 16) SANITY_WEBHOOK_SECRET=… newsdesk serve',
    'NEWSDESK_BASE_URL=https://news.example.org NEWSDESK_TRUST_PROXY=1 newsdesk serve --studio',
  ],
  async run(args, ctx) {
    const { values } = parseOptions(this, args, { 'no-build': { type: 'boolean' }, studio: { type: 'boolean' } }, false);
    const config = ctx.config();
    const rel = path.relative(ctx.cwd, config.outDir) || config.outDir;
    // A build of the whole site runs in a process of its own (scripts/build-first.ts), which prints its own summary.
    let rebuilding: Promise<void> | undefined;
    if (!values['no-build']) {
      const site = await buildSiteToServe(ctx, config);
      if (site.stopped) return 130;
      rebuilding = site.rebuilding;
    } else if (!fs.existsSync(path.join(config.outDir, 'index.html'))) {
      ctx.err(`${rel}/ has no index.html yet: the server will answer 404 until you run \`npm run build\`.`);
    }
    // Loaded once that build is done, so the server's code is not held beside it: this
    // process held 59-64 MB while it built, 148 MB with the server's code loaded first.
    const [{ buildHeapGrowth }, { collectSooner }, { openContentStore }, { startServer }, { studioPaths }] = await Promise.all([
      import('../build/build-site.ts'),
      import('../core/collect-garbage.ts'),
      import('../content/open-store.ts'),
      import('../server/server.ts'),
      import('../server/studio-host.ts'),
    ]);
    // Read lazily unless the Studio is served (content/open-store.ts): a server over 1,000
    // issues idled at 350 MB holding every document parsed, 200 MB holding few parses, and
    // after three rebuilds at 679 MB against 445 MB, each rebuild as quick.
    const store = openContentStore(config.content, { lazy: !values.studio });
    // Each rebuild leaves tens of MB of garbage, which V8 let pile up to twice what the server
    // keeps: on 1,000 issues, RSS rose 198 → 344 MB over eleven rebuilds in a row (and on),
    // and stayed at 211-226 MB collecting sooner, the rebuilds as quick (0.37-0.45 s against
    // 0.41-0.51 s). Not with the Studio: its lake's query workers hold every document.
    if (!values.studio) collectSooner(buildHeapGrowth);
    const server = await startServer({
      config,
      store,
      ...buildsInOwnProcesses(ctx, rebuilding),
      ...(values.studio ? { studio: { allowedOrigins: config.baseUrl ? [new URL(config.baseUrl).origin] : [] } } : {}),
      log: (line) => ctx.err(`${new Date().toISOString()} ${line}`),
    });
    ctx.out(`newsdesk is serving ${rel}/ at ${server.url}`);
    if (server.lake) {
      ctx.out(`Studio: ${server.publicUrl}${studioPaths.studio}/#token=${server.lake.token}`);
      if (!server.publicUrl.startsWith('https:')) ctx.out('  The Studio needs HTTP/2: serve it through an HTTPS proxy (see the README), or use `newsdesk studio` on this computer.');
    }
    if (!config.baseUrl) ctx.out(`  Links in emails point to ${server.publicUrl}; set NEWSDESK_BASE_URL to the public address.`);
    ctx.out(`  Mail goes through ${server.transport.description}.`);
    const { bounces } = config;
    if (bounces.imap) ctx.out(`  Bounces and complaints are read from ${new URL(bounces.imap.url).host}${new URL(bounces.imap.url).pathname || '/INBOX'} over IMAP.`);
    if (bounces.sns.topicArns.length > 0) ctx.out(`  SES events are accepted at /hooks/ses from ${bounces.sns.topicArns.join(', ')}.`);
    if (bounces.resendWebhookSecret) ctx.out('  Resend events are accepted at /hooks/resend.');
    if (!config.server.previewSecret) ctx.out('  Studio previews are off (set NEWSDESK_PREVIEW_SECRET to turn them on).');
    if (!config.server.webhookSecret) ctx.out('  Sanity webhooks are refused (set SANITY_WEBHOOK_SECRET to rebuild on publish).');
    ctx.out('  Press Ctrl+C to stop.');
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    ctx.out('newsdesk serve stopped.');
    return 0;
  },
};
