// Dates and issue numbers as back-issues write them. A date is read in every common
// spelling (ISO, 06-29-2022, 29.06.2022, month names, "Week ending …", 年月日); a
// day-month order that the text alone cannot settle (03-04-2022) follows the order the
// rest of the archive shows (`DateOrder`). A number comes only from a recognisable
// pattern, and never from a year or a part of a date.

const months = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** Which of two small numbers is the month in "03-04-2022": the archive decides, else the separator's custom. */
export type DateOrder = 'month-first' | 'day-first';

/** "2026-03-14" (also with a time), "14 March 2026", "March 14, 2026", "06-29-2022", "29.06.2022", "2026年3月14日" → "2026-03-14". */
export function parseDate(text: string, order?: DateOrder): string | undefined {
  const t = text
    .trim()
    .replace(/^(?:date|published|posted|sent)\s*:?\s*/i, '')
    .replace(/^(?:the\s+)?week\s+(?:ending|of|starting|beginning)\s*:?\s*/i, '')
    .replace(/^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+/i, '')
    .replace(/[.,]$/, '');
  let y: number, m: number, d: number;
  let match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ][\d:.]+\s?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]$/.exec(t))) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})$/.exec(t))) {
    const [a, sep, b] = [Number(match[1]), match[2]!, Number(match[3])];
    y = Number(match[4]);
    const dayFirst = a > 12 ? true : b > 12 ? false : order ? order === 'day-first' : sep === '.';
    [d, m] = dayFirst ? [a, b] : [b, a];
  } else if ((match = /^(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([A-Za-z]+)\.?,?\s+(\d{4})$/.exec(t))) [d, m, y] = [Number(match[1]), monthNumber(match[2]!), Number(match[3])];
  else if ((match = /^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/.exec(t))) [m, d, y] = [monthNumber(match[1]!), Number(match[2]), Number(match[3])];
  else return undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (m < 1 || y < 1900 || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

/**
 * The day-month order an archive's texts show: a "13-04-2022" anywhere settles it as day
 * first, a "04-13-2022" as month first. Undefined when nothing settles it (or both appear).
 */
export function detectDateOrder(texts: Iterable<string>): DateOrder | undefined {
  const seen = { dayFirst: false, monthFirst: false };
  for (const text of texts) noteDateOrder(text, seen);
  return settleDateOrder(seen);
}

/** What one text shows of the day-month order, added to `seen` (an archive read a file at a time). */
export function noteDateOrder(text: string, seen: { dayFirst: boolean; monthFirst: boolean }): void {
  for (const m of text.matchAll(/(?<![\d.-])(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?![\d])/g)) {
    if (Number(m[1]) > 12 && Number(m[2]) <= 12) seen.dayFirst = true;
    if (Number(m[2]) > 12 && Number(m[1]) <= 12) seen.monthFirst = true;
  }
}

/** The order `seen` settles, if it settles one. */
export function settleDateOrder(seen: { dayFirst: boolean; monthFirst: boolean }): DateOrder | undefined {
  return seen.dayFirst === seen.monthFirst ? undefined : seen.dayFirst ? 'day-first' : 'month-first';
}

/** The first "03-04-2022"-like date in a text whose day and month could trade places. */
export function ambiguousDateIn(text: string): string | undefined {
  for (const m of text.matchAll(/(?<![\d.-])(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)/g)) {
    const [a, b] = [Number(m[1]), Number(m[2])];
    if (a !== b && a >= 1 && b >= 1 && a <= 12 && b <= 12) return m[0];
  }
  return undefined;
}

function monthNumber(name: string): number {
  const lower = name.toLowerCase();
  return months.findIndex((full) => lower.length >= 3 && full.startsWith(lower)) + 1;
}

const ordinals = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth', 'eleventh', 'twelfth', 'thirteenth', 'fourteenth', 'fifteenth', 'sixteenth', 'seventeenth', 'eighteenth', 'nineteenth', 'twentieth'];
const cardinals = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty'];

/** A number that reads as a year (1900–2099): never an issue number on its own. */
function looksLikeYear(n: number, digits: string): boolean {
  return digits.length === 4 && n >= 1900 && n <= 2099;
}

/** Blanks out every date in a title so its day, month or year is never read as the number. */
function withoutDates(title: string): string {
  const monthWords = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?';
  return title
    .replace(/\d{4}[-/.]\d{1,2}[-/.]\d{1,2}/g, ' ')
    .replace(/\d{1,2}[-/.]\d{1,2}[-/.]\d{4}/g, ' ')
    .replace(/\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?/g, ' ')
    .replace(/\d{1,2}\s*月\s*\d{1,2}\s*[日号]/g, ' ')
    .replace(new RegExp(`\\b${monthWords}\\s+\\d{1,2}(?:st|nd|rd|th)?(?:,?\\s+\\d{4})?`, 'gi'), ' ')
    .replace(new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?${monthWords}(?:,?\\s+\\d{4})?`, 'gi'), ' ')
    .replace(new RegExp(`\\b${monthWords}\\s+\\d{4}`, 'gi'), ' ');
}

/** "Kelp Tracker #27", "No. 12", "Issue 9", "第 350 期", "周报 384 期", "The Fifth Issue", "This Week in Rust 57". */
export function numberFromTitle(title: string): number | undefined {
  const t = withoutDates(title);
  const patterns = [
    /(?:#|№|\bno\.?\s*|\bnr\.?\s*|\bissue\s+(?:no\.?\s*|#\s*)?|\bedition\s+|\bvol(?:ume)?\.?\s*\d+\s*,?\s*(?:no\.?|issue)\s*)0*(\d{1,6})\b/i,
    /第\s*0*(\d{1,6})\s*[期号號]/,
    /(?:^|[^\d.])0*(\d{1,6})\s*[期号號]/,
  ];
  for (const pattern of patterns) {
    const m = pattern.exec(t);
    if (m && !looksLikeYear(Number(m[1]), m[1]!)) return Number(m[1]);
  }
  const word = /\b([a-z]+)\s+(?:issue|edition)\b|\b(?:issue|edition)\s+(?:no\.?\s+)?([a-z]+)\b/i.exec(t);
  if (word) {
    const w = (word[1] ?? word[2]!).toLowerCase();
    const n = ordinals.indexOf(w) + 1 || cardinals.indexOf(w) + 1;
    if (n > 0) return n;
  }
  // A title ending in a bare number ("This Week in Rust 57"), but not a version ("0.11.0") or a year.
  const tail = /(?:^|[^\d.:/-])0*(\d{1,6})\s*$/.exec(t);
  if (tail && !looksLikeYear(Number(tail[1]), tail[1]!)) return Number(tail[1]);
  return undefined;
}

/** "issue-350.md", "0027.md", "27-tides-turning.md" (not a date prefix) → the number. */
export function numberFromFileName(file: string): number | undefined {
  const parts = file.split(/[\\/]/);
  let base = parts.pop()!.replace(/\.[^.]+$/, '');
  // Hugo and Astro page bundles: "issue-12/index.md" is named by its folder.
  if (/^(?:_?index|readme)$/i.test(base) && parts.length) base = parts.pop()!;
  if (/^\d{4}[-_.]?\d{2}[-_.]?\d{2}/.test(base) || /^\d{1,2}[-_.]\d{1,2}[-_.]\d{4}/.test(base)) return undefined;
  const m = /^(?:issue|no|number|n)?[-_ ]?0*(\d{1,6})(?:\b|[-_])/i.exec(base) ?? /(?:issue|no)[-_ ]?0*(\d{1,6})$/i.exec(base);
  if (!m) return undefined;
  return looksLikeYear(Number(m[1]), m[1]!) ? undefined : Number(m[1]);
}

/** "2026-08-19-this-week-in-rust.md", "20260819.md", ".../2026/08/19/index.md", ".../2026-08-19/index.md" → "2026-08-19". */
export function dateFromFileName(file: string, order?: DateOrder): string | undefined {
  const parts = file.split(/[\\/]/);
  const base = parts.at(-1)!;
  let m = /^(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})(?:\D|$)/.exec(base);
  if (m) return parseDate(`${m[1]}-${m[2]}-${m[3]}`);
  if ((m = /^(\d{1,2}[-_.]\d{1,2}[-_.]\d{4})(?:\D|$)/.exec(base))) return parseDate(m[1]!.replace(/_/g, '-'), order);
  // The folder path: ".../2026/08/19/post.md" or ".../2026-08-19/index.md".
  const dirs = parts.slice(0, -1).join('/');
  m = /(?:^|\/)(\d{4})\/(\d{1,2})\/(\d{1,2})(?:\/|$)/.exec(dirs) ?? /(?:^|\/)(\d{4})-(\d{2})-(\d{2})(?:[^/\d][^/]*)?$/.exec(dirs);
  return m ? parseDate(`${m[1]}-${m[2]}-${m[3]}`) : undefined;
}
