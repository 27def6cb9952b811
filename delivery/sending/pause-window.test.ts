import { describe, expect, it } from 'vitest';
import { PauseWindow } from './pause-window.ts';

describe('PauseWindow', () => {
  it('trips only once the window is full and the failure share is above the limit', () => {
    const window = new PauseWindow(4, 0.5);
    for (const failed of [true, true, true]) window.record(failed);
    expect(window.tripped).toBe(false);
    window.record(false);
    expect(window.tripped).toBe(true);
    expect(window.describe('550 no')).toBe('3 of the last 4 deliveries failed (more than 50%); last error: 550 no');
  });

  it('forgets outcomes that slid out of the window', () => {
    const window = new PauseWindow(4, 0.5);
    for (const failed of [true, true, true, false, false, false]) window.record(failed);
    expect(window.tripped).toBe(false);
  });

  it('does not trip at exactly the limit', () => {
    const window = new PauseWindow(4, 0.5);
    for (const failed of [true, true, false, false]) window.record(failed);
    expect(window.tripped).toBe(false);
  });
});
