import { getContrast } from 'color2k';
import { describe, expect, it } from 'vitest';
import { readableOn, tint } from './colour.ts';

describe('readable colours', () => {
  it('keeps a colour that already reads well on the background', () => {
    expect(readableOn('#1f5f7a', '#ffffff')).toBe('#1f5f7a');
  });

  it('lightens a dark accent on a dark background just enough to reach 4.5:1', () => {
    const lifted = readableOn('#1f5f7a', '#0d1117');
    expect(getContrast(lifted, '#0d1117')).toBeGreaterThanOrEqual(4.5);
    expect(getContrast(lifted, '#0d1117')).toBeLessThan(5);
  });

  it('darkens a pale accent on white until it reads', () => {
    const darkened = readableOn('#ffd966', '#ffffff');
    expect(getContrast(darkened, '#ffffff')).toBeGreaterThanOrEqual(4.5);
  });

  it('mixes a colour towards white by the given amount', () => {
    expect(tint('#000000', 0.5)).toBe('#808080');
    expect(tint('#1f5f7a', 0)).toBe('#1f5f7a');
  });
});
