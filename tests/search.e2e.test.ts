// Reader search in real Chromium, over the project's own HTTP server (its CSP included)
// serving the built sample, whose largest issue has the shape of a real one: a reader
// types words, sees results, opens one and lands on the paragraph that holds them.
// Without JavaScript the search box is a plain link to the archive.
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchTokenizer } from '../web/search-tokens.ts';
import { launchChromium } from './helpers/chromium.ts';
import { hangMs } from './helpers/hang.ts';
import { startTestServer, type TestServer } from './server-kit.ts';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  // Real rebuilds: the last test publishes an edit and searches for it.
  server = await startTestServer({ realRebuild: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A page that records every console error and uncaught exception (a CSP refusal is one). */
async function watchedPage(options: { javaScriptEnabled?: boolean } = {}): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(hangMs);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const words = (text: string) => new Set(searchTokenizer().terms(text));

describe('reader search', () => {
  it('finds a paragraph from the archive and opens the issue at that paragraph', async () => {
    const { page, errors } = await watchedPage();
    await page.goto(`${server.url}/`);
    const query = 'steering council nominations';
    await page.getByLabel('Search every issue').fill(query);
    const first = page.locator('[data-search-results] ol li a').first();
    await first.waitFor();
    const href = await first.getAttribute('href');
    expect(href).toMatch(/^\/issues\/\d+-[a-z0-9-]+\/#[a-z0-9-]+_\d+$/);

    await Promise.all([page.waitForURL((url) => url.pathname + url.hash === href), first.click()]);
    const landed = await page.evaluate(() => document.querySelector(':target')?.textContent ?? '');
    const held = words(landed);
    for (const word of words(query)) expect(held.has(word), `"${word}" in the paragraph opened`).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('searches from an issue page too, by a link\'s domain, and says so when nothing matches', async () => {
    const { page, errors } = await watchedPage();
    await page.goto(`${server.url}/`);
    const issueHref = await page.locator('.issue-list a').first().getAttribute('href');
    await page.goto(`${server.url}${issueHref}`);
    const box = page.getByLabel('Search every issue');
    await box.fill('field-notes.example.net');
    const first = page.locator('[data-search-results] ol li').first();
    await first.waitFor();
    // The domain is nowhere in the paragraph's text: the result names the link it matched.
    await first.locator('.meta', { hasText: 'field-notes.example.net' }).waitFor();

    await box.fill('xylophonequartz');
    await page.locator('[data-search-results]', { hasText: 'Nothing matches “xylophonequartz”' }).waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it.each(['light', 'dark'] as const)('lists results with no serious or critical axe violations (%s scheme)', async (colorScheme) => {
    // CSP bypassed only so that axe itself can be injected (the tests above run under it).
    const context = await browser.newContext({ bypassCSP: true, colorScheme });
    context.setDefaultTimeout(hangMs);
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.getByLabel('Search every issue').fill('release');
    await page.locator('[data-search-results] ol li').first().waitFor();
    await page.addScriptTag({ path: axePath });
    const violations = await page.evaluate(async () => {
      const result = await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string }> }> } }).axe.run();
      return result.violations.map((v) => ({ id: v.id, impact: v.impact }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await context.close();
  });

  it('without JavaScript shows a plain link to the archive instead of the form', async () => {
    const { page } = await watchedPage({ javaScriptEnabled: false });
    for (const path of ['/', '/issues/4-slates-that-travel/']) {
      await page.goto(`${server.url}${path}`);
      const fallback = page.getByRole('link', { name: 'Search the archive' });
      expect(await fallback.isVisible()).toBe(true);
      expect(await fallback.getAttribute('href')).toBe('/');
      expect(await page.getByLabel('Search every issue').isVisible()).toBe(false);
    }
    await page.context().close();
  });

  it('finds the words of an edit once the server has rebuilt the site in place after the publish', async () => {
    await server.store.mutate([{ patch: { id: 'issue-3', set: { summary: 'Quokkas audit the marmalade pipeline.' } } }]);
    server.rebuilds.request('published issue-3');
    await server.rebuilds.idle();
    const { page, errors } = await watchedPage();
    await page.goto(`${server.url}/`);
    await page.getByLabel('Search every issue').fill('quokkas marmalade');
    const first = page.locator('[data-search-results] ol li a').first();
    await first.waitFor();
    expect(await page.locator('[data-search-results] ol li').count()).toBe(1);
    await Promise.all([page.waitForURL(/\/issues\/3-[a-z0-9-]+\/$/), first.click()]);
    expect(await page.locator('.summary').textContent()).toBe('Quokkas audit the marmalade pipeline.');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
