import { describe, expect, it } from 'vitest';
import { cacheControlFor, contentTypeFor, safeSegments } from './static.ts';

describe('safeSegments', () => {
  it('maps an ordinary page path to its folders', () => {
    expect(safeSegments('/issues/12-spring/')).toEqual(['issues', '12-spring']);
  });

  it('refuses parent folders however they are spelled', () => {
    for (const p of ['/../etc/passwd', '/issues/%2e%2e/%2e%2e/secret', '/a/..%2f..%2fb', '/a\\..\\b', '/%2e%2e']) {
      expect(safeSegments(p), p).toBeUndefined();
    }
  });

  it('refuses dot-files and the build staging folders', () => {
    expect(safeSegments('/.env')).toBeUndefined();
    expect(safeSegments('/.dist.staging-1-ab/index.html')).toBeUndefined();
  });

  it('refuses control characters and broken escapes', () => {
    expect(safeSegments('/index.html%00.png')).toBeUndefined();
    expect(safeSegments('/%E0%A4%A')).toBeUndefined();
  });
});

describe('headers for static files', () => {
  it('caches hashed assets forever and makes pages revalidate', () => {
    expect(cacheControlFor('/style.1a2b3c4d5e.css')).toContain('immutable');
    expect(cacheControlFor('/issues/12-x/')).toBe('public, no-cache');
    expect(cacheControlFor('/feed.xml')).toBe('public, max-age=300');
    expect(cacheControlFor('/search.js')).toBe('public, no-cache');
    expect(cacheControlFor('/search/meta.json')).toBe('public, no-cache');
    expect(cacheControlFor('/search/w/3.json')).toBe('public, max-age=300');
  });

  it('names the type and charset of text files', () => {
    expect(contentTypeFor('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('feed.xml')).toBe('application/xml; charset=utf-8');
    expect(contentTypeFor('style.abc.css')).toBe('text/css; charset=utf-8');
    expect(contentTypeFor('feed.json')).toBe('application/json; charset=utf-8');
  });
});
