// When a scheduled send goes out, as editors write it: an ISO date-time with an offset
// ("2026-12-04T08:00+01:00", "…Z"), or a wall-clock time in a named time zone
// ("2026-12-04 08:00 Europe/Berlin"); without either, the default zone. Time-zone
// arithmetic is luxon's (the IANA database through Intl). A wall-clock time that does
// not exist (clocks going forward) is refused rather than silently moved. Pure: shared
// by the CLI, the server and the Studio's dialog.
import { DateTime, IANAZone } from 'luxon';
import { NewsdeskError } from '../../core/errors.ts';

export interface SendTime {
  at: Date;
  /** The zone the time was given in (or the offset, e.g. "UTC+01:00"), for showing it back. */
  timeZone: string;
}

const wallClock = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const withOffset = /(?:Z|[+-]\d{2}:?\d{2})$/i;
const examples = '"2026-12-04 08:00 Europe/Berlin" or "2026-12-04T08:00+01:00"';

export function isTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** The zone this machine (or browser) runs in. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function parseSendTime(input: string, defaultZone: string = localTimeZone()): SendTime {
  const text = input.trim().replace(/\s+/g, ' ');
  if (text === '') throw invalid(input, 'it is empty');
  const zoneMatch = /^(.*\d)\s+([A-Za-z][A-Za-z0-9_+\-/]*)$/.exec(text);
  if (zoneMatch) return wallClockIn(zoneMatch[1]!, zoneMatch[2]!, input);
  if (withOffset.test(text)) {
    const parsed = DateTime.fromISO(text.replace(' ', 'T'), { setZone: true });
    if (!parsed.isValid) throw invalid(input, parsed.invalidExplanation ?? 'it is not an ISO date-time');
    return { at: parsed.toJSDate(), timeZone: parsed.offset === 0 ? 'UTC' : `UTC${parsed.toFormat('ZZ')}` };
  }
  return wallClockIn(text, defaultZone, input);
}

/** A date ("2026-12-04") and a time ("08:00") on the clocks of `zone`, as the Studio's dialog gives them. */
export function sendTimeFromParts(date: string, time: string, zone: string): SendTime {
  return wallClockIn(`${date} ${time}`, zone, `${date} ${time} ${zone}`);
}

function wallClockIn(text: string, zone: string, input: string): SendTime {
  if (!isTimeZone(zone)) {
    throw new NewsdeskError('USAGE', `"${input}": "${zone}" is not a time zone`, {
      hint: 'Name a zone of the IANA database, such as Europe/Berlin, America/New_York or UTC.',
    });
  }
  const m = wallClock.exec(text.trim());
  if (!m) throw invalid(input, 'the date and time are not written as YYYY-MM-DD HH:MM');
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v))) as number[];
  const parsed = DateTime.fromObject({ year, month, day, hour, minute, second }, { zone });
  if (!parsed.isValid) throw invalid(input, parsed.invalidExplanation ?? 'there is no such date');
  // luxon moves a time inside a clock change's gap forward; the editor meant something else.
  if (parsed.hour !== hour || parsed.minute !== minute) {
    throw invalid(input, `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')} does not exist in ${zone} that day (the clocks go forward)`);
  }
  return { at: parsed.toJSDate(), timeZone: parsed.zoneName ?? zone };
}

function invalid(input: string, why: string): NewsdeskError {
  return new NewsdeskError('USAGE', `"${input}" is not a send time: ${why}`, { hint: `Write it like ${examples}.` });
}

/** "Fri 4 Dec 2026, 08:00 Europe/Berlin (07:00 UTC)": the time as the editor chose it, and in UTC. */
export function formatSendTime(at: Date, timeZone: string): string {
  const utc = DateTime.fromJSDate(at, { zone: 'UTC' });
  // "UTC+01:00" (an offset given in ISO) is a zone luxon understands as it is.
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  const wall = (local.isValid ? local : utc).setLocale('en-GB').toFormat('ccc d LLL yyyy, HH:mm');
  return timeZone === 'UTC' || !local.isValid ? `${wall} UTC` : `${wall} ${timeZone} (${utc.toFormat('HH:mm')} UTC)`;
}

/** The date and time of `at` on the clocks of `zone`, as the Studio's inputs want them. */
export function wallClockParts(at: Date, zone: string): { date: string; time: string } {
  const local = DateTime.fromJSDate(at, { zone });
  return { date: local.toFormat('yyyy-LL-dd'), time: local.toFormat('HH:mm') };
}

/** How long until a send, roughly: "40 s", "12 min", "3 h 20 min", "4 days 3 h". */
export function formatTimeUntil(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${d} days${h % 24 ? ` ${h % 24} h` : ''}`;
}
