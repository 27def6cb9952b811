// What every renderer (email, text, web, feeds) shares: the explicit context it is
// handed instead of reading the environment or the clock, the per-recipient
// placeholders delivery fills in, and the site's URL layout.
import type { Issue, Settings } from '../content/model.ts';

export interface RenderContext {
  /** Absolute base URL of the public site without a trailing slash, e.g. https://news.example.org */
  baseUrl: string;
  settings: Settings;
}

/** Something a renderer chose to leave out, reported by the build (never printed by the renderer). */
export interface RenderWarning {
  /** e.g. "issue 12" */
  where: string;
  /** Field path, e.g. "sections[3].body[2].markDefs[0].href" */
  field: string;
  message: string;
}

/**
 * Per-recipient parts of a rendered issue email. Rendered once per issue; delivery
 * replaces these markers per recipient without re-rendering. They survive MJML and
 * HTML escaping unchanged (only letters, digits, colon, underscore and braces).
 */
export const placeholders = {
  unsubscribeUrl: '{{newsdesk:unsubscribe_url}}',
  recipientEmail: '{{newsdesk:recipient_email}}',
} as const;

export function fillPlaceholders(template: string, values: { unsubscribeUrl: string; recipientEmail: string }, escapeHtml: boolean): string {
  const fill = (key: keyof typeof placeholders) => (escapeHtml ? placeholderHtml(key, values[key]) : values[key]);
  return template.replaceAll(placeholders.unsubscribeUrl, fill('unsubscribeUrl')).replaceAll(placeholders.recipientEmail, fill('recipientEmail'));
}

/**
 * A placeholder's value as HTML. The recipient's address is text someone typed into a
 * form, so it is isolated (a span with dir and unicode-bidi; <bdi> is dropped by Gmail,
 * Outlook and Yahoo): right-to-left override characters in it cannot reorder the
 * sentence around it. It may therefore only stand in text, never in an
 * attribute; the unsubscribe URL goes into href and is only escaped.
 */
export function placeholderHtml(key: keyof typeof placeholders, value: string): string {
  return key === 'recipientEmail' ? `<span dir="ltr" style="unicode-bidi:isolate">${escapeHtmlText(value)}</span>` : escapeHtmlText(value);
}

export function escapeHtmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Site-relative path of an issue's web page, with trailing slash: "issues/12-the-slug/". */
export function issuePath(issue: Pick<Issue, 'number' | 'slug'>): string {
  return `issues/${issue.number}-${issue.slug}/`;
}

export function tagPath(slug: string): string {
  return `tags/${slug}/`;
}

export function absoluteUrl(ctx: Pick<RenderContext, 'baseUrl'>, sitePath: string): string {
  return `${ctx.baseUrl.replace(/\/+$/, '')}/${sitePath.replace(/^\/+/, '')}`;
}

/** Per language, its formatter and the dates it formatted (an archive names a few thousand dates, each on many pages). */
const dateFormats = new Map<string, { format: Intl.DateTimeFormat; done: Map<string, string> }>();

/** "2026-03-14" → "March 14, 2026" (in the newsletter's language), in UTC so the machine's zone never shifts a date. */
export function formatIssueDate(date: string, language = 'en'): string {
  // Building a formatter costs far more than formatting, and formatting more than looking a date up.
  let dates = dateFormats.get(language);
  if (!dates) {
    dates = { format: new Intl.DateTimeFormat(language, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }), done: new Map() };
    dateFormats.set(language, dates);
  }
  let text = dates.done.get(date);
  if (text === undefined) {
    text = dates.format.format(new Date(`${date}T00:00:00Z`));
    // Only an archive's dates are asked for; start again if something asks for far more.
    if (dates.done.size > 100_000) dates.done.clear();
    dates.done.set(date, text);
  }
  return text;
}

/** Strips CR, LF and other control characters from text bound for an email header. */
export function toHeaderText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/** The email subject for an issue. */
export function issueSubject(issue: Pick<Issue, 'number' | 'title'>, settings: Pick<Settings, 'title'>): string {
  return toHeaderText(`${settings.title} #${issue.number}: ${issue.title}`);
}
