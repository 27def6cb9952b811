// The build pipeline: load published content, render each issue (from cache when
// nothing it depends on changed, across worker threads when there is a lot to do),
// then write the site, feeds and emails into a staging folder and swap it in.
// The library entry point for the `build` command and the server's webhook rebuilds.
import fs from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadSettings, loadTags } from '../content/load.ts';
import type { Issue } from '../content/model.ts';
import type { ContentStore } from '../content/store.ts';
import type { Config } from '../core/config.ts';
import { NewsdeskError, isNewsdeskError } from '../core/errors.ts';
import { issuePath, tagPath, type RenderContext, type RenderWarning } from '../core/render.ts';
import { renderArchivePage, renderNotFoundPage, renderTagPage } from '../web/archive-page.tsx';
import { buildFeeds, type FeedEntry } from '../web/feeds.ts';
import type { Neighbours } from '../web/issue-page.tsx';
import { feedFiles, feedLength, isSafeSlug } from '../web/site.ts';
import { renderSitemap } from '../web/sitemap.ts';
import { renderStylesheet, stylesheetPath } from '../web/style.ts';
import { BuildCache, cacheKey, type EntryMeta } from './cache.ts';
import { StagedOutput } from './output.ts';
import { renderIssueArtifacts, type IssueJob } from './render-issue.ts';
import { SourceIndex, fetchRawContent, fingerprintIssue, listingOf, projectIssues, taggedLinks, type Listing, type TaggedLink } from './sources.ts';
import { templateVersion } from './template-version.ts';
import { renderInWorkers } from './worker-pool.ts';

export interface BuildProgress {
  phase: 'load' | 'render' | 'write';
  /** Issues rendered so far in the render phase. */
  done: number;
  /** Issues to render (cache misses). */
  total: number;
}

export interface BuildSummary {
  outDir: string;
  /** Published issues in the output. */
  issues: number;
  /** Issues rendered in this build. */
  rendered: number;
  /** Issues taken from the build cache. */
  reused: number;
  /** Worker threads used (0: rendered in the calling thread). */
  threads: number;
  /** Files written to the output. */
  files: number;
  warnings: RenderWarning[];
  durationMs: number;
}

export interface BuildOptions {
  config: Pick<Config, 'outDir' | 'dataDir' | 'baseUrl'>;
  store: ContentStore;
  onProgress?: (progress: BuildProgress) => void;
  signal?: AbortSignal;
  /** Worker threads for a full build; defaults to the machine's available parallelism. */
  threads?: number;
  /** Fewer cache misses than this are rendered in the calling thread (starting workers costs more). */
  workerThreshold?: number;
  /** Test seam: runs after everything is staged and before the swap; a throw aborts the build. */
  beforeCommit?: () => void | Promise<void>;
}

export const buildCacheFolder = 'build-cache';

export async function buildSite(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const { config, store } = options;
  const progress = options.onProgress ?? (() => undefined);
  progress({ phase: 'load', done: 0, total: 0 });

  const [settings, raw, tags] = await Promise.all([loadSettings(store), fetchRawContent(store), loadTags(store)]);
  const ctx: RenderContext = { baseUrl: (config.baseUrl ?? settings.siteUrl).replace(/\/+$/, ''), settings };
  const version = await templateVersion();
  const cache = new BuildCache(path.join(config.dataDir, buildCacheFolder));
  const sourceIndex = new SourceIndex(cache.dir);
  await sourceIndex.load();

  // Project (follow references, validate) only issues whose content we have not seen.
  const sources = raw.issues.map((doc) => {
    const fingerprint = fingerprintIssue(doc, raw.byId);
    return { id: doc._id, fingerprint, listing: sourceIndex.get(fingerprint) };
  });
  const projected = new Map<string, Issue>();
  const project = async (ids: string[]) => {
    for (const issue of await projectIssues(store, ids)) projected.set(issue.id, issue);
  };
  await project(sources.filter((s) => !s.listing).map((s) => s.id));
  const listings = new Map<string, Listing>();
  for (const source of sources) {
    const issue = projected.get(source.id);
    const listing = source.listing ?? (issue ? listingOf(issue) : undefined);
    if (!listing) throw new NewsdeskError('BUILD_FAILED', `Issue ${source.id} disappeared while building`, { hint: 'Build again.' });
    listings.set(source.id, listing);
  }

  // Oldest first, so neighbours are simply the entries either side.
  const ordered = sources.map((s) => ({ ...s, listing: listings.get(s.id)! })).sort((a, b) => a.listing.number - b.listing.number);
  const duplicate = ordered.find((s, i) => i > 0 && ordered[i - 1]!.listing.number === s.listing.number);
  if (duplicate) {
    throw new NewsdeskError('BUILD_FAILED', `Two published issues have number ${duplicate.listing.number}`, {
      hint: 'Give each issue its own number, then run `newsdesk check`.',
    });
  }
  const planned = ordered.map((source, i) => {
    const neighbours: Neighbours = { previous: ref(ordered[i - 1]?.listing), next: ref(ordered[i + 1]?.listing) };
    return { ...source, neighbours, key: cacheKey({ fingerprint: source.fingerprint, neighbours, ctx }, version) };
  });

  const metas = new Map<string, EntryMeta>();
  const missing: typeof planned = [];
  await Promise.all(
    planned.map(async (p) => {
      const meta = await cache.readMeta(p.key);
      if (meta) metas.set(p.key, meta);
      else missing.push(p);
    }),
  );
  // A known issue whose page must change anyway (a neighbour's title, the templates): project it now.
  await project(missing.filter((p) => !projected.has(p.id)).map((p) => p.id));
  const misses: IssueJob[] = missing
    .map((p) => ({ issue: projected.get(p.id)!, neighbours: p.neighbours, ctx, key: p.key }))
    .sort((a, b) => b.issue.number - a.issue.number);

  let done = 0;
  progress({ phase: 'render', done, total: misses.length });
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const useWorkers = threads > 1 && misses.length > (options.workerThreshold ?? 8);
  if (useWorkers) {
    const result = await renderInWorkers(misses, {
      threads,
      cacheDir: cache.dir,
      signal: options.signal,
      onDone: () => progress({ phase: 'render', done: ++done, total: misses.length }),
    });
    for (const [key, meta] of result.metas) metas.set(key, meta);
  } else {
    for (const job of misses) {
      if (options.signal?.aborted) throw interrupted();
      const artifacts = await renderIssueArtifacts(job);
      metas.set(job.key, await cache.write(job.key, job.issue.number, artifacts));
      progress({ phase: 'render', done: ++done, total: misses.length });
    }
  }

  progress({ phase: 'write', done, total: misses.length });
  const staged = await StagedOutput.create(path.resolve(config.outDir));
  let files = 0;
  const write = async (rel: string, content: string) => {
    await staged.write(rel, content);
    files++;
  };
  try {
    await Promise.all(
      planned.flatMap((p) => {
        const n = p.listing.number;
        files += 3;
        return [
          staged.linkFrom(`${issuePath(p.listing)}index.html`, cache.artifactPath(p.key, 'page')),
          staged.linkFrom(`emails/${n}.html`, cache.artifactPath(p.key, 'emailHtml')),
          staged.linkFrom(`emails/${n}.txt`, cache.artifactPath(p.key, 'emailText')),
        ];
      }),
    );

    const feedEntries: FeedEntry[] = await Promise.all(
      planned
        .slice(-feedLength)
        .map(async (p) => ({ issue: p.listing, contentHtml: await fs.readFile(cache.artifactPath(p.key, 'body'), 'utf8') })),
    );
    const feeds = buildFeeds(feedEntries, ctx);
    const issueListings = planned.map((p) => p.listing);
    const tagPages = collectTagPages(issueListings, taggedLinks(raw, listings), tags);

    await Promise.all([
      write(stylesheetPath(settings), renderStylesheet(settings)),
      write('index.html', renderArchivePage(issueListings, ctx)),
      write('404.html', renderNotFoundPage(ctx)),
      write(feedFiles.rss, feeds.rss),
      write(feedFiles.atom, feeds.atom),
      write(feedFiles.json, feeds.json),
      write(
        'sitemap.xml',
        renderSitemap(
          issueListings,
          tagPages.map((t) => ({ slug: t.tag.slug, lastmod: t.issues.at(-1)?.date })),
          ctx,
        ),
      ),
      ...tagPages.map((t) => write(`${tagPath(t.tag.slug)}index.html`, renderTagPage(t.tag, t.issues, t.links, ctx))),
    ]);

    if (options.signal?.aborted) throw interrupted();
    await options.beforeCommit?.();
    await staged.commit();
  } catch (error) {
    await staged.discard();
    if (isNewsdeskError(error)) throw error;
    throw new NewsdeskError('BUILD_FAILED', `Writing the output failed: ${(error as Error)?.message ?? String(error)}; ${config.outDir} is unchanged`, {
      hint: 'Check that the output folder is writable and the disk has space, then build again.',
      cause: error,
    });
  }
  // Only after a successful swap: a failed build keeps the entries the old output links to.
  await cache.prune(new Set(planned.map((p) => p.key)));
  await sourceIndex.save(new Map(planned.map((p) => [p.fingerprint, p.listing])));

  const warnings = planned.flatMap((p) => metas.get(p.key)?.warnings ?? []);
  return {
    outDir: path.resolve(config.outDir),
    issues: planned.length,
    rendered: misses.length,
    reused: planned.length - misses.length,
    threads: useWorkers ? Math.min(threads, misses.length) : 0,
    files,
    warnings,
    durationMs: performance.now() - started,
  };
}

function ref(issue: Listing | undefined) {
  return issue ? { number: issue.number, slug: issue.slug, title: issue.title } : undefined;
}

function interrupted(): NewsdeskError {
  return new NewsdeskError('BUILD_FAILED', 'The build was interrupted', { hint: 'The previous output is untouched; run the build again.' });
}

interface TagPage {
  tag: { title: string; slug: string; description: string | undefined };
  issues: Listing[];
  links: TaggedLink[];
}

/** Tags that have something to show: issues tagged (or with a section on that topic) and used links (sources.ts). */
function collectTagPages(issues: Listing[], links: TaggedLink[], tags: Array<{ title: string; slug: string; description?: string | undefined }>): TagPage[] {
  const pages = new Map<string, TagPage>();
  const described = new Map(tags.map((t) => [t.slug, t]));
  const pageFor = (ref: { title: string; slug: string }) => {
    let page = pages.get(ref.slug);
    if (!page) {
      const known = described.get(ref.slug);
      page = { tag: { title: known?.title ?? ref.title, slug: ref.slug, description: known?.description }, issues: [], links: [] };
      pages.set(ref.slug, page);
    }
    return page;
  };
  for (const issue of issues) {
    const refs = [...issue.tags, ...issue.topics];
    const seen = new Set<string>();
    for (const tag of refs) {
      if (!isSafeSlug(tag.slug) || seen.has(tag.slug)) continue;
      seen.add(tag.slug);
      pageFor(tag).issues.push(issue);
    }
  }
  for (const link of links) {
    for (const tag of link.tags) if (isSafeSlug(tag.slug)) pageFor(tag).links.push(link);
  }
  for (const page of pages.values()) page.links.sort((a, b) => compare(a.title ?? a.url, b.title ?? b.url) || compare(a.id, b.id));
  return [...pages.values()].sort((a, b) => compare(a.tag.slug, b.tag.slug));
}

/** Code-point order: the same on every machine, unlike localeCompare. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
