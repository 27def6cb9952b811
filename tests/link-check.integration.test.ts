// Link checks against a real loopback web site (tests/link-check-kit.ts): what each kind of
// answer is recorded as, HEAD then GET, retries, time-outs and resets, the fetch policy's
// refusal of private addresses by default, politeness counted on the server side, and the
// run over published issues that writes linkCheck documents through the content store.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { checkLink, type CheckLinkOptions } from '../content/link-check/check-link.ts';
import { checkPublishedLinks, loadLinkChecks, loadPublishedLinks } from '../content/link-check/check-links.ts';
import { runPolitely } from '../content/link-check/polite-queue.ts';
import type { ContentStore, SanityDocument } from '../content/store.ts';
import { hangMs } from './helpers/hang.ts';
import { makeTempDir } from './helpers/temp.ts';
import { startLinkSite, type LinkSite } from './link-check-kit.ts';
import { aLinkReferenceMark, aStoredIssue, anExternalLinkMark } from './stored-issues.ts';

const fixedNow = () => new Date('2026-03-14T09:30:00Z');
// Only a page that never answers should ever reach this time-out.
const limits = { timeoutMs: hangMs, maxRedirects: 5 };

let site: LinkSite;
beforeEach(async () => {
  site = await startLinkSite();
});
afterEach(async () => {
  await site.close();
});

const options = (more: Partial<CheckLinkOptions> = {}): CheckLinkOptions => ({ limits, policy: site.policy(), now: fixedNow, ...more });

describe('checking one link', () => {
  it('records a 200 as fine, with its own address as the final one', async () => {
    expect(await checkLink(`${site.base}/ok`, options())).toEqual({ url: `${site.base}/ok`, outcome: 'ok', status: 200, finalUrl: `${site.base}/ok`, redirects: 0, checkedAt: '2026-03-14T09:30:00.000Z' });
    expect(site.requests).toEqual(['HEAD /ok']);
  });

  it('records a chain of permanent redirects as moved, with where it ends', async () => {
    const result = await checkLink(`${site.base}/old`, options());
    expect(result).toMatchObject({ outcome: 'moved', status: 200, finalUrl: `${site.base}/new`, movedTo: `${site.base}/new`, redirects: 2 });
  });

  it('does not call a temporary redirect moved, and suggests only the permanent part of a mixed chain', async () => {
    expect(await checkLink(`${site.base}/temporary`, options())).toMatchObject({ outcome: 'ok', finalUrl: `${site.base}/ok`, redirects: 1 });
    const mixed = await checkLink(`${site.base}/moved-then-temporary`, options());
    expect(mixed).toMatchObject({ outcome: 'moved', finalUrl: `${site.base}/ok`, movedTo: `${site.base}/campaign`, redirects: 2 });
  });

  it('records 404 and 410 as broken, confirmed with GET', async () => {
    expect(await checkLink(`${site.base}/missing`, options())).toMatchObject({ outcome: 'broken', status: 404, redirects: 0 });
    expect(await checkLink(`${site.base}/gone`, options())).toMatchObject({ outcome: 'broken', status: 410 });
    expect(site.requests).toEqual(['HEAD /missing', 'GET /missing', 'HEAD /gone', 'GET /gone']);
  });

  it('asks with GET when a server refuses HEAD, and reads none of the long body', async () => {
    expect(await checkLink(`${site.base}/no-head`, options())).toMatchObject({ outcome: 'ok', status: 200 });
    expect(site.requests).toEqual(['HEAD /no-head', 'GET /no-head']);
  });

  it('tries a 5xx once more: a flaky page recovers, a page that stays down is broken', async () => {
    expect(await checkLink(`${site.base}/flaky`, options())).toMatchObject({ outcome: 'ok', status: 200 });
    expect(await checkLink(`${site.base}/down`, options())).toMatchObject({ outcome: 'broken', status: 503 });
    expect(site.requests.filter((r) => r.endsWith('/down'))).toEqual(['HEAD /down', 'GET /down', 'HEAD /down', 'GET /down']);
  });

  it('records a page that never answers as broken by time-out, after one retry', async () => {
    const result = await checkLink(`${site.base}/hang`, options({ limits: { timeoutMs: 200, maxRedirects: 5 } }));
    expect(result).toMatchObject({ outcome: 'broken', failure: 'timeout', finalUrl: `${site.base}/hang` });
    expect(result.status).toBeUndefined();
    expect(site.requests).toEqual(['HEAD /hang', 'HEAD /hang']);
  });

  it('records a reset connection as broken', async () => {
    expect(await checkLink(`${site.base}/reset`, options())).toMatchObject({ outcome: 'broken', failure: 'reset' });
    expect(site.requests).toEqual(['HEAD /reset', 'HEAD /reset']);
  });

  it('records a name that does not resolve as broken (dns), and a closed port as refused', async () => {
    const nowhere = await checkLink('http://nowhere.example/', options({ policy: { resolve: async () => [] } }));
    expect(nowhere).toMatchObject({ outcome: 'broken', failure: 'dns' });
    const closed = await startLinkSite();
    const port = closed.port;
    await closed.close();
    const refused = await checkLink(`http://127.0.0.1:${port}/`, options({ policy: { allowPrivateAddresses: [`127.0.0.1:${port}`] } }));
    expect(refused).toMatchObject({ outcome: 'broken', failure: 'refused' });
  });

  it('fetches no private address by default: the link cannot be checked, and the site sees nothing', async () => {
    const result = await checkLink(`${site.base}/ok`, { limits, now: fixedNow });
    expect(result).toMatchObject({ outcome: 'unknown', failure: 'blocked-by-policy' });
    expect(result.detail).toMatch(/loopback address/);
    expect(site.requests).toEqual([]);
  });

  it('leaves a site that turns the checker away (403) as unknown, not broken', async () => {
    expect(await checkLink(`${site.base}/forbidden`, options())).toMatchObject({ outcome: 'unknown', status: 403 });
  });
});

describe('politeness, counted by the site', () => {
  const urls = (hosts: string[], perHost: number) => hosts.flatMap((h) => Array.from({ length: perHost }, (_, i) => `http://${h}:${site.port}/page/${i}`));
  const checkAll = (list: string[], politeness: { concurrency: number; perHost: number; delayMs: number }) =>
    runPolitely(list, (u) => new URL(u).host, (u) => checkLink(u, options()), politeness);

  it('sends at most two requests at a time to one site, and serves sites side by side', async () => {
    const hosts = ['a.example', 'b.example', 'c.example'];
    // Every answer waits until six requests are in flight: two per site, three sites.
    site.holdUntil(6);
    const results = await checkAll(urls(hosts, 5), { concurrency: 10, perHost: 2, delayMs: 0 });
    expect(results.every((r) => r?.outcome === 'ok')).toBe(true);
    expect(site.peak()).toBe(6);
    for (const host of hosts) expect(site.peakPerHost.get(`${host}:${site.port}`)).toBe(2);
  });

  it('keeps to the overall limit across many sites', async () => {
    const hosts = ['a.example', 'b.example', 'c.example', 'd.example'];
    site.holdUntil(3);
    await checkAll(urls(hosts, 3), { concurrency: 3, perHost: 2, delayMs: 0 });
    expect(site.peak()).toBe(3);
    expect(site.requests).toHaveLength(12);
  });

  it('sends one request at a time to a site when asked to', async () => {
    await checkAll(urls(['a.example'], 4), { concurrency: 10, perHost: 1, delayMs: 0 });
    expect(site.peakPerHost.get(`a.example:${site.port}`)).toBe(1);
  });
});

describe('checking the published issues', () => {
  const issue = aStoredIssue;
  const ref = aLinkReferenceMark;
  const ext = anExternalLinkMark;

  async function storeWith(documents: SanityDocument[]): Promise<GroqJsStore> {
    const dir = await makeTempDir('newsdesk-link-check-');
    const datasetPath = path.join(dir, 'dataset.ndjson');
    await fs.writeFile(datasetPath, documents.map((d) => JSON.stringify(d)).join('\n'));
    return new GroqJsStore({ datasetPath, now: fixedNow });
  }

  it('checks every address of the published issues once, and records each as a linkCheck document', async () => {
    const store = await storeWith([
      { _id: 'link-old', _type: 'link', url: `${site.base}/old`, normalizedUrl: `${site.base}/old` },
      { _id: 'link-draft', _type: 'link', url: `${site.base}/draft-only`, normalizedUrl: `${site.base}/draft-only` },
      issue('issue-1', 1, [ref('a', 'link-old'), ext('b', `${site.base}/gone`), ext('m', 'mailto:editor@example.org')]),
      // The same page in another spelling, and the moved link again.
      issue('issue-2', 2, [ext('c', `${site.base}/gone/?utm_source=feed`), ref('d', 'link-old'), ext('e', `${site.base}/ok`)]),
      issue('drafts.issue-3', 3, [ref('f', 'link-draft')]),
    ]);
    const published = await loadPublishedLinks(store);
    expect(published.map((p) => [p.url, p.usedIn])).toEqual([
      [`${site.base}/old`, [1, 2]],
      [`${site.base}/gone`, [1, 2]],
      [`${site.base}/ok`, [2]],
    ]);
    expect((await loadPublishedLinks(store, { issue: 2 })).map((p) => p.usedIn)).toEqual([[2], [2], [2]]);
    // A store read over the network (a Sanity project) is asked for what each issue names, not the whole issue: the same links.
    const remote: ContentStore = { fetch: (query, params, opts) => store.fetch(query, params, opts), mutate: (mutations, opts) => store.mutate(mutations, opts), description: store.description };
    expect(await loadPublishedLinks(remote)).toEqual(published);
    await expect(loadPublishedLinks(store, { issue: 3 })).rejects.toThrow(/No published issue #3/);

    const run = await checkPublishedLinks(store, { check: (url) => checkLink(url, options()), politeness: { concurrency: 4, perHost: 2, delayMs: 0 } });
    expect(run.skipped).toBe(0);
    expect(run.checked.map((c) => [c.url, c.outcome])).toEqual([
      [`${site.base}/old`, 'moved'],
      [`${site.base}/gone`, 'broken'],
      [`${site.base}/ok`, 'ok'],
    ]);
    expect(site.requests).not.toContain('HEAD /draft-only');
    const stored = await loadLinkChecks(store);
    expect(stored.map((s) => [s.normalizedUrl, s.outcome, s.status, s.finalUrl, s.usedIn]).sort()).toEqual(
      [
        [`${site.base}/gone`, 'broken', 410, `${site.base}/gone`, [1, 2]],
        [`${site.base}/ok`, 'ok', 200, `${site.base}/ok`, [2]],
        [`${site.base}/old`, 'moved', 200, `${site.base}/new`, [1, 2]],
      ].sort(),
    );
    expect(stored.every((s) => s._id.startsWith('linkCheck-'))).toBe(true);

    // Checked again later: one document per address still, and --older-than leaves recent ones alone.
    const again = await checkPublishedLinks(store, { check: (url) => checkLink(url, options()), olderThanDays: 7, now: fixedNow });
    expect(again).toEqual({ checked: [], skipped: 3, recorded: true });
    await checkPublishedLinks(store, { check: (url) => checkLink(url, options()), politeness: { concurrency: 4, perHost: 2, delayMs: 0 } });
    expect(await loadLinkChecks(store)).toHaveLength(3);
    store.close();
  });

  it('records nothing when not one name resolves (an offline machine), keeping the last good checks', async () => {
    const store = await storeWith([issue('issue-1', 1, [ext('a', 'https://one.example/post'), ext('b', 'https://two.example/post')])]);
    const offline = await checkPublishedLinks(store, { check: (url) => checkLink(url, options({ policy: { resolve: async () => [] } })), politeness: { concurrency: 2, perHost: 1, delayMs: 0 } });
    expect(offline.recorded).toBe(false);
    expect(offline.checked.map((c) => c.failure)).toEqual(['dns', 'dns']);
    expect(await loadLinkChecks(store)).toEqual([]);
    store.close();
  });
});
