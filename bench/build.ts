// Build benchmark (not a test): generates N synthetic issues of real size (~12 sections,
// ~80 links each) into a temporary dataset, then reports the full build time and rate,
// a one-issue incremental rebuild, a publish, a no-change rebuild, where the time goes (the build's
// own timing spans), peak RSS (worker threads share the process, so this covers them),
// and the raw cost of mjml2html for one issue as the floor. The full build is also timed as a
// user runs it: `newsdesk build` (the compiled CLI) from an empty data folder, from outside.
// Generating the dataset, the builds and measuring the floor each run in a child process, so
// a peak RSS is one step's alone. Then, each in a fresh process: loading the dataset, and
// `newsdesk build` (the compiled CLI) after a one-issue edit, timed from outside as a user
// waits for it. The last lines are the figures with their targets.
//   npm run bench:build -- [--issues 1000] [--threads N]
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { optimiseLater } from '../bin/v8-tiering.js';
import { runCli, type CliRun } from './list-kit.ts';
import type { BuildSummary } from '../build/build-site.ts';

// As `newsdesk build` runs (scripts/index.ts): React's production build in this thread
// too. Set before the build's modules load (the child processes inherit it).
process.env.NODE_ENV ??= 'production';
const { buildSite, formatSpans } = await import('../build/build-site.ts');
const { GroqJsStore } = await import('../content/groq-js-store.ts');

const { values } = parseArgs({
  options: {
    issues: { type: 'string', default: '1000' },
    threads: { type: 'string' },
    // Internal: the child-process steps.
    'generate-into': { type: 'string' },
    'fresh-build': { type: 'string' },
    'mjml-floor': { type: 'string' },
    'load-dataset': { type: 'string' },
    'builds-in': { type: 'string' },
  },
});

/** Targets from the build's scale issue: against the mjml2html floor, and in seconds and MB. */
const targets = { floorRatio: 3, peakMb: 500, freshRebuildS: 1.5 };

if (values['generate-into']) {
  const { syntheticDataset, writeDataset } = await import('../tests/build-dataset.ts');
  await writeDataset(values['generate-into'], syntheticDataset({ issues: Number(values.issues) }));
} else if (values['fresh-build']) {
  const dir = values['fresh-build'];
  // V8's tiering as the CLI sets it (bin/v8-tiering.js): this build stands for a server's, which runs under it.
  optimiseLater();
  // As `newsdesk build` runs it (scripts/build.ts): documents parsed when read, few parses kept, V8 collecting sooner in a first build.
  const store = new GroqJsStore({ datasetPath: path.join(dir, 'dataset.ndjson'), lazy: true });
  const threads = values.threads === undefined ? {} : { threads: Number(values.threads) };
  const summary = await buildSite({ config: { outDir: path.join(dir, 'dist'), dataDir: path.join(dir, 'data'), baseUrl: undefined }, store, alone: true, ...threads });
  console.log(JSON.stringify({ seconds: summary.durationMs / 1000, rendered: summary.rendered, peakMb: process.resourceUsage().maxRSS / 1024, spans: spans(summary) }));
} else if (values['mjml-floor']) {
  console.log(JSON.stringify(await mjmlFloor(values['mjml-floor'])));
} else if (values['builds-in']) {
  optimiseLater();
  await inProcessBuilds(values['builds-in']);
} else if (values['load-dataset']) {
  const t = performance.now();
  const store = new GroqJsStore({ datasetPath: values['load-dataset'] });
  const docs = await store.fetch<unknown[]>('*', {}, { perspective: 'published' });
  console.log(JSON.stringify({ seconds: (performance.now() - t) / 1000, documents: docs.length, peakMb: process.resourceUsage().maxRSS / 1024 }));
} else {
  await bench();
}

/** The full build, a one-issue rebuild, a second edit and a no-change build, in this process; the last line is their figures as JSON. */
async function inProcessBuilds(dir: string): Promise<void> {
  const issues = Number(values.issues);
  const threads = values.threads === undefined ? os.availableParallelism() : Number(values.threads);
  const datasetPath = path.join(dir, 'dataset.ndjson');
  const datasetMb = (await fs.stat(datasetPath)).size / 1e6;
  // As `newsdesk serve` reads the dataset without the Studio (scripts/serve.ts): lazily. A
  // server with the Studio reads it whole for its lake: 644 MB through the full build and
  // 699 MB after the rebuilds, against 556 and 612 MB, the rebuilds as quick (2026-12-06,
  // before a build that renders many issues kept nothing for the next: 421 and 444 MB).
  const store = new GroqJsStore({ datasetPath, lazy: true });
  const config = { outDir: path.join(dir, 'dist'), dataDir: path.join(dir, 'data'), baseUrl: undefined };
  const progress = process.stderr.isTTY
    ? (p: { phase: string; done: number; total: number }) => process.stderr.write(`\r\x1b[2K${p.phase} ${p.done}/${p.total}`)
    : undefined;

  const cpuBefore = process.cpuUsage();
  const full = await buildSite({ config, store, threads, ...(progress ? { onProgress: progress } : {}) });
  if (progress) process.stderr.write('\r\x1b[2K');
  const fullS = full.durationMs / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const fullCpuS = (cpu.user + cpu.system) / 1e6;
  console.log(
    `full build:        ${fullS.toFixed(1)} s for ${full.issues} issues (${(full.issues / fullS).toFixed(0)} issues/s, ${full.threads} worker threads, ${full.files} files; ${fullCpuS.toFixed(1)} s CPU over all threads)`,
  );
  console.log(`                   ms: ${spans(full)}`);
  const fullPeakMb = process.resourceUsage().maxRSS / 1024;

  await store.mutate([{ patch: { id: `issue-${Math.ceil(issues / 2)}`, set: { summary: 'An edited summary, to time a one-issue rebuild.' } } }]);
  const incremental = await buildSite({ config, store, threads });
  console.log(
    `incremental build: ${(incremental.durationMs / 1000).toFixed(2)} s (${incremental.rendered} rendered, ${incremental.reused} reused; content store already loaded, renderers loaded on first use in this thread)`,
  );
  console.log(`                   ms: ${spans(incremental)}`);
  await store.mutate([{ patch: { id: `issue-${Math.ceil(issues / 4)}`, set: { summary: 'A second edited summary: the renderers are loaded now.' } } }]);
  const second = await buildSite({ config, store, threads });
  console.log(`second edit:       ${(second.durationMs / 1000).toFixed(2)} s (${second.rendered} rendered, ${second.reused} reused; what a long-running server's next webhook rebuild costs)`);
  console.log(`                   ms: ${spans(second)}`);
  // A server's everyday rebuild: a new issue published (the parent publishes the next ones),
  // its documents read through the store: reading the dataset file whole here would count
  // 80 MB of text and its lines in this process's peak, which no server holds.
  await store.mutate((await newIssueIn(store, Math.ceil(issues / 3), issues + 1)).map((doc) => ({ createOrReplace: doc })));
  const published = await buildSite({ config, store, threads });
  console.log(`publish:           ${(published.durationMs / 1000).toFixed(2)} s (${published.rendered} rendered, ${published.reused} reused; a new issue with new links, the server's everyday rebuild)`);
  console.log(`                   ms: ${spans(published)}`);
  const again = await buildSite({ config, store, threads });
  console.log(`no-change build:   ${(again.durationMs / 1000).toFixed(2)} s (${again.rendered} rendered, ${again.reused} reused)`);
  console.log(`                   ms: ${spans(again)}`);

  const peakMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    `peak RSS:          ${fullPeakMb.toFixed(0)} MB through the full build (main thread and workers, one process, the ${datasetMb.toFixed(0)} MB dataset read lazily as newsdesk serve reads it without the Studio); ${peakMb.toFixed(0)} MB after the edits, a publish and the rebuilds`,
  );
  console.log(JSON.stringify({ fullS, fullCpuS, fullPeakMb, peakMb, threads: full.threads }));
}

/** As child(), the child's lines shown as they come (its progress too); returns its output. */
async function childStreaming(args: string[]): Promise<string> {
  const proc = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  let shown = 0;
  proc.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    // Whole lines only; the last one (the figures as JSON) is for this process, not the reader.
    const end = output.lastIndexOf('\n') + 1;
    for (const line of output.slice(shown, end).split('\n').slice(0, -1)) if (!line.startsWith('{')) console.log(line);
    shown = end;
  });
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
  if (code !== 0) throw new Error(`bench/build.ts ${args.join(' ')} exited with ${code}`);
  return output;
}

/** Runs this script again in a child process (same Node, same tsx loader) and returns its output. */
function child(args: string[]): string {
  return execFileSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, ...args], { encoding: 'utf8' });
}

/** The mjml2html floor (mjmlFloor), measured in a child process of its own. */
function mjmlFloorIn(datasetPath: string): { wallMs: number; cpuMs: number } {
  return JSON.parse(child(['--mjml-floor', datasetPath])) as { wallMs: number; cpuMs: number };
}

/** mjml2html on one issue's MJML, per run: wall and CPU milliseconds (CPU time holds steady on a busy machine, wall time does not). */
async function mjmlFloor(datasetPath: string): Promise<{ wallMs: number; cpuMs: number }> {
  const { default: mjml2html } = await import('mjml');
  const { loadIssueByNumber, loadSettings } = await import('../content/load.ts');
  const { buildIssueMjml } = await import('../emails/issue-email.ts');
  const store = new GroqJsStore({ datasetPath });
  const settings = await loadSettings(store);
  const issue = await loadIssueByNumber(store, 1);
  const source = buildIssueMjml(issue, { baseUrl: settings.siteUrl, settings });
  await mjml2html(source, { validationLevel: 'strict' });
  const runs = 100;
  const t = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < runs; i++) await mjml2html(source, { validationLevel: 'strict' });
  const used = process.cpuUsage(cpu);
  return { wallMs: (performance.now() - t) / runs, cpuMs: (used.user + used.system) / 1000 / runs };
}

function spans(summary: BuildSummary): string {
  return formatSpans(summary.spans);
}

async function bench(): Promise<void> {
  const issues = Number(values.issues);
  if (!Number.isInteger(issues) || issues < 2) throw new Error(`--issues must be a whole number of at least 2, not "${values.issues}"`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-build-'));
  try {
    const datasetPath = path.join(dir, 'dataset.ndjson');
    let t = performance.now();
    child(['--issues', String(issues), '--generate-into', datasetPath]);
    const datasetMb = (await fs.stat(datasetPath)).size / 1e6;
    console.log(`dataset: ${issues} issues × 12 sections × 80 links, ${datasetMb.toFixed(1)} MB, generated in ${((performance.now() - t) / 1000).toFixed(1)} s (child process)`);

    // The full build as a user runs it: `newsdesk build` (the compiled CLI) into an empty
    // data folder, a new process timed from outside; the same build in this script's process
    // follows (under tsx, whose workers compile TypeScript as they load), for the rebuilds.
    // The floor it is held to is measured just before and just after it: this shared machine's
    // speed drifts by a quarter within minutes (the floor came out at 5.4 and at 7.0 ms of CPU an
    // issue on one day), so a floor taken minutes away from the build skews the ratio either way.
    const scratch = { NEWSDESK_DATASET: datasetPath, NEWSDESK_OUT_DIR: path.join(dir, 'cli-dist'), NEWSDESK_DATA_DIR: path.join(dir, 'cli-data') };
    const floorBefore = mjmlFloorIn(datasetPath);
    const cliFull = await runCli(['build', ...(values.threads ? ['--threads', values.threads] : [])], scratch);
    const floorAfter = mjmlFloorIn(datasetPath);
    await fs.rm(scratch.NEWSDESK_OUT_DIR, { recursive: true, force: true });
    await fs.rm(scratch.NEWSDESK_DATA_DIR, { recursive: true, force: true });
    console.log(`newsdesk build:    ${cliFull.seconds.toFixed(1)} s for ${issues} issues from an empty data folder, from starting the process to its exit (${cliFull.cpuS.toFixed(1)} s CPU over all threads, ${cliFull.systemS.toFixed(1)} s of it in the kernel: making files and folders), peak RSS ${cliFull.peakMb.toFixed(0)} MB`);

    // The full build and the rebuilds in a process of their own: the processes timed after
    // them (a user's next `newsdesk build`) then run with no 0.9 GB process idling beside
    // them, which on this machine slowed them by a third or more.
    const builds = await childStreaming(['--issues', String(issues), '--builds-in', dir, ...(values.threads ? ['--threads', values.threads] : [])]);
    const { fullS, fullCpuS, fullPeakMb, peakMb, threads: usedThreads } = JSON.parse(builds.trim().split('\n').at(-1)!) as {
      fullS: number;
      fullCpuS: number;
      fullPeakMb: number;
      peakMb: number;
      threads: number;
    };
    // Lean: it only writes the edits, so this process keeps the dataset's identities, not its documents, in memory.
    const store = new GroqJsStore({ datasetPath, lean: true });
    const config = { outDir: path.join(dir, 'dist'), dataDir: path.join(dir, 'data'), baseUrl: undefined };

    // The rebuilds above left their replaced outputs to detached deleting processes: let
    // those finish, so the new processes below are timed on a disk nothing else is using.
    await replacedOutputsGone(dir);

    // What `newsdesk build` does after an edit: a new process that loads the dataset first.
    await store.mutate([{ patch: { id: `issue-${Math.ceil(issues / 3)}`, set: { summary: 'Another edited summary, for a fresh process.' } } }]);
    const fresh = JSON.parse(child(['--fresh-build', dir, ...(values.threads ? ['--threads', values.threads] : [])])) as {
      seconds: number;
      rendered: number;
      peakMb: number;
      spans: string;
    };
    console.log(`fresh process:     ${fresh.seconds.toFixed(2)} s for a one-issue rebuild including loading the dataset (${fresh.rendered} rendered), peak RSS ${fresh.peakMb.toFixed(0)} MB`);
    console.log(`                   ms: ${fresh.spans}`);

    // The CLI as a user runs it after an edit: a new process, timed from outside, the dataset
    // loaded from the file. Three of each kind (on this shared machine one run can be 15% off
    // the next): each is printed, and the last line gives their median.
    const cliEnv = { NEWSDESK_DATASET: datasetPath, NEWSDESK_OUT_DIR: config.outDir, NEWSDESK_DATA_DIR: config.dataDir };
    const cliArgs = ['build', ...(values.threads ? ['--threads', values.threads] : [])];
    const afterEach = async (what: string, edit: (i: number) => Promise<unknown>) => {
      const runs: CliRun[] = [];
      for (let i = 0; i < 3; i++) {
        // The rebuilds before left their replaced outputs to detached deleting processes: let those finish first.
        await replacedOutputsGone(dir);
        await edit(i);
        const run = await runCli(cliArgs, cliEnv);
        runs.push(run);
        console.log(`newsdesk build:    ${run.seconds.toFixed(2)} s ${what}, from starting the process to its exit, peak RSS ${run.peakMb.toFixed(0)} MB (${run.output.trim()})`);
      }
      const seconds = runs.map((r) => r.seconds).sort((a, b) => a - b);
      return { median: seconds[1]!, range: `${seconds[0]!.toFixed(2)}–${seconds[2]!.toFixed(2)}` };
    };
    const cli = await afterEach('after an edit to an issue\'s summary', (i) =>
      store.mutate([{ patch: { id: `issue-${Math.ceil(issues / 5) + i}`, set: { summary: 'An edited summary, for `newsdesk build`.' } } }]),
    );
    // The summary is on no link page, so that build reused the link pages whole; the words
    // around a link are on them, so after this edit the links index is made again.
    const cliWords = await afterEach('after an edit to the words around a link (the link pages made again)', (i) =>
      store.mutate([{ createOrReplace: withWordsEdited(datasetPath, `issue-${Math.ceil(issues / 7) + i}`) }]),
    );
    // The everyday one: a new issue published, with links never published before (the
    // newest issue re-rendered for its neighbour, every page that lists issues or links made again).
    const cliPublish = await afterEach('after publishing a new issue with new links', (i) =>
      store.mutate(newIssue(datasetPath, Math.ceil(issues / 2) + i, issues + 2 + i).map((doc) => ({ createOrReplace: doc }))),
    );

    const load = JSON.parse(child(['--load-dataset', datasetPath])) as { seconds: number; documents: number; peakMb: number };
    console.log(`dataset load:      ${load.seconds.toFixed(2)} s for ${load.documents} documents (${datasetMb.toFixed(0)} MB) in a fresh process, peak RSS ${load.peakMb.toFixed(0)} MB`);

    const floor = { wallMs: (floorBefore.wallMs + floorAfter.wallMs) / 2, cpuMs: (floorBefore.cpuMs + floorAfter.cpuMs) / 2 };
    const floorS = (floor.wallMs * issues) / 1000 / Math.max(1, usedThreads || 1);
    const floorCpuS = (floor.cpuMs * issues) / 1000;
    console.log(
      `mjml2html floor:   ${floor.wallMs.toFixed(1)} ms per issue (${floor.cpuMs.toFixed(1)} ms CPU: ${floorBefore.cpuMs.toFixed(1)} just before the newsdesk build, ${floorAfter.cpuMs.toFixed(1)} just after) → ${floorS.toFixed(1)} s for ${issues} issues on ${Math.max(1, usedThreads)} thread(s), ${floorCpuS.toFixed(1)} s CPU (this machine: ${os.availableParallelism()} cores)`,
    );
    console.log(`full build CPU, ${issues} issues, against the mjml2html floor's CPU (steady on a busy machine): newsdesk build ${(cliFull.cpuS / floorCpuS).toFixed(1)} × (${((cliFull.cpuS - cliFull.systemS) / floorCpuS).toFixed(1)} × without the kernel's part), in this script ${(fullCpuS / floorCpuS).toFixed(1)} × (target <= ${targets.floorRatio} ×)`);
    console.log(`full build, ${issues} issues, against the mjml2html floor: newsdesk build ${(cliFull.seconds / floorS).toFixed(1)} ×, in this script ${(fullS / floorS).toFixed(1)} × (target <= ${targets.floorRatio} ×)`);
    console.log(`full build peak RSS: newsdesk build ${cliFull.peakMb.toFixed(0)} MB, in this script ${fullPeakMb.toFixed(0)} MB (target <= ${targets.peakMb} MB)`);
    console.log(`peak RSS after the rebuilds (a server without the Studio, in its process): ${peakMb.toFixed(0)} MB (target <= ${targets.peakMb} MB)`);
    console.log(`dataset load peak RSS, ${issues} issues: ${load.peakMb.toFixed(0)} MB (target <= ${targets.peakMb} MB)`);
    console.log(
      `one-issue rebuild in a fresh process (newsdesk build), median of three: ${cli.median.toFixed(2)} s after a summary edit (${cli.range}), ${cliWords.median.toFixed(2)} s after an edit to the words around a link (${cliWords.range}), ${cliPublish.median.toFixed(2)} s after publishing a new issue (${cliPublish.range}) (target <= ${targets.freshRebuildS} s)`,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The issue document `id` as the dataset file holds it, with a sentence added to the first paragraph that links somewhere. */
function withWordsEdited(datasetPath: string, id: string): { _id: string; _type: string } {
  const line = readFileSync(datasetPath, 'utf8').split('\n').find((l) => l.includes(`"_id":"${id}"`));
  if (!line) throw new Error(`${id} is not in ${datasetPath}`);
  const doc = JSON.parse(line) as { _id: string; _type: string; sections: Array<{ body?: Array<{ markDefs?: unknown[]; children?: Array<{ text?: string }> }> }> };
  const block = doc.sections.flatMap((s) => s.body ?? []).find((b) => b.markDefs?.length && b.children?.some((c) => typeof c.text === 'string'));
  if (!block) throw new Error(`${id} has no paragraph with a link`);
  block.children!.find((c) => typeof c.text === 'string')!.text += ' A sentence added beside the link.';
  return doc;
}

/** As newIssue, from the documents `store` holds. */
async function newIssueIn(store: InstanceType<typeof GroqJsStore>, from: number, number: number): Promise<Array<{ _id: string; _type: string }>> {
  const docs = await store.fetch<Array<{ _id: string; _type: string }>>('*[_id == $issue || (_type == "link" && string::startsWith(_id, $links))]', {
    issue: `issue-${from}`,
    links: `link-${from}-`,
  });
  return renamedCopy(docs.map((doc) => JSON.stringify(doc)), from, number);
}

/**
 * A new issue numbered `number`, made from issue `from` as the dataset file holds it, and
 * copies of the links it uses under new ids and addresses: published later than any other.
 */
function newIssue(datasetPath: string, from: number, number: number): Array<{ _id: string; _type: string }> {
  const lines = readFileSync(datasetPath, 'utf8').split('\n');
  return renamedCopy(
    lines.filter((l) => l.includes(`"_id":"issue-${from}"`) || l.includes(`"_id":"link-${from}-`)),
    from,
    number,
  );
}

/** The issue `from` and its links among `lines` (JSON texts), renamed as newIssue says. */
function renamedCopy(lines: string[], from: number, number: number): Array<{ _id: string; _type: string }> {
  const renamed = (line: string) => line.replaceAll(`link-${from}-`, `link-${number}-`).replaceAll(`example.com/${from}/`, `example.com/${number}/`);
  const docs = lines.map((l) => JSON.parse(renamed(l)) as { _id: string; _type: string });
  const doc = docs.find((d) => d._id === `issue-${from}`);
  if (!doc) throw new Error(`issue-${from} is not in the dataset`);
  Object.assign(doc, { _id: `issue-${number}`, number, slug: { _type: 'slug', current: `issue-${number}` }, date: '2099-01-01' });
  return [...docs.filter((d) => d !== doc), doc];
}

/** Resolves once no replaced output (".dist.old-…", deleted by a detached process after each build) is left in `dir`; gives up after a minute. */
async function replacedOutputsGone(dir: string): Promise<void> {
  const until = Date.now() + 60_000;
  while ((await fs.readdir(dir)).some((name) => name.startsWith('.dist.old-')) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
}
