// Dates and issue numbers as back-issues write them, read without guessing: a date is
// taken only when it is unambiguous, a number only from a recognisable pattern.

const months = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "2026-03-14" (also with a time), "14 March 2026", "March 14, 2026", "2026年3月14日" → "2026-03-14". */
export function parseDate(text: string): string | undefined {
  const t = text.trim().replace(/^(?:date|published|posted|sent)\s*:?\s*/i, '').replace(/[.,]$/, '');
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+\s?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{4})年(\d{1,2})月(\d{1,2})日$/.exec(t))) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})$/.exec(t))) [d, m, y] = [Number(match[1]), monthNumber(match[2]!), Number(match[3])];
  else if ((match = /^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/.exec(t))) [m, d, y] = [monthNumber(match[1]!), Number(match[2]), Number(match[3])];
  else return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (m < 1 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

function monthNumber(name: string): number {
  const lower = name.toLowerCase();
  return months.findIndex((full) => lower.length >= 3 && full.startsWith(lower)) + 1;
}

/** "Kelp Tracker #27", "No. 12", "Issue 9", "第 350 期", "This Week in Rust 57". */
export function numberFromTitle(title: string): number | undefined {
  const m =
    /(?:#|№|\bno\.?\s*|\bissue\s+)0*(\d{1,6})\b/i.exec(title) ??
    /第\s*(\d{1,6})\s*[期号]/.exec(title) ??
    // A title ending in a bare number ("This Week in Rust 57"), but not a version ("0.11.0").
    /(?:^|[^\d.])(\d{1,6})\s*$/.exec(title);
  return m ? Number(m[1]) : undefined;
}

/** "issue-350.md", "0027.md", "27-tides-turning.md" (not a date prefix) → the number. */
export function numberFromFileName(file: string): number | undefined {
  const base = file.split(/[\\/]/).pop()!.replace(/\.[^.]+$/, '');
  if (/^\d{4}-\d{2}-\d{2}/.test(base)) return undefined;
  const m = /^(?:issue|no|number|n)?[-_ ]?0*(\d{1,6})(?:\b|[-_])/i.exec(base) ?? /(?:issue|no)[-_ ]?0*(\d{1,6})$/i.exec(base);
  return m ? Number(m[1]) : undefined;
}

/** "2026-08-19-this-week-in-rust.md" → "2026-08-19". */
export function dateFromFileName(file: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:\D|$)/.exec(file.split(/[\\/]/).pop()!);
  return m ? parseDate(m[1]!) : undefined;
}
