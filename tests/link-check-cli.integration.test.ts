// `newsdesk links check` and `newsdesk links list --broken` as a user runs them: the real
// executable against a dataset file and a loopback web site, reached only because
// NEWSDESK_FETCH_ALLOW names its exact address and port.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hangAfter } from './helpers/hang.ts';
import { runCli } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';
import { startLinkSite, type LinkSite } from './link-check-kit.ts';
import { aLinkReferenceMark, aStoredIssue, anExternalLinkMark } from './stored-issues.ts';

let site: LinkSite;
let env: NodeJS.ProcessEnv;


beforeAll(async () => {
  site = await startLinkSite();
  const dir = await makeTempDir('newsdesk-links-check-cli-');
  const datasetPath = path.join(dir, 'dataset.ndjson');
  const documents = [
    { _id: 'link-old', _type: 'link', url: `${site.base}/old`, normalizedUrl: `${site.base}/old`, status: 'shortlisted', capturedAt: '2026-01-01T00:00:00Z' },
    aStoredIssue('issue-1', 1, [aLinkReferenceMark('a', 'link-old'), anExternalLinkMark('b', `${site.base}/ok`)]),
    aStoredIssue('issue-2', 2, [anExternalLinkMark('c', `${site.base}/gone`)]),
    aStoredIssue('drafts.issue-3', 3, [anExternalLinkMark('d', `${site.base}/draft-only`)]),
  ];
  await fs.writeFile(datasetPath, documents.map((d) => JSON.stringify(d)).join('\n'));
  env = { NEWSDESK_DATASET: datasetPath, NEWSDESK_DATA_DIR: dir, NEWSDESK_FETCH_ALLOW: `127.0.0.1:${site.port}` };
});
afterAll(() => site.close());

describe('newsdesk links check', () => {
  it('refuses the loopback site without NEWSDESK_FETCH_ALLOW, then checks the published links, prints broken and moved ones, and fails on broken when asked', async () => {
    const blocked = await runCli(['links', 'check', '--delay-ms', '0', '--issue', '2'], { env: { ...env, NEWSDESK_FETCH_ALLOW: '' } });
    expect(blocked.code, blocked.stderr).toBe(0);
    expect(blocked.stdout).toContain('Checked 1 published link(s): 0 fine, 1 could not be checked.');
    expect(site.requests).toEqual([]);

    const res = await runCli(['links', 'check', '--delay-ms', '0', '--fail-on-broken'], { env });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stdout).toMatch(new RegExp(`broken\\s+HTTP 410\\s+\\d{4}-\\d\\d-\\d\\d\\s+#2\\s+${site.base}/gone`));
    expect(res.stdout).toMatch(new RegExp(`moved\\s+HTTP 200 after 2 redirects\\s+\\S+\\s+#1\\s+${site.base}/old → ${site.base}/new`));
    expect(res.stdout).toContain('Checked 3 published link(s): 1 fine, 1 moved, 1 broken.');
    expect(site.requests).not.toContain('HEAD /draft-only');

    const recent = await runCli(['links', 'check', '--older-than', '7'], { env });
    expect(recent.code, recent.stderr).toBe(0);
    expect(recent.stdout).toContain('Checked 0 published link(s): 0 fine; 3 left for later (checked recently).');
  }, hangAfter(3));

  it('lists the broken and moved links from the last check, as a table and as JSON', async () => {
    const table = await runCli(['links', 'list', '--broken'], { env });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('2 of 3 checked link(s) broken or moved.');
    expect(table.stdout).not.toContain(`${site.base}/ok`);
    const json = await runCli(['links', 'list', '--broken', '--json'], { env });
    const records = JSON.parse(json.stdout) as Array<{ url: string; outcome: string; status: number; finalUrl: string; redirects: number; usedIn: number[] }>;
    expect(records.map((r) => [r.outcome, r.url, r.status, r.finalUrl, r.redirects, r.usedIn])).toEqual([
      ['broken', `${site.base}/gone`, 410, `${site.base}/gone`, 0, [2]],
      ['moved', `${site.base}/old`, 200, `${site.base}/new`, 2, [1]],
    ]);
  }, hangAfter(2));

  it('names a bad option value, an option of another subcommand and an issue that is not published', async () => {
    const badDelay = await runCli(['links', 'check', '--delay-ms', 'soon'], { env });
    expect(badDelay.code).toBe(2);
    expect(badDelay.stderr).toContain('--delay-ms must be a whole number of milliseconds (0 or more), not "soon"');
    const misplaced = await runCli(['links', 'list', '--older-than', '7'], { env });
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('--older-than is an option of `links check`');
    const missing = await runCli(['links', 'check', '--issue', '3'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No published issue #3');
  }, hangAfter(3));
});
