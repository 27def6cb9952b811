import { describe, expect, it } from 'vitest';
import { isNewsdeskError } from '../../core/errors.ts';
import { formatSendTime, formatTimeUntil, parseSendTime, sendTimeFromParts, wallClockParts } from './send-time.ts';

const refusal = (input: string, zone?: string) => {
  try {
    parseSendTime(input, zone);
  } catch (error) {
    if (isNewsdeskError(error, 'USAGE')) return `${error.message} → ${error.hint}`;
    throw error;
  }
  throw new Error(`"${input}" was accepted`);
};

describe('parseSendTime', () => {
  it('reads a wall-clock time in a named zone, winter and summer', () => {
    expect(parseSendTime('2026-12-04 08:00 Europe/Berlin')).toEqual({ at: new Date('2026-12-04T07:00:00Z'), timeZone: 'Europe/Berlin' });
    expect(parseSendTime('2026-07-04 08:00 Europe/Berlin').at).toEqual(new Date('2026-07-04T06:00:00Z'));
    expect(parseSendTime('2026-12-04T08:30 America/New_York').at).toEqual(new Date('2026-12-04T13:30:00Z'));
  });

  it('reads ISO date-times with an offset or Z, and keeps the offset to show it back', () => {
    expect(parseSendTime('2026-12-04T08:00:00+01:00')).toEqual({ at: new Date('2026-12-04T07:00:00Z'), timeZone: 'UTC+01:00' });
    expect(parseSendTime('2026-12-04T07:00Z')).toEqual({ at: new Date('2026-12-04T07:00:00Z'), timeZone: 'UTC' });
  });

  it('takes the default zone when the time names none', () => {
    expect(parseSendTime('2026-12-04 08:00', 'Asia/Tokyo')).toEqual({ at: new Date('2026-12-03T23:00:00Z'), timeZone: 'Asia/Tokyo' });
  });

  it('refuses a time the clocks skip, an unknown zone, an impossible date and loose text, saying how to write it', () => {
    expect(refusal('2026-03-29 02:30 Europe/Berlin')).toMatch(/02:30 does not exist in Europe\/Berlin that day/);
    expect(refusal('2026-12-04 08:00 Mars/Olympus')).toMatch(/"Mars\/Olympus" is not a time zone → Name a zone of the IANA database/);
    expect(refusal('2026-02-30 08:00', 'UTC')).toMatch(/is not a send time/);
    expect(refusal('next friday', 'UTC')).toMatch(/YYYY-MM-DD HH:MM → Write it like "2026-12-04 08:00 Europe\/Berlin"/);
  });

  it('builds the same instant from the Studio dialog\'s date, time and zone', () => {
    expect(sendTimeFromParts('2026-12-04', '08:00', 'Europe/Berlin')).toEqual(parseSendTime('2026-12-04 08:00 Europe/Berlin'));
    expect(wallClockParts(new Date('2026-12-04T07:00:00Z'), 'Europe/Berlin')).toEqual({ date: '2026-12-04', time: '08:00' });
  });
});

describe('formatSendTime', () => {
  it('shows the time in the zone it was chosen in, and in UTC', () => {
    expect(formatSendTime(new Date('2026-12-04T07:00:00Z'), 'Europe/Berlin')).toBe('Fri 4 Dec 2026, 08:00 Europe/Berlin (07:00 UTC)');
    expect(formatSendTime(new Date('2026-12-04T07:00:00Z'), 'UTC+01:00')).toBe('Fri 4 Dec 2026, 08:00 UTC+01:00 (07:00 UTC)');
    expect(formatSendTime(new Date('2026-12-04T07:00:00Z'), 'UTC')).toBe('Fri 4 Dec 2026, 07:00 UTC');
  });
});

describe('formatTimeUntil', () => {
  it('says how long until a send in the unit that reads best', () => {
    expect([40_000, 12 * 60_000, 200 * 60_000, 99 * 3_600_000].map(formatTimeUntil)).toEqual(['40 s', '12 min', '3 h 20 min', '4 days 3 h']);
  });
});
