import { describe, expect, it } from 'vitest';
import { isNewsdeskError } from '../core/errors.ts';
import { isSameUrl, normaliseUrl, parseHttpUrl, trackingParameters } from './normalize-url.ts';

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

  it('gives what setting every part of the URL gives, on odd and random addresses (it sets only the parts that change)', () => {
    /** The comparison form with each part set whether or not it changes, as normaliseUrl first did. */
    const settingEveryPart = (value: string): string => {
      const url = parseHttpUrl(value);
      if (!url) throw new Error('not an http(s) URL');
      url.hash = '';
      url.username = '';
      url.password = '';
      if (url.hostname.endsWith('.')) url.hostname = url.hostname.replace(/\.+$/, '');
      const params = [...url.searchParams].filter(([name]) => !name.toLowerCase().startsWith('utm_') && !trackingParameters.has(name.toLowerCase()));
      params.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
      url.search = new URLSearchParams(params).toString();
      url.pathname = url.pathname.length > 1 ? url.pathname.replace(/\/{2,}/g, '/').replace(/(.)\/+$/, '$1') : url.pathname;
      const out = url.toString();
      return url.pathname === '/' && url.search === '' ? out.replace(/\/$/, '') : out;
    };
    const odd = [
      'https://example.org',
      'https://example.org/',
      'https://example.org/#',
      'https://example.org/?',
      'https://example.org/?#',
      'https://example.org?#?',
      'https://example.org/a#frag?x=1',
      'https://example.org/a?b#c?d',
      'https://@example.org/',
      'https://:@example.org/',
      'https://user@example.org/a',
      'https://:pw@example.org/a',
      'https://u:p@Example.ORG.:8443//x//y//?utm_source=z&b=2&a=1&a=0#top',
      'http://example.org:80/a/',
      'https://[::1]:443/a/b/',
      'https://[2001:db8::1]/',
      'https://192.168.0.1./x',
      'https://xn--bcher-kva.example/',
      'https://bücher.example/straße/ä?ü=ö#ß',
      'https://example.org/%7e/%7E/%2e%2E/%2F/a%20b/',
      'https://example.org/./a/../b/./c/..',
      'https://example.org\\a\\b\\',
      'https://example.org/a;b=c;d/',
      'https://example.org/a b/c\td\ne',
      '  https://example.org/trim  ',
      'https://example.org/?q=a+b&q=a%20b&r=%zz&s',
      'https://example.org/?=x&&&=',
      'https://example.org/?fbclid=1&gclid=2&UTM_Medium=3',
      'https://example.org/?utm_source=only',
      'https://example.org////',
      'https://example.org/a////',
      'https://example.org//',
      'https://example.org/a?b=c/',
      'https://example.org/%',
      'https://example.org/a%2',
      'https://example.org/😀/?😀=😀#😀',
      'http://EXAMPLE.org/A/B?Z=1&y=2',
    ];
    // Random addresses over the characters that change how a URL parses.
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pieces = ['a', 'Z', '/', '//', '.', '..', '%2e', '%', '%41', '?', '#', '&', '=', ';', '@', ':', '\\', ' ', '+', '~', 'é', '😀', 'utm_x', 'fbclid', '!', '*', "'", '(', '[', ']', '|', '^', '`', '{', '<', '"'];
    const random = Array.from({ length: 3000 }, () => {
      let rest = '';
      for (let i = Math.floor(rnd() * 14); i > 0; i--) rest += pieces[Math.floor(rnd() * pieces.length)];
      return `${rnd() < 0.5 ? 'https' : 'http'}://${rnd() < 0.2 ? 'u:p@' : ''}example.org${rnd() < 0.2 ? '.' : ''}${rnd() < 0.2 ? ':8080' : ''}/${rest}`;
    });
    let compared = 0;
    for (const value of [...odd, ...random]) {
      let expected: string;
      try {
        expected = settingEveryPart(value);
      } catch {
        expect(() => normaliseUrl(value), value).toThrow();
        continue;
      }
      expect(normaliseUrl(value), value).toBe(expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(2500);
  });
});
