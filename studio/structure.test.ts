// The link inbox's per-status counts, run over groq-js as the Studio runs them on the lake.
import { evaluate, parse } from 'groq-js';
import { describe, expect, it } from 'vitest';
import { linkStatusCountsQuery, linkStatusTitle } from './structure.ts';

const aLink = (id: string, status?: string) => ({ _id: id, _type: 'link', url: `https://example.org/${id}`, ...(status ? { status } : {}) });

describe('link inbox counts', () => {
  it('count links per status, treating a link without a status as in the inbox', async () => {
    const dataset = [aLink('a', 'inbox'), aLink('b'), aLink('c', 'shortlisted'), aLink('d', 'discarded'), aLink('e', 'discarded'), { _id: 't', _type: 'tag' }];
    const counts = await (await evaluate(parse(linkStatusCountsQuery), { dataset })).get();
    expect(counts).toEqual({ inbox: 2, shortlisted: 1, discarded: 2 });
  });

  it('show the count in the list title once it is known', () => {
    expect(linkStatusTitle('Inbox', 7)).toBe('Inbox (7)');
    expect(linkStatusTitle('Inbox', 0)).toBe('Inbox (0)');
    expect(linkStatusTitle('Inbox', undefined)).toBe('Inbox');
  });
});
