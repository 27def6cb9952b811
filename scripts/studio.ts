// `newsdesk studio`: the editor's Studio with no Sanity account. It serves the built
// Studio, the local Content Lake over the dataset file, previews and the site on one
// HTTPS origin (HTTP/2, certificate from a local authority kept in the data folder),
// building the Studio first when its sources changed. With a Sanity project configured
// it runs `sanity dev` against the hosted project instead, as before.
import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { lakeDirFor, lakeToken } from '../content/lake/lake.ts';
import { loadLakeTls, trustInstruction } from '../content/lake/tls.ts';
import { openContentStore } from '../content/open-store.ts';
import { NewsdeskError } from '../core/errors.ts';
import { buildStudioIfStale, spawnSanity, studioBuildEnv } from '../server/studio-build.ts';
import { defaultStudioDir, studioPaths } from '../server/studio-host.ts';
import { startServer, urlHost } from '../server/server.ts';
import { buildSiteToServe, buildsInOwnProcesses } from './build-first.ts';
import { type Command, type CommandContext, parseOptions } from './cli.ts';

const devPort = 3333;

export const studioCommand: Command = {
  name: 'studio',
  summary: 'write issues in Sanity Studio on the local dataset: no account, no network',
  usage: 'studio [--dev] [--no-build] [--print-url] [--trace]',
  options: [
    ['--dev', 'also run `sanity dev` (hot reload on http://localhost:3333) for working on the Studio itself'],
    ['--no-build', 'serve studio-dist/ as it is, even when the Studio sources are newer'],
    ['--print-url', 'print the Studio link (it carries the token) and exit'],
    ['--trace', 'print every request the local Content Lake answers (status, method, path, time)'],
  ],
  examples: ['npm run studio', 'npm run newsdesk -- studio --print-url', 'NEWSDESK_STUDIO_PORT=4444 npm run newsdesk -- studio'],
  async run(args, ctx) {
    const { values } = parseOptions(this, args, { dev: { type: 'boolean' }, 'no-build': { type: 'boolean' }, 'print-url': { type: 'boolean' }, trace: { type: 'boolean' } }, false);
    if (ctx.env.SANITY_STUDIO_PROJECT_ID && !ctx.env.SANITY_STUDIO_API_HOST) return runHostedStudio(ctx);
    const config = ctx.config();
    const store = openContentStore(config.content);
    if (!(store instanceof GroqJsStore)) {
      throw new NewsdeskError('USAGE', 'SANITY_PROJECT_ID is set, so content lives in a Sanity project, not the local dataset', {
        hint: 'Set SANITY_STUDIO_PROJECT_ID to the same project to run the hosted Studio, or unset SANITY_PROJECT_ID to edit the local dataset.',
      });
    }
    const host = config.server.host;
    const origin = `https://${urlHost(host, true)}:${config.server.studioPort}`;
    const tls = await loadLakeTls(path.join(config.dataDir, 'tls'), [...new Set(['localhost', '127.0.0.1', '::1', host])]);

    if (values['print-url']) {
      ctx.out(`Studio: ${origin}${studioPaths.studio}/#token=${await lakeToken(lakeDirFor(store.datasetPath))}`);
      return 0;
    }

    if (!values['no-build'] && !values.dev) {
      await buildStudioIfStale({ env: ctx.env, onStart: (first) => ctx.out(first ? 'Building the Studio (first run, about half a minute)…' : 'The Studio sources changed; building the Studio again (about half a minute)…') });
    }
    // A build of the whole site runs in a process of its own (scripts/build-first.ts), which prints its own summary.
    const { stopped, rebuilding } = await buildSiteToServe(ctx, config);
    if (stopped) return 130;

    const studioConfig = { ...config, server: { ...config.server, port: config.server.studioPort } };
    const server = await startServer({
      config: studioConfig,
      store,
      tls,
      ...buildsInOwnProcesses(ctx, rebuilding),
      studio: {
        studioDir: defaultStudioDir,
        allowedOrigins: values.dev ? [`http://localhost:${devPort}`] : [],
        editorName: editorName(),
        onRequest: values.trace ? (r) => ctx.err(`lake: ${r.status} ${r.method} ${r.path}${r.search.size ? `?${r.search}` : ''} ${Math.round(r.ms)} ms`) : undefined,
        // The link is printed while the dataset loads; the Studio's first queries wait for it.
        openInBackground: true,
      },
      log: (line) => ctx.err(`${new Date().toISOString()} ${line}`),
    });
    const token = server.studioToken!;
    // Bring the site up to date now rather than on the first publish: this run loads the
    // dataset and the renderers and fills the build's in-memory caches, so a publish later
    // rewrites only its own pages. Nothing is written when the site is already current
    // (after the build above, which it waits for).
    server.rebuilds.request('start-up: bring the site up to date');
    let dev: ChildProcess | undefined;
    if (values.dev) dev = startDevStudio(ctx, `${server.url}${studioPaths.lake}`);
    const studioUrl = values.dev ? `http://localhost:${devPort}/#token=${token}` : `${server.url}${studioPaths.studio}/#token=${token}`;
    ctx.out(`Studio: ${studioUrl}`);
    ctx.out(`  ${trustInstruction(tls.caFile)}`);
    ctx.out(`  Editing ${store.description}; the site, previews and test emails are at ${server.url}/ (mail goes through ${server.transport.description}).`);
    ctx.out('  Publishing rebuilds the site. Press Ctrl+C to stop.');
    let failure: unknown;
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      // A dataset that cannot be read ends the command with its error, link printed or not.
      server.lakeReady.catch((error: unknown) => {
        failure = error;
        resolve();
      });
    });
    dev?.kill('SIGTERM');
    await server.close();
    if (failure) throw failure;
    ctx.out('newsdesk studio stopped.');
    return 0;
  },
};

function runHostedStudio(ctx: CommandContext): Promise<number> {
  ctx.out(`Studio for Sanity project ${ctx.env.SANITY_STUDIO_PROJECT_ID}: starting \`sanity dev\`…`);
  ctx.out(`Studio: http://localhost:${devPort}`);
  const child = spawnSanity(['dev'], { stdio: 'inherit', env: ctx.env });
  ctx.signal.addEventListener('abort', () => child.kill('SIGTERM'), { once: true });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 0)));
}

function startDevStudio(ctx: CommandContext, apiHost: string): ChildProcess {
  const child = spawnSanity(['dev', '--port', String(devPort)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    // The dev server's page is http://localhost:3333; it reaches the lake on the HTTPS origin.
    env: { ...studioBuildEnv(ctx.env), SANITY_STUDIO_API_HOST: apiHost },
  });
  return child;
}

function editorName(): string {
  try {
    return os.userInfo().username || 'Editor';
  } catch {
    return 'Editor';
  }
}

