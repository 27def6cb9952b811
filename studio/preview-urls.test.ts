// The preview server addresses the Studio builds, which `newsdesk serve` must answer.
import { describe, expect, it } from 'vitest';
import { issuePreviewUrl, publishedIdOf, sendTestUrl } from './preview-urls.ts';

const target = { previewUrl: 'http://localhost:3000', previewSecret: 's3cret&more' };

describe('preview URLs', () => {
  it('point the iframe at /preview/issues/<published id> with the format and secret', () => {
    expect(issuePreviewUrl(target, 'drafts.issue-12', 'email')).toBe('http://localhost:3000/preview/issues/issue-12?as=email&secret=s3cret%26more');
    expect(issuePreviewUrl(target, 'issue-12', 'text')).toBe('http://localhost:3000/preview/issues/issue-12?as=text&secret=s3cret%26more');
  });

  it('tolerate a trailing slash on the configured preview URL', () => {
    expect(sendTestUrl({ ...target, previewUrl: 'https://preview.example.org/' }, 'issue-12')).toBe('https://preview.example.org/preview/issues/issue-12/send-test');
  });

  it('use the published id for drafts', () => {
    expect(publishedIdOf('drafts.issue-12')).toBe('issue-12');
    expect(publishedIdOf('issue-12')).toBe('issue-12');
  });
});
