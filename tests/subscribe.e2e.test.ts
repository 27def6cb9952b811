// The whole sign-up as a reader does it, in real Chromium against the real server:
// the subscribe form on the home page, the confirmation link from the outbox .eml and
// its button, the confirmed page, then the unsubscribe link from the welcome mail and
// its one button. Every page must work under the server's CSP with nothing blocked; the
// confirmation page also works with JavaScript off and passes axe.
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.ts';
import { confirmLinkIn, jsonPost, readOutbox, startTestServer, type TestServer } from './server-kit.ts';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function watchCsp(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
  });
  return errors;
}

it('a reader subscribes from the home page, confirms from the email, and later unsubscribes with the button', async () => {
  const page = await browser.newPage();
  const cspErrors = watchCsp(page);

  await page.goto(`${server.url}/`);
  await page.getByLabel('Email address').fill('reader@example.com');
  await page.getByLabel('Name (optional)').fill('Rae');
  await Promise.all([page.waitForURL(`${server.url}/subscribe/thanks`), page.getByRole('button', { name: 'Subscribe' }).click()]);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Check your inbox');
  expect(await page.evaluate(() => getComputedStyle(document.body).fontFamily)).toContain('system-ui');

  const confirmation = (await server.outboxMail()).find((m) => m.to.includes('reader@example.com'));
  expect(confirmation?.subject).toMatch(/^Confirm your subscription/);
  await page.goto(confirmLinkIn(confirmation!));
  // Opening the link changes nothing (mail scanners open links too); the button confirms.
  expect((await server.delivery.subscribers.get('reader@example.com'))?.state).toBe('pending');
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Confirm subscription' }).click()]);
  await page.getByRole('heading', { name: 'Subscription confirmed' }).waitFor();
  expect((await server.delivery.subscribers.get('reader@example.com'))?.state).toBe('active');

  const welcome = (await server.outboxMail()).find((m) => m.to.includes('reader@example.com') && m.subject.startsWith('Welcome'));
  const unsubscribeLink = /https?:\/\/\S+\/unsubscribe\?token=[^\s\]>)]+/.exec(welcome!.text)![0];
  await page.goto(unsubscribeLink);
  expect(await page.getByText('reader@example.com').count()).toBeGreaterThan(0);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Unsubscribe' }).click()]);
  await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
  expect((await server.delivery.subscribers.get('reader@example.com'))?.state).toBe('unsubscribed');

  expect(cspErrors).toEqual([]);
  await page.close();
});

it('the confirmation page confirms with JavaScript off, and has no serious or critical axe violations', async () => {
  expect((await jsonPost(`${server.url}/subscribe`, { email: 'nojs@example.com' })).status).toBe(202);
  const link = confirmLinkIn((await server.outboxMail()).find((m) => m.to.includes('nojs@example.com'))!);

  // axe needs script, so it runs in its own page with the CSP bypassed; nothing is pressed there.
  const audited = await browser.newPage({ bypassCSP: true });
  await audited.goto(link);
  await audited.addScriptTag({ path: axePath });
  const violations = await audited.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string }> }> } }).axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact }));
  });
  await audited.close();
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  expect((await server.delivery.subscribers.get('nojs@example.com'))?.state).toBe('pending');

  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(link);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Confirm subscription' }).click()]);
  await page.getByRole('heading', { name: 'Subscription confirmed' }).waitFor();
  expect((await server.delivery.subscribers.get('nojs@example.com'))?.state).toBe('active');
  await context.close();
});
