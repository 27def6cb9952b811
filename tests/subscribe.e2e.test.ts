// The whole sign-up as a reader does it, in real Chromium against the real server:
// the subscribe form on the home page, the confirmation link from the outbox .eml and
// its button, the confirmed page, then the unsubscribe link from the welcome mail and its one button.
// Every page must work under the server's CSP with nothing blocked.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.ts';
import { confirmLinkIn, readOutbox, startTestServer, type TestServer } from './server-kit.ts';

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
  expect(server.delivery.subscribers.get('reader@example.com')?.state).toBe('pending');
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Confirm subscription' }).click()]);
  await page.getByRole('heading', { name: 'Subscription confirmed' }).waitFor();
  expect(server.delivery.subscribers.get('reader@example.com')?.state).toBe('active');

  const welcome = (await server.outboxMail()).find((m) => m.to.includes('reader@example.com') && m.subject.startsWith('Welcome'));
  const unsubscribeLink = /https?:\/\/\S+\/unsubscribe\?token=[^\s\]>)]+/.exec(welcome!.text)![0];
  await page.goto(unsubscribeLink);
  expect(await page.getByText('reader@example.com').count()).toBeGreaterThan(0);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Unsubscribe' }).click()]);
  await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
  expect(server.delivery.subscribers.get('reader@example.com')?.state).toBe('unsubscribed');

  expect(cspErrors).toEqual([]);
  await page.close();
});
