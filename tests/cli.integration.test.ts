// The `newsdesk` entry as a user meets it: help, wrong input, and the foundation
// commands against both content backends.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { runCli } from './helpers/run-cli.ts';
import { startLocalLake, type LocalLake } from './helpers/local-lake.ts';
import { makeTempDir } from './helpers/temp.ts';
import { emptyIssueMessage } from '../content/rules.ts';

const docs = [
  { _id: 'newsletter', _type: 'newsletter', title: 'CLI Weekly', siteUrl: 'https://news.example.org', senderName: 'Ed', senderEmail: 'ed@example.org', postalAddress: '1 Example Street' },
  { _id: 'issue-1', _type: 'issue', number: 1, title: 'Opening the desk', slug: { _type: 'slug', current: 'opening' }, date: '2026-01-05', sections: [{ _key: 'a', _type: 'section', heading: 'News', body: [{ _type: 'block', _key: 'b', style: 'normal', markDefs: [{ _key: 'm', _type: 'externalLink', href: 'https://a.example.org' }], children: [{ _type: 'span', _key: 's', text: 'A link', marks: ['m'] }] }] }] },
  { _id: 'drafts.issue-2', _type: 'issue', number: 2, title: 'Still drafting', slug: { _type: 'slug', current: 'drafting' }, date: '2026-01-19' },
];

let dir: string;
let datasetPath: string;
let standIn: LocalLake;

beforeAll(async () => {
  dir = await makeTempDir();
  datasetPath = path.join(dir, 'dataset.ndjson');
  await fs.writeFile(datasetPath, docs.map((d) => JSON.stringify(d)).join('\n'));
  standIn = await startLocalLake(new GroqJsStore({ datasetPath }));
});
afterAll(() => standIn.close());

describe('newsdesk CLI', () => {
  it('lists every command in --help and each command has its own help', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/issues\s+list issues/);
    const issuesHelp = await runCli(['issues', '--help']);
    expect(issuesHelp.stdout).toContain('Usage: newsdesk issues');
    expect(issuesHelp.stdout).toContain('Examples:');
  });

  it('rejects an unknown command with a suggestion and exit code 2', async () => {
    const res = await runCli(['isues']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('did you mean "issues"');
  });

  it('rejects an unknown option by listing the valid ones', async () => {
    const res = await runCli(['issues', '--colour'], { env: { NEWSDESK_DATASET: datasetPath } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('Valid options: --published, --json');
  });

  it('reports every configuration problem at once', async () => {
    const res = await runCli(['issues'], { env: { NEWSDESK_PORT: 'eighty', SMTP_URL: 'http://mail', SANITY_TOKEN: 'x' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('NEWSDESK_PORT must be a whole number');
    expect(res.stderr).toContain('SMTP_URL must be an smtp:// or smtps:// URL');
  });

  it('lists the same issues from the local dataset and from Sanity (through the local Content Lake)', async () => {
    const local = await runCli(['issues'], { env: { NEWSDESK_DATASET: datasetPath } });
    expect(local.code).toBe(0);
    expect(local.stdout).toMatch(/2\s+2026-01-19\s+draft\s+0\s+0\s+Still drafting/);
    expect(local.stdout).toMatch(/1\s+2026-01-05\s+published\s+1\s+1\s+Opening the desk/);
    const sanity = await runCli(['issues'], {
      env: { SANITY_PROJECT_ID: 'standin', SANITY_DATASET: 'production', SANITY_API_HOST: standIn.url, SANITY_TOKEN: standIn.token },
    });
    expect(sanity.code).toBe(0);
    const table = (out: string) => out.split('\n\n')[0];
    expect(table(sanity.stdout)).toBe(table(local.stdout));
    expect(sanity.stdout).toContain('Sanity project standin, dataset production');
  });

  it('check reports every problem with document id and field, and exits 1', async () => {
    const broken = path.join(dir, 'broken.ndjson');
    const bad = [
      docs[0],
      { ...docs[1], sections: [] },
      { _id: 'issue-3', _type: 'issue', number: 1, title: '', slug: { current: 'opening' }, date: 'soon' },
    ];
    await fs.writeFile(broken, bad.map((d) => JSON.stringify(d)).join('\n'));
    const res = await runCli(['check'], { env: { NEWSDESK_DATASET: broken } });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`issue 1 (issue-1): sections: ${emptyIssueMessage}`);
    expect(res.stderr).toContain('issue 1 (issue-3): title:');
    expect(res.stderr).toContain('issue 1 (issue-3): date: must be a date like 2026-03-14');
  });

  it('check flags javascript: and other unsafe URLs in link documents and where issues use them, as the build does', async () => {
    const unsafe = path.join(dir, 'unsafe.ndjson');
    const link = (id: string, url: string) => ({ _id: id, _type: 'link', url, normalizedUrl: url, capturedAt: '2026-01-01T00:00:00Z', status: 'inbox' });
    const usingIt = {
      ...docs[1],
      sections: [{ _key: 'a', _type: 'section', heading: 'News', body: [{ _type: 'block', _key: 'b', style: 'normal', markDefs: [{ _key: 'm', _type: 'linkReference', reference: { _type: 'reference', _ref: 'link-evil' } }], children: [{ _type: 'span', _key: 's', text: 'Click', marks: ['m'] }] }] }],
    };
    const dataset = [docs[0], usingIt, link('link-evil', 'javascript:alert(document.cookie)'), link('link-data', 'data:text/html,<script>x</script>'), link('link-fine', 'https://fine.example.org/')];
    await fs.writeFile(unsafe, dataset.map((d) => JSON.stringify(d)).join('\n'));
    const res = await runCli(['check'], { env: { NEWSDESK_DATASET: unsafe } });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('link (link-evil): url: "javascript:alert(document.cookie)" is not an http(s) or mailto URL');
    expect(res.stderr).toContain('link (link-data): url: "data:text/html,<script>x</script>" is not an http(s) or mailto URL');
    expect(res.stderr).toContain('issue 1 (issue-1): sections[0].body[0].markDefs[0].link.url: link to "javascript:alert(document.cookie)" left out');
    expect(res.stderr).not.toContain('link-fine');
  });
});
