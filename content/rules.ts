// Editorial rules shared by the Studio's validation (schemas/) and `newsdesk check`,
// so an editor hears the same thing in both places.

/** Inbox clients show roughly 90–140 characters of preheader; longer is cut mid-word. */
export const summaryMaxLength = 140;
export const summaryMinLength = 20;

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** URLs that may appear as links in rendered output. */
export function isSafeLinkUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:';
  } catch {
    return false;
  }
}

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 96)
    .replace(/-+$/g, '');
}

// ── The rule book for issues ─────────────────────────────────────────────────
// Whether an issue can be published, built and sent. The Studio's validation, the lake's
// publish action, `newsdesk check`, the build and the send actions all ask this one
// function, so an editor hears the same thing everywhere. It reads either shape of an
// issue: as stored (`_key`, what the Studio and the lake hold) or as projected by the
// queries (`key`), since both keep headings, bodies and external links where they are.

/** The web address an issue gets when the editor has not set one: what "Generate" makes. */
export function deriveIssueSlug(title: unknown): string | undefined {
  if (typeof title !== 'string') return undefined;
  const slug = slugify(title);
  return slug === '' ? undefined : slug;
}

export interface IssueRuleFinding {
  /** error: publishing would build something broken; warning: it builds, but check it. */
  level: 'error' | 'warning';
  /** Field path in the projected issue, e.g. "sections[1].body[0].markDefs[0].href". */
  path: string;
  message: string;
}

type Loose = Record<string, unknown>;
const asRecord = (v: unknown): Loose | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Loose) : undefined);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const hasText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

export const noTitleMessage = 'This issue has no title yet: give it one; it is the email subject line.';
export const emptyIssueMessage =
  'Every section is empty, so the email and the page would have no content: write in at least one section (or remove the empty ones and add one with content).';

/** A section as an editor knows it: by its heading, else by its position. */
export function nameSection(section: unknown, index: number): string {
  const heading = asRecord(section)?.heading;
  return hasText(heading) ? `section “${heading.trim()}”` : `section ${index + 1} (untitled)`;
}

/** Where in an issue a block list is, for messages: the intro, a section, the sign-off. */
export function nameBlockOwner(issue: unknown, field: string, sectionIndex?: number): string {
  if (field === 'intro') return 'the intro';
  if (field === 'signOff') return 'the sign-off';
  const sections = asList(asRecord(issue)?.sections);
  return nameSection(sections[sectionIndex ?? 0], sectionIndex ?? 0);
}

/** The words a link annotation covers in its block, to name the link. */
export function linkTextOf(block: unknown, markKey: unknown): string {
  const words = asList(asRecord(block)?.children)
    .map(asRecord)
    .filter((c) => c && asList(c.marks).includes(markKey))
    .map((c) => (typeof c!.text === 'string' ? c!.text : ''))
    .join('')
    .trim();
  return words.length > 40 ? `${words.slice(0, 37)}...` : words;
}

/** A URL quoted for a message: control characters removed, long ones shortened. */
function quoteUrl(url: unknown): string {
  const clean = String(url ?? '').replace(/[\u0000-\u001f\u007f]/g, '');
  return JSON.stringify(clean.length > 60 ? `${clean.slice(0, 57)}...` : clean);
}

export function badLinkMessage(owner: string, text: string, href: unknown): string {
  const link = text ? `the link “${text}”` : 'a link';
  const where = owner.charAt(0).toUpperCase() + owner.slice(1);
  return `${where}: ${link} goes to ${quoteUrl(href)}, which is not a full web or mail address (https://…, http://… or mailto:…), so it would disappear from the email and the page. Fix the URL.`;
}

function isBodyEmpty(section: unknown): boolean {
  return asList(asRecord(section)?.body).length === 0;
}

/** Every finding of the rule book for one issue, errors and warnings, in field order. */
export function findIssueRuleProblems(issue: unknown): IssueRuleFinding[] {
  const doc = asRecord(issue) ?? {};
  const found: IssueRuleFinding[] = [];
  if (!hasText(doc.title)) found.push({ level: 'error', path: 'title', message: noTitleMessage });
  const sections = asList(doc.sections);
  const empty = sections.map((s, i) => (isBodyEmpty(s) ? nameSection(s, i) : undefined)).filter((s): s is string => s !== undefined);
  if (sections.length === 0 || empty.length === sections.length) {
    found.push({ level: 'error', path: 'sections', message: emptyIssueMessage });
  } else if (empty.length > 0) {
    const one = empty.length === 1;
    found.push({
      level: 'warning',
      path: 'sections',
      message: `${empty.join(', ')} ${one ? 'has' : 'have'} no content yet and will be left out of the email and the page. Fill ${one ? 'it' : 'them'} or remove ${one ? 'it' : 'them'}.`,
    });
  }
  const blocks = (list: unknown, base: string, owner: string) => {
    asList(list).forEach((b, i) => {
      const block = asRecord(b);
      if (!block) return;
      const at = `${base}[${i}]`;
      const markDefs = (holder: Loose, holderPath: string) => {
        asList(holder.markDefs).forEach((d, k) => {
          const def = asRecord(d);
          if (def?._type !== 'externalLink' || isSafeLinkUrl(String(def.href ?? ''))) return;
          found.push({ level: 'error', path: `${holderPath}.markDefs[${k}].href`, message: badLinkMessage(owner, linkTextOf(holder, def._key), def.href) });
        });
      };
      const note = (n: Loose, notePath: string) =>
        asList(n.body).forEach((p, j) => {
          const para = asRecord(p);
          if (para) markDefs(para, `${notePath}.body[${j}]`);
        });
      if (block._type === 'block') {
        markDefs(block, at);
        asList(block.children).forEach((c, j) => {
          const child = asRecord(c);
          if (child?._type === 'editorialNote') note(child, `${at}.children[${j}]`);
        });
      } else if (block._type === 'editorialNote') {
        note(block, at);
      }
    });
  };
  blocks(doc.intro, 'intro', 'the intro');
  sections.forEach((s, i) => blocks(asRecord(s)?.body, `sections[${i}].body`, nameSection(s, i)));
  blocks(doc.signOff, 'signOff', 'the sign-off');
  return found;
}

/** The errors only: what stops an issue from being published, built or sent. */
export function findIssueRuleErrors(issue: unknown): IssueRuleFinding[] {
  return findIssueRuleProblems(issue).filter((f) => f.level === 'error');
}

/** A summary longer than inboxes show: the build copes, but `check` and a send refuse it. */
export function summaryTooLongMessage(length: number): string {
  return `is ${length} characters; keep it to ${summaryMaxLength} so inboxes show it whole as the preheader`;
}

/**
 * What stops a published issue from being sent, as far as the document itself tells: the
 * rule book's errors and an over-long summary (what `check` refuses a send for). The send
 * actions in the Studio ask this before the editor fills a dialog.
 */
export function findSendRefusals(issue: unknown): IssueRuleFinding[] {
  const found = findIssueRuleErrors(issue);
  const summary = asRecord(issue)?.summary;
  if (typeof summary === 'string' && summary.length > summaryMaxLength) {
    found.push({ level: 'error', path: 'summary', message: `The summary ${summaryTooLongMessage(summary.length)}.` });
  }
  return found;
}
