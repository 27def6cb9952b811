import { describe, expect, it } from 'vitest';
import { formatIssueDate } from './render.ts';

describe('formatIssueDate', () => {
  it('formats a date in each language asked for, the same date remembered apart per language', () => {
    expect(formatIssueDate('2026-03-14')).toBe('March 14, 2026');
    expect(formatIssueDate('2026-03-14', 'de')).toBe('14. März 2026');
    expect(formatIssueDate('2026-03-14', 'fr')).toBe('14 mars 2026');
    // Asked again, after other languages: each still its own.
    expect(formatIssueDate('2026-03-14', 'en')).toBe('March 14, 2026');
    expect(formatIssueDate('2026-03-14', 'de')).toBe('14. März 2026');
  });

  it('reads the date in UTC: the first and last day of a year stay in that year', () => {
    expect(formatIssueDate('2026-01-01')).toBe('January 1, 2026');
    expect(formatIssueDate('2026-12-31')).toBe('December 31, 2026');
  });
});
