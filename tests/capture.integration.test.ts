// Link capture against a real HTTP server on port 0: metadata extraction, the fetch
// limits (time-out, redirects, size, content type), de-duplication, offline capture and
// enrichment, bulk capture from a URL list and a bookmarks export, the capture API
// handler and the bookmarklet that calls it.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureLink, captureMany, enrichLinks, linkIdFor, setLinkStatus, type CaptureDeps } from '../content/capture/capture-link.ts';
import { parseCaptureList } from '../content/capture/capture-list.ts';
import { makePageFetcher, type FetchLimits } from '../content/capture/fetch-page.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { loadLinks } from '../content/load.ts';
import { buildBookmarklet, handleCaptureRequest, type CaptureApiDeps } from '../server/capture-api.ts';
import { hangMs } from './helpers/hang.ts';

const fixedNow = () => new Date('2026-03-14T09:30:00Z');
// A loaded machine can take seconds to answer from this process's own test site: the
// time-out only matters to the page that never answers, which gets a short one of its own.
const limits: FetchLimits = { timeoutMs: hangMs, maxBytes: 64 * 1024, maxRedirects: 3 };

// ── a small web of pages ─────────────────────────────────────────────────────

interface Site {
  base: string;
  down: boolean;
  hits: Map<string, number>;
  close(): Promise<void>;
}

function page(head: string, body = '<p>Hello.</p>'): string {
  return `<!doctype html><html><head><meta charset="utf-8">${head}</head><body>${body}</body></html>`;
}

async function startSite(): Promise<Site> {
  const site = { down: false, hits: new Map<string, number>() } as Site;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site');
    site.hits.set(url.pathname, (site.hits.get(url.pathname) ?? 0) + 1);
    const html = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body);
    };
    switch (url.pathname) {
      case '/og':
        return html(
          page(`<title>Kettle 3.0 | Kettle Blog</title>
            <meta property="og:title" content="Kettle 3.0 is out">
            <meta property="og:description" content="Faster boots, a new plugin API and fewer surprises.">
            <meta property="og:site_name" content="Kettle Blog">
            <meta property="og:url" content="${site.base}/og">`),
        );
      case '/title-only':
        return html(page('<title>  Harbour: a deployment guide  </title>'));
      case '/none':
        return html('<html><body><p>No head, no title, only words.</p></body></html>');
      case '/canonical-elsewhere':
        return html(page(`<title>Mirror</title><link rel="canonical" href="${site.base}/og?utm_medium=mirror">`));
      case '/slow':
        // Never answers: the fetcher hangs up when its time-out passes.
        return;
      case '/loop-a':
        res.writeHead(302, { location: '/loop-b' });
        return res.end();
      case '/loop-b':
        res.writeHead(302, { location: '/loop-a' });
        return res.end();
      case '/hop':
        res.writeHead(301, { location: '/og' });
        return res.end();
      case '/huge': {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write(`<!doctype html><html><head><title>The Very Long Page</title></head><body>`);
        const chunk = `<p>${'filler '.repeat(1000)}</p>`;
        let sent = 0;
        // 20 MB unless the reader hangs up first, which is the point.
        const pump = () => {
          while (sent < 20_000_000) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end('</body></html>');
        };
        res.on('close', () => (sent = Infinity));
        return pump();
      }
      case '/paper.pdf':
        res.writeHead(200, { 'content-type': 'application/pdf' });
        return res.end('%PDF-1.7 not really');
      case '/down':
      case '/flaky':
        if (site.down || url.pathname === '/down') {
          res.writeHead(503, { 'content-type': 'text/plain' });
          return res.end('Service unavailable');
        }
        return html(page('<title>Back up again</title><meta name="description" content="It was down for a while.">'));
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  site.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return site;
}

// ── per-test store ───────────────────────────────────────────────────────────

let site: Site;
/** The one test-only allowance: the loopback test site, by address and port, and nothing else. */
const sitePolicy = () => ({ allowPrivateAddresses: [new URL(site.base).host] });
let dir: string;
let store: GroqJsStore;
let deps: CaptureDeps;

beforeAll(async () => {
  site = await startSite();
});
afterAll(async () => {
  await site.close();
});
/**
 * A tiny dataset: a tag, a link a published issue uses, one only a draft uses. Written
 * here rather than seeded from the sample so no test ever touches a non-loopback address.
 */
function tinyDataset(): string {
  const docs = [
    { _id: 'tag-releases', _type: 'tag', title: 'Releases', slug: { _type: 'slug', current: 'releases' } },
    { _id: 'link-used', _type: 'link', url: 'http://127.0.0.1:9/used', normalizedUrl: 'http://127.0.0.1:9/used', capturedAt: '2026-01-02T00:00:00Z', status: 'shortlisted' },
    { _id: 'link-draft-only', _type: 'link', url: 'http://127.0.0.1:9/draft', normalizedUrl: 'http://127.0.0.1:9/draft', capturedAt: '2026-01-03T00:00:00Z', status: 'shortlisted' },
    ...[
      ['issue-1', 'link-used'],
      ['drafts.issue-2', 'link-draft-only'],
    ].map(([id, ref], i) => ({
      _id: id,
      _type: 'issue',
      number: i + 1,
      title: `Issue ${i + 1}`,
      slug: { _type: 'slug', current: `issue-${i + 1}` },
      date: '2026-01-10',
      sections: [
        {
          _key: 's1',
          _type: 'section',
          heading: 'News',
          body: [
            {
              _type: 'block',
              _key: 'b1',
              style: 'normal',
              markDefs: [{ _type: 'linkReference', _key: 'm1', reference: { _type: 'reference', _ref: ref } }],
              children: [{ _type: 'span', _key: 'c1', text: 'a link', marks: ['m1'] }],
            },
          ],
        },
      ],
    })),
  ];
  return docs.map((d) => JSON.stringify(d)).join('\n') + '\n';
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-capture-'));
  await fs.writeFile(path.join(dir, 'dataset.ndjson'), tinyDataset());
  store = new GroqJsStore({ datasetPath: path.join(dir, 'dataset.ndjson'), now: fixedNow });
  deps = { fetchPage: makePageFetcher({ limits, policy: sitePolicy() }), now: fixedNow };
  site.down = false;
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function storedLink(id: string) {
  return (await store.documents()).find((d) => d._id === id);
}

describe('capturing one link', () => {
  it('stores a page with Open Graph metadata in the inbox with its title, description and site name', async () => {
    const outcome = await captureLink(store, { url: `${site.base}/og`, tags: ['releases'], note: 'lead for News', foundAt: 'the project forum' }, deps);
    expect(outcome.kind).toBe('created');
    const [link] = (await loadLinks(store)).filter((l) => l.url === `${site.base}/og`);
    expect(link).toMatchObject({
      title: 'Kettle 3.0 is out',
      description: 'Faster boots, a new plugin API and fewer surprises.',
      siteName: 'Kettle Blog',
      status: 'inbox',
      note: 'lead for News',
      foundAt: 'the project forum',
      needsEnrichment: false,
      capturedAt: '2026-03-14T09:30:00.000Z',
      tags: [{ title: 'Releases', slug: 'releases' }],
    });
  });

  it('falls back to the <title> of a page without Open Graph tags', async () => {
    const outcome = await captureLink(store, { url: `${site.base}/title-only` }, deps);
    expect(outcome).toMatchObject({ kind: 'created', title: 'Harbour: a deployment guide' });
  });

  it('captures a page that offers no metadata at all with just its address', async () => {
    const outcome = await captureLink(store, { url: `${site.base}/none` }, deps);
    expect(outcome.kind).toBe('created');
    const doc = await storedLink(linkIdFor(`${site.base}/none`));
    expect(doc).toMatchObject({ url: `${site.base}/none`, status: 'inbox' });
    expect(doc?.title).toBeUndefined();
    expect(doc?.needsEnrichment).toBeUndefined();
  });

  it('flags a page that does not answer within the time-out instead of waiting for it', async () => {
    const outcome = await captureLink(store, { url: `${site.base}/slow`, note: 'slow server' }, { ...deps, fetchPage: makePageFetcher({ limits: { ...limits, timeoutMs: 400 }, policy: sitePolicy() }) });
    expect(outcome.kind).toBe('offline');
    expect(outcome.message).toContain('no answer within 400 ms');
    expect(await storedLink(linkIdFor(`${site.base}/slow`))).toMatchObject({ needsEnrichment: true, note: 'slow server' });
  });

  it('gives up on a redirect loop and flags the link', async () => {
    const outcome = await captureLink(store, { url: `${site.base}/loop-a` }, deps);
    expect(outcome).toMatchObject({ kind: 'offline' });
    expect(outcome.message).toMatch(/redirect loop/);
  });

  it('refuses more redirects than the limit allows', async () => {
    const fetchPage = makePageFetcher({ limits: { ...limits, maxRedirects: 0 }, policy: sitePolicy() });
    expect(await fetchPage(`${site.base}/hop`)).toEqual({ status: 'unreachable', reason: 'more than 0 redirects' });
    expect(await makePageFetcher({ limits, policy: sitePolicy() })(`${site.base}/hop`)).toMatchObject({ status: 'fetched', finalUrl: `${site.base}/og` });
  });

  it('reads a huge page only up to the size limit and still finds the title in its head', async () => {
    const result = await makePageFetcher({ limits, policy: sitePolicy() })(`${site.base}/huge`);
    expect(result).toMatchObject({ status: 'fetched', truncated: true, metadata: { title: 'The Very Long Page' } });
    const outcome = await captureLink(store, { url: `${site.base}/huge` }, deps);
    expect(outcome).toMatchObject({ kind: 'created', title: 'The Very Long Page' });
    expect(outcome.message).toContain('cut at the size limit');
  });

  it('keeps a non-HTML response unparsed and does not ask for enrichment', async () => {
    const outcome = await captureLink(store, { url: `${site.base}/paper.pdf` }, deps);
    expect(outcome.kind).toBe('created');
    expect(outcome.message).toContain('application/pdf');
    expect((await storedLink(linkIdFor(`${site.base}/paper.pdf`)))?.needsEnrichment).toBeUndefined();
  });

  it('refuses something that is not an http(s) URL without writing anything', async () => {
    const before = (await store.documents()).length;
    expect(await captureLink(store, { url: 'javascript:alert(1)' }, deps)).toMatchObject({ kind: 'invalid' });
    expect((await store.documents()).length).toBe(before);
  });
});

describe('de-duplication', () => {
  it('merges tags and notes into the known link when the same page is captured in another spelling', async () => {
    await captureLink(store, { url: `${site.base}/og`, tags: ['releases'], note: 'first sighting' }, deps);
    const again = await captureLink(
      store,
      { url: `${site.base.toUpperCase().replace('HTTP://', 'http://')}/og/?utm_source=newsletter&fbclid=abc#comments`, tags: ['Kettle', 'releases'], note: 'seen again on the forum' },
      deps,
    );
    expect(again.kind).toBe('merged');
    expect(again.message).toMatch(/already captured as link-/);
    expect(again.message).toContain('added tag(s) kettle');
    const links = (await loadLinks(store)).filter((l) => l.normalizedUrl === `${site.base}/og`);
    expect(links).toHaveLength(1);
    expect(links[0]!.tags.map((t) => t.slug)).toEqual(['releases', 'kettle']);
    expect(links[0]!.note).toBe('first sighting\n\nseen again on the forum');
    expect((await store.documents()).find((d) => d._id === 'tag-kettle')).toMatchObject({ title: 'Kettle', slug: { current: 'kettle' } });
  });

  it('recognises a page already captured under the address it redirects to or calls canonical', async () => {
    await captureLink(store, { url: `${site.base}/og` }, deps);
    expect(await captureLink(store, { url: `${site.base}/hop` }, deps)).toMatchObject({ kind: 'merged' });
    expect(await captureLink(store, { url: `${site.base}/canonical-elsewhere` }, deps)).toMatchObject({ kind: 'merged' });
    expect((await loadLinks(store)).filter((l) => l.url.startsWith(site.base))).toHaveLength(1);
  });

  it('stores the address without tracking parameters', async () => {
    await captureLink(store, { url: `${site.base}/title-only?utm_campaign=spring&ref=42` }, deps);
    const [link] = (await loadLinks(store)).filter((l) => l.url.startsWith(site.base));
    expect(link!.url).toBe(`${site.base}/title-only?ref=42`);
  });
});

describe('offline capture and enrichment', () => {
  it('captures a link while its site is down and fills the metadata in later with enrich', async () => {
    site.down = true;
    expect(await captureLink(store, { url: `${site.base}/flaky` }, deps)).toMatchObject({ kind: 'offline' });
    expect(await enrichLinks(store, deps)).toEqual([expect.objectContaining({ kind: 'still-offline', message: 'HTTP 503' })]);

    site.down = false;
    const outcomes = await enrichLinks(store, deps);
    expect(outcomes).toEqual([expect.objectContaining({ kind: 'enriched', message: 'filled title, description' })]);
    const [link] = (await loadLinks(store)).filter((l) => l.url === `${site.base}/flaky`);
    expect(link).toMatchObject({ title: 'Back up again', description: 'It was down for a while.', needsEnrichment: false });
    expect(await enrichLinks(store, deps)).toEqual([]);
  });
});

describe('bulk capture', () => {
  it('captures a URL list and reports per line what happened', async () => {
    const list = [
      '# leads for the next issue',
      `${site.base}/og`,
      '',
      `${site.base}/title-only`,
      `${site.base}/og?utm_source=x`,
      'not a url',
      `${site.base}/down`,
    ].join('\n');
    const outcomes = await captureMany(store, parseCaptureList(list).map((e) => ({ ...e, tags: ['backlog'] })), deps);
    expect(outcomes.map((o) => [o.where, o.kind])).toEqual([
      ['line 2', 'created'],
      ['line 4', 'created'],
      ['line 5', 'merged'],
      ['line 6', 'invalid'],
      ['line 7', 'offline'],
    ]);
    expect(outcomes[2]!.message).toContain('same page as line 2');
    const links = (await loadLinks(store, { tag: 'backlog' })).map((l) => l.url).sort();
    expect(links).toEqual([`${site.base}/down`, `${site.base}/og`, `${site.base}/title-only`]);
  });

  it('captures a bookmarks export and turns its folder names into tags', async () => {
    const html = (await fs.readFile(path.join(import.meta.dirname, 'fixtures/bookmarks.html'), 'utf8')).replaceAll('{{BASE}}', site.base);
    const entries = parseCaptureList(html);
    expect(entries.map((e) => [e.url.replace(site.base, ''), e.tags])).toEqual([
      ['/og', ['Newsletter leads']],
      ['/title-only?utm_source=feed', ['Newsletter leads', 'Deployment']],
      ['/down', ['Newsletter leads', 'Deployment']],
      ['/none', []],
      ['javascript:void(0)', []],
    ]);
    const outcomes = await captureMany(store, entries, deps);
    expect(outcomes.map((o) => o.kind)).toEqual(['created', 'created', 'offline', 'created', 'invalid']);
    const byUrl = new Map((await loadLinks(store)).map((l) => [l.url, l]));
    expect(byUrl.get(`${site.base}/title-only`)!.tags.map((t) => t.slug)).toEqual(['newsletter-leads', 'deployment']);
    // The bookmark's name stands in for the title the offline page could not give.
    expect(byUrl.get(`${site.base}/down`)).toMatchObject({ title: 'A page that is down today', needsEnrichment: true });
  });
});

describe('triage', () => {
  it('sets a link status by URL or id, and lists links by status, tag and use', async () => {
    await captureLink(store, { url: `${site.base}/og`, tags: ['releases'] }, deps);
    await setLinkStatus(store, `${site.base}/og?utm_source=x`, 'shortlisted');
    expect((await loadLinks(store, { status: 'shortlisted' })).map((l) => l.url)).toContain(`${site.base}/og`);
    await expect(setLinkStatus(store, `${site.base}/og`, 'archived')).rejects.toMatchObject({ code: 'USAGE', hint: 'Use one of: inbox, shortlisted, discarded.' });
    await expect(setLinkStatus(store, 'link-nope', 'inbox')).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const all = await loadLinks(store);
    const unused = await loadLinks(store, { unused: true });
    // A link a published issue references counts as used; one only a draft uses does not.
    expect(all.find((l) => l.id === 'link-used')!.usedIn).toEqual([{ number: 1, title: 'Issue 1' }]);
    expect(unused.map((l) => l.id).sort()).toEqual(['link-draft-only', linkIdFor(`${site.base}/og`)].sort());
  });
});

describe('capture API', () => {
  const token = 'a-long-enough-api-token-for-tests';
  const apiDeps = (overrides: Partial<CaptureApiDeps> = {}): CaptureApiDeps => ({ store, apiToken: token, ...deps, ...overrides });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    new Request('http://newsdesk.test/api/links', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('captures a link posted with the right bearer token', async () => {
    const response = await handleCaptureRequest(post({ url: `${site.base}/og`, tags: ['releases'], note: 'from the bookmarklet' }, { authorization: `Bearer ${token}` }), apiDeps());
    expect(response.status).toBe(201);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toMatchObject({ outcome: 'created', title: 'Kettle 3.0 is out' });
    const again = await handleCaptureRequest(post({ url: `${site.base}/og` }, { authorization: `Bearer ${token}` }), apiDeps());
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ outcome: 'merged' });
  });

  it('refuses a request without a token, and writes nothing', async () => {
    const before = (await store.documents()).length;
    const response = await handleCaptureRequest(post({ url: `${site.base}/og` }), apiDeps());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await response.json()).toMatchObject({ error: 'missing_token' });
    expect((await store.documents()).length).toBe(before);
  });

  it('refuses a wrong token, including one that only differs at the end, and writes nothing', async () => {
    const before = (await store.documents()).length;
    for (const wrong of ['nope', `${token.slice(0, -1)}X`, `${token}extra`]) {
      const response = await handleCaptureRequest(post({ url: `${site.base}/og` }, { authorization: `Bearer ${wrong}` }), apiDeps());
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'wrong_token' });
    }
    expect((await store.documents()).length).toBe(before);
  });

  it('answers 503 when no token is configured rather than accepting anyone', async () => {
    const response = await handleCaptureRequest(post({ url: `${site.base}/og` }, { authorization: 'Bearer anything' }), apiDeps({ apiToken: undefined }));
    expect(response.status).toBe(503);
  });

  it('rejects bodies that do not fit the schema, naming the field', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const badShape = await handleCaptureRequest(post({ url: `${site.base}/og`, tags: 'releases' }, auth), apiDeps());
    expect(badShape.status).toBe(400);
    expect(JSON.stringify(await badShape.json())).toContain('tags');
    expect((await handleCaptureRequest(post({ url: 'ftp://example.org/x' }, auth), apiDeps())).status).toBe(400);
    expect((await handleCaptureRequest(post('{not json', auth), apiDeps())).status).toBe(400);
    expect((await handleCaptureRequest(post({ url: `${site.base}/og`, extra: 1 }, auth), apiDeps())).status).toBe(400);
    expect((await handleCaptureRequest(post({ url: `${site.base}/og`, note: 'x'.repeat(20_000) }, auth), apiDeps())).status).toBe(413);
  });

  it('answers the browser preflight so the bookmarklet may post from any page', async () => {
    const response = await handleCaptureRequest(new Request('http://newsdesk.test/api/links', { method: 'OPTIONS' }), apiDeps());
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await handleCaptureRequest(new Request('http://newsdesk.test/api/links'), apiDeps())).status).toBe(405);
  });

  it('builds a bookmarklet that posts the current page, tags and note to the API', async () => {
    const bookmarklet = buildBookmarklet('http://newsdesk.test/', token);
    expect(bookmarklet.startsWith('javascript:')).toBe(true);
    const source = decodeURIComponent(bookmarklet.slice('javascript:'.length));
    const alerts: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const fakeFetch = async (url: string, init: RequestInit) => handleCaptureRequest(new Request(url, init), apiDeps());
    // Run the bookmarklet as a browser would, with the page's globals handed in.
    new Function('location', 'document', 'prompt', 'fetch', 'alert', source)(
      { href: `${site.base}/title-only` },
      { referrer: 'https://forum.example.org/t/42' },
      () => 'deployment, guides | read before Friday',
      fakeFetch,
      (message: string) => {
        alerts.push(message);
        done();
      },
    );
    await finished;
    expect(alerts[0]).toMatch(/^newsdesk: captured "Harbour: a deployment guide"/);
    const [link] = (await loadLinks(store)).filter((l) => l.url === `${site.base}/title-only`);
    expect(link).toMatchObject({ note: 'read before Friday', foundAt: 'https://forum.example.org/t/42' });
    expect(link!.tags.map((t) => t.slug)).toEqual(['deployment', 'guides']);
  });
});
