// Moving a newsletter in, end to end as a user does it, through the real `newsdesk`
// executable: a Markdown archive and the Substack, Ghost and Buttondown exports in
// tests/fixtures are imported into one fresh dataset, `newsdesk build` renders them,
// and `newsdesk send --to` delivers a test copy of an issue from each to a real SMTP
// server on port 0, read back with mailparser. Subscribers arrive with their state,
// and an address already unsubscribed here stays unsubscribed.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePath } from '../core/config.ts';
import { startSmtpServer, type ScriptedServer } from './delivery-kit.ts';
import { hangAfter } from './helpers/hang.ts';
import { runCli, type CliResult } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';

const fixtures = path.join(import.meta.dirname, 'fixtures');
let dir: string;
let env: NodeJS.ProcessEnv;
let smtp: ScriptedServer;
const runs: Record<string, CliResult> = {};

async function newsdesk(...args: string[]): Promise<CliResult> {
  const result = await runCli(args, { env, cwd: dir });
  if (result.code !== 0) throw new Error(`newsdesk ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

beforeAll(async () => {
  dir = await makeTempDir('newsdesk-migrate-');
  smtp = await startSmtpServer();
  // Only the settings document: every issue comes from the imports.
  const settings = (await fs.readFile(samplePath, 'utf8')).split('\n').find((l) => l.includes('"_type":"newsletter"'))!;
  await fs.writeFile(path.join(dir, 'dataset.ndjson'), `${settings}\n`);
  env = { NEWSDESK_DATA_DIR: path.join(dir, 'data'), NEWSDESK_DATASET: path.join(dir, 'dataset.ndjson'), NEWSDESK_OUT_DIR: path.join(dir, 'dist'), SMTP_URL: smtp.url };

  await newsdesk('subscribers', 'add', 'reader.one@example.org');
  await newsdesk('subscribers', 'remove', 'reader.one@example.org');
  runs.archive = await newsdesk('import', path.join(fixtures, 'archive'), '--publish');
  // Exits 1: one row of the email list is not an address, and the report says so.
  runs.substack = await runCli(['migrate', 'substack', path.join(fixtures, 'migrate/substack'), '--publish'], { env, cwd: dir });
  runs.ghost = await newsdesk('migrate', 'ghost', path.join(fixtures, 'migrate/ghost/harbor-log.ghost.2026-01-01.json'), '--subscribers', path.join(fixtures, 'migrate/ghost/members.csv'), '--publish');
  runs.buttondown = await newsdesk('migrate', 'buttondown', path.join(fixtures, 'migrate/buttondown'), '--publish');
  runs.build = await newsdesk('build', '--threads', '1');
  // Seven CLI runs one after another, each a child process: the limit counts them.
}, hangAfter(7));

afterAll(async () => {
  await smtp?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const flat = (text: string | undefined) => (text ?? '').replace(/\s+/g, ' ');

async function testCopy(number: number) {
  const before = smtp.received.length;
  await newsdesk('send', String(number), '--to', 'editor@example.org');
  expect(smtp.received.length).toBe(before + 1);
  return smtp.received.at(-1)!.parsed;
}

describe('moving a newsletter in', { timeout: hangAfter(1) }, () => {
  it('imports the Markdown archive with a table of every file and the warning for the irc: link', () => {
    expect(runs.archive!.stdout).toMatch(/^file\s+number\s+sections\s+links\s+asides\s+warnings\s+refused$/m);
    expect(runs.archive!.stdout).toMatch(/^3 of 3 file\(s\) imported, 0 refused \(\d+(\.\d)? s\)\.$/m);
    expect(runs.archive!.stdout).toMatch(/Warnings \(\d+\), by kind: .*link 1/);
  });

  it('numbers the migrated posts after the archive, in publication order', () => {
    expect(runs.substack!.stdout).toMatch(/posts\/1001\.first-light\.html\s+4\s/);
    expect(runs.substack!.stdout).toContain('post 1003.open-thread is a thread, not an issue');
    expect(runs.ghost!.stdout).toMatch(/#harbor-log-2\s+8\s/);
    expect(runs.buttondown!.stdout).toMatch(/emails\/field-notes-2\.md\s+11\s/);
  });

  it('builds every imported issue, and keeps a platform draft a draft', async () => {
    const issues = await fs.readdir(path.join(dir, 'dist/issues'));
    expect(issues.map((f) => Number(f.split('-')[0])).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 7, 8, 9, 10, 11]);
  });

  it('sends a test copy of an archive issue with its aside, links and sections', async () => {
    const mail = await testCopy(2);
    expect(mail.subject).toMatch(/#\d+: Tidepool\ Weekly\ \#2:\ Sharper\ Queries$/);
    expect(flat(mail.text)).toContain('[finally, after two years of asking —Ed.]');
    expect(mail.html).toContain('https://tidepool.example.org/notes/planner');
    expect(mail.html).toContain('https://code.example.org/tidepool/pull/412');
  });

  it('sends a test copy of a Substack post, converted from its HTML', async () => {
    const mail = await testCopy(4);
    expect(mail.subject).toMatch(/#\d+: First\ Light$/);
    expect(flat(mail.text)).toContain('[Worth the upgrade for the new defaults alone. —Ed.]');
    expect(mail.html).toContain('https://lamp.example.org/docs/themes');
  });

  it('sends a test copy of a Ghost post that existed only as a Lexical document', async () => {
    const mail = await testCopy(8);
    expect(mail.subject).toMatch(/#\d+: Harbor\ Log\ 2$/);
    expect(mail.html).toContain('https://harbor.example.org/lexical');
    expect(flat(mail.text)).toContain('[chart data is a month old —Ed.]');
  });

  it('sends a test copy of a Buttondown email, table rows and all', async () => {
    const mail = await testCopy(11);
    expect(mail.subject).toMatch(/#\d+: Field\ Notes\ 2:\ Ferns$/);
    expect(mail.text).toContain('the old well');
    expect(mail.html).toContain('https://ferns.example.org/hart');
  });

  it('brings subscribers with their state, and never re-activates one unsubscribed here', async () => {
    const { stdout } = await newsdesk('subscribers', 'list', '--json');
    const states = Object.fromEntries((JSON.parse(stdout) as Array<{ email: string; state: string }>).map((s) => [s.email, s.state]));
    expect(states).toMatchObject({
      'reader.one@example.org': 'unsubscribed',
      'Reader.Two@example.org': 'active',
      'gone.quiet@example.org': 'unsubscribed',
      'skipper@example.org': 'active',
      'ashore@example.org': 'unsubscribed',
      'walker@example.org': 'active',
      'pending.walker@example.org': 'pending',
      'spam.report@example.org': 'complained',
      'left.the.trail@example.org': 'unsubscribed',
    });
    expect(runs.substack!.stdout).toContain('email_disabled=true → unsubscribed: 1');
    expect(runs.substack!.code).toBe(1);
    expect(runs.substack!.stderr).toContain('email_list.lantern-notes.csv:5: email: is not a valid email address');
  });
});
