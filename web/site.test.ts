import { describe, expect, it } from 'vitest';
import { siteHref, sitePrefix } from './site.ts';

describe('siteHref', () => {
  it('links under the path of whichever base it is given, one after another (the prefix is parsed once per base)', () => {
    const bases = ['https://news.example.org', 'https://example.org/news/', 'https://example.org/a/b//', 'not a url', 'https://example.org/news/'];
    const expected = ['', '/news', '/a/b', '', '/news'];
    for (let round = 0; round < 2; round++) {
      bases.forEach((baseUrl, i) => {
        expect(sitePrefix({ baseUrl })).toBe(expected[i]);
        expect(siteHref({ baseUrl }, '/issues/3-x/')).toBe(`${expected[i]}/issues/3-x/`);
      });
    }
  });
});
