// Link health and "Linked in #N" in the real built Studio on the local Content Lake, in
// Chromium: a check `newsdesk links check` recorded as broken is listed under Link health,
// and link rows carry a mark naming the published issues that already linked their page.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPublishedLinks, recordLinkChecks } from '../content/link-check/check-links.ts';
import { launchChromium } from './helpers/chromium.ts';
import { hangAfter, hangMs } from './helpers/hang.ts';
import { ensureStudioBuilt, openStudio, screenshot, startStudioServer, type StudioPage, type StudioServer } from './helpers/studio-kit.ts';

let kit: StudioServer;
let browser: Browser;
let studio: StudioPage;
let page: Page;
let brokenUrl = '';

beforeAll(async () => {
  await ensureStudioBuilt();
  kit = await startStudioServer();
  // A link of the sample's published issues, as a check found it.
  const [first] = await loadPublishedLinks(kit.store);
  brokenUrl = first!.url;
  await recordLinkChecks(kit.store, [{ url: brokenUrl, normalizedUrl: first!.key, outcome: 'broken', status: 404, finalUrl: brokenUrl, redirects: 0, checkedAt: '2026-03-14T09:30:00.000Z', usedIn: first!.usedIn }]);
  browser = await launchChromium();
  studio = await openStudio(kit, browser);
  page = studio.page;
}, hangAfter(3));

afterAll(async () => {
  await browser?.close();
  await kit?.close();
});

describe('link health in the Studio', { timeout: hangAfter(1) }, () => {
  it('lists a broken link under Link health, with what came back and where it is used', async () => {
    await page.goto(`${kit.studioUrl}structure/link-health;needs-attention`);
    await page.getByText('Broken link: HTTP 404 when checked on 2026-03-14.').first().waitFor({ timeout: hangMs });
    await page.getByText(brokenUrl).first().waitFor({ timeout: hangMs });
    await screenshot(page, 'link-health');
  });

  it('marks link rows that published issues already linked', async () => {
    await page.goto(`${kit.studioUrl}structure/links;all`);
    const marks = page.locator('[data-testid="link-linked-in-mark"]');
    await expect.poll(() => marks.count(), { timeout: hangMs }).toBeGreaterThan(0);
    expect(await marks.first().getAttribute('aria-label')).toMatch(/^Already linked in #\d+ \(\d{4}-\d\d-\d\d\)/);
    expect(await marks.first().innerText()).toMatch(/^#\d+$/);
    await screenshot(page, 'link-rows-linked-in');
  });

  it('did so without a console error', () => {
    expect(studio.problems).toEqual([]);
  });
});
