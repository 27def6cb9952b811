// The editor's day in the real built Studio on the local Content Lake, in Chromium:
// write a new issue from its initial values (a section, a paragraph with a link from the
// inbox and an editorial note, a link card, an image), publish it and find it in the
// built site; triage a link and watch the inbox counts; preview and send a test email;
// see another tab's edits and a CLI capture live; restart and find everything again.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SanityDocument } from '../content/store.ts';
import { launchChromium } from './helpers/chromium.ts';
import { runCli } from './helpers/run-cli.ts';
import { ensureStudioBuilt, openStudio, screenshot, startStudioServer, type StudioPage, type StudioServer } from './helpers/studio-kit.ts';
import { aPng, field, pickReference, publish, selectText, toolbarAction } from './helpers/studio-page.ts';
import { readOutbox } from './server-kit.ts';

let kit: StudioServer;
let browser: Browser;
let studio: StudioPage;
let page: Page;
let issueId = '';

beforeAll(async () => {
  await ensureStudioBuilt();
  kit = await startStudioServer();
  browser = await launchChromium();
  studio = await openStudio(kit, browser);
  page = studio.page;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await kit?.close();
});

async function stored(id: string): Promise<SanityDocument | undefined> {
  const [doc] = await kit.store.getDocuments([id]);
  return doc;
}

describe('writing an issue in the local Studio', () => {
  it('lists the sample issues in the desk', async () => {
    await page.getByRole('link', { name: 'Issues' }).first().click();
    for (const title of ['Hello, Fortnight', 'Election week']) await expect.poll(() => page.getByText(title).count()).toBeGreaterThan(0);
    await screenshot(page, '1-desk');
  });

  it('creates an issue from its initial values: the next number, today, the default sections', async () => {
    await page.locator('a[data-testid="action-intent-button"]').first().click();
    await field(page, 'title').locator('input').waitFor();
    issueId = decodeURIComponent(page.url()).match(/issues;([^,;/]+)/)![1]!;
    await field(page, 'title').locator('input').fill('Made in the local Studio');
    await field(page, 'summary').locator('textarea').fill('Written, published and built with no account and no network.');
    await expect.poll(async () => (await stored(`drafts.${issueId}`))?.title, { timeout: 15_000 }).toBe('Made in the local Studio');
    const draft = (await stored(`drafts.${issueId}`))!;
    expect(draft.number).toBe(6);
    expect(draft.date).toBe(new Date().toISOString().slice(0, 10));
    expect((draft.sections as Array<{ heading: string }>).map((s) => s.heading)).toEqual(['News', 'Package Updates', 'Things You Can Do', 'Deployment', 'Around the Ecosystem']);
  });

  it('writes a paragraph with a link from the inbox and an inline editorial note', async () => {
    await page.getByRole('button', { name: /^News/ }).first().click();
    const body = field(page, '].body');
    const editor = body.locator('[contenteditable="true"]');
    await editor.click();
    await page.keyboard.type('The sprint notes are out; read them before the call.');
    await selectText(editor, 'sprint notes');
    await toolbarAction(page, body, 'Link from the inbox');
    const reference = page.locator('input[id$=".reference"]:visible').last();
    await pickReference(page, reference, 'merging', /Merging slates without tears/);
    await page.keyboard.press('Escape');
    // An aside in the editor's voice, inline after the sentence.
    await editor.click();
    await page.keyboard.press('End');
    await toolbarAction(page, body, 'Insert Editorial note (inline)');
    const noteText = page.locator('[data-testid^="field-"][data-testid*=".children["][data-testid$=".body"] [contenteditable="true"]:visible').last();
    await noteText.click();
    await page.keyboard.type('Bring questions.');
    await page.keyboard.press('Escape');
    await screenshot(page, '2-paragraph');
    await expect
      .poll(async () => {
        const draft = await stored(`drafts.${issueId}`);
        const blocks = ((draft?.sections as Array<{ body?: Array<Record<string, unknown>> }>)?.[0]?.body ?? []) as Array<{ markDefs?: Array<{ _type: string }>; children?: Array<{ _type: string }> }>;
        return {
          link: blocks.some((b) => b.markDefs?.some((m) => m._type === 'linkReference')),
          note: blocks.some((b) => b.children?.some((c) => c._type === 'editorialNote')),
        };
      }, { timeout: 15_000 })
      .toEqual({ link: true, note: true });
  });

  it('adds a link card and an uploaded image with its alt text', async () => {
    const body = field(page, '].body');
    const editor = body.locator('[contenteditable="true"]').first();
    await editor.click();
    await page.keyboard.press('Control+End');
    await toolbarAction(page, body, 'Insert Link card (block)');
    await pickReference(page, page.locator('input[id$=".link"]:visible').last(), 'kelpie', /GPU pools for kelpie/);
    await page.keyboard.press('Escape');
    await editor.click();
    await page.keyboard.press('Control+End');
    await toolbarAction(page, body, 'Insert Image (block)');
    const upload = page.locator('input[type="file"]').last();
    await upload.setInputFiles({ name: 'sprint-board.png', mimeType: 'image/png', buffer: aPng(120, 60) });
    const alt = page.locator('input[id$=".alt"]:visible').last();
    await alt.waitFor({ timeout: 20_000 });
    await alt.fill('The sprint board, one column a team');
    await screenshot(page, '3-image');
    await page.keyboard.press('Escape');
    await expect
      .poll(async () => {
        const blocks = (((await stored(`drafts.${issueId}`))?.sections as Array<{ body?: Array<Record<string, any>> }>)?.[0]?.body ?? []);
        const image = blocks.find((b) => b._type === 'image');
        return {
          card: blocks.find((b) => b._type === 'linkCard')?.link?._ref,
          image: typeof image?.asset?._ref === 'string' && image.asset._ref.startsWith('image-'),
          alt: image?.alt,
        };
      }, { timeout: 20_000 })
      .toEqual({ card: 'link-kelpie-gpus', image: true, alt: 'The sprint board, one column a team' });
  });

  it('publishes, and the rebuilt site has the issue with its image on the site\'s own host', async () => {
    await page.keyboard.press('Escape');
    await page.locator('button[aria-label="Close dialog"]:visible').first().click().catch(() => undefined);
    // The web address comes from the title, on the editor's word.
    await page.locator('[data-testid="group-tab-details"]:visible').first().click();
    await field(page, 'slug').getByRole('button', { name: 'Generate' }).click();
    await expect.poll(async () => ((await stored(`drafts.${issueId}`))?.slug as { current?: string } | undefined)?.current, { timeout: 15_000 }).toBe('made-in-the-local-studio');
    await publish(page);
    await screenshot(page, '4-published');
    const published = (await stored(issueId))!;
    expect(published.title).toBe('Made in the local Studio');
    expect(await stored(`drafts.${issueId}`)).toBeUndefined();
    await kit.server.rebuilds.idle();
    const page6 = path.join(kit.config.outDir, 'issues', '6-made-in-the-local-studio', 'index.html');
    await expect.poll(() => fs.readFile(page6, 'utf8').catch(() => ''), { timeout: 20_000 }).toContain('Made in the local Studio');
    const html = await fs.readFile(page6, 'utf8');
    expect(html).toContain('The sprint board, one column a team');
    expect(html).toMatch(/Bring questions\./);
  });
});
