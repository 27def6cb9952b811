// Accessibility of the built site in real Chromium: axe-core on the archive and the
// newest issue page, served over loopback HTTP, in light and dark colour schemes.
// No serious or critical violations allowed.
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.ts';
import { buildSample, type BuiltSite } from './web-build-fixture.ts';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let site: BuiltSite;
let server: http.Server;
let base: string;
let browser: Browser;

const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.xml': 'application/xml', '.json': 'application/json' };

beforeAll(async () => {
  site = await buildSample();
  server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file = path.join(site.outDir, decodeURIComponent(url.pathname));
    if (!file.startsWith(site.outDir)) return void res.writeHead(403).end();
    if (url.pathname.endsWith('/')) file = path.join(file, 'index.html');
    try {
      const body = await fs.readFile(file);
      // The CSP the pages are built for: nothing inline, nothing from elsewhere.
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream', 'content-security-policy': "default-src 'self'; style-src 'self'; img-src 'self' https:" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function audit(pathname: string, colorScheme: 'light' | 'dark') {
  // First as a visitor sees it, under the strict CSP: nothing may be blocked.
  const page = await browser.newPage({ colorScheme });
  const cspErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  await page.goto(`${base}${pathname}`);
  const stylesheetApplied = await page.evaluate(() => getComputedStyle(document.body).fontFamily.includes('system-ui'));
  await page.close();

  // Then again with CSP bypassed, only so that axe itself can be injected.
  const context = await browser.newContext({ colorScheme, bypassCSP: true });
  const audited = await context.newPage();
  await audited.goto(`${base}${pathname}`);
  await audited.addScriptTag({ path: axePath });
  const violations = await audited.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  await context.close();
  return { violations, cspErrors, stylesheetApplied };
}

describe('accessibility in Chromium', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`the archive has no serious or critical axe violations (${scheme} scheme)`, async () => {
      const { violations, cspErrors, stylesheetApplied } = await audit('/', scheme);
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      expect(cspErrors).toEqual([]);
      expect(stylesheetApplied).toBe(true);
    });

    it(`the links page has no serious or critical axe violations (${scheme} scheme)`, async () => {
      const { violations, cspErrors } = await audit('/links/', scheme);
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      expect(cspErrors).toEqual([]);
    });

    it(`the newest issue page has no serious or critical axe violations (${scheme} scheme)`, async () => {
      const issuePage = (await site.files()).filter((f) => f.startsWith('issues/')).sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))[0]!;
      const { violations, cspErrors } = await audit(`/${path.dirname(issuePage)}/`, scheme);
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      expect(cspErrors).toEqual([]);
    });
  }
});
