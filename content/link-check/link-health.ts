// What a link check found about one published address, as stored in a `linkCheck`
// document (one per de-duplication key), and the words the CLI and the Studio use for it.
// Pure and free of Node APIs: the Studio imports it.
import { z } from 'zod';
import { normaliseUrl, parseHttpUrl } from '../normalize-url.ts';

/**
 * ok: answered 2xx (perhaps after temporary redirects); moved: a permanent redirect (301/308)
 * leads to another address that answers; broken: 404, 410, 5xx after a retry, no answer,
 * a reset or an unknown name; unknown: the site refused the checker (401, 403, 429…) or the
 * fetch policy would not fetch it, so only a person can tell.
 */
export const linkOutcomes = ['ok', 'moved', 'broken', 'unknown'] as const;
export type LinkOutcome = (typeof linkOutcomes)[number];

/** Why no HTTP answer came back. */
export const linkFailures = ['timeout', 'reset', 'dns', 'refused', 'blocked-by-policy', 'redirect-loop', 'too-many-redirects', 'network'] as const;
export type LinkFailure = (typeof linkFailures)[number];

export const linkCheckType = 'linkCheck';

export const linkCheckRecordSchema = z.object({
  url: z.string(),
  normalizedUrl: z.string(),
  outcome: z.enum(linkOutcomes),
  /** The last answer's HTTP status; absent when none came (see failure). */
  status: z.number().int().nullish(),
  failure: z.enum(linkFailures).nullish(),
  /** The failure as the network or the policy put it. */
  detail: z.string().nullish(),
  /** Where the redirects ended (the address itself when none). */
  finalUrl: z.string(),
  /** Where the leading permanent redirects point: the address to link instead, for a moved link. */
  movedTo: z.string().nullish(),
  redirects: z.number().int(),
  checkedAt: z.string(),
  /** Published issues that link the address, by number. */
  usedIn: z.array(z.number()).default([]),
});
export type LinkCheckRecord = z.infer<typeof linkCheckRecordSchema>;

/** The key link checks are stored and looked up by (capture's de-duplication key). */
export function linkKeyOf(url: string | null | undefined): string | undefined {
  return url && parseHttpUrl(url) ? normaliseUrl(url) : undefined;
}

/** Whether an editor should look at the link: broken or moved. */
export function needsAttention(record: Pick<LinkCheckRecord, 'outcome'>): boolean {
  return record.outcome === 'broken' || record.outcome === 'moved';
}

/** "HTTP 404", "no answer (timeout)": what came back, in a few words. */
export function describeAnswer(record: Pick<LinkCheckRecord, 'status' | 'failure' | 'redirects'>): string {
  const answer = record.failure ? `no answer (${record.failure})` : `HTTP ${record.status ?? '?'}`;
  return record.redirects > 0 ? `${answer} after ${record.redirects} redirect${record.redirects === 1 ? '' : 's'}` : answer;
}

/** One sentence for an editor: the Studio's notice and the CLI's listing say the same. */
export function describeLinkHealth(record: Pick<LinkCheckRecord, 'outcome' | 'status' | 'failure' | 'redirects' | 'finalUrl' | 'movedTo' | 'checkedAt'>): string {
  const when = record.checkedAt.slice(0, 10);
  switch (record.outcome) {
    case 'broken':
      return `Broken link: ${describeAnswer(record)} when checked on ${when}.`;
    case 'moved':
      return `Moved: redirects permanently to ${record.movedTo ?? record.finalUrl} (checked on ${when}); link there instead.`;
    case 'unknown':
      return `Could not be checked on ${when}: ${describeAnswer(record)}.`;
    case 'ok':
      return `Fine when checked on ${when}.`;
  }
}
