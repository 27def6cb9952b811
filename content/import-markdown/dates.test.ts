// Dates in every spelling back-issues use, and issue numbers that are never a year or a day.
import { describe, expect, it } from 'vitest';
import { dateFromFileName, detectDateOrder, numberFromFileName, numberFromTitle, parseDate } from './dates.ts';

describe('parseDate', () => {
  it('reads ISO, month names, "Week ending …", weekdays and 年月日', () => {
    expect(parseDate('2022-06-29')).toBe('2022-06-29');
    expect(parseDate('2022-06-29T08:00:00+02:00')).toBe('2022-06-29');
    expect(parseDate('2022/6/9')).toBe('2022-06-09');
    expect(parseDate('June 29, 2022')).toBe('2022-06-29');
    expect(parseDate('29th of June 2022')).toBe('2022-06-29');
    expect(parseDate('Week Ending January 14, 2018')).toBe('2018-01-14');
    expect(parseDate('Wednesday, June 29, 2022')).toBe('2022-06-29');
    expect(parseDate('2024年3月2日')).toBe('2024-03-02');
  });

  it('reads MM-DD-YYYY and DD.MM.YYYY when a part above 12 settles the order', () => {
    expect(parseDate('06-29-2022')).toBe('2022-06-29');
    expect(parseDate('29-06-2022')).toBe('2022-06-29');
    expect(parseDate('29.06.2022')).toBe('2022-06-29');
    expect(parseDate('06/29/2022')).toBe('2022-06-29');
  });

  it('lets the archive decide an ambiguous order, else the separator’s custom (dots day first, dashes month first)', () => {
    expect(parseDate('03-04-2022', 'day-first')).toBe('2022-04-03');
    expect(parseDate('03-04-2022', 'month-first')).toBe('2022-03-04');
    expect(parseDate('03.04.2022', 'month-first')).toBe('2022-03-04');
    expect(parseDate('03-04-2022')).toBe('2022-03-04');
    expect(parseDate('03.04.2022')).toBe('2022-04-03');
  });

  it('refuses what is not a calendar date', () => {
    expect(parseDate('02-30-2022')).toBeUndefined();
    expect(parseDate('13-13-2022')).toBeUndefined();
    expect(parseDate('soon')).toBeUndefined();
  });
});

describe('detectDateOrder', () => {
  it('takes the order an unambiguous date of the archive shows, none when it shows both or neither', () => {
    expect(detectDateOrder(['date: 03-04-2022', 'date: 29.06.2022'])).toBe('day-first');
    expect(detectDateOrder(['date: 03-04-2022', 'date: 06-29-2022'])).toBe('month-first');
    expect(detectDateOrder(['06-29-2022', '29-06-2022'])).toBeUndefined();
    expect(detectDateOrder(['2022-06-29'])).toBeUndefined();
  });
});

describe('numberFromTitle', () => {
  it('reads the English and Chinese patterns', () => {
    expect(numberFromTitle('Kelp Tracker #27: Tides')).toBe(27);
    expect(numberFromTitle('No. 12 — Harbour')).toBe(12);
    expect(numberFromTitle('Issue 9')).toBe(9);
    expect(numberFromTitle('Issue #009')).toBe(9);
    expect(numberFromTitle('潮池周报 第 350 期')).toBe(350);
    expect(numberFromTitle('潮池周报 384 期（2024-03-02）')).toBe(384);
    expect(numberFromTitle('The Fifth Issue')).toBe(5);
    expect(numberFromTitle('Issue Twelve')).toBe(12);
    expect(numberFromTitle('Harbour Weekly 57')).toBe(57);
  });

  it('never takes a year or a part of a date for the number', () => {
    expect(numberFromTitle('Week Ending January 14, 2018')).toBeUndefined();
    expect(numberFromTitle('This Week in Harbours: 2026-06-13')).toBeUndefined();
    expect(numberFromTitle('Harbour Notes, 14 March')).toBeUndefined();
    expect(numberFromTitle('Best of 2019')).toBeUndefined();
    expect(numberFromTitle('Release 0.11.0')).toBeUndefined();
    expect(numberFromTitle('Harbour Notes #31 (March 14, 2026)')).toBe(31);
  });
});

describe('file names and folders', () => {
  it('dates a file by its name or its folders', () => {
    expect(dateFromFileName('_posts/2022-06-29-harbour.md')).toBe('2022-06-29');
    expect(dateFromFileName('posts/20220629.md')).toBe('2022-06-29');
    expect(dateFromFileName('blog/2022/06/29/index.md')).toBe('2022-06-29');
    expect(dateFromFileName('blog/2022-06-29-harbour/index.mdx')).toBe('2022-06-29');
    expect(dateFromFileName('posts/harbour.md')).toBeUndefined();
  });

  it('numbers a file by its name, never by a date or a year in it', () => {
    expect(numberFromFileName('issue-350.md')).toBe(350);
    expect(numberFromFileName('0027.md')).toBe(27);
    expect(numberFromFileName('2022-06-29-harbour.md')).toBeUndefined();
    expect(numberFromFileName('2022.md')).toBeUndefined();
  });
});

describe('page bundles', () => {
  it('numbers "issue-12/index.md" by its folder', () => {
    expect(numberFromFileName('content/issue-12/index.md')).toBe(12);
    expect(numberFromFileName('content/2022-06-29-harbour/index.md')).toBeUndefined();
  });
});
