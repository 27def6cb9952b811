import { describe, expect, it } from 'vitest';
import { isNewsdeskError } from '../core/errors.ts';
import { isSameUrl, normaliseUrl } from './normalize-url.ts';

describe('normaliseUrl', () => {
  it('lower-cases the scheme and host but not the path', () => {
    expect(normaliseUrl('HTTPS://Example.ORG/Some/Path')).toBe('https://example.org/Some/Path');
  });

  it('drops default ports and keeps other ports', () => {
    expect(normaliseUrl('https://example.org:443/a')).toBe('https://example.org/a');
    expect(normaliseUrl('http://example.org:80/a')).toBe('http://example.org/a');
    expect(normaliseUrl('http://example.org:8080/a')).toBe('http://example.org:8080/a');
  });

  it('drops the trailing slash and the fragment', () => {
    expect(normaliseUrl('https://example.org/a/b/#section-2')).toBe('https://example.org/a/b');
    expect(normaliseUrl('https://example.org/')).toBe('https://example.org');
    expect(normaliseUrl('https://example.org')).toBe('https://example.org');
  });

  it('drops tracking parameters and sorts the rest', () => {
    expect(
      normaliseUrl('https://example.org/post?utm_source=news&utm_medium=email&b=2&fbclid=x&a=1&gclid=y&mc_cid=z&mc_eid=w&UTM_Campaign=q'),
    ).toBe('https://example.org/post?a=1&b=2');
  });

  it('keeps parameters that choose the page', () => {
    expect(normaliseUrl('https://example.org/search?q=widgets&page=2')).toBe('https://example.org/search?page=2&q=widgets');
  });

  it('treats two spellings of the same page as the same URL', () => {
    expect(isSameUrl('https://Example.org:443/docs/?utm_source=x#top', 'https://example.org/docs')).toBe(true);
    expect(isSameUrl('http://example.org/docs', 'https://example.org/docs')).toBe(false);
    expect(isSameUrl('https://www.example.org/docs', 'https://example.org/docs')).toBe(false);
  });

  it('refuses anything that is not an absolute http(s) URL', () => {
    for (const bad of ['example.org', 'mailto:ed@example.org', 'javascript:alert(1)', 'ftp://example.org/x', '']) {
      let caught: unknown;
      try {
        normaliseUrl(bad);
      } catch (error) {
        caught = error;
      }
      expect(isNewsdeskError(caught, 'CAPTURE_FAILED'), bad).toBe(true);
    }
  });

  it('drops credentials and collapses doubled slashes in the path', () => {
    expect(normaliseUrl('https://user:pw@example.org//a//b/')).toBe('https://example.org/a/b');
  });
});
