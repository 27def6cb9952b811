// A link row's "already linked" mark: the latest issue's number in the media square, the
// whole notice as its label, and the link preview handing the row its mark.
import { describe, expect, it } from 'vitest';
import { link } from '../schemas/documents/link.ts';
import { linkMedia } from './components/LinkedInMark.tsx';
import { linkedInMark } from './linked-in.ts';

describe('a link row in the Studio lists', () => {
  it('shows the latest issue that linked the page, and names them all in its label', () => {
    expect(linkedInMark([{ number: 12, title: 'A', date: '2026-02-06' }, { number: 31, title: 'B', date: '2026-05-01' }])).toEqual({
      text: '#31',
      label: 'Already linked in #12 (2026-02-06) and #31 (2026-05-01)',
    });
  });

  it('has no mark for a page no published issue linked', () => {
    expect(linkedInMark([])).toBeUndefined();
  });

  it('gives each URL one media component, kept across renders', () => {
    const prepare = link.preview!.prepare!;
    const row = prepare({ title: 'A post', url: 'https://example.org/post', status: 'inbox' });
    expect(row).toMatchObject({ title: 'A post', subtitle: 'Inbox · https://example.org/post' });
    expect(row.media).toBe(linkMedia('https://example.org/post'));
    expect(linkMedia('https://example.org/other')).not.toBe(row.media);
  });
});
