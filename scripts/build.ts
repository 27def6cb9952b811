// `newsdesk build`: render every published issue to the web site, feeds and emails in
// the output folder (atomically), reusing the build cache for unchanged issues.
import pc from 'picocolors';
import { openContentStore } from '../content/open-store.ts';
import { buildSite, formatSpans, type BuildProgress } from '../build/build-site.ts';
import { readIssuesHeldFromWeb } from '../delivery/held-from-web.ts';
import { type Command, parseOptions, positiveInt } from './cli.ts';

export const buildCommand: Command = {
  name: 'build',
  summary: 'render published issues to the web site, feeds and emails in the output folder',
  usage: 'build [--threads N] [--timings]',
  options: [
    ['--threads N', 'worker threads for rendering (default: the number of cores)'],
    ['--timings', 'also print where the time went, step by step (load, fingerprint, listings, plan, render, link, pages, search, swap, cleanup)'],
  ],
  examples: ['newsdesk build', 'newsdesk build --timings', 'NEWSDESK_OUT_DIR=public NEWSDESK_BASE_URL=https://news.example.org newsdesk build'],
  async run(args, ctx) {
    const { values } = parseOptions(this, args, { threads: { type: 'string' }, timings: { type: 'boolean' } }, false);
    const threads = values.threads === undefined ? undefined : positiveInt('--threads', values.threads);
    const config = ctx.config();
    // Read lazily (content/lazy-document.ts): after an earlier build, this one reads most
    // documents only by id and digest (the rest is in the build cache); a first build
    // parses each document again when it reads it again, and keeps few parses at once.
    // Kept on an eager store, every parse made a first build of 1,000 issues peak at
    // 637-663 MB; lazily, with V8 collecting sooner (build-site.ts aloneHeapGrowth), 537-542 MB.
    const store = openContentStore(config.content, { lazy: true });
    const bar = progressLine(ctx.isTTY, (s) => process.stdout.write(s));
    let summary;
    try {
      const withheld = await readIssuesHeldFromWeb(config);
      summary = await buildSite({ config, store, withheld, alone: true, onProgress: bar.update, signal: ctx.signal, ...(threads ? { threads } : {}) });
    } finally {
      bar.clear();
    }
    for (const w of summary.warnings) ctx.err(`${pc.yellow('warning')} ${w.where}: ${w.field}: ${w.message}`);
    const seconds = (summary.durationMs / 1000).toFixed(summary.durationMs < 10_000 ? 2 : 1);
    ctx.out(
      `✓ built ${summary.issues} issue(s) into ${summary.outDir}: ${summary.rendered} rendered, ${summary.reused} reused from cache, ${seconds} s, ${summary.warnings.length} warning(s)`,
    );
    if (values.timings) ctx.out(`  ms: ${formatSpans(summary.spans)}`);
    return 0;
  },
};

/** A one-line progress indicator, drawn only on a terminal and only once a build has run for a second. */
function progressLine(isTTY: boolean, write: (s: string) => void) {
  const started = Date.now();
  let drawn = false;
  return {
    update(p: BuildProgress) {
      if (!isTTY || Date.now() - started < 1000) return;
      const text =
        p.phase === 'render' && p.total > 0
          ? `rendering ${p.done}/${p.total} issue(s) ${'█'.repeat(Math.round((20 * p.done) / p.total)).padEnd(20, '░')}`
          : p.phase === 'write'
            ? 'writing output…'
            : 'loading content…';
      write(`\r\x1b[2K${text}`);
      drawn = true;
    },
    clear() {
      if (drawn) write('\r\x1b[2K');
    },
  };
}
