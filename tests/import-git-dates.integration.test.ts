// A Chinese weekly whose issue files carry no date at all (no metadata, no date line, no
// dated file name or folder), kept in a real git repository made here with fixed commit
// dates: `newsdesk import <folder>` dates each file by the commit that first added it,
// following a rename from another folder, keeps a date written in a file, and refuses
// a file git never saw. The same folder outside a repository is refused as before.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { datesFromGitHistory } from '../content/import-markdown/git-dates.ts';
import { importCommand } from '../scripts/import.ts';
import { runCommand } from './helpers/run-command.ts';

let root: string;
let repo: string;
let dataDir: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-git-dates-'));
  repo = path.join(root, 'weekly');
  dataDir = path.join(root, 'data');
  await fs.mkdir(path.join(repo, 'docs'), { recursive: true });
  await fs.mkdir(path.join(repo, 'drafts'), { recursive: true });
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function git(args: string[], date?: string): void {
  execFileSync('git', ['-c', 'user.name=Lin Xiaohai', '-c', 'user.email=lin@example.cn', '-c', 'commit.gpgsign=false', ...args], {
    cwd: repo,
    stdio: 'pipe',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}) },
  });
}

const issue = (n: number, topic: string) =>
  [`# 潮池周报：第 ${n} 期`, '', `这里记录每周值得分享的${topic}内容。`, '', '## 工具', '', `- [潮汐表 ${n}](https://tides.example.cn/${n})：查看本周的潮汐。`, '', '## 阅读', '', `- [海藻的一生](https://read.example.cn/kelp-${n})`, ''].join('\n');

async function write(file: string, text: string): Promise<void> {
  await fs.writeFile(path.join(repo, file), text);
}

async function storedIssues(): Promise<Array<{ number: number; date: string; title: string }>> {
  const store = new GroqJsStore({ datasetPath: path.join(dataDir, 'dataset.ndjson') });
  return store.fetch(`*[_type == "issue"] | order(number asc){ number, date, title }`, {}, { perspective: 'raw' });
}

/** Issue 1 and a draft of issue 3 in the first commit, issue 2 with a written date later, then the draft moved into docs/. */
async function makeHistory(): Promise<void> {
  git(['init', '-q', '-b', 'main']);
  await write('docs/issue-1.md', issue(1, '科技'));
  git(['add', '.']);
  // 01:30 in Beijing is the evening before in UTC: the author's own day is the issue's.
  git(['commit', '-q', '-m', 'first issue'], '2019-05-03T01:30:00+08:00');
  await write('docs/issue-2.md', ['---', 'date: 2019-05-09', '---', '', issue(2, '海洋')].join('\n'));
  git(['add', '.']);
  git(['commit', '-q', '-m', 'second issue'], '2019-05-10T09:00:00+08:00');
  await write('drafts/third.md', issue(3, '天气'));
  git(['add', '.']);
  git(['commit', '-q', '-m', 'draft of the third'], '2019-05-17T09:00:00+08:00');
  git(['mv', 'drafts/third.md', 'docs/issue-3.md']);
  git(['commit', '-q', '-m', 'publish the third'], '2019-06-01T09:00:00+08:00');
  // Written but never committed: git knows nothing of it.
  await write('docs/issue-4.md', issue(4, '星空'));
}

describe('dates from git history', () => {
  it('dates undated files by the commit that first added them, following a rename, and keeps a written date', async () => {
    await makeHistory();
    const result = await runCommand(importCommand, ['docs'], { env: { NEWSDESK_DATA_DIR: dataDir }, cwd: repo });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^3 of 4 file\(s\) imported, 1 refused/m);
    expect(result.stdout).toContain('Dated 2 file(s) by their git history (the day each was first committed), having no date of their own.');
    expect(result.stdout).toContain('docs/issue-4.md: no date');
    expect(await storedIssues()).toEqual([
      { number: 1, date: '2019-05-03', title: '潮池周报：第 1 期' },
      { number: 2, date: '2019-05-09', title: '潮池周报：第 2 期' },
      { number: 3, date: '2019-05-17', title: '潮池周报：第 3 期' },
    ]);
  });

  it('reads every file of a repository in one pass, and nothing outside one', async () => {
    await makeHistory();
    const files = ['docs/issue-1.md', 'docs/issue-2.md', 'docs/issue-3.md', 'docs/issue-4.md'].map((f) => path.join(repo, f));
    const dates = await datesFromGitHistory(files);
    expect(Object.fromEntries([...dates].map(([f, d]) => [path.relative(repo, f), d]))).toEqual({
      'docs/issue-1.md': '2019-05-03',
      'docs/issue-2.md': '2019-05-10',
      'docs/issue-3.md': '2019-05-17',
    });

    const outside = path.join(root, 'copy');
    await fs.cp(path.join(repo, 'docs'), outside, { recursive: true });
    expect((await datesFromGitHistory([path.join(outside, 'issue-1.md')])).size).toBe(0);
    const result = await runCommand(importCommand, ['copy'], { env: { NEWSDESK_DATA_DIR: dataDir }, cwd: root });
    expect(result.stdout).toMatch(/^1 of 4 file\(s\) imported, 3 refused/m);
    expect(result.stdout).toContain('copy/issue-1.md: no date: none in the metadata, under the title or in the file name');
    expect(result.stdout).not.toContain('git history');
  });
});
