// The build pipeline: load published content, render each issue (from cache when
// nothing it depends on changed, across worker threads when there is a lot to do),
// then write the site, feeds and emails into a staging folder and swap it in.
// The library entry point for the `build` command and the server's webhook rebuilds.
// Where the time goes is in BuildSummary.spans; `npm run bench:build` prints it. The
// main thread fingerprints raw documents and fetches light listings; only issues to
// render go through the full projection, a chunk at a time, paced to the workers: in the
// workers themselves for issues whose documents were read from the dataset file (they are
// handed where the lines are), here for the others.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadSettings, loadTags } from '../content/load.ts';
import { localImagesDir, localMediaBase, mediaPath, settingsWithLocalMedia, withLocalMedia } from '../content/media.ts';
import type { ContentStore } from '../content/store.ts';
import type { Config } from '../core/config.ts';
import { collectGarbage, collectSooner } from '../core/collect-garbage.ts';
import { NewsdeskError, isNewsdeskError } from '../core/errors.ts';
import { issuePath, tagPath, type RenderContext, type RenderWarning } from '../core/render.ts';
import { renderArchivePage, renderNotFoundPage, tagPageAround } from '../web/archive-page.tsx';
import { buildFeeds, type FeedEntry, type Feeds } from '../web/feeds.ts';
import type { Neighbours } from '../web/issue-page.tsx';
import { feedFiles, feedLength } from '../web/site.ts';
import { forgetTopicFeeds } from '../web/topic-feeds.ts';
import { renderSitemap } from '../web/sitemap.ts';
import { renderSearchScript, searchScriptPath } from '../web/search-box.tsx';
import { renderStylesheet, stylesheetPath } from '../web/style.ts';
import { forgetLinksIndex, rememberWalk, settleEarlierBuilds } from './links-index.ts';
import { StoredPageKeys, prepareLinks, writeLinks, type LinksOutput } from './links-output.ts';
import { BuildCache, PageStore, cacheKey, type PageContent } from './cache.ts';
import { InPlaceOutput, OutputManifest, contentKey, forgetTextKeys, readOutputFile } from './in-place-output.ts';
import { StagedOutput, inLanes, settled } from './output.ts';
import { buildSearchIndex, forgetSearchShares, readSearchShare, readSearchState, saveSearchState, tagDigest, type SearchState } from './search-index.ts';
import {
  SourceIndex,
  projectListings,
  fetchRawContent,
  forgetTaggedLinks,
  issueLines,
  parseProjectedIssue,
  projectIssues,
  tagDocumentsOf,
  type Listing,
} from './sources.ts';
import { TagLinks, forgetTagSorts, type TagPage } from './tag-pages.ts';
import { buildCacheFolder } from './cache-folder.ts';
import { linksCodeVersion, templateVersion } from './template-version.ts';
import { layoutPrefix, type LayoutStore } from '../emails/mjml-slots.ts';
import { RenderPool, issueBytes } from './worker-pool.ts';

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
  /** Files in the output. */
  files: number;
  /** Files written or replaced: all of them in a full build, only the changed ones in an in-place rebuild. */
  written: number;
  /** Whether only changed files were written into the existing output (BuildOptions.inPlace). */
  inPlace: boolean;
  warnings: RenderWarning[];
  durationMs: number;
  /** Milliseconds per build step (load, fingerprint, listings, plan, render, link, pages, search, swap, cleanup), for benchmarks. */
  spans: Record<string, number>;
  /** Left to another process (BuildOptions.handOff): this build rendered and wrote nothing; `rendered` is what it would have rendered. */
  handedOff?: boolean;
}

/** "load 834, fingerprint 256, …": BuildSummary.spans in the order the steps ran, in milliseconds. */
export function formatSpans(spans: Record<string, number>): string {
  return Object.entries(spans)
    .map(([name, ms]) => `${name} ${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)}`)
    .join(', ');
}

export interface BuildOptions {
  /** `content` says whether images are the local dataset's own (published under /media/). */
  config: Pick<Config, 'outDir' | 'dataDir' | 'baseUrl'> & Partial<Pick<Config, 'content'>>;
  store: ContentStore;
  onProgress?: (progress: BuildProgress) => void;
  signal?: AbortSignal;
  /** Worker threads for a full build; defaults to the machine's available parallelism. */
  threads?: number;
  /** Fewer cache misses than this are rendered in the calling thread (starting workers costs more). */
  workerThreshold?: number;
  /**
   * Published issues kept off the site for now: those scheduled for sending while the
   * web follows the send (delivery/schedule/scheduling.ts issuesHeldFromWeb).
   */
  withheld?: ReadonlySet<number>;
  /**
   * Write only the files whose content changed into the existing output folder, and
   * delete the ones the site no longer has, instead of building a new folder and swapping
   * it in: what the server does after a publish, so its cost follows the change, not the
   * archive. Files are replaced one by one (each atomically), so the folder is not
   * swapped as a whole. Needs the manifest an earlier build of this folder left; without
   * it the build writes a new folder as usual.
   */
  inPlace?: boolean;
  /**
   * Once the build knows it renders many issues (a first build, a new template), V8 collects
   * whenever the heap has grown by this many percent over what was live
   * (core/collect-garbage.ts collectSooner), for the rest of the process; unless given,
   * aloneHeapGrowth for a build alone in its process, else buildHeapGrowth.
   */
  heapGrowth?: number;
  /**
   * For a process that runs this build alone (`newsdesk build`): nothing is kept in memory
   * for a next build in it, and the steps that are made from what the links index is not
   * (the search index, the tag pages) run before it and let go of what they held. The
   * output is the same. A build that renders many issues goes so in any process.
   */
  alone?: boolean;
  /**
   * For a server: asked once the build knows how many of the issues it must render; true
   * leaves the build to a process of its own (`newsdesk build`, scripts/build-first.ts),
   * and this one returns before rendering or writing anything (BuildSummary.handedOff).
   * Then no render workers start before it is asked.
   */
  handOff?: (toRender: number, issues: number) => boolean;
  /** Test seam: runs after everything is staged (written, in place) and before the swap; a throw aborts the build. */
  beforeCommit?: () => void | Promise<void>;
}

/**
 * BuildOptions.heapGrowth for a build in a process that goes on after it (a server). A
 * first build of 1,000 issues on a lazy store peaked at 537-542 MB with 40 (four runs),
 * 543-547 with 25, 551-561 with 33 and 594-597 MB with V8's own factor; V8's collector
 * threads spent 6.3-6.8 s of CPU with 40, 6.5-8 s with 25, 5.1-5.3 s with its own. Not for
 * a build that renders a few issues: it peaks at 300 MB either way, and its collections
 * took 40-50 ms more of a 1.5 s rebuild.
 */
export const buildHeapGrowth = 40;

/**
 * BuildOptions.heapGrowth for a build alone in its process (`newsdesk build`, BuildOptions.alone).
 * Since such a build keeps nothing for a next one, a first build of 1,000 issues peaks lower
 * (412-435 MB with 40), and it has the room to collect less often: with 70 it peaked at
 * 440-447 MB, V8's collector threads spending 0.7-1.7 s less CPU and the main thread
 * 0.4-0.5 s less (alternating pairs).
 */
export const aloneHeapGrowth = 70;

/** BuildOptions.workerThreshold's default: a build renders this many issues or fewer in the calling thread. */
export const workerThreshold = 8;

/** Tag pages made and written at once (placeTagPages): reading and writing one overlaps making another; a publish to 1,000 issues spent 70-100 ms less on them than one at a time. */
const tagPageLanes = 3;

/** Issues projected at a time: few enough that projecting them (synchronous) does not outlast the jobs the workers hold. */
const projectionChunk = 25;

export async function buildSite(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const spans: Record<string, number> = {};
  let mark = started;
  const span = (name: string) => {
    const now = performance.now();
    spans[name] = (spans[name] ?? 0) + (now - mark);
    mark = now;
  };
  const { config, store } = options;
  // What an earlier build in this process (a running server) still held of its documents is let go.
  settleEarlierBuilds();
  const progress = options.onProgress ?? (() => undefined);
  progress({ phase: 'load', done: 0, total: 0 });

  const threads = Math.max(1, options.threads ?? availableParallelism());
  const threshold = options.workerThreshold ?? workerThreshold;
  const cache = new BuildCache(path.join(config.dataDir, buildCacheFolder));
  // Whether the spare output folder can be staged in (build/output.ts): a folder listing, done while content loads.
  const spareLooked = options.inPlace ? undefined : StagedOutput.lookAtSpare(path.resolve(config.outDir), cache.dir);
  spareLooked?.catch(() => undefined);
  const sourceIndex = new SourceIndex(cache.dir);
  // What the last build left to patch its search index with (build/search-index.ts patchIndex).
  const searchStateFile = path.join(cache.dir, 'search-state.json');
  const searchState = readSearchState(searchStateFile);
  // What the last build's tag pages were made from (build/tag-pages.ts).
  const tagLinksRecord = TagLinks.read(cache.dir);
  // The content loads meanwhile: reading the dataset needs neither the template version nor the records.
  const content = Promise.all([loadSettings(store), fetchRawContent(store), loadTags(store)]);
  // Awaited in build(); this only keeps a failure before then from going unhandled.
  content.catch(() => undefined);
  const [version, linksCode] = await Promise.all([templateVersion(), linksCodeVersion(), sourceIndex.load()]);
  // Compiled email layouts, kept for the next process (emails/mjml-slots.ts); named for this template version.
  const layouts: LayoutStore = { dir: path.join(cache.dir, 'layouts'), salt: version };
  // Starting a worker costs about a second; on a first build or after a template change
  // every issue is rendered, so start them now and let them load while content loads.
  let pool: RenderPool | undefined;
  // Whether this build keeps nothing for a next one (BuildOptions.alone): in a process that
  // runs it alone, and in any process once it renders many issues.
  let lean = options.alone === true;
  // Many issues to render: known when the workers start, or once the cache is read. A server's
  // first build, or its first after a template change, then goes as `newsdesk build` goes: V8
  // collects sooner (BuildOptions.heapGrowth) and the build keeps nothing for the next, which
  // takes what it needs from the build cache, as a new process does. Kept for the next, a
  // server's full build of 1,000 issues peaked at 547-555 MB and its edits after it at
  // 605-616 MB; lean, at 420-446 MB, and 444-488 MB after edits and a publish, its first
  // rebuild as quick (0.6-1.1 s).
  const renderingMany = () => {
    lean = true;
    collectSooner(options.heapGrowth ?? (options.alone ? aloneHeapGrowth : buildHeapGrowth));
  };
  const startPool = () => {
    if (!pool) renderingMany();
    return (pool ??= RenderPool.start({ threads, cacheDir: cache.dir }));
  };
  if (threads > 1 && !options.handOff && (sourceIndex.templateVersion === undefined || sourceIndex.templateVersion !== version)) startPool();

  // The renderers (React, and MJML when an email layout must be compiled: emails/mjml-slots.ts)
  // take a tenth to a third of a second to load, in this thread when few issues are to be
  // rendered: loaded when the first is, since loading them while content loads saves nothing
  // in one thread, and a rebuild with nothing to render needs none (`newsdesk build` with
  // nothing changed: 0.2-0.3 s sooner).
  let renderer: Promise<typeof import('./render-issue.ts')> | undefined;
  const renderModule = () => (renderer ??= import('./render-issue.ts'));

  try {
    return await build();
  } finally {
    await pool?.close();
  }

  async function build(): Promise<BuildSummary> {
    const [storedSettings, everything, tags] = await content;
    const withheld = options.withheld ?? new Set<number>();
    const raw = withheld.size === 0 ? everything : { ...everything, issues: everything.issues.filter((doc) => !withheld.has(doc.number as number)) };
    const baseUrl = (config.baseUrl ?? storedSettings.siteUrl).replace(/\/+$/, '');
    const mediaBase = localMediaBase(config, baseUrl);
    const settings = settingsWithLocalMedia(storedSettings, mediaBase);
    const ctx: RenderContext = { baseUrl, settings };
    span('load');

    // Fetch listings only for issues whose content we have not seen.
    const sources = raw.issues.map((doc) => {
      const fingerprint = sourceIndex.fingerprint(doc, raw.byId);
      return { id: doc._id, fingerprint, listing: sourceIndex.get(fingerprint) };
    });
    span('fingerprint');
    const unknown = sources.filter((s) => !s.listing).map((s) => s.id);
    // Each issue whose listing is unknown changed, so renders: the pool starts now unless that many would be handed off.
    // A build that will be handed to another process (BuildOptions.handOff) walks nothing for the links index here.
    const many = threads > 1 && unknown.length > threshold;
    const handingOff = many && (options.handOff?.(unknown.length, sources.length) ?? false);
    if (many && !handingOff) startPool();
    const fetched = new Map(projectListings(raw, unknown, handingOff ? undefined : rememberWalk).map((l) => [l.id, l] as const));
    const listings = new Map<string, Listing>();
    for (const source of sources) {
      const listing = source.listing ?? fetched.get(source.id);
      if (!listing) throw new NewsdeskError('BUILD_FAILED', `Issue ${source.id} disappeared while building`, { hint: 'Build again.' });
      listings.set(source.id, listing);
    }
    span('listings');

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

    const metas = await cache.readMetas(planned.map((p) => p.key));
    const missing = planned.filter((p) => !metas.has(p.key));
    if (options.handOff?.(missing.length, planned.length)) {
      span('plan');
      const none = { threads: 0, files: 0, written: 0, inPlace: false, warnings: [] };
      return { outDir: path.resolve(config.outDir), issues: planned.length, rendered: missing.length, reused: planned.length - missing.length, ...none, durationMs: performance.now() - started, spans, handedOff: true };
    }
    if (missing.length > threshold) renderingMany();
    // Newest first: the issues readers are most likely to open are ready first.
    missing.sort((a, b) => b.listing.number - a.listing.number);
    // The tag documents, which no issue's cache key covers (a link's tags are shown by name).
    let tagDocs: string | undefined;
    const tagsDigest = () => (tagDocs ??= tagDigest(tagDocumentsOf(everything)));
    // Pages made from many issues (the archive, tag pages), stored by what they show (build/cache.ts).
    const pages = new PageStore(path.join(cache.dir, 'pages'), version);
    // Each issue's records file of the search index, from when its share is read until it is placed (build/search-index.ts StoredRecords).
    const searchRecords = new PageStore(path.join(cache.dir, 'search-records'), version, '.json');
    // Each tag's links: from the last build's record when no issue's use of links changed (build/tag-pages.ts).
    const tagRecord = await tagLinksRecord;
    let tagLinksPlan: TagLinks | undefined;
    const tagLinks = () =>
      (tagLinksPlan ??= TagLinks.plan({
        cacheDir: cache.dir,
        record: tagRecord,
        context: createHash('sha256').update(JSON.stringify([version, tagsDigest()])).digest('base64url'),
        issues: planned,
        raw,
        listings,
        pages,
      }));
    // The tag pages (and the tags with one, which the link pages name), from the same listings.
    let tagPagesMade: TagPage[] | undefined;
    const tagPages = () => (tagPagesMade ??= tagLinks().pages(planned.map((p) => p.listing), tags));
    span('plan');

    // The link pages and feeds need only content: prepared while the workers render when a
    // core is left for it (overlapLinks below), else after them.
    const linkPageKeys = StoredPageKeys.in(cache.dir, version);
    // What the current output holds (build-cache/output.json), by content key.
    const outDir = path.resolve(config.outDir);
    const manifest = new OutputManifest(cache.dir);
    const currentOutput = manifest.read(outDir);
    let linksOutput: Promise<LinksOutput> | undefined;
    const links = () => {
      if (!linksOutput) {
        const tagged = tagPages().map((t) => t.tag);
        const keys = new Map(planned.map((p) => [p.id, p.key] as const));
        const digest = createHash('sha256').update(JSON.stringify([version, linksCode, ctx, tagged, tagsDigest()])).digest('base64url');
        linksOutput = currentOutput.then((current) =>
          prepareLinks(raw, listings, tagged, ctx, () => new Promise((resolve) => setImmediate(resolve)), linkPageKeys, { digest, keys, outDir, current }),
        );
        // Awaited with the pages below; this only keeps a failure meanwhile from going unhandled.
        linksOutput.catch(() => undefined);
      }
      return linksOutput;
    };

    let done = 0;
    progress({ phase: 'render', done, total: missing.length });
    const useWorkers = threads > 1 && missing.length > threshold;
    // Each rendered issue's share of the search index is read as it arrives, while the workers render the next.
    const searchReads: Promise<void>[] = [];
    if (useWorkers) {
      const workers = startPool();
      // With a core for each worker and none to spare, preparing the links while they render
      // only takes turns with them, and holds the links index alongside the workers' heaps:
      // on 2 cores, a full build of 1,000 issues peaked at 889-898 MB that way, 839-846 MB
      // preparing them after, in the same time (15.6-17.3 s against 16.3-17.0 s, alternating).
      const overlapLinks = availableParallelism() > workers.threads;
      const rendering: Promise<void>[] = [];
      // Planned once the first issues are with the workers (it reads every tagged link), not before.
      let searchLinks: ReturnType<TagLinks['forSearch']> | undefined;
      for (let i = 0; i < missing.length; i += projectionChunk) {
        // Project only as fast as the workers render, so projected issues never pile up.
        await workers.drained(threads * 2);
        if (options.signal?.aborted) throw interrupted();
        if (workers.failed) break;
        const chunk = missing.slice(i, i + projectionChunk);
        // Each issue read from the dataset file goes to a worker as where its lines are; the others
        // are projected here. The file stays open while its documents live: `content` holds them
        // until this function returns, after the workers are stopped.
        const lines = new Map(chunk.map((p) => [p.id, issueLines(raw, p.id)] as const));
        const projected = projectIssues(raw, chunk.filter((p) => !lines.get(p.id)));
        for (const p of chunk) {
          const fromLines = lines.get(p.id);
          const issue = fromLines ? undefined : projected.get(p.id);
          if (!fromLines && !issue) throw disappeared(p.listing);
          const job = workers
            .render({ key: p.key, ...(fromLines ? { lines: fromLines } : { issue: issueBytes(JSON.stringify(issue)) }), listing: p.listing, neighbours: p.neighbours, ctx, mediaBase, layouts, withSearch: !lean })
            .then(({ meta, search }) => {
              metas.set(p.key, meta);
              progress({ phase: 'render', done: ++done, total: missing.length });
              // A failure here is met again, and reported, when the index is built. A lean build
              // asks for no search document back and reads the shares after the render
              // (BuildOptions.alone): reading them needs every tagged link, which would be
              // held beside the workers.
              if (search !== undefined) searchReads.push(readSearchShare({ key: p.key, file: cache.entryPath(p.key), text: search }, (searchLinks ??= tagLinks().forSearch()), searchRecords).catch(() => undefined));
            });
          // Failures are collected below; this only keeps an early exit from leaving them unhandled.
          job.catch(() => undefined);
          rendering.push(job);
        }
        if (i === 0 && overlapLinks) links();
      }
      // Settle every job before leaving, so a failure reports the first error, not a stopped pool.
      await settled(rendering);
    } else {
      await pool?.close();
      pool = undefined;
      for (let i = 0; i < missing.length; i += projectionChunk) {
        const chunk = missing.slice(i, i + projectionChunk);
        const projected = projectIssues(raw, chunk);
        for (const p of chunk) {
          if (options.signal?.aborted) throw interrupted();
          const raw = projected.get(p.id);
          if (!raw) throw disappeared(p.listing);
          const issue = withLocalMedia(parseProjectedIssue(raw, p.listing), mediaBase);
          const { renderIssueArtifacts } = await renderModule();
          const artifacts = await renderIssueArtifacts({ issue, neighbours: p.neighbours, ctx, key: p.key, layouts });
          metas.set(p.key, await cache.write(p.key, issue.number, artifacts));
          progress({ phase: 'render', done: ++done, total: missing.length });
        }
      }
    }
    if (options.signal?.aborted) throw interrupted();
    await pool?.close();
    // The workers' replies, the issues projected here for them (those edited in the journal)
    // and the search documents read back left garbage on this thread's heap, which would
    // otherwise stay through the pages step (core/collect-garbage.ts).
    if (useWorkers) collectGarbage();
    span('render');

    progress({ phase: 'write', done, total: missing.length });
    const current = await currentOutput;
    const previous = options.inPlace ? current : undefined;
    // Files are about to change one by one: a crash half-way must leave no manifest claiming the old state.
    if (previous) await Promise.all([manifest.forget(), saveSearchState(searchStateFile, undefined)]);
    const staged = previous ? new InPlaceOutput(outDir, previous) : await StagedOutput.create(outDir, current, cache.dir, spareLooked);
    let files = 0;
    let searchIndexState: SearchState | undefined;
    const write = async (rel: string, content: string | Promise<string>) => {
      await staged.write(rel, await content);
      files++;
    };
    try {
      await settled(
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
      files += await publishLocalImages(staged, localImagesDir(config));
      span('link');

      // The feeds show the newest issues whole: known by those issues' cache keys (each covers
      // the issue, the context and the templates), so an edit to an older issue neither reads
      // their bodies nor builds the feeds again (placeOnce).
      const fed = planned.slice(-feedLength);
      let feedsMade: Promise<Feeds> | undefined;
      const feeds = () =>
        (feedsMade ??= Promise.all(fed.map(async (p): Promise<FeedEntry> => ({ issue: p.listing, contentHtml: await cache.readBody(p.key) }))).then(
          (entries) => buildFeeds(entries, ctx),
        ));
      const feedKeys = fed.map((p) => p.key);
      const placeFeed = (kind: keyof Feeds) => placeOnce(staged, pages, feedFiles[kind], [feedKeys], async () => (await feeds())[kind]).then(() => void files++);
      const issueListings = planned.map((p) => p.listing);
      const tagPlan = tagLinks();
      // The reader-search index: every issue's search document, merged (build/search-index.ts).
      const searchStep = async () => {
        await Promise.all(searchReads);
        const search = await buildSearchIndex(
          planned.map((p) => ({ key: p.key, file: cache.entryPath(p.key) })),
          tagPlan.forSearch(),
          { template: version, tags: tagsDigest() },
          { outDir, state: await searchState },
          searchRecords,
        );
        searchIndexState = search.state;
        const searchFiles = search.files;
        // In order, 64 writers at a time: thousands of small files written at once would hold as
        // many open files, and meta.json, which names the rest, comes last (search-index.ts).
        // An issue's records file without content is the one the current output has; one in
        // the page store is hard-linked from there.
        const place = async ([rel, content]: (typeof searchFiles)[number]) => {
          if (typeof content === 'string') return write(rel, content);
          if (content !== undefined) {
            searchRecords.keep(content.key);
            await staged.linkFrom(rel, content.path).catch((error: NodeJS.ErrnoException) => {
              // Deleted under a running server: the next build reads the shares again.
              if (error.code === 'ENOENT') forgetSearchShares();
              throw error;
            });
            files++;
            return;
          }
          await staged.place(rel, current?.get(rel), () =>
            readOutputFile(
              outDir,
              rel,
              () => rmSync(searchStateFile, { force: true }),
              'whose search index this build was updating',
              'Build again: the next build makes the search index from every issue instead.',
            ),
          );
          files++;
        };
        await inLanes(searchFiles.slice(0, -1), 64, place);
        await place(searchFiles.at(-1)!);
        span('search');
      };
      // A few tag pages at a time (each is rendered, written and dropped before the lane takes
      // another): reading and writing one (megabytes) overlaps making the next.
      const placeTagPages = async () => {
        await inLanes(tagPages(), tagPageLanes, async (t) => {
          const rel = `${tagPath(t.tag.slug)}index.html`;
          // The links section (most of the page) is known by its digest: taken from the page that held it, rendered only when its links change.
          const key = await placeOnce(staged, pages, rel, [t.tag, t.issues, ctx, t.linksDigest], async () => {
            const [before, after] = tagPageAround(t.tag, t.issues, ctx);
            // Written in parts: the links section (megabytes) is not copied again.
            return [Buffer.from(before), ...(await tagPlan.section(t.tag.slug)), Buffer.from(after)];
          });
          // The next build finds this tag's links section in that page.
          tagPlan.placed(t.tag.slug, key);
          files++;
        });
      };
      if (lean) {
        // Lean (see above), the build writes the search index and the tag pages before
        // making the links index, and lets go of what they were made from: the search index's
        // shares (16 MB for 1,000 issues) and the tagged links with what the tag pages keep of
        // them (each tag's sort, the markup: over 40 MB for 52,000 links) are not kept for a
        // next build, so they are not held beside the links index, where the build peaked.
        await searchStep();
        forgetSearchShares();
        await placeTagPages();
        tagPlan.settle();
        forgetTaggedLinks();
        span('tags');
      }
      const linkOutput = await links();

      await settled([
        write(stylesheetPath(settings), renderStylesheet(settings)),
        write(searchScriptPath, renderSearchScript()),
        placeOnce(staged, pages, 'index.html', [issueListings, ctx], () => renderArchivePage(issueListings, ctx)).then(() => void files++),
        write('404.html', renderNotFoundPage(ctx)),
        placeFeed('rss'),
        placeFeed('atom'),
        placeFeed('json'),
        write(
          'sitemap.xml',
          renderSitemap(
            issueListings,
            tagPages().map((t) => ({ slug: t.tag.slug, lastmod: t.issues.at(-1)?.date })),
            ctx,
            linkOutput.pages,
          ),
        ),
        writeLinks(linkOutput, async (rel, key, render) => {
          files++;
          return staged.place(rel, key, render);
        }),
        lean ? Promise.resolve() : placeTagPages(),
      ]);
      span('pages');

      if (!lean) await searchStep();

      if (options.signal?.aborted) throw interrupted();
      await options.beforeCommit?.();
      if (staged instanceof StagedOutput) await staged.commit();
      else await staged.removeStale();
      span('swap');
    } catch (error) {
      if (staged instanceof StagedOutput) await staged.discard();
      if (isNewsdeskError(error)) throw error;
      const state = staged instanceof StagedOutput ? `${config.outDir} is unchanged` : `some files in ${config.outDir} may be new and others old until the next build`;
      throw new NewsdeskError('BUILD_FAILED', `Writing the output failed: ${(error as Error)?.message ?? String(error)}; ${state}`, {
        hint: 'Check that the output folder is writable and the disk has space, then build again.',
        cause: error,
      });
    }
    // Deleting the replaced output (thousands of files) is not awaited: it sits under a
    // name unique to this build that nothing else reads or links to, so the summary need
    // not wait for it, and a detached process does it (StagedOutput.removePrevious), so
    // `newsdesk build` need not either; a failure only leaves a stray hidden folder.
    if (staged instanceof StagedOutput) staged.removePrevious().catch(() => undefined);
    // Only after a successful swap: a failed build keeps the entries the old output links to.
    // Awaited: pruning while the next build writes new entries would delete them. An
    // in-place rebuild drops just the entries the output stopped using (a full build
    // sweeps the whole cache, leftovers of failed builds included).
    const keep = new Set(planned.map((p) => p.key));
    await Promise.all([
      previous ? cache.remove([...cacheKeysIn(previous.values(), cache)].filter((key) => !keep.has(key))) : cache.prune(keep),
      sourceIndex.save(
        new Map(planned.map((p) => [p.fingerprint, p.listing])),
        version,
        planned.map((p) => raw.byId.get(p.id)!),
      ),
      manifest.save(outDir, staged.files),
      saveSearchState(searchStateFile, searchIndexState),
      cache.saveMetas(new Map(planned.map((p) => [p.key, metas.get(p.key)!] as const))),
      pages.prune(),
      searchRecords.prune(),
      linkPageKeys.save(),
      tagLinksPlan?.save(),
      removeOtherLayouts(layouts),
    ]);
    span('cleanup');

    const warnings = planned.flatMap((p) => metas.get(p.key)?.warnings ?? []);
    return {
      outDir: path.resolve(config.outDir),
      issues: planned.length,
      rendered: missing.length,
      reused: planned.length - missing.length,
      threads: useWorkers ? Math.min(threads, missing.length) : 0,
      files,
      written: staged instanceof StagedOutput ? staged.files.size : staged.written.length,
      inPlace: !(staged instanceof StagedOutput),
      warnings,
      durationMs: performance.now() - started,
      spans,
    };
  }
}

function disappeared(listing: Listing): NewsdeskError {
  return new NewsdeskError('BUILD_FAILED', `Issue ${listing.number} disappeared while building`, { hint: 'Build again.' });
}

function ref(issue: Listing | undefined) {
  return issue ? { number: issue.number, slug: issue.slug, title: issue.title } : undefined;
}

function interrupted(): NewsdeskError {
  return new NewsdeskError('BUILD_FAILED', 'The build was interrupted', { hint: 'The previous output is untouched; run the build again.' });
}

/**
 * The last page rendered per output path, with what it was rendered from: a server
 * rebuilding after a publish renders the archive and each tag page again only when
 * something they show changed (a tag page's links are in its inputs by their digest:
 * build/tag-pages.ts). A new process (`newsdesk build` after an edit) finds them in the
 * PageStore, by a hash of the same inputs. Only the page's key is kept: the page itself
 * is a file in the store, linked into the output.
 */
const lastPages = new Map<string, { inputs: string; key: string }>();

/**
 * Forgets what earlier builds in this process kept for the next one, as a new process has
 * none of it, so the next build reads what it needs from the build cache: for a server
 * whose site another process is building (BuildOptions.handOff), which would otherwise
 * hold what described the site before beside that build and after it, and for tests.
 * What was kept is content-addressed, so the next build is right either way; a server on
 * 1,000 issues held 241-315 MB after the other process's build, against 348-368 MB just before it.
 */
export function forgetEarlierBuilds(): void {
  lastPages.clear();
  forgetSearchShares();
  forgetTaggedLinks();
  forgetTagSorts();
  forgetLinksIndex();
  forgetTopicFeeds();
  forgetTextKeys();
  StoredPageKeys.forgetAll();
}

/**
 * Places the page at `rel` by hard link from the page store (entries never change once
 * written, as the cache's), rendering and storing it first when the store lacks it: the
 * page is never read back or held in memory. Resolves with its key in the store.
 */
async function placeOnce(
  staged: Pick<StagedOutput, 'linkFrom'>,
  pages: PageStore,
  rel: string,
  inputs: unknown[],
  render: () => PageContent | Promise<PageContent>,
): Promise<string> {
  const json = JSON.stringify(inputs);
  const last = lastPages.get(rel);
  const key = last && last.inputs === json ? last.key : pages.keyOf(rel, json);
  pages.keep(key);
  if (!(await pages.has(key))) await pages.write(key, await render());
  lastPages.set(rel, { inputs: json, key });
  await staged.linkFrom(rel, pages.file(key));
  return key;
}

/** Cache entries that output files (by their manifest keys) are hard links to. */
function cacheKeysIn(keys: Iterable<string>, cache: BuildCache): Set<string> {
  const prefix = contentKey.link(`${cache.dir}${path.sep}`);
  const out = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    // Entries' files sit in <shard>/<key>.<name> (BuildCache.entryFilePath; in <shard>/<key>/<name>
    // before); the page store's files (pages/<key>.html) are pruned by the page store.
    const [shard, entry] = key.slice(prefix.length).split(path.sep);
    if (entry !== undefined && /^[0-9a-f]{2}$/.test(shard!)) out.add(entry.split('.')[0]!);
  }
  return out;
}

/** Removes the stored email layouts of other template versions (every layout of this one may be used again). */
async function removeOtherLayouts(store: LayoutStore): Promise<void> {
  const prefix = layoutPrefix(store.salt);
  const names = await fs.readdir(store.dir).catch(() => [] as string[]);
  // Temporary files of interrupted writes too.
  const stale = names.filter((name) => !name.startsWith(prefix) || !name.endsWith('.json'));
  await Promise.all(stale.map((name) => fs.rm(path.join(store.dir, name), { force: true })));
}

/** Puts every image uploaded to the local dataset into the output's media folder (hard links: no copies). */
async function publishLocalImages(staged: Pick<StagedOutput, 'linkFrom'>, dir: string | undefined): Promise<number> {
  if (!dir) return 0;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const images = names.filter((n) => /^[a-f0-9]{40}-\d+x\d+\.[a-z0-9]+$/.test(n));
  await Promise.all(images.map((name) => staged.linkFrom(`${mediaPath}/${name}`, path.join(dir, name))));
  return images.length;
}
