// The link list's "Linked in #N" in front of a row's subtitle, and the link preview handing
// its URL on to the component that looks it up.
import { describe, expect, it } from 'vitest';
import { link } from '../schemas/documents/link.ts';
import { linkedInSubtitle } from './linked-in.ts';

describe('a link row in the Studio lists', () => {
  it('puts the published issues that linked the page in front of the subtitle', () => {
    expect(linkedInSubtitle('Inbox · https://example.org/post', [{ number: 12 }, { number: 31 }])).toBe('Linked in #12, #31 · Inbox · https://example.org/post');
  });

  it('leaves the subtitle alone for a page no published issue linked', () => {
    expect(linkedInSubtitle('Inbox · https://example.org/post', [])).toBe('Inbox · https://example.org/post');
  });

  it('hands the URL on from the preview to the list component', () => {
    const prepare = link.preview!.prepare!;
    expect(prepare({ title: 'A post', url: 'https://example.org/post', status: 'inbox' })).toEqual({ title: 'A post', subtitle: 'Inbox · https://example.org/post', url: 'https://example.org/post' });
    expect(link.components?.preview).toBeTypeOf('function');
  });
});
