// `newsdesk serve --studio`: the Studio and its Content Lake beside the site on one
// plain-HTTP port (for a server behind an HTTPS proxy), answered by the real server.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite } from '../build/build-site.ts';
import { openContentStore } from '../content/open-store.ts';
import { loadConfig } from '../core/config.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { makeTempDir } from './helpers/temp.ts';

let server: RunningServer;
let studioDir: string;

beforeAll(async () => {
  const dir = await makeTempDir('newsdesk-serve-studio-');
  studioDir = path.join(dir, 'studio-dist');
  const config = loadConfig({ NEWSDESK_DATA_DIR: path.join(dir, 'data'), NEWSDESK_OUT_DIR: path.join(dir, 'dist'), NEWSDESK_PORT: '0' }, dir);
  const store = openContentStore(config.content);
  await buildSite({ config, store, threads: 1 });
  server = await startServer({ config, store, studio: { studioDir }, log: () => undefined });
});

afterAll(() => server?.close());

describe('serve --studio', () => {
  it('says how to build the Studio while there is none', async () => {
    const response = await fetch(`${server.url}/studio/`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run studio:build');
  });

  it('serves the Studio page for every Studio route, without scripts from other hosts and with a policy that keeps it on this server', async () => {
    await fs.mkdir(path.join(studioDir, 'static'), { recursive: true });
    await fs.writeFile(
      path.join(studioDir, 'index.html'),
      '<!doctype html><html><head><script src="https://core.example-cdn.com/bridge.js" async type="module"></script><script src="/studio/static/app.js" type="module"></script></head><body></body></html>',
    );
    await fs.writeFile(path.join(studioDir, 'static', 'app.js'), 'console.log("studio")');
    expect((await fetch(`${server.url}/studio`, { redirect: 'manual' })).headers.get('location')).toMatch(/\/studio\/$/);
    const page = await fetch(`${server.url}/studio/structure/issues;issue-1`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/studio/static/app.js');
    expect(html).not.toContain('example-cdn.com');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect((await fetch(`${server.url}/studio/static/app.js`)).status).toBe(200);
    expect((await fetch(`${server.url}/studio/static/missing.js`)).status).toBe(404);
  });

  it('serves the page and stylesheets without fonts from other hosts, and answers the Studio\'s calls to Sanity\'s services in the page', async () => {
    const hostedFace = '@font-face{font-family:Inter;src:url(https://studio-static.sanity.io/Inter-Regular.woff2) format("woff2")}';
    const localFace = '@font-face{font-family:Local;src:url(/studio/static/local.woff2) format("woff2")}';
    await fs.writeFile(
      path.join(studioDir, 'index.html'),
      `<!doctype html><html><head><style>${hostedFace}${localFace}</style><script src="/studio/static/app.js" type="module"></script></head><body></body></html>`,
    );
    await fs.writeFile(path.join(studioDir, 'static', 'lib.css'), `${hostedFace}\n${localFace}\nbody{font-family:var(--sans)}`);
    const html = await (await fetch(`${server.url}/studio/`)).text();
    const css = await (await fetch(`${server.url}/studio/static/lib.css`)).text();
    for (const text of [html, css]) {
      expect(text).not.toContain('studio-static.sanity.io');
      expect(text).toContain('/studio/static/local.woff2');
    }
    expect(css).toContain('body{font-family:var(--sans)}');
    // The guard runs before any Studio script: the first script of the page.
    expect(html.indexOf('window.fetch =')).toBeGreaterThan(-1);
    expect(html.indexOf('window.fetch =')).toBeLessThan(html.indexOf('/studio/static/app.js'));
    // Inter, the family Sanity's stylesheet names first, is declared from this server's font package.
    const interFiles = [...html.matchAll(/font-family: Inter;[^}]*src: url\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(interFiles).toContain('/studio/fonts/inter-latin-wght-normal.woff2');
    expect(interFiles).toContain('/studio/fonts/inter-latin-wght-italic.woff2');
    for (const file of interFiles) {
      const font = await fetch(`${server.url}${file}`);
      expect([file, font.status, font.headers.get('content-type')]).toEqual([file, 200, 'font/woff2']);
      expect((await font.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    expect((await fetch(`${server.url}/studio/fonts/../package.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/studio/fonts/index.css`)).status).toBe(404);
  });

  it('answers the lake under /lake/ with its token only, and takes that token for previews', async () => {
    const token = server.lake!.token;
    expect((await fetch(`${server.url}/lake/v2026-05-04/users/me`)).status).toBe(401);
    const me = await fetch(`${server.url}/lake/v2026-05-04/users/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ id: 'pLocalEditor' });
    expect((await fetch(`${server.url}/preview/issues/issue-1?as=text&secret=${token}`)).status).toBe(200);
    expect((await fetch(`${server.url}/preview/issues/issue-1?as=text&secret=wrong`)).status).toBe(401);
  });

  it('opens the lake in the background when told to: its requests wait for it, and lakeReady hands it over', async () => {
    const dir = await makeTempDir('newsdesk-serve-studio-background-');
    const config = loadConfig({ NEWSDESK_DATA_DIR: path.join(dir, 'data'), NEWSDESK_OUT_DIR: path.join(dir, 'dist'), NEWSDESK_PORT: '0' }, dir);
    const background = await startServer({ config, store: openContentStore(config.content), studio: { studioDir, openInBackground: true }, log: () => undefined });
    try {
      const me = await fetch(`${background.url}/lake/v2026-05-04/data/query/production?query=${encodeURIComponent('count(*[_type == "issue"])')}`, {
        headers: { authorization: `Bearer ${background.studioToken}` },
      });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { result: number }).result).toBeGreaterThan(0);
      expect((await background.lakeReady)?.token).toBe(background.studioToken);
      expect(background.lake).toBe(await background.lakeReady);
    } finally {
      await background.close();
    }
  });

  it('still serves the site and the reader pages around them', async () => {
    expect((await fetch(`${server.url}/`)).status).toBe(200);
    expect((await fetch(`${server.url}/subscribe`)).status).toBe(200);
  });
});
