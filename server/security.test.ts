import { describe, expect, it } from 'vitest';
import { emailPreviewCsp, isStudioOrigin } from './security.ts';

const studio = ['http://localhost:3333', 'https://*.sanity.studio'];

describe('isStudioOrigin', () => {
  it('accepts the configured origins and subdomains of a wildcard', () => {
    expect(isStudioOrigin('http://localhost:3333', studio)).toBe(true);
    expect(isStudioOrigin('https://tidepool.sanity.studio', studio)).toBe(true);
  });

  it('refuses look-alikes, other schemes and other ports', () => {
    expect(isStudioOrigin('https://sanity.studio.evil.test', studio)).toBe(false);
    expect(isStudioOrigin('https://evilsanity.studio', studio)).toBe(false);
    expect(isStudioOrigin('http://tidepool.sanity.studio', studio)).toBe(false);
    expect(isStudioOrigin('http://localhost:3334', studio)).toBe(false);
    expect(isStudioOrigin('null', studio)).toBe(false);
  });
});

describe('emailPreviewCsp', () => {
  it('lets the Studio frame the email preview but runs no script in it', () => {
    const csp = emailPreviewCsp(studio);
    expect(csp).toContain("frame-ancestors 'self' http://localhost:3333 https://*.sanity.studio");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/sandbox(?! [^;]*allow-scripts)/);
  });
});
