// From the Studio to inboxes, in Chromium on the real built Studio and the local Content
// Lake: the send actions are off for a draft; an issue is scheduled and the schedule
// cancelled, another sent now on its typed number; and one is scheduled an hour ahead in
// another time zone, its time reached on the server's test clock, its Delivery view counts
// up to every active subscriber, each message is in the outbox, the Issues list marks it
// sent and the rebuilt archive has it. Waits are for what the page shows; their limits
// only catch a hang, however slowly a loaded machine renders the Studio.
import fs from 'node:fs/promises';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.ts';
import { ensureStudioBuilt, openStudio, screenshot, startStudioServer, type StudioPage, type StudioServer } from './helpers/studio-kit.ts';
import { hangAfter, hangMs } from './helpers/hang.ts';
import { aClock, readOutbox } from './server-kit.ts';

const readers = ['ada@example.org', 'grace@example.org', 'hedy@example.org'];

let kit: StudioServer;
let browser: Browser;
let studio: StudioPage;
let page: Page;
/** The server's clock: real time until the test moves it on to a scheduled send's time. */
const clock = aClock(new Date().toISOString());

beforeAll(async () => {
  await ensureStudioBuilt();
  kit = await startStudioServer({ now: clock.now });
  for (const email of readers) await kit.server.delivery.subscribers.add({ email }, 'active', { actor: 'test', now: new Date() });
  browser = await launchChromium();
  studio = await openStudio(kit, browser);
  page = studio.page;
}, hangAfter(3));

afterAll(async () => {
  await browser?.close();
  await kit?.close();
});

async function openIssue(id: string): Promise<void> {
  await page.goto(`${kit.studioUrl}structure/issues;${id}`);
  await page.locator('[data-testid="action-menu-button"]:visible').last().waitFor({ timeout: hangMs });
}

/** Opens the document's ⋯ menu and returns its item named `name`. */
async function menuItem(name: RegExp) {
  await page.locator('[data-testid="action-menu-button"]:visible').last().click();
  const item = page.getByRole('menuitem', { name });
  await item.waitFor({ timeout: hangMs });
  return item;
}

const mark = (issue: number) => page.locator(`[data-testid="issue-delivery-mark"][data-issue="${issue}"]`).first().getAttribute('data-mark', { timeout: 1000 });

describe('sending from the Studio', { timeout: hangAfter(2) }, () => {
  it('keeps the send actions off for a draft, and says why', async () => {
    await openIssue('issue-5');
    const schedule = await menuItem(/Schedule send/);
    await expect.poll(() => schedule.isDisabled()).toBe(true);
    expect(await page.getByRole('menuitem', { name: /Send now/ }).isDisabled()).toBe(true);
    await schedule.hover({ force: true });
    await page.getByText('Publish the issue first: only a published issue is sent.').first().waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('tab', { name: 'Delivery' }).click();
    await page.locator('[data-testid="delivery-phase"]').waitFor({ timeout: hangMs });
    expect(await page.getByText('Publish the issue first: only a published issue is sent.').count()).toBeGreaterThan(0);
  });

  it('schedules an issue with a date, time and zone, marks it in the Issues list, points out a later edit, and cancels it', async () => {
    await openIssue('issue-1');
    await (await menuItem(/Schedule send/)).click();
    const form = page.locator('[data-testid="schedule-send-form"]');
    await form.locator('input[name="date"]').fill('2030-12-04');
    await form.locator('input[name="time"]').fill('08:00:00');
    await form.locator('select[name="timeZone"]').selectOption('Europe/Berlin');
    await expect.poll(() => form.locator('[data-testid="schedule-send-when"]').innerText()).toMatch(/^Wed 4 Dec 2030, 08:00 Europe\/Berlin \(07:00 UTC\)/);
    await expect.poll(() => form.locator('[data-testid="schedule-send-reach"]').innerText()).toContain('It will reach 3 active subscriber(s)');
    await screenshot(page, '8-schedule-send');
    await form.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.getByText('Send scheduled').first().waitFor({ timeout: hangMs });
    expect((await kit.server.schedules.get(1))?.sendAt.toISOString()).toBe('2030-12-04T07:00:00.000Z');

    await page.goto(`${kit.studioUrl}structure/issues`);
    await expect.poll(() => mark(1).catch(() => ''), { timeout: hangMs }).toBe('Scheduled Wed 4 Dec, 08:00 Europe/Berlin');

    // An edit published after scheduling (here by another writer) is pointed out before the send.
    await openIssue('issue-1');
    await page.getByRole('tab', { name: 'Delivery' }).click();
    await page.locator('[data-testid="delivery-phase"][data-phase="scheduled"]').waitFor({ timeout: hangMs });
    expect(await page.locator('[data-testid="delivery-changed"]').count()).toBe(0);
    await kit.store.mutate([{ patch: { id: 'issue-1', set: { summary: 'Edited after it was scheduled.' } } }]);
    await page.locator('[data-testid="delivery-changed"]').waitFor({ timeout: hangMs });

    await (await menuItem(/Cancel schedule/)).click();
    await page.getByRole('button', { name: /Confirm|OK|Yes/ }).last().click();
    await page.getByText('Schedule cancelled').first().waitFor({ timeout: hangMs });
    expect((await kit.server.schedules.get(1))?.state).toBe('cancelled');
  });

  it('sends an issue now once its number is typed', async () => {
    await (await menuItem(/Send now/)).click();
    const form = page.locator('[data-testid="send-now-form"]');
    const send = form.getByRole('button', { name: 'Send now' });
    await form.locator('input[name="confirm"]').fill('2');
    expect(await send.isDisabled()).toBe(true);
    await form.locator('input[name="confirm"]').fill('1');
    await send.click();
    await page.getByRole('tab', { name: 'Delivery' }).click();
    await expect.poll(() => page.locator('[data-testid="delivery-phase"]').getAttribute('data-phase'), { timeout: hangMs }).toBe('sent');
    const mail = (await readOutbox(kit.outbox)).filter((m) => m.subject.includes('Hello, Fortnight'));
    expect(mail.map((m) => m.to).sort()).toEqual(readers);
  });

  it('schedules an issue an hour ahead, watches the Delivery view count up to every active subscriber once its time comes, and finds it in the outbox and the rebuilt archive', async () => {
    await openIssue('issue-2');
    await page.getByRole('tab', { name: 'Delivery' }).click();
    await expect.poll(() => page.locator('[data-testid="delivery-phase"]').getAttribute('data-phase'), { timeout: hangMs }).toBe('none');
    await (await menuItem(/Schedule send/)).click();
    const form = page.locator('[data-testid="schedule-send-form"]');
    await form.locator('select[name="timeZone"]').selectOption('America/New_York');
    const at = DateTime.fromJSDate(clock.now()).setZone('America/New_York').plus({ hours: 1 }).startOf('second');
    await form.locator('input[name="date"]').fill(at.toFormat('yyyy-LL-dd'));
    await form.locator('input[name="time"]').fill(at.toFormat('HH:mm:ss'));
    await form.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.getByText('Send scheduled').first().waitFor({ timeout: hangMs });
    // Every phase the view shows, and the sent count, as it polls: from "scheduled" on.
    const seen: string[] = [];
    const sentCounts: number[] = [];
    const look = async () => {
      const phase = (await page.locator('[data-testid="delivery-phase"]').getAttribute('data-phase').catch(() => null)) ?? '';
      if (seen.at(-1) !== phase) seen.push(phase);
      sentCounts.push(Number(await page.locator('[data-testid="delivery-sent"]').innerText().catch(() => '0')));
      return phase;
    };
    await expect.poll(() => page.locator('[data-testid="delivery-phase"]').getAttribute('data-phase'), { timeout: hangMs }).toBe('scheduled');
    expect((await kit.server.schedules.get(2))?.sendAt.getTime()).toBe(at.toMillis());
    await look();

    // Its time comes: the clock moves on and the scheduler looks.
    clock.advanceHours((at.toMillis() - clock.now().getTime() + 1) / 3_600_000);
    kit.server.scheduler!.wake();
    await expect.poll(look, { timeout: hangMs, interval: 200 }).toBe('sent');
    expect(seen[0]).toBe('scheduled');
    expect(sentCounts).toEqual([...sentCounts].sort((a, b) => a - b));
    expect(await page.locator('[data-testid="delivery-sent"]').innerText()).toBe('3');
    expect(await page.locator('[data-testid="delivery-reach"]').innerText()).toBe('3');
    expect(await page.locator('[data-testid="delivery-report"]').innerText()).toContain('3 of 3 sent.');
    await screenshot(page, '9-delivery-sent');
    const send = (await kit.server.delivery.ledger.getSend(2))!;
    expect(new Date(send.createdAt).getTime()).toBeGreaterThanOrEqual(at.toMillis());

    const mail = (await readOutbox(kit.outbox)).filter((m) => m.subject.includes('slatehouse 4.1'));
    expect(mail.map((m) => m.to).sort()).toEqual(readers);
    await kit.server.rebuilds.idle();
    await expect.poll(() => fs.readFile(path.join(kit.config.outDir, 'index.html'), 'utf8'), { timeout: hangMs }).toContain('slatehouse 4.1 and a debugger on the horizon');

    await page.goto(`${kit.studioUrl}structure/issues`);
    await expect.poll(() => mark(2).catch(() => ''), { timeout: hangMs }).toBe('Sent to 3');
    await screenshot(page, '10-issues-marked');
    expect(studio.problems).toEqual([]);
  });
});
