// Colours the emails may put text in. The accent comes from the newsletter settings and
// can be any colour, so before it colours text it is moved towards black or white just
// far enough to reach WCAG AA contrast (4.5:1) on the background it will sit on.
import { getContrast, mix, readableColor, toHex } from 'color2k';

/** WCAG AA for normal-size text. */
export const minimumContrast = 4.5;

/** `colour`, or the nearest mix of it towards black or white that reaches `ratio` against `background`. */
export function readableOn(colour: string, background: string, ratio = minimumContrast): string {
  const towards = readableColor(background);
  for (let weight = 0; weight <= 1; weight += 0.02) {
    const candidate = toHex(mix(colour, towards, weight));
    if (getContrast(candidate, background) >= ratio) return candidate;
  }
  return toHex(towards);
}

/** `colour` mixed towards white by `amount` (0–1), as #rrggbb. */
export function tint(colour: string, amount: number): string {
  return toHex(mix(colour, '#ffffff', amount));
}
