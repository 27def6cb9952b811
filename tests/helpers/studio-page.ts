// What an editor does in the Studio's forms, as Playwright steps: fill a field, select
// text in a Portable Text editor, apply an annotation, insert an inline or block object,
// pick a reference, publish. The toolbar folds buttons into "more" menus when narrow, so
// actions look for a visible button first and then in those menus.
import { deflateSync } from 'node:zlib';
import type { Locator, Page } from 'playwright-core';
import { hangMs } from './hang.ts';

/** The field whose data-testid is field-<path>, e.g. `title` or `sections[_key=="a"].body`. */
export function field(scope: Page | Locator, pathOrEnd: string): Locator {
  return scope.locator(`[data-testid="field-${pathOrEnd}"], [data-testid^="field-"][data-testid$="${pathOrEnd}"]`).first();
}

/**
 * Retries a step whose click can land on an element the Studio is re-rendering (a menu
 * that re-opens, a button that blinks disabled while a save completes): each try gets a
 * short while, the whole step no more than the hang limit.
 */
async function retried<T>(what: string, attempt: (timeout: number) => Promise<T | undefined>, tryMs = 15_000): Promise<T> {
  const deadline = Date.now() + hangMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const done = await attempt(Math.min(tryMs, Math.max(1000, deadline - Date.now())));
      if (done !== undefined) return done;
    } catch (error) {
      last = error;
    }
  }
  // Playwright's call log says what kept the last try from acting (an element intercepting the pointer, a disabled button): kept, for a hang seen only on a loaded machine.
  throw new Error(`${what}: not done within ${hangMs / 1000} s${last instanceof Error ? ` (last try: ${last.message.split('\n').filter((line) => line.trim() !== '').slice(0, 12).join(' | ')})` : ''}`);
}

/** Clicks the toolbar action named `label` (aria-label or menu item) inside a Portable Text field. */
export async function toolbarAction(page: Page, ptField: Locator, label: string): Promise<void> {
  await retried(`toolbar action "${label}"`, async (timeout) => {
    const direct = ptField.locator(`button[aria-label="${label}"]:visible`);
    if ((await direct.count()) > 0) {
      try {
        await direct.first().click({ timeout });
      } catch (error) {
        // A popover left open over the toolbar (an annotation's, seen on a loaded machine) takes the pointer: close it for the next try.
        await page.keyboard.press('Escape');
        throw error;
      }
      return true;
    }
    const menus = ptField.locator('button[data-testid="action-menu-button"]:visible, button[data-testid="insert-menu-button"]:visible');
    for (let i = 0; i < (await menus.count()); i++) {
      await menus.nth(i).click({ timeout });
      const item = page.locator(`[role="menuitem"]:visible`).filter({ hasText: label.replace(/^Insert (.*) \((inline|block)\)$/, '$1') });
      const byLabel = page.locator(`[role="menuitem"][aria-label="${label}"]:visible, [role="menuitem"][data-testid="${label}"]:visible`);
      try {
        if ((await byLabel.count()) > 0) {
          await byLabel.first().click({ timeout });
          return true;
        }
        if ((await item.count()) === 1) {
          await item.first().click({ timeout });
          return true;
        }
      } catch (error) {
        // The menu closed under the pointer: close what is left and open it again.
        await page.keyboard.press('Escape');
        throw error;
      }
      await page.keyboard.press('Escape');
    }
    throw new Error(`no toolbar action "${label}" in the field`);
  });
}

/** Selects the first occurrence of `text` in a contenteditable, as a mouse drag would. */
export async function selectText(editor: Locator, text: string): Promise<void> {
  await editor.evaluate((root, wanted) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent?.indexOf(wanted) ?? -1;
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + wanted.length);
      const selection = window.getSelection()!;
      selection.removeAllRanges();
      selection.addRange(range);
      return;
    }
    throw new Error(`"${wanted}" is not in the editor`);
  }, text);
  // The editor picks the DOM selection up on selectionchange.
  await editor.page().waitForTimeout(200);
}

/** Types into a reference input and picks the option whose text contains `optionText`. */
export async function pickReference(page: Page, input: Locator, search: string, optionText: string | RegExp): Promise<void> {
  await input.click();
  await input.fill(search);
  const option = page.locator('[role="option"]:visible, [data-testid="autocomplete-popover"] button:visible').filter({ hasText: optionText }).first();
  await option.waitFor({ timeout: hangMs });
  await option.click();
}

/** Publishes the open document and waits for the Studio to say so. */
export async function publish(page: Page): Promise<void> {
  const button = page.locator('[data-testid="action-publish"]:visible').first();
  await button.waitFor();
  // Where publishing stands: done (the toast, or the button now reads "Published"),
  // running ("Publishing…" until the lake answers), ready to press, or busy (disabled
  // while the last edits are saved).
  // The toast counts only once this call has pressed the button: one left from an earlier
  // publish must not pass for this one.
  let pressed = false;
  const state = (wanted: string[], timeout: number) =>
    page.waitForFunction(
      ({ wanted, pressed }) => {
        const b = [...document.querySelectorAll<HTMLButtonElement>('[data-testid="action-publish"]')].find((x) => x.offsetParent);
        const label = b?.innerText ?? '';
        const now = (pressed && /was published/.test(document.body.innerText)) || /^Published/.test(label.trim()) ? 'published' : /Publishing/.test(label) ? 'publishing' : b && !b.disabled && b.getAttribute('data-disabled') !== 'true' ? 'ready' : 'busy';
        return wanted.includes(now) ? now : undefined;
      },
      { wanted, pressed },
      { timeout },
    ).then((h) => h.jsonValue() as Promise<string>);
  await retried('publish', async (timeout) => {
    if ((await state(['published', 'ready', 'publishing'], timeout)) === 'ready') {
      await button.click({ timeout });
      pressed = true;
    }
    // A click that fell on a button being re-rendered leaves it ready, and the next try
    // presses it again; one that took shows "Publishing…" until it is done.
    return (await state(['published'], timeout).catch(() => undefined)) ? true : undefined;
  });
}

/** A small valid PNG (solid colour), made here so no image file ships with the tests. */
export function aPng(width = 64, height = 32, rgb: [number, number, number] = [31, 95, 122]): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) raw.set(rgb, row + 1 + x * 3);
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}
