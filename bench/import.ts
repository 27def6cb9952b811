// Import benchmark (not a test): writes an archive of each shape the import's tests cover,
// at a realistic size, into a temporary folder, and imports each whole folder with
// `newsdesk import <folder> --publish` into a fresh data folder, each in its own process
// so each shape's peak memory is its own. The shapes:
//   weekly    real-size issues with front matter (~12 sections, ~80 links, ~19 asides, lists,
//             quotes, reference links, HTML comments, a Chinese paragraph)
//   jekyll    Jekyll posts (_posts/2019-01-04-….md, front matter without a number, Liquid tags)
//   mdx       a docs site's .mdx pages (import/export lines, components, {/* */}, {#id} headings)
//   weekly-zh a Chinese weekly titled "第 N 期", dated only by git history (a real repository)
//   seed      issues opening with a date line above the "# … #N" title, as the sample reads
//   images    issues with pictures beside them (copied into the dataset) and at web addresses
// Prints, per shape, files per second, time and peak RSS, each with its target, and last the
// highest peak RSS of them all.
//   npm run bench:import -- [--issues 1000] [--shape weekly,jekyll]
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { importCommand } from '../scripts/import.ts';
import { makeContext } from '../scripts/cli.ts';

const { values } = parseArgs({
  options: {
    issues: { type: 'string', default: '1000' },
    shape: { type: 'string' },
    child: { type: 'string' },
    data: { type: 'string' },
  },
});

const words = 'kelp tide harbor planner widget notebook release kernel cache proxy schema parser socket thread query index vector runtime compiler module package lint format server client stream buffer'.split(' ');
const pick = (n: number, i: number) => words[(n * 7 + i * 13) % words.length]!;
const hanzi = '潮汐海风港口灯塔渔船浮标礁石沙滩贝壳海藻候鸟航线码头天气工具阅读发布更新'.split('');
const zh = (n: number, i: number, length = 14) => Array.from({ length }, (_, k) => hanzi[(n * 5 + i * 11 + k * 3) % hanzi.length]).join('');
const day = (n: number, start = Date.UTC(2014, 0, 3)) => new Date(start + n * 7 * 86400000).toISOString().slice(0, 10);

function sentence(n: number, i: number): string {
  return `The ${pick(n, i)} ${pick(n, i + 1)} now ${pick(n, i + 2)}s the ${pick(n, i + 3)} without a ${pick(n, i + 4)}`;
}

function weeklyIssue(n: number): string {
  const out = [`---`, `title: "Bench Weekly #${n}: ${pick(n, 1)} and ${pick(n, 2)}"`, `date: ${day(n)}`, `number: ${n}`, `tags: [${pick(n, 3)}, ${pick(n, 4)}]`, `---`, ''];
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

function jekyllPost(n: number): string {
  const date = new Date(`${day(n, Date.UTC(2017, 0, 6))}T00:00:00Z`);
  const title = `Week Ending ${date.toLocaleDateString('en-US', { month: 'long', day: 'numeric', year: 'numeric', timeZone: 'UTC' })}`;
  const out = ['---', 'layout: post', `title: "${title}"`, `categories: [${pick(n, 2)}]`, '---', `${sentence(n, 0)} {{ site.tagline }}.`, ''];
  for (let s = 0; s < 6; s++) {
    out.push(`## ${pick(n, s)} ${pick(n, s + 2)}`, '');
    for (let i = 0; i < 7; i++) out.push(`- [${pick(n, s + i)} ${i}.${s}](https://${pick(n, i)}.example.io/${n}/${s}/${i}) — ${sentence(n, s + i)}.`);
    out.push('', `{% include note.html topic="${pick(n, s)}" %}`, '', `${sentence(n, s + 3)}; ${sentence(n, s + 4)}.`, '');
  }
  return out.join('\n');
}

function mdxPage(n: number): string {
  const out = ['---', `title: "Harbour Notes #${n}"`, `date: ${day(n, Date.UTC(2020, 5, 5))}`, '---', 'import Callout from "../components/Callout.astro";', `export const meta = { layout: "issue", week: ${n} };`, '', `{/* drafted at low tide, issue ${n} */}`, '', `${sentence(n, 1)}.`, ''];
  for (let s = 0; s < 8; s++) {
    out.push(`# ${pick(n, s)} ${pick(n, s + 4)} {#${pick(n, s)}-${s}}`, '', `<Callout type="tip" />`, '');
    for (let i = 0; i < 5; i++) out.push(`- [${pick(n, s)} ${pick(n, i)}](https://docs.example.net/${n}/${s}/${i}?ref=notes&x=${i}) — ${sentence(n, i + s)}.`);
    out.push('', `${sentence(n, s + 2)} [read more](https://long.example.net/${n}-${s}#part-${s}).`, '');
  }
  return out.join('\n');
}

function zhIssue(n: number): string {
  const out = [`# 潮池周报：第 ${n} 期`, '', `这里记录每周值得分享的内容，${zh(n, 0)}。`, '', `![](https://img.example.cn/cover/${n}.jpg)`, ''];
  for (let s = 0; s < 8; s++) {
    out.push(`## ${zh(n, s, 4)}`, '');
    for (let i = 0; i < 7; i++) out.push(`${i + 1}、[${zh(n, s + i, 8)}](https://zh${i}.example.cn/${n}/${s}?from=weekly)`, '', `${zh(n, s * 7 + i, 40)}。`, '');
  }
  return out.join('\n');
}

function seedIssue(n: number): string {
  const out = [day(n, Date.UTC(2018, 2, 2)), '', `# Harbour Letter #${n}`, '', `${sentence(n, 0)}.`, ''];
  for (let s = 0; s < 5; s++) {
    out.push(`## ${pick(n, s + 1)}`, '');
    for (let i = 0; i < 6; i++) out.push(`- [${pick(n, s * 3 + i)} ${pick(n, i)}](https://letter.example.com/${n}/${s}/${i}) ${sentence(n, i)} [${pick(n, i)} —Ed.]`);
    out.push('', `> ${sentence(n, s + 7)}.`, '');
  }
  return out.join('\n');
}

function picturesIssue(n: number): string {
  const out = ['---', `title: Harbour Pictures ${n}`, `date: ${day(n, Date.UTC(2022, 0, 7))}`, `number: ${n}`, '---', `${sentence(n, 0)}.`, ''];
  for (let s = 0; s < 4; s++) {
    out.push(`## ${pick(n, s)} pictures`, '', `![The ${pick(n, s)} map](img/${n}-${s}.png)`, '', `![](https://pics.example.org/${n}/${s}.jpg)`, '');
    for (let i = 0; i < 5; i++) out.push(`- [${pick(n, s + i)}](https://photo.example.org/${n}/${s}/${i}) ${sentence(n, s + i)}.`);
    out.push('');
  }
  return out.join('\n');
}

/** A small grey PNG, distinct for each (n, s), so each picture is its own asset. */
function png(n: number, s: number): Buffer {
  const width = 64;
  const height = 48;
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const rows = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rows[y * (width + 1) + 1 + x] = (x * 3 + y * 5 + n * 7 + s * 11) & 0xff;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** The weekly's files committed one a week into a real repository (git fast-import: one process for every commit). */
async function writeGitWeekly(folder: string, count: number): Promise<void> {
  await fs.mkdir(folder, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: folder });
  const parts: Buffer[] = [];
  for (let n = 1; n <= count; n++) {
    const when = Math.floor(Date.UTC(2018, 9, 12, 2) / 1000) + n * 7 * 86400;
    const text = Buffer.from(zhIssue(n));
    const message = `issue ${n}\n`;
    parts.push(Buffer.from(`commit refs/heads/main\nauthor Bench <bench@example.cn> ${when} +0800\ncommitter Bench <bench@example.cn> ${when} +0800\ndata ${Buffer.byteLength(message)}\n${message}M 100644 inline docs/issue-${n}.md\ndata ${text.length}\n`), text, Buffer.from('\n'));
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: folder, input: Buffer.concat(parts) });
  execFileSync('git', ['reset', '-q', '--hard', 'main'], { cwd: folder });
}

interface Shape {
  name: string;
  files: number;
  /** Writes the archive; returns the folder to import, relative to `root`. */
  write: (root: string) => Promise<string>;
}

async function writeFiles(folder: string, count: number, name: (n: number) => string, text: (n: number) => string): Promise<void> {
  for (let n = 1; n <= count; n++) {
    const file = path.join(folder, name(n));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text(n));
  }
}

function shapes(issues: number): Shape[] {
  const scaled = (share: number) => Math.max(1, Math.round(issues * share));
  return [
    { name: 'weekly', files: issues, write: async (root) => (await writeFiles(path.join(root, 'weekly'), issues, (n) => `issue-${n}.md`, weeklyIssue), 'weekly') },
    { name: 'jekyll', files: scaled(0.5), write: async (root) => (await writeFiles(path.join(root, 'jekyll'), scaled(0.5), (n) => `_posts/${day(n, Date.UTC(2017, 0, 6))}-week-ending.md`, jekyllPost), 'jekyll') },
    { name: 'mdx', files: scaled(0.3), write: async (root) => (await writeFiles(path.join(root, 'mdx'), scaled(0.3), (n) => `issue-${n}.mdx`, mdxPage), 'mdx') },
    { name: 'weekly-zh', files: scaled(0.4), write: async (root) => (await writeGitWeekly(path.join(root, 'weekly-zh'), scaled(0.4)), 'weekly-zh/docs') },
    { name: 'seed', files: scaled(0.5), write: async (root) => (await writeFiles(path.join(root, 'seed'), scaled(0.5), (n) => `${n}.md`, seedIssue), 'seed') },
    {
      name: 'images',
      files: scaled(0.2),
      write: async (root) => {
        const folder = path.join(root, 'images');
        await writeFiles(folder, scaled(0.2), (n) => `issue-${n}.md`, picturesIssue);
        await fs.mkdir(path.join(folder, 'img'), { recursive: true });
        for (let n = 1; n <= scaled(0.2); n++) for (let s = 0; s < 4; s++) await fs.writeFile(path.join(folder, 'img', `${n}-${s}.png`), png(n, s));
        return 'images';
      },
    },
  ];
}

interface Figures {
  imported: number;
  refused: number;
  seconds: number;
  peakMb: number;
  notes: string[];
}

/** In the child: one `newsdesk import <folder> --publish`, as the CLI runs it, and its figures. */
async function runChild(folder: string, dataDir: string): Promise<Figures> {
  const lines: string[] = [];
  const ctx = { ...makeContext({ ...process.env, NEWSDESK_DATA_DIR: dataDir }, path.dirname(folder), new AbortController().signal), out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l) };
  const started = performance.now();
  await importCommand.run([path.basename(folder), '--publish'], ctx);
  const seconds = (performance.now() - started) / 1000;
  const summary = lines.find((l) => /file\(s\) imported/.test(l)) ?? '';
  const [, imported = '0', refused = '0'] = /^(\d+) of \d+ file\(s\) imported, (\d+) refused/.exec(summary) ?? [];
  const notes = lines.filter((l) => /^(Dated|Numbered|Images:)/.test(l) || /^\s+\S.*: /.test(l)).slice(0, 4);
  return { imported: Number(imported), refused: Number(refused), seconds, peakMb: process.resourceUsage().maxRSS / 1024, notes };
}

if (values.child) {
  const figures = await runChild(values.child, values.data!);
  process.send!(figures);
} else {
  const issues = Number(values.issues);
  const wanted = values.shape?.split(',');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-bench-import-'));
  let peakMb = 0;
  try {
    for (const shape of shapes(issues).filter((s) => !wanted || wanted.includes(s.name))) {
      const root = path.join(dir, shape.name);
      const folder = path.join(root, await shape.write(root));
      const bytes = await folderBytes(folder);
      const figures = await new Promise<Figures>((resolve, reject) => {
        const child = fork(import.meta.filename, ['--child', folder, '--data', path.join(root, 'data')], { execArgv: process.execArgv, stdio: 'inherit' });
        child.once('message', (m) => resolve(m as Figures));
        child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`the ${shape.name} import exited with ${code}`))));
      });
      const perSecond = shape.files / figures.seconds;
      console.log(`${shape.name}: ${shape.files} files, ${(bytes / 1024 / 1024).toFixed(1)} MB; ${figures.imported} imported, ${figures.refused} refused`);
      for (const note of figures.notes) console.log(`  ${note.trim()}`);
      console.log(`import ${shape.name} files/s: ${perSecond.toFixed(1)} files/s (target >= 10 files/s)`);
      console.log(`import ${shape.name} time: ${figures.seconds.toFixed(1)} s (target <= ${(shape.files / 10).toFixed(0)} s)`);
      console.log(`import ${shape.name} peak RSS: ${figures.peakMb.toFixed(0)} MB (target <= 500 MB)`);
      peakMb = Math.max(peakMb, figures.peakMb);
      await fs.rm(root, { recursive: true, force: true });
    }
    console.log(`import peak RSS: ${peakMb.toFixed(0)} MB (target <= 500 MB)`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && !entry.parentPath.includes(`${path.sep}.git`)) total += (await fs.stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}
