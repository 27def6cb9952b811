// Dates from git history, for back-issues whose files say nothing of when they came out
// (no date in the metadata, under the title, in the file name or its folder): a file
// kept in a git repository came out when it was first committed. One `git log` pass per
// repository reads every file's first addition, following renames, so an archive of
// hundreds of files costs one command. Without git on PATH, or outside a repository,
// nothing is found and such files are refused as before.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/**
 * Absolute file path → the date (YYYY-MM-DD, in the author's own time zone) of the
 * commit that first added the file, following renames. Files outside a repository, or
 * never committed, are left out.
 */
export async function datesFromGitHistory(files: string[]): Promise<Map<string, string>> {
  const dates = new Map<string, string>();
  // Files grouped by the repository holding them (one `rev-parse` per folder).
  const rootOfFolder = new Map<string, Promise<string | undefined>>();
  const byRoot = new Map<string, Array<{ file: string; relative: string }>>();
  for (const file of files) {
    const real = await fs.realpath(file).catch(() => undefined);
    if (!real) continue;
    const folder = path.dirname(real);
    if (!rootOfFolder.has(folder)) rootOfFolder.set(folder, repositoryRoot(folder));
    const root = await rootOfFolder.get(folder)!;
    if (!root) continue;
    const list = byRoot.get(root) ?? [];
    list.push({ file, relative: path.relative(root, real).split(path.sep).join('/') });
    byRoot.set(root, list);
  }
  for (const [root, list] of byRoot) {
    const found = await firstAdditions(root, new Set(list.map((f) => f.relative)));
    for (const { file, relative } of list) {
      const date = found.get(relative);
      if (date) dates.set(file, date);
    }
  }
  return dates;
}

async function repositoryRoot(folder: string): Promise<string | undefined> {
  const out = await git(folder, ['rev-parse', '--show-toplevel']);
  const root = out?.trim();
  return root ? fs.realpath(root).catch(() => undefined) : undefined;
}

/**
 * Walks the history newest first, tracking each wanted file back through its renames
 * (`R old new` moves the name it is looked for under to `old`); the last addition met
 * (the oldest) is the file's first. git's output is read as it comes, never held whole: a
 * long history costs the files' names, not the log's size.
 */
async function firstAdditions(root: string, wanted: Set<string>): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  // The name each wanted file had at the point of history being read → the file.
  const lookingFor = new Map([...wanted].map((f) => [f, f] as const));
  let date = '';
  /** Reads the tokens at the front of `tokens` that make a whole entry; how many it used (0: it needs more). */
  const take = (tokens: string[], at: number, ended: boolean): number => {
    const token = tokens[at]!.replace(/^\n+/, '');
    if (token === '') return 1;
    if (token.startsWith('commit ')) {
      date = token.slice('commit '.length, 'commit '.length + 10);
      return 1;
    }
    const status = token[0];
    const renamed = status === 'R' || status === 'C';
    const needed = renamed ? 3 : 2;
    if (tokens.length - at < needed && !ended) return 0;
    if (renamed) {
      const from = tokens[at + 1] ?? '';
      const to = tokens[at + 2] ?? '';
      const file = lookingFor.get(to);
      // A copy leaves its source in place: only a rename carries the file back to its old name.
      if (file !== undefined && status === 'R') {
        lookingFor.delete(to);
        lookingFor.set(from, file);
      }
    } else if (status === 'A') {
      const file = lookingFor.get(tokens[at + 1] ?? '');
      if (file !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(date)) found.set(file, date);
    }
    return needed;
  };
  const ok = await gitTokens(root, ['-c', 'core.quotePath=false', 'log', '-M', '--name-status', '-z', '--no-color', '--format=%x00commit %aI'], (tokens, ended) => {
    let at = 0;
    while (at < tokens.length) {
      const used = take(tokens, at, ended);
      if (used === 0) break;
      at += used;
    }
    return at;
  });
  return ok ? found : new Map();
}

/**
 * Runs git and hands its NUL-separated output to `read` as it arrives: the whole tokens so
 * far (those it left over first), and whether the output has ended; `read` says how many it
 * used. False when git is missing or the command fails (not a repository, no commits).
 */
function gitTokens(cwd: string, args: string[], read: (tokens: string[], ended: boolean) => number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, stdio: ['ignore', 'pipe', 'ignore'] });
    const decoder = new StringDecoder('utf8');
    let partial = '';
    let left: string[] = [];
    const feed = (text: string, ended: boolean) => {
      const parts = (partial + text).split('\0');
      partial = ended ? '' : parts.pop()!;
      const tokens = left.length ? [...left, ...parts] : parts;
      left = tokens.slice(read(tokens, ended));
    };
    child.stdout.on('data', (chunk: Buffer) => feed(decoder.write(chunk), false));
    child.once('error', () => resolve(false));
    child.once('close', (code) => {
      feed(decoder.end(), true);
      resolve(code === 0);
    });
  });
}

/** Runs git; undefined when git is missing or the command fails (not a repository). */
function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, maxBuffer: 1 << 30, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }, (error, stdout) => {
      resolve(error ? undefined : stdout);
    });
  });
}
