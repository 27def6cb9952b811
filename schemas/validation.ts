// The editorial rules behind every schema type's `validation`, as small pure functions
// so they can be unit-tested without a Studio. Each returns `true` when the value is
// fine, or a message that says what to fix. Thresholds come from content/rules.ts so
// the Studio and `newsdesk check` tell an editor the same thing.
import { normaliseUrl, parseHttpUrl } from '../content/normalize-url.ts';
import { findIssueRuleProblems, isHttpUrl, isSafeLinkUrl, slugify, summaryMaxLength, summaryMinLength, type IssueRuleFinding } from '../content/rules.ts';

export type RuleResult = true | string;

const slugPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const hexColorPattern = /^#[0-9a-fA-F]{6}$/;
// Deliberately loose: the mail server is the judge; this only catches typos like a missing "@".
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A required text field, with a message naming what the field is for. */
export function requireText(message: string): (value: unknown) => RuleResult {
  return (value) => (isBlank(value) ? message : true);
}

// ── issue ────────────────────────────────────────────────────────────────────

export function checkIssueNumber(value: unknown): RuleResult {
  if (value === undefined || value === null) return 'Give the issue a number: the next one after the last published issue.';
  if (typeof value !== 'number' || !Number.isInteger(value)) return `The issue number must be a whole number, not ${String(value)}.`;
  if (value < 1) return `The issue number must be 1 or more, not ${value}.`;
  return true;
}

export function checkSlug(value: unknown, example = 'issue-12-spring-cleaning'): RuleResult {
  const current = typeof value === 'object' && value !== null ? (value as { current?: unknown }).current : undefined;
  if (typeof current !== 'string' || current.trim() === '') return 'Add a slug (press "Generate" to derive it from the title); it becomes the page address.';
  if (!slugPattern.test(current)) {
    const suggestion = slugify(current);
    return `Use lower-case letters, digits and single hyphens only, e.g. "${suggestion || example}".`;
  }
  return true;
}

/** An issue's slug may be left empty: its page address then follows the title (the lake sets it on publish). */
export function checkIssueSlug(value: unknown): RuleResult {
  const current = typeof value === 'object' && value !== null ? (value as { current?: unknown }).current : undefined;
  if (current === undefined || current === null || (typeof current === 'string' && current.trim() === '')) return true;
  return checkSlug(value);
}

/** Empty summaries are errors: the summary is the email preheader and the feed description. */
export function checkSummaryPresent(value: unknown): RuleResult {
  return isBlank(value) ? 'Write a one-sentence summary: it is shown as the inbox preheader and the feed description.' : true;
}

/** Length is a warning: a long summary still works, it is just cut off in inboxes. */
export function checkSummaryLength(value: unknown): RuleResult {
  if (typeof value !== 'string' || value.trim() === '') return true;
  const length = value.trim().length;
  if (length > summaryMaxLength) {
    return `The summary is ${length} characters; inboxes show about ${summaryMaxLength}, so shorten it by ${length - summaryMaxLength}.`;
  }
  if (length < summaryMinLength) {
    return `The summary is only ${length} characters; aim for ${summaryMinLength}–${summaryMaxLength} so the preheader says what is inside.`;
  }
  return true;
}

// ── the rule book (content/rules.ts) in the Studio ───────────────────────────

/** The part of a validation context the rule book needs: the document and the field's path. */
export interface RuleContext {
  document?: unknown;
  path?: ReadonlyArray<unknown>;
}

/**
 * A Studio path (keys as `{_key}`) as the rule book spells it: "sections[1].body[0].href".
 * Keys are looked up in the document; undefined when one is not there.
 */
export function indexPath(document: unknown, path: ReadonlyArray<unknown>): string | undefined {
  let here: unknown = document;
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'string') {
      out += out ? `.${segment}` : segment;
      here = typeof here === 'object' && here !== null ? (here as Record<string, unknown>)[segment] : undefined;
    } else if (typeof segment === 'number' || (typeof segment === 'object' && segment !== null && '_key' in segment)) {
      if (!Array.isArray(here)) return undefined;
      const index = typeof segment === 'number' ? segment : here.findIndex((item) => (item as { _key?: unknown })?._key === (segment as { _key: unknown })._key);
      if (index < 0) return undefined;
      out += `[${index}]`;
      here = here[index];
    } else {
      return undefined;
    }
  }
  return out;
}

/** The rule book's findings of one level at this field, as one Studio message. */
export function checkIssueRules(level: IssueRuleFinding['level']): (value: unknown, context: RuleContext) => RuleResult {
  return (_value, context) => {
    const at = context.path ? indexPath(context.document, context.path) : undefined;
    if (!at) return true;
    const messages = findIssueRuleProblems(context.document)
      .filter((f) => f.level === level && f.path === at)
      .map((f) => f.message);
    return messages.length === 0 ? true : messages.join(' ');
  };
}

/**
 * An external link's URL: required, and in an issue judged by the rule book (which names the
 * section and the link); elsewhere by the same URL test.
 */
export function checkLinkHref(value: unknown, context: RuleContext): RuleResult {
  if (isBlank(value)) return externalHrefMessage;
  if ((context.document as { _type?: unknown } | undefined)?._type === 'issue') return checkIssueRules('error')(value, context);
  return checkExternalHref(value);
}

export function checkDate(value: unknown): RuleResult {
  if (isBlank(value)) return 'Pick the publication date; it is printed in the email and orders the archive.';
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return `Use a date like 2026-03-14, not "${String(value)}".`;
  return true;
}

// ── links and URLs ───────────────────────────────────────────────────────────

// URL fields use Sanity's own `uri()` rule with these messages (one message, not
// Sanity's generic one plus ours); the check functions state the same rule in code.
export const httpUrlMessage = 'Paste a full web address starting with https:// (or http://).';
export const externalHrefMessage = 'Paste a full address starting with https://, http:// or mailto:.';
export const siteUrlMessage = 'Enter the web archive address, e.g. https://news.example.org; every link in the email starts from it.';

/** Link documents point at web pages only; anything else cannot be visited from an email. */
export function checkHttpUrl(value: unknown): RuleResult {
  return typeof value === 'string' && isHttpUrl(value) ? true : httpUrlMessage;
}

/** External links in text may also be mailto: addresses. */
export function checkExternalHref(value: unknown): RuleResult {
  return typeof value === 'string' && isSafeLinkUrl(value) ? true : externalHrefMessage;
}

export function checkReference(message: string): (value: unknown) => RuleResult {
  return (value) => {
    const ref = typeof value === 'object' && value !== null ? (value as { _ref?: unknown })._ref : undefined;
    return typeof ref === 'string' && ref !== '' ? true : message;
  };
}

export const linkStatuses = ['inbox', 'shortlisted', 'discarded'] as const;

export function checkLinkStatus(value: unknown): RuleResult {
  if (typeof value === 'string' && (linkStatuses as readonly string[]).includes(value)) return true;
  return `Set the status to one of ${linkStatuses.join(', ')}.`;
}

/**
 * The de-duplication key of a link, spelled exactly as link capture spells it
 * (content/normalize-url.ts), or undefined when the value is not an http(s) URL.
 */
export function normalizeLinkUrl(value: string): string | undefined {
  return parseHttpUrl(value) ? normaliseUrl(value) : undefined;
}

// ── images, notes, settings ──────────────────────────────────────────────────

export function checkAlt(value: unknown): RuleResult {
  return isBlank(value) ? 'Describe the image in a few words for readers who cannot see it (screen readers, email with images off).' : true;
}

/** An editorial note needs at least one paragraph with some text in it. */
export function checkNoteBody(value: unknown): RuleResult {
  const hasText =
    Array.isArray(value) &&
    value.some((block) =>
      Array.isArray((block as { children?: unknown }).children)
        ? ((block as { children: Array<{ text?: unknown }> }).children).some((c) => typeof c.text === 'string' && c.text.trim() !== '')
        : false,
    );
  return hasText ? true : 'Write the aside, or remove the editorial note.';
}

export function checkHexColor(value: unknown): RuleResult {
  if (isBlank(value)) return true;
  return typeof value === 'string' && hexColorPattern.test(value) ? true : `Use a hex colour like #1d6b5f, not "${String(value)}".`;
}

export function checkEmail(required: boolean, what: string): (value: unknown) => RuleResult {
  return (value) => {
    if (isBlank(value)) return required ? `Enter the ${what}.` : true;
    return typeof value === 'string' && emailPattern.test(value.trim()) ? true : `"${String(value)}" is not an email address; use the form name@example.org.`;
  };
}

export function checkSiteUrl(value: unknown): RuleResult {
  return typeof value === 'string' && isHttpUrl(value) ? true : siteUrlMessage;
}

// ── uniqueness (needs the Content Lake) ─────────────────────────────────────

/** The one method the uniqueness checks use; both @sanity/client and the local store have it. */
export interface QueryClient {
  fetch<R = unknown>(query: string, params: Record<string, unknown>): Promise<R>;
}

/** A document's published id, its draft id and the glob of its release versions. */
export function idPair(documentId: string): { published: string; draft: string; versions: string } {
  const published = documentId.startsWith('drafts.')
    ? documentId.slice('drafts.'.length)
    : documentId.startsWith('versions.')
      ? documentId.split('.').slice(2).join('.')
      : documentId;
  return { published, draft: `drafts.${published}`, versions: `versions.*.${published}` };
}

// Other documents only: the draft and published copies of the one being edited are the
// same issue, so they may (and usually do) share a number and slug.
const notThisDocument = `!(_id in [$draft, $published]) && !(_id in path($versions))`;

export const issueNumberClashQuery = `*[_type == "issue" && number == $number && ${notThisDocument}] | order(_id asc)[0]{ _id, number, title }`;
export const slugClashQuery = `*[_type == $type && slug.current == $slug && ${notThisDocument}] | order(_id asc)[0]{ _id, number, title }`;

interface Clash {
  _id: string;
  number?: number | null;
  title?: string | null;
}

function describeClash(clash: Clash): string {
  const draft = clash._id.startsWith('drafts.') ? ' (a draft)' : '';
  if (typeof clash.number === 'number') return `issue #${clash.number}${clash.title ? ` "${clash.title}"` : ''}${draft}`;
  return `"${clash.title ?? clash._id}"${draft}`;
}

export async function checkIssueNumberUnique(value: unknown, documentId: string | undefined, client: QueryClient): Promise<RuleResult> {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || !documentId) return true;
  const clash = await client.fetch<Clash | null>(issueNumberClashQuery, { number: value, ...idPair(documentId) });
  if (!clash) return true;
  return `Number ${value} is already used by ${describeClash(clash)}; give this issue the next free number.`;
}

export async function checkSlugUnique(value: unknown, type: string, documentId: string | undefined, client: QueryClient): Promise<RuleResult> {
  const current = typeof value === 'object' && value !== null ? (value as { current?: unknown }).current : undefined;
  if (typeof current !== 'string' || current === '' || !documentId) return true;
  const clash = await client.fetch<Clash | null>(slugClashQuery, { type, slug: current, ...idPair(documentId) });
  if (!clash) return true;
  return `The slug "${current}" is already used by ${describeClash(clash)}; change it, e.g. "${current}-2".`;
}

export const linkDuplicateQuery = `*[_type == "link" && normalizedUrl == $normalizedUrl && ${notThisDocument}] | order(_id asc)[0]{ _id, title, status }`;

/**
 * A warning, not an error: capturing the same page twice is harmless but clutters the
 * inbox. `value` is the link's normalizedUrl (or its URL, normalised here).
 */
export async function checkLinkNotDuplicate(value: unknown, documentId: string | undefined, client: QueryClient): Promise<RuleResult> {
  if (typeof value !== 'string' || !documentId) return true;
  const normalizedUrl = normalizeLinkUrl(value);
  if (!normalizedUrl) return true;
  const clash = await client.fetch<{ _id: string; title?: string | null; status?: string | null } | null>(linkDuplicateQuery, {
    normalizedUrl,
    ...idPair(documentId),
  });
  if (!clash) return true;
  return `This page is already captured as "${clash.title ?? clash._id}" (${clash.status ?? 'inbox'}); keep one and discard the other.`;
}
