// The Studio's notice on a broken or moved link, from what `newsdesk links check` last
// recorded (linkCheck documents): a warning on a link document, on a link inserted into an
// issue and on an external link in an issue's text. Only the checks that need attention
// are read, once per dataset for all rules (studio/lake-reads.ts).
import { z } from 'zod';
import { describeLinkHealth, linkCheckRecordSchema, linkCheckType, linkKeyOf, type LinkCheckRecord } from '../content/link-check/link-health.ts';
import type { QueryClient } from '../schemas/validation.ts';
import { makeDatasetCache, readLinkUrl, type DatasetCacheOptions } from './lake-reads.ts';

/** Broken and moved links only: the rest never shows a notice, so it is never read. */
export const linkHealthQuery = `*[_type == $type && outcome in ["broken", "moved"] && !(_id in path("drafts.**"))]{ url, normalizedUrl, outcome, status, failure, detail, finalUrl, movedTo, redirects, checkedAt, usedIn }`;

export type LinkHealthLookup = (url: string) => LinkCheckRecord | undefined;

export function indexLinkHealth(answer: unknown): LinkHealthLookup {
  const byKey = new Map(z.array(linkCheckRecordSchema).parse(answer).map((record) => [record.normalizedUrl, record]));
  return (url) => {
    const key = linkKeyOf(url);
    return key === undefined ? undefined : byKey.get(key);
  };
}

export interface LinkHealthCheck {
  forUrl(url: unknown, client: QueryClient): Promise<true | string>;
  forReference(linkId: unknown, client: QueryClient): Promise<true | string>;
}

export function makeLinkHealthCheck(options: DatasetCacheOptions = {}): LinkHealthCheck {
  const lookup = makeDatasetCache((client) => client.fetch(linkHealthQuery, { type: linkCheckType }).then(indexLinkHealth), options);
  const notice = async (url: string, client: QueryClient) => {
    const record = (await lookup(client))(url);
    return record ? `${describeLinkHealth(record)} (newsdesk links check)` : true;
  };
  return {
    async forUrl(url, client) {
      return typeof url === 'string' && url.trim() !== '' ? notice(url, client) : true;
    },
    async forReference(linkId, client) {
      if (typeof linkId !== 'string' || linkId === '') return true;
      const url = await readLinkUrl(linkId, client);
      return url ? notice(url, client) : true;
    },
  };
}

/** The one the schemas use: shared by every rule in the Studio. */
export const linkHealthCheck = makeLinkHealthCheck();
