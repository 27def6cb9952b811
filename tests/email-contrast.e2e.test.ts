// Every piece of text in every email newsdesk sends is readable in both colour schemes:
// each sample issue, the confirmation and the welcome mail are opened in real Chromium
// with prefers-color-scheme light and dark (what Apple Mail and other clients that
// honour the media query do), and every visible text's colour is measured against the
// background it is painted on, and once more with the styles stripped on a dark canvas.
// WCAG AA for normal text: at least 4.5:1.
import { getContrast } from 'color2k';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.ts';
import { renderSampleEmails, type SampleEmail } from './helpers/sample-emails.ts';

let browser: Browser;
let emails: SampleEmail[];

beforeAll(async () => {
  [browser, { emails }] = await Promise.all([launchChromium(), renderSampleEmails()]);
});

afterAll(() => browser?.close());

interface PaintedText {
  text: string;
  color: string;
  background: string;
}

/** Every visible element's own text with its computed colour and the first opaque background behind it. */
async function paintedTexts(html: string, colorScheme: 'light' | 'dark'): Promise<PaintedText[]> {
  const page = await browser.newPage({ colorScheme, javaScriptEnabled: true });
  try {
    // Nothing leaves the machine: an email that tried would fail here, not hang.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return await page.evaluate(() => {
      const rgba = (c: string) => {
        const [r = 0, g = 0, b = 0, a = 1] = (c.match(/[\d.]+/g) ?? []).map(Number);
        return { r, g, b, a: c.startsWith('rgba') ? a : 1 };
      };
      const canvasOf = () => {
        const canvas = rgba(getComputedStyle(document.documentElement).backgroundColor);
        // Chromium paints the canvas in the scheme's default when the page sets none.
        return canvas.a > 0 ? canvas : matchMedia('(prefers-color-scheme: dark)').matches ? rgba('rgb(18, 18, 18)') : rgba('rgb(255, 255, 255)');
      };
      /** The colour text is painted on: its own and its ancestors' backgrounds, translucent ones blended over what lies beneath. */
      const backgroundOf = (el: Element): string => {
        const layers: ReturnType<typeof rgba>[] = [];
        for (let e: Element | null = el; e && e !== document.documentElement; e = e.parentElement) {
          const bg = rgba(getComputedStyle(e).backgroundColor);
          if (bg.a === 0) continue;
          layers.push(bg);
          if (bg.a === 1) break;
        }
        if (layers.length === 0 || layers.at(-1)!.a < 1) layers.push(canvasOf());
        const painted = layers.reduceRight((below, top) => ({
          r: top.r * top.a + below.r * (1 - top.a),
          g: top.g * top.a + below.g * (1 - top.a),
          b: top.b * top.a + below.b * (1 - top.a),
          a: 1,
        }));
        return `rgb(${Math.round(painted.r)}, ${Math.round(painted.g)}, ${Math.round(painted.b)})`;
      };
      const found: { text: string; color: string; background: string }[] = [];
      for (const el of document.body.querySelectorAll('*')) {
        const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent ?? '').join('').replace(/[\s\u034f\u200c]+/g, ' ').trim();
        if (own === '' || el.getClientRects().length === 0 || getComputedStyle(el).visibility !== 'visible') continue;
        found.push({ text: own.slice(0, 60), color: getComputedStyle(el).color, background: backgroundOf(el) });
      }
      return found;
    });
  } finally {
    await page.close();
  }
}

describe('email text contrast in Chromium', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`gives every text of every sample email at least 4.5:1 against its background (${scheme} scheme)`, async () => {
      const failures: string[] = [];
      let measured = 0;
      for (const email of emails) {
        const texts = await paintedTexts(email.html, scheme);
        measured += texts.length;
        for (const t of texts) {
          const ratio = getContrast(t.color, t.background);
          if (ratio < 4.5) failures.push(`${email.name}: "${t.text}" ${t.color} on ${t.background} is ${ratio.toFixed(2)}:1`);
        }
      }
      expect(failures).toEqual([]);
      expect(measured).toBeGreaterThan(emails.length * 10);
    });
  }

  // Some clients strip <style> but keep the color-scheme meta tag, and so paint a dark
  // canvas behind an email whose inline colours are the light ones.
  it('keeps every text at 4.5:1 when a client strips <style> but keeps color-scheme and paints a dark canvas', async () => {
    const failures: string[] = [];
    // Only the issue emails declare color-scheme; the transactional ones get the light canvas.
    const declaring = emails.filter((e) => e.html.includes('name="color-scheme"'));
    expect(declaring.map((e) => e.name)).toContain('issue 4');
    for (const email of declaring) {
      const stripped = email.html.replace(/<style\b[\s\S]*?<\/style>/gi, '');
      for (const t of await paintedTexts(stripped, 'dark')) {
        const ratio = getContrast(t.color, t.background);
        if (ratio < 4.5) failures.push(`${email.name}: "${t.text}" ${t.color} on ${t.background} is ${ratio.toFixed(2)}:1`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('switches the issue email to its dark colours under prefers-color-scheme: dark', async () => {
    const issue = emails.find((e) => e.name.startsWith('issue'))!;
    const [light, dark] = await Promise.all([paintedTexts(issue.html, 'light'), paintedTexts(issue.html, 'dark')]);
    const footerLine = (texts: PaintedText[]) => texts.find((t) => t.text.startsWith('You are receiving this'))!;
    expect(light[0]!.background).toBe('rgb(255, 255, 255)');
    expect(dark[0]!.background).toBe('rgb(13, 17, 23)');
    // The footer stays muted in the dark, not full white like the body text.
    expect(footerLine(dark).color).not.toBe(dark.find((t) => t.text.startsWith('Welcome to issue'))?.color);
  });
});
