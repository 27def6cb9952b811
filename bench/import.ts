// Import benchmark (not a test): writes an archive of N real-size back-issues in
// Markdown (~12 sections, ~80 links, ~19 asides, lists, quotes, reference links,
// HTML comments, a Chinese paragraph) into a temporary folder, then imports the whole
// folder in one process into a fresh dataset, as `newsdesk import <folder>` does.
// Reports the time to convert and check every file, to write, in total, and peak RSS.
//   npm run bench:import -- [--issues 600]
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { decodeUtf8, importIssues } from '../content/import-markdown/import-issue.ts';
import { samplePath } from '../core/config.ts';
import { expandPaths } from '../scripts/import.ts';

const { values } = parseArgs({ options: { issues: { type: 'string', default: '600' } } });
const count = Number(values.issues);

const words = 'kelp tide harbor planner widget notebook release kernel cache proxy schema parser socket thread query index vector runtime compiler module package lint format server client stream buffer'.split(' ');
const pick = (n: number, i: number) => words[(n * 7 + i * 13) % words.length]!;

function sentence(n: number, i: number): string {
  return `The ${pick(n, i)} ${pick(n, i + 1)} now ${pick(n, i + 2)}s the ${pick(n, i + 3)} without a ${pick(n, i + 4)}`;
}

function issueMarkdown(n: number): string {
  const out = [`---`, `title: "Bench Weekly #${n}: ${pick(n, 1)} and ${pick(n, 2)}"`, `date: ${new Date(Date.UTC(2014, 0, 3) + n * 7 * 86400000).toISOString().slice(0, 10)}`, `number: ${n}`, `tags: [${pick(n, 3)}, ${pick(n, 4)}]`, `---`, ''];
  out.push(`_\\[This issue was put together on a train. —Ed.\\]_`, '', `Read the [${pick(n, 5)} notes][notes] first. <!-- more -->`, '');
  let link = 0;
  const url = () => `https://${pick(n, link)}.example.org/${n}/${link++}`;
  for (let s = 0; s < 12; s++) {
    out.push(`## ${pick(n, s)} ${pick(n, s + 5)}`, '', `<!--\nContributors: add links as * [Title](https://example.org)\n-->`, '');
    out.push(`${sentence(n, s)}; see [the ${pick(n, s)} write-up](${url()}) and [[RFC] ${pick(n, s + 1)}](${url()}) [worth reading twice, with [the errata](${url()}) —Ed.]. ${sentence(n, s + 1)}.`, '');
    out.push(`**${pick(n, s + 2)} 2.${s}** lands [faster starts](${url()}) and a \`--${pick(n, s)}\` flag; GitHub link: ${url()}. As noted [1] in [the post](${url()})asks for care.`, '');
    for (let i = 0; i < 4; i++) out.push(`- [${pick(n, s + i)} ${pick(n, i)} ${i}](${url()}) by ${pick(n, i + 9)}${i === 0 ? `\n  > ${sentence(n, i)}.` : ''}`);
    out.push('', `${sentence(n, s + 4)}, and ${sentence(n, s + 5)}. ${sentence(n, s + 6)} while [the ${pick(n, s + 7)} team](${url()}) explains why ${sentence(n, s + 8)}. ${sentence(n, s + 9)}; ${sentence(n, s + 10)} [since ${pick(n, s)} 3 —Ed.].`);
    out.push('', `### ${pick(n, s + 3)}`, '', `${sentence(n, s + 2)} \\[a smaller aside —Ed.\\] and ${sentence(n, s + 3)} <small>[discuss](${url()})</small>.`, '');
    if (s === 6) out.push('本周的[发布说明](https://zh.example.org/notes)已经更新，详见 https://zh.example.org/more。', '');
  }
  out.push('# Quote of the Week', '', `> ${sentence(n, 99)}.`, '', `[notes]: https://notes.example.org/${n}`, '');
  return out.join('\n');
}

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-import-'));
try {
  const archive = path.join(dir, 'archive');
  await fs.mkdir(archive);
  for (let n = 1; n <= count; n++) await fs.writeFile(path.join(archive, `issue-${n}.md`), issueMarkdown(n));
  const settings = (await fs.readFile(samplePath, 'utf8')).split('\n').find((l) => l.includes('"_type":"newsletter"'))!;
  await fs.writeFile(path.join(dir, 'dataset.ndjson'), `${settings}\n`);
  const bytes = (await Promise.all((await fs.readdir(archive)).map((f) => fs.stat(path.join(archive, f))))).reduce((sum, s) => sum + s.size, 0);
  console.log(`archive: ${count} issues, ${(bytes / 1024 / 1024).toFixed(1)} MB of Markdown (${(bytes / count / 1024).toFixed(1)} KB each)`);

  const started = performance.now();
  const files = await expandPaths([archive], dir);
  const inputs = await Promise.all(files.map(async (f) => ({ file: path.basename(f), source: decodeUtf8(await fs.readFile(f), f) })));
  const read = performance.now();
  const store = new GroqJsStore({ datasetPath: path.join(dir, 'dataset.ndjson') });
  const dry = await importIssues(store, inputs, { dryRun: true, publish: true, now: () => new Date() });
  const checked = performance.now();
  const report = await importIssues(store, inputs, { publish: true, now: () => new Date() });
  const done = performance.now();

  const ok = report.results.filter((r) => r.ok);
  const refused = report.results.filter((r) => !r.ok);
  const links = ok.reduce((sum, r) => sum + (r.ok ? r.summary.links.total : 0), 0);
  const asides = ok.reduce((sum, r) => sum + (r.ok ? r.summary.notes.inline + r.summary.notes.block : 0), 0);
  console.log(`imported: ${ok.length} issues, ${refused.length} refused, ${links} links, ${asides} asides`);
  if (refused[0] && !refused[0].ok) console.log(`first refusal: ${refused[0].error.message}`);
  console.log(`read files:                ${((read - started) / 1000).toFixed(2)} s`);
  console.log(`convert + check (dry run): ${((checked - read) / 1000).toFixed(2)} s (${((checked - read) / count).toFixed(1)} ms per issue)`);
  console.log(`convert + check + write:   ${((done - checked) / 1000).toFixed(2)} s`);
  console.log(`import in one process:     ${((done - checked + read - started) / 1000).toFixed(2)} s for ${count} issues (target ≤ 60 s)`);
  console.log(`peak RSS:                  ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
