// Real-shaped archives imported with no flags through `newsdesk import <folder>`, run in
// process into a fresh data folder that still holds the shipped sample: an MDX archive
// (site syntax, heading ids, a malformed address, an ambiguous date settled by the
// archive), a Jekyll archive dated only by its file names and titled "Week Ending …",
// and a Chinese weekly ("384 期", a date line and a byline above the title, a folder
// date), and a folder of pictures (one beside the files, others at web addresses) with
// files --strict refuses. Fixtures are under tests/fixtures/archives/.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroqJsStore, parseDataset } from '../content/groq-js-store.ts';
import { importIssues } from '../content/import-markdown/import-issue.ts';
import type { SanityDocument } from '../content/store.ts';
import { samplePath } from '../core/config.ts';
import { importCommand } from '../scripts/import.ts';
import { runCommand } from './helpers/run-command.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures/archives');
let dataDir: string;
// A copy outside this project's git repository: files without a date would otherwise take the day they were committed here.
let archives: string;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-archives-'));
  archives = path.join(dataDir, 'archives');
  await fs.cp(fixtures, archives, { recursive: true });
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

interface StoredIssue extends SanityDocument {
  number: number;
  date: string;
  title: string;
  byline?: string;
  summary?: string;
  sections: Array<{ heading: string; body: Array<{ _type: string; markDefs?: Array<{ _type: string; href?: string; reference?: { _ref: string } }>; children?: Array<{ text?: string }> }> }>;
}

let linkUrls = new Map<string, string>();

async function storedIssues(): Promise<StoredIssue[]> {
  const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
  const links = (await store.fetch(`*[_type == "link"]{ _id, url }`, {}, { perspective: 'raw' })) as Array<{ _id: string; url: string }>;
  linkUrls = new Map(links.map((l) => [l._id, l.url]));
  return (await store.fetch(`*[_type == "issue"] | order(number asc)`, {}, { perspective: 'raw' })) as StoredIssue[];
}

async function storedLinkUrls(): Promise<string[]> {
  const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
  return (await store.fetch(`*[_type == "link"].url`, {}, { perspective: 'raw' })) as string[];
}

/** Every link's address as a reader gets it: an external link's own, a reference's document URL. */
const hrefsOf = (issue: StoredIssue) => issue.sections.flatMap((s) => s.body).flatMap((b) => (b.markDefs ?? []).map((d) => d.href ?? linkUrls.get(d.reference?._ref ?? '') ?? '?'));
const textOf = (issue: StoredIssue) => JSON.stringify(issue.sections);

async function importFolder(folder: string) {
  return runCommand(importCommand, [folder, '--verbose'], { env: { NEWSDESK_DATA_DIR: dataDir }, cwd: archives });
}

describe('importing real-shaped archives with no flags', () => {
  it('imports an MDX, a Jekyll and a Chinese archive into a fresh data folder, the sample giving way', async () => {
    const mdx = await importFolder('mdx');
    expect(mdx.stderr).toBe('');
    expect(mdx.code).toBe(0);
    expect(mdx.stdout).toMatch(/^2 of 2 file\(s\) imported, 0 refused \(\d+(\.\d)? s\)\.$/m);
    expect(mdx.stdout).toMatch(/The store held only the untouched sample issues: drafts\.issue-3, drafts\.issue-5, issue-1, issue-2, issue-3, issue-4 were removed/);
    // The sample's settings still name the site: the report says where to set the newsletter's own.
    expect(mdx.stdout).toContain('The site is still named "Marrow Fortnight" with the sample\'s description and address: set your newsletter\'s own in the Studio (Settings).');
    // One warning per kind per file, each with its file and line; nothing of the site syntax prints.
    expect(mdx.stdout).toContain('Warnings (7), by kind:');
    for (const line of [
      'mdx/issue-12.mdx:5: 2 MDX import/export line(s) left out',
      'mdx/issue-12.mdx:8: 1 MDX comment(s)',
      'mdx/issue-12.mdx:12: 2 heading id(s) {#id} left out',
      'mdx/issue-12.mdx:14: 1 self-closing JSX component line(s)',
      'mdx/issue-12.mdx:17: the address http://https://git.example.com/tidepool/kelp looks malformed (a second scheme inside it); kept exactly as written',
      'mdx/issue-13.md:5: 1 Liquid tag(s)',
      'mdx/issue-13.md:15: 1 Hugo shortcode(s)',
    ])
      expect(mdx.stdout).toContain(line);

    let issues = await storedIssues();
    expect(issues.map((i) => [i._id, i.number, i.date, i.title])).toEqual([
      ['drafts.issue-12', 12, '2022-06-29', 'Tidepool Notes #12'],
      // "07-04-2022" could be either order; the archive's "06-29-2022" says month first.
      ['drafts.issue-13', 13, '2022-07-04', 'Tidepool Notes #13'],
    ]);
    const [twelve, thirteen] = issues;
    expect(twelve!.sections.map((s) => s.heading)).toEqual(['🧰 Tools', '📚 Reading']);
    expect(thirteen!.sections.map((s) => s.heading)).toEqual(['Tools', 'Watching']);
    expect(textOf(twelve!)).not.toMatch(/import|export|Callout|ferry|\{#/);
    expect(textOf(thirteen!)).not.toMatch(/\{%|\{\{|youtube/);
    expect(twelve!.summary).toBe('Low tide, long reads.');
    // Addresses byte for byte: tracking parameters, trailing slash, escapes, fragment and the malformed one.
    expect(hrefsOf(twelve!)).toEqual(['https://kelp.example.org/guide/?utm_source=tidepool&utm_medium=email', 'http://https://git.example.com/tidepool/kelp', 'https://reads.example.net/Salt%20Marsh?x=1&y=2#part-2']);
    // Another spelling of the same page keeps its own, never the first issue's.
    expect(hrefsOf(thirteen!)).toContain('https://kelp.example.org/guide');
    const urls = await storedLinkUrls();
    expect(urls).toContain('https://kelp.example.org/guide/?utm_source=tidepool&utm_medium=email');
    expect(urls).not.toContain('https://kelp.example.org/guide');
    expect(urls).toContain('http://https://git.example.com/tidepool/kelp');

    const jekyll = await importFolder('jekyll');
    expect(jekyll.code).toBe(0);
    expect(jekyll.stdout).toContain('Numbered the archive by date order, 14–15: 2 file(s) had no issue number');
    expect(jekyll.stdout).toContain('jekyll/_posts/2018-01-14-week-ending.md:9: 1 Liquid tag(s)');

    const zh = await importFolder('weekly-zh');
    expect(zh.code).toBe(0);
    expect(zh.stdout).toMatch(/^2 of 2 file\(s\) imported, 0 refused \(\d+(\.\d)? s\)\.$/m);
    expect(zh.stdout).not.toContain('Numbered the archive');

    issues = await storedIssues();
    expect(issues.map((i) => [i.number, i.date, i.title, i.sections.map((s) => s.heading)])).toEqual([
      [12, '2022-06-29', 'Tidepool Notes #12', ['🧰 Tools', '📚 Reading']],
      [13, '2022-07-04', 'Tidepool Notes #13', ['Tools', 'Watching']],
      // The year in "Week Ending January 14, 2018" is never the number; the file name gives the date.
      [14, '2018-01-14', 'Week Ending January 14, 2018', ['Releases', 'Reading']],
      [15, '2018-01-21', 'Week Ending January 21, 2018', ['Releases', 'Reading']],
      // The title below a date line and a byline; the folder 2024/03/09 dates the second.
      [384, '2024-03-02', '潮池周报 384 期（2024 年 3 月）', ['工具', '阅读']],
      [385, '2024-03-09', '潮池周报 385 期', ['工具', '阅读']],
    ]);
    const zh384 = issues.find((i) => i.number === 384)!;
    expect(zh384.byline).toBe('林小海');
    expect(zh384.summary).toBe('本周海风很大。');
    expect(hrefsOf(zh384)).toEqual(['https://tides.example.cn/table?city=xiamen&utm_source=weekly', 'https://read.example.cn/kelp-life']);
    expect(hrefsOf(issues.find((i) => i.number === 385)!)).toEqual(['https://tides.example.cn/table?city=xiamen', 'https://read.example.cn/birds']);
    expect(textOf(issues.find((i) => i.number === 14)!)).not.toContain('site.tagline');
  });

  it('passes pictures under --strict, and sums up an archive: refusals by reason, warnings by kind, images copied or kept remote, the time taken', async () => {
    const result = await runCommand(importCommand, ['pictures', '--strict'], { env: { NEWSDESK_DATA_DIR: dataDir }, cwd: archives });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^2 of 4 file\(s\) imported, 2 refused \(\d+(\.\d)? s\)\.$/m);
    expect(result.stdout).toContain("Images: 3 kept, 1 copied into the site's media, 2 at their web address.");
    expect(result.stdout).toContain('Refused (2), by reason: --strict 1, no date 1; nothing of these files was stored:');
    expect(result.stdout).toContain('pictures/issue-3.md:10: <small> tag dropped; its text is kept (--strict refuses what the import would change)');
    expect(result.stdout).toContain('Warnings (4), by kind: remote image 2, image copied 1, alt text 1');
    const issues = await storedIssues();
    expect(issues.map((i) => [i.number, i.title])).toEqual([
      [1, 'Harbour Pictures 1'],
      [2, 'Harbour Pictures 2'],
    ]);
    const images = issues[0]!.sections[0]!.body as unknown as Array<{ _type: string; url?: string; alt?: string; asset?: { _ref: string } }>;
    expect(images.map((b) => [b._type, b.url ?? (b.asset?._ref.startsWith('image-') ? 'uploaded' : b.asset?._ref), b.alt ?? null])).toEqual([
      ['image', 'uploaded', 'The old harbour map'],
      ['image', 'https://pics.example.org/tide.png', null],
    ]);
  });

  it('counts the site syntax left out in one file’s summary, and leaves the sample alone for a file that does not claim its numbers', async () => {
    const result = await runCommand(importCommand, ['mdx/issue-12.mdx', '--dry-run'], { env: { NEWSDESK_DATA_DIR: dataDir }, cwd: archives });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Issue 12: Tidepool Notes #12 (2022-06-29) → drafts.issue-12 (draft)');
    expect(result.stdout).toContain('Site syntax left out: MDX import/export 2, heading id 2, JSX component 1, MDX comment 1');
    expect(result.stdout).not.toContain('sample');
  });

  it('refuses a folder with no Markdown in it instead of importing "0 of 0"', async () => {
    await fs.mkdir(path.join(dataDir, 'empty'));
    const result = await runCommand(importCommand, [path.join(dataDir, 'empty')], { env: { NEWSDESK_DATA_DIR: dataDir }, cwd: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no Markdown files (.md, .mdx, .markdown)');
  });

  it('brings a refused file’s error back from the import’s worker thread with its hint, and writes nothing', async () => {
    await fs.writeFile(path.join(archives, 'undated.md'), '# Harbour #7\n\nNo date anywhere.\n\n## Reading\n\nBody.\n');
    await fs.writeFile(path.join(archives, 'latin1.md'), Buffer.from('# Harbour #8\n\n2022-01-01\n\nCaf\xe9\n', 'latin1'));
    const undated = await runCommand(importCommand, ['undated.md'], { env: { NEWSDESK_DATA_DIR: dataDir }, cwd: archives });
    expect(undated.code).toBe(1);
    expect(undated.stderr).toContain('newsdesk import: undated.md: no date: none in the metadata, under the title or in the file name');
    expect(undated.stderr).toContain('→ Add `date: 2026-03-14` to the front matter');
    const latin1 = await runCommand(importCommand, ['latin1.md'], { env: { NEWSDESK_DATA_DIR: dataDir }, cwd: archives });
    expect(latin1.code).toBe(1);
    expect(latin1.stderr).toContain('latin1.md:5: the file is not UTF-8 text');
    // Only the sample, drafts included.
    expect((await storedIssues()).map((i) => i.number)).toEqual([1, 2, 3, 3, 4, 5]);
  });

  it('keeps the sample when the editor has touched it: a colliding number still needs --replace', async () => {
    const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson'), seedFrom: samplePath });
    const sample = parseDataset(await fs.readFile(samplePath, 'utf8'), samplePath);
    await store.mutate([{ patch: { id: 'issue-2', set: { title: 'Edited by the editor' } } }]);
    const files = ['a.md', 'b.md'].map((file, i) => ({ file, source: `---\ntitle: Real ${i + 1}\ndate: 2022-0${i + 1}-01\nnumber: ${i + 1}\n---\nText.\n\n## S\n\nBody.\n` }));
    const report = await importIssues(store, files, { sample, now: () => new Date('2026-03-20T08:00:00Z') });
    expect(report.notes).toEqual([]);
    expect(report.results.map((r) => (r.ok ? 'ok' : r.error.message))).toEqual(['a.md: issue 1 already exists (issue-1)', 'b.md: issue 2 already exists (issue-2)']);
    const ids = (await store.fetch(`*[_type == "issue"]._id`, {}, { perspective: 'raw' })) as string[];
    expect(ids.sort()).toEqual(['drafts.issue-3', 'drafts.issue-5', 'issue-1', 'issue-2', 'issue-3', 'issue-4']);
  });
});

describe('the sample\'s settings after an archive takes its place', () => {
  it('says nothing of them once the editor has named the newsletter', async () => {
    const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson'), seedFrom: samplePath });
    const sample = parseDataset(await fs.readFile(samplePath, 'utf8'), samplePath);
    const settingsId = sample.find((d) => d._type === 'newsletter')!._id;
    const files = ['a.md', 'b.md'].map((file, i) => ({ file, source: `---\ntitle: Real ${i + 1}\ndate: 2022-0${i + 1}-01\nnumber: ${i + 1}\n---\nText.\n\n## S\n\nBody.\n` }));
    await store.mutate([{ patch: { id: settingsId, set: { title: 'Harbour Weekly' } } }]);
    const report = await importIssues(store, files, { sample, now: () => new Date('2026-03-20T08:00:00Z') });
    expect(report.results.every((r) => r.ok)).toBe(true);
    expect(report.notes.some((n) => n.startsWith('The store held only the untouched sample issues'))).toBe(true);
    expect(report.notes.some((n) => n.includes('still named'))).toBe(false);
  });
});

describe('numbers an archive cannot keep', () => {
  it('numbers the archive by date order when two files claim one number, and says so', async () => {
    const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
    const files = [
      { file: 'c.md', source: '# Harbour #3\n\n2022-03-01\n\nC.\n' },
      { file: 'a.md', source: '# Harbour #3\n\n2022-01-01\n\nA.\n' },
      { file: 'b.md', source: '# Harbour (no number)\n\n2022-02-01\n\nB.\n' },
    ];
    const report = await importIssues(store, files, { now: () => new Date('2026-03-20T08:00:00Z') });
    expect(report.results.map((r) => (r.ok ? [r.file, r.summary.number] : r.error.message))).toEqual([
      ['c.md', 3],
      ['a.md', 1],
      ['b.md', 2],
    ]);
    expect(report.notes).toEqual(['Numbered the archive by date order, 1–3: 1 file(s) had no issue number and number(s) 3 appeared more than once (give each file a `number:` to keep your own).']);
  });
});

describe('numbers an archive gives', () => {
  /** A weekly issue numbered in its title, `weeks` weeks into 2024. */
  const weekly = (n: number, weeks: number) => ({
    file: `${String(n).padStart(3, '0')}.md`,
    source: `# Harbour Weekly ${n}\n\n${new Date(Date.UTC(2024, 0, 1 + 7 * weeks)).toISOString().slice(0, 10)}\n\nWeek ${n}.\n`,
  });

  it('keeps them when a few files have none, refusing those few, where numbering by date would shift the rest', async () => {
    const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
    // Twenty weekly issues, and a special edition between the seventh and the eighth whose title holds a version, not a number.
    const files = [...Array.from({ length: 20 }, (_, i) => weekly(i + 1, i)), { file: 'state-of-harbour.md', source: '# The State of Harbour 0.7\n\n2024-02-15\n\nA look back.\n' }];
    const report = await importIssues(store, files, { now: () => new Date('2026-03-20T08:00:00Z') });
    const imported = report.results.flatMap((r) => (r.ok ? [[r.file, r.summary.number]] : []));
    expect(imported).toEqual(Array.from({ length: 20 }, (_, i) => [`${String(i + 1).padStart(3, '0')}.md`, i + 1]));
    const refused = report.results.flatMap((r) => (r.ok ? [] : [[r.error.message, r.error.hint]]));
    expect(refused).toEqual([
      [
        "state-of-harbour.md: no issue number, and the archive's 20 other file(s) give theirs, which are kept (numbering the archive by date would change 13 of them)",
        'Add `number: N` to its front matter (a number no other issue has), or pass --renumber to number the whole archive by date.',
      ],
    ]);
    expect(report.notes).toEqual(['Kept the issue numbers the archive\'s files give; 1 file(s) without one were not imported (numbering the archive by date would change 13 of the others: pass --renumber for that).']);
    const stored = (await store.fetch(`*[_type == "issue"]{number, title}`, {}, { perspective: 'raw' })) as Array<{ number: number; title: string }>;
    expect(stored.find((i) => i.number === 8)?.title).toBe('Harbour Weekly 8');
    expect(stored.some((i) => i.title.startsWith('The State'))).toBe(false);
  });

  it('numbers the archive by date when that changes no file\'s own number, or when many files have none', async () => {
    const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
    // The gap the numberless file fills is its own place by date.
    const gap = [...Array.from({ length: 10 }, (_, i) => weekly(i + 1, i)).filter((f) => f.file !== '004.md'), { file: 'fourth.md', source: '# Harbour, the fourth week\n\n2024-01-22\n\nWeek four.\n' }];
    const filled = await importIssues(store, gap, { now: () => new Date('2026-03-20T08:00:00Z'), dryRun: true });
    expect(filled.results.map((r) => (r.ok ? [r.file, r.summary.number] : r.error.message))).toContainEqual(['fourth.md', 4]);
    expect(filled.notes).toEqual(['Numbered the archive by date order, 1–10: 1 file(s) had no issue number (give each file a `number:` to keep your own).']);
    // Two of five without a number: too many to refuse.
    const many = [weekly(1, 0), { file: 'b.md', source: '# Harbour\n\n2024-01-05\n\nB.\n' }, weekly(2, 1), { file: 'd.md', source: '# Harbour again\n\n2024-01-12\n\nD.\n' }, weekly(3, 2)];
    const numberedByDate = await importIssues(store, many, { now: () => new Date('2026-03-20T08:00:00Z'), dryRun: true });
    expect(numberedByDate.results.map((r) => (r.ok ? r.summary.number : r.error.message))).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('summaries an archive gives', () => {
  const greeting = 'Hello and welcome to another issue of Harbour Weekly, the news of the harbour and the boats that use it.';
  /** Issue `n` of a weekly whose every issue opens with the same greeting, unless `opening` says otherwise. */
  const weekly = (n: number, opening = greeting, frontMatter = '') => ({
    file: `${String(n).padStart(3, '0')}.md`,
    source: `---\ntitle: Harbour Weekly ${n}\ndate: ${new Date(Date.UTC(2024, 0, 1 + 7 * n)).toISOString().slice(0, 10)}\n${frontMatter}---\n\n${opening}\n\n## Boats\n\n- [Boat ${n}](https://boats.example.org/${n})\n`,
  });
  const summaries = async (store: GroqJsStore) =>
    Object.fromEntries(((await store.fetch(`*[_type == "issue"]{number, summary}`, {}, { perspective: 'raw' })) as Array<{ number: number; summary?: string | null }>).map((i) => [i.number, i.summary ?? null]));

  it('leaves out a summary taken from the greeting most issues open with, keeping those the files give or that say something of their own', async () => {
    const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
    const files = [
      ...Array.from({ length: 8 }, (_, i) => weekly(i + 1)),
      weekly(9, greeting, 'summary: Nine boats, one regatta.\n'),
      weekly(10, 'A storm week: the harbour closed twice and reopened with a new pier.'),
    ];
    const report = await importIssues(store, files, { now: () => new Date('2026-03-20T08:00:00Z') });
    expect(report.results.every((r) => r.ok)).toBe(true);
    expect(report.notes).toContain(
      "Left the summary out of 8 issue(s) whose first paragraph, where a summary would come from, is the newsletter's greeting (the same in three or more issues): give an issue a `summary:` in its front matter, or write one in the Studio.",
    );
    const byNumber = await summaries(store);
    expect(byNumber).toEqual({ ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [i + 1, null])), 9: 'Nine boats, one regatta.', 10: 'A storm week: the harbour closed twice and reopened with a new pier.' });

    // The next issue imported on its own: the newest issues stored open with its greeting too.
    const next = await importIssues(store, [weekly(11)], { now: () => new Date('2026-03-20T08:00:00Z') });
    expect(next.results.map((r) => r.ok)).toEqual([true]);
    expect((await summaries(store))[11]).toBeNull();
  });

  it('keeps a summary two files happen to share, and one the newest stored issues do not open with', async () => {
    const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
    await importIssues(store, [weekly(1), weekly(2)], { now: () => new Date('2026-03-20T08:00:00Z') });
    expect(await summaries(store)).toEqual({ 1: greeting, 2: greeting });
    await importIssues(store, [weekly(3, 'Quiet week.')], { now: () => new Date('2026-03-20T08:00:00Z') });
    expect((await summaries(store))[3]).toBe('Quiet week.');
  });
});

describe('an archive written a batch at a time', () => {
  it('writes each batch as one transaction as the files are converted, a link shared across batches once, around a refused file', async () => {
    const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
    const transactions: string[][] = [];
    store.subscribe((t) => void transactions.push(t.changes.filter((c) => c.id.includes('issue-')).map((c) => c.id)));
    const files = [1, 2, 3, 4, 5].map((n) => ({
      file: `issue-${n}.md`,
      // The third says nothing of its date: it is refused, and the others still go out two by two.
      source: `# Harbour #${n}\n\n${n === 3 ? '' : `2022-0${n}-04\n\n`}See [the tide table](https://tides.example.org/table) and [note ${n}](https://notes.example.org/${n}).\n\n## Reading\n\nBody ${n}.\n`,
    }));
    const report = await importIssues(store, files, { publish: true, batchSize: 2, now: () => new Date('2026-03-20T08:00:00Z') });
    expect(report.results.map((r) => (r.ok ? r.summary.number : r.error.message))).toEqual([1, 2, 'issue-3.md: no date: none in the metadata, under the title or in the file name', 4, 5]);
    expect(report.results.map((r) => (r.ok ? r.summary.links.created : 0))).toEqual([2, 1, 0, 1, 1]);
    expect(transactions).toEqual([['issue-1', 'issue-2'], ['issue-4', 'issue-5']]);
    const links = (await store.fetch(`*[_type == "link"].url`, {}, { perspective: 'raw' })) as string[];
    expect(links.sort()).toEqual(['https://notes.example.org/1', 'https://notes.example.org/2', 'https://notes.example.org/4', 'https://notes.example.org/5', 'https://tides.example.org/table']);
  });
});
