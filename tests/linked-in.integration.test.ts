// "Already linked in #N": `newsdesk capture` (in process) and `POST /api/links` on the
// project's own server answer with the published issues a URL already appeared in, by
// its de-duplication key, through a link document or an external link annotation; drafts
// never count. Pages come from a loopback site on port 0.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePageFetcher } from '../content/capture/fetch-page.ts';
import { indexLinkedIn, linkedInQuery, loadLinkedIn } from '../content/capture/linked-in.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { normaliseUrl } from '../content/normalize-url.ts';
import { captureCommand } from '../scripts/capture.ts';
import { hangMs } from './helpers/hang.ts';
import { runCommand } from './helpers/run-command.ts';
import { makeTempDir } from './helpers/temp.ts';
import { startTestServer, type TestServer } from './server-kit.ts';

let site: { base: string; port: number; close(): Promise<void> };

beforeAll(async () => {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Page ${req.url}</title></head><body><p>Hi.</p></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  site = {
    base: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
afterAll(() => site.close());

const block = (key: string, markDefs: object[]) => ({
  _type: 'block',
  _key: key,
  style: 'normal',
  markDefs,
  children: [{ _type: 'span', _key: `${key}s`, text: 'a link', marks: markDefs.map((m) => (m as { _key: string })._key) }],
});

function issue(id: string, number: number, date: string, body: object[]) {
  return {
    _id: id,
    _type: 'issue',
    number,
    title: `Issue ${number}`,
    date,
    slug: { _type: 'slug', current: `issue-${number}` },
    intro: [block(`${id}-intro`, [])],
    sections: [{ _key: `${id}-s`, _type: 'section', heading: 'News', body }],
  };
}

/**
 * `seen` (another spelling) is a link document used by issue 901 and an annotation's href in
 * issue 902; `hrefOnly` is only ever an annotation (902); `draftOnly` is used by a draft of
 * the published issue 903 and by the draft-only issue 904, so it counts nowhere.
 */
function documents(spelling: { seenLink: string; seenHref: string; hrefOnly: string; draftOnly: string; oldKey: string }) {
  const ref = (key: string, to: string) => ({ _type: 'linkReference', _key: key, reference: { _type: 'reference', _ref: to } });
  const ext = (key: string, href: string) => ({ _type: 'externalLink', _key: key, href });
  return [
    { _id: 'link-seen-before', _type: 'link', url: spelling.seenLink, normalizedUrl: normaliseUrl(spelling.seenLink), status: 'used' },
    { _id: 'link-draft-only', _type: 'link', url: spelling.draftOnly, normalizedUrl: normaliseUrl(spelling.draftOnly), status: 'shortlisted' },
    // A key written by an older rule: the link's URL still says which page it is.
    { _id: 'link-old-key', _type: 'link', url: spelling.oldKey, normalizedUrl: 'old-rule:/old-key', status: 'used' },
    issue('issue-901', 901, '2026-02-06', [block('b1', [ref('m1', 'link-seen-before'), ref('m5', 'link-old-key')])]),
    issue('issue-902', 902, '2026-03-01', [block('b2', [ext('m2', spelling.seenHref), ext('m3', spelling.hrefOnly)])]),
    issue('issue-903', 903, '2026-04-01', [block('b3', [])]),
    issue('drafts.issue-903', 903, '2026-04-01', [block('b3', [ref('m4', 'link-draft-only')])]),
    issue('drafts.issue-904', 904, '2026-05-01', [{ _type: 'linkCard', _key: 'c1', link: { _type: 'reference', _ref: 'link-draft-only' } }]),
  ];
}

const linkedIn901and902 = [
  { number: 901, title: 'Issue 901', date: '2026-02-06' },
  { number: 902, title: 'Issue 902', date: '2026-03-01' },
];

describe('newsdesk capture: already linked in', () => {
  let env: Record<string, string>;
  beforeAll(async () => {
    const dataDir = await makeTempDir('newsdesk-linked-in-');
    const base = site.base;
    const docs = documents({
      seenLink: `${base}/seen/?utm_source=newsletter`,
      seenHref: `HTTP://127.0.0.1:${site.port}/seen?fbclid=abc#top`,
      hrefOnly: `${base}/href-only/`,
      draftOnly: `${base}/draft-only`,
      oldKey: `${base}/old-key`,
    });
    await fs.writeFile(path.join(dataDir, 'dataset.ndjson'), docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
    env = { NEWSDESK_DATA_DIR: dataDir };
  });

  it('names both published issues that linked the URL under other spellings, with their dates', async () => {
    const result = await runCommand(captureCommand, [`${site.base}/seen`], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('merged');
    expect(result.stdout).toContain('already linked in #901 (2026-02-06) and #902 (2026-03-01)');
    const json = await runCommand(captureCommand, [`${site.base}/seen?utm_campaign=again`, '--json'], { env });
    expect(JSON.parse(json.stdout).linkedIn).toEqual(linkedIn901and902);
  });

  it('counts an issue that only linked the page by an annotation, though no link document existed', async () => {
    const result = await runCommand(captureCommand, [`${site.base}/href-only`, '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout);
    expect(outcome.kind).not.toBe('merged');
    expect(outcome.linkedIn).toEqual([{ number: 902, title: 'Issue 902', date: '2026-03-01' }]);
  });

  it('finds a link document by its URL when its stored key was written by another rule', async () => {
    const result = await runCommand(captureCommand, [`${site.base}/old-key/`, '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).linkedIn).toEqual([{ number: 901, title: 'Issue 901', date: '2026-02-06' }]);
  });

  it('does not count drafts, and says nothing for a URL never linked', async () => {
    for (const url of [`${site.base}/draft-only`, `${site.base}/fresh`]) {
      const result = await runCommand(captureCommand, [url], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).not.toContain('already linked');
      expect(JSON.parse((await runCommand(captureCommand, [url, '--json'], { env })).stdout).linkedIn).toEqual([]);
    }
  });

  it('reports it per URL in a bulk capture', async () => {
    const list = path.join(env.NEWSDESK_DATA_DIR!, 'urls.txt');
    await fs.writeFile(list, `${site.base}/seen/\n${site.base}/fresh-too\n`);
    const result = await runCommand(captureCommand, ['--from', list, '--json'], { env });
    expect(result.code, result.stderr).toBe(0);
    const outcomes = JSON.parse(result.stdout.slice(0, result.stdout.lastIndexOf(']') + 1)) as Array<{ linkedIn: unknown[] }>;
    expect(outcomes.map((o) => o.linkedIn)).toEqual([linkedIn901and902, []]);
  });
});

describe('POST /api/links: linkedIn', () => {
  const token = 'linked-in-test-token-0123456789';
  let server: TestServer;
  let origin: string;
  beforeAll(async () => {
    // A host name, so its case can differ: the resolver seam sends it to the loopback site,
    // and the test-only allowance lets the fetch policy through to that address alone.
    origin = `http://news.example:${site.port}`;
    server = await startTestServer({
      build: false,
      env: { NEWSDESK_API_TOKEN: token },
      fetchPage: makePageFetcher({
        limits: { timeoutMs: hangMs, maxBytes: 64 * 1024, maxRedirects: 3 },
        policy: { allowPrivateAddresses: [`127.0.0.1:${site.port}`], resolve: async () => [{ address: '127.0.0.1', family: 4 }] },
      }),
    });
    await server.store.mutate(
      documents({
        seenLink: `http://News.Example:${site.port}/seen/?utm_medium=email`,
        seenHref: `http://NEWS.EXAMPLE:${site.port}/seen/`,
        hrefOnly: `${origin}/href-only?gclid=x`,
        draftOnly: `${origin}/draft-only`,
        oldKey: `${origin}/old-key`,
      }).map((doc) => ({ createOrReplace: doc })),
    );
  });
  afterAll(() => server?.close());

  const capture = async (url: string) => {
    const response = await fetch(`${server.url}/api/links`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ url }),
    });
    return { status: response.status, body: (await response.json()) as { outcome: string; message: string; linkedIn: unknown[] } };
  };

  it('answers both published issues for a URL they linked under other spellings, and says so in the message', async () => {
    const { status, body } = await capture(`${origin}/seen`);
    expect(status).toBe(200);
    expect(body.linkedIn).toEqual(linkedIn901and902);
    expect(body.message).toContain('already linked in #901 (2026-02-06) and #902 (2026-03-01)');
  });

  it('answers the issue that linked a new page by annotation only', async () => {
    const { status, body } = await capture(`${origin}/href-only`);
    expect(status).toBe(201);
    expect(body.outcome).toBe('created');
    expect(body.linkedIn).toEqual([{ number: 902, title: 'Issue 902', date: '2026-03-01' }]);
  });

  it('answers none for a draft-only use and for a new URL', async () => {
    expect((await capture(`${origin}/draft-only`)).body).toMatchObject({ outcome: 'merged', linkedIn: [] });
    const fresh = await capture(`${origin}/fresh`);
    expect(fresh.status).toBe(201);
    expect(fresh.body.linkedIn).toEqual([]);
    expect(fresh.body.message).not.toContain('already linked');
  });
});

describe('the lookup itself, over a store in this process', () => {
  const base = 'https://pages.example';
  const spelling = { seenLink: `${base}/seen/?utm_source=newsletter`, seenHref: `HTTPS://PAGES.EXAMPLE/seen#top`, hrefOnly: `${base}/href-only/`, draftOnly: `${base}/draft-only`, oldKey: `${base}/old-key` };
  const asked = [`${base}/seen`, `${base}/href-only`, `${base}/old-key/`, `${base}/draft-only`, `${base}/fresh`, 'mailto:someone@example.org'];
  let store: GroqJsStore;
  beforeAll(async () => {
    const dir = await makeTempDir('newsdesk-linked-in-lookup-');
    const datasetPath = path.join(dir, 'dataset.ndjson');
    await fs.writeFile(datasetPath, [...documents(spelling), ...everyPlace()].map((d) => JSON.stringify(d)).join('\n') + '\n');
    store = new GroqJsStore({ datasetPath });
  });

  /** Issue 906 names a page in each place the content model has for a link: the intro, an inline aside, a block aside, a link card, the sign-off. */
  const places = ['intro', 'inline-aside', 'block-aside', 'card', 'sign-off'];
  function everyPlace(): object[] {
    const ref = (key: string, to: string) => ({ _type: 'linkReference', _key: key, reference: { _type: 'reference', _ref: to } });
    const ext = (key: string, href: string) => ({ _type: 'externalLink', _key: key, href });
    const link = (place: string) => ({ _id: `link-${place}`, _type: 'link', url: `${base}/${place}`, normalizedUrl: normaliseUrl(`${base}/${place}`), status: 'used' });
    const aside = (key: string, markDefs: object[]) => ({ _type: 'editorialNote', _key: key, signature: 'Ed.', body: [block(`${key}b`, markDefs)] });
    const doc = issue('issue-906', 906, '2026-07-01', [
      { ...block('b6', []), children: [{ _type: 'span', _key: 'b6s', text: 'see', marks: [] }, aside('n1', [ref('m1', 'link-inline-aside')])] },
      aside('n2', [ext('m2', `${base}/block-aside?utm_source=x`)]),
      { _type: 'linkCard', _key: 'c6', link: { _type: 'reference', _ref: 'link-card' } },
    ]);
    return [link('intro'), link('inline-aside'), link('card'), { ...doc, intro: [block('i6', [ref('m3', 'link-intro')])], signOff: [block('o6', [ext('m4', `${base}/sign-off/`)])] }];
  }

  it('finds an issue by a link in any place the content model has for one, whether it walks whole issues or reads what the query picked out', async () => {
    const lean = indexLinkedIn(await store.fetch(linkedInQuery, {}, { perspective: 'published' }));
    const whole = await loadLinkedIn(store);
    for (const place of places) {
      expect(numbers(whole([`${base}/${place}`])), place).toEqual([906]);
      expect(numbers(lean([`${base}/${place}`])), place).toEqual([906]);
    }
    // The query reads annotations and link cards, not whole issues.
    const answer = (await store.fetch(linkedInQuery, {}, { perspective: 'published' })) as { referrers: Array<Record<string, unknown>> };
    expect(answer.referrers.every((r) => !('document' in r) && Array.isArray(r.marks) && Array.isArray(r.cards))).toBe(true);
  });
  afterAll(() => store?.close());

  const numbers = (found: Array<{ number: number }>) => found.map((i) => i.number);

  it('answers a first question (one pass for the keys asked) and every later one (an index of all keys) alike, from whole link documents or projected ones', async () => {
    const expected = [[901, 902], [902], [901], [], [], []];
    const loads = [() => loadLinkedIn(store), async () => indexLinkedIn(await store.fetch(linkedInQuery, {}, { perspective: 'published' }))];
    for (const load of loads) {
      // Each URL asked of a lookup that has answered nothing yet…
      const firsts: number[][] = [];
      for (const url of asked) firsts.push(numbers((await load())([url])));
      expect(firsts).toEqual(expected);
      // …and of one that answers every question after its first from its index.
      const lookup = await load();
      expect(asked.map((url) => numbers(lookup([url])))).toEqual(expected);
      expect(asked.map((url) => numbers(lookup([url])))).toEqual(expected);
      expect(numbers(lookup(asked))).toEqual([901, 902]);
    }
  });

  it('sees an issue that stopped or started linking a page, and a link whose address changed, on the next load', async () => {
    const before = await loadLinkedIn(store);
    expect(numbers(before([`${base}/seen`]))).toEqual([901, 902]);
    const ext = (key: string, href: string) => ({ _type: 'externalLink', _key: key, href });
    await store.mutate([
      // 902 no longer links the page; 905 links it by annotation; the old-key link moves.
      { createOrReplace: issue('issue-902', 902, '2026-03-01', [block('b2', [ext('m3', spelling.hrefOnly)])]) },
      { createOrReplace: issue('issue-905', 905, '2026-06-01', [block('b5', [ext('m6', `${base}/seen`)])]) },
      { patch: { id: 'link-old-key', set: { url: `${base}/moved-key` } } },
    ]);
    const after = await loadLinkedIn(store);
    expect(numbers(after([`${base}/seen`]))).toEqual([901, 905]);
    expect(numbers(after([`${base}/old-key`]))).toEqual([]);
    expect(numbers(after([`${base}/moved-key`]))).toEqual([901]);
    // The lookup loaded before the writes keeps answering what it read.
    expect(numbers(before([`${base}/seen`]))).toEqual([901, 902]);
  });
});
