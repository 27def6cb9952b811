// The issue email: one MJML document per issue, compiled to HTML once and shared by all
// recipients (their unsubscribe URL and address are placeholders delivery fills in),
// alongside the plain-text part from issue-text.ts. Pure: no clock, no environment.
import type Mjml2Html from 'mjml';
import type { Issue } from '../content/model.ts';
import { isHttpUrl } from '../content/rules.ts';
import { NewsdeskError } from '../core/errors.ts';
import {
  absoluteUrl,
  formatIssueDate,
  issuePath,
  issueSubject,
  placeholders,
  type RenderContext,
  type RenderWarning,
} from '../core/render.ts';
import { renderIssueText } from './issue-text.ts';
import { mutedClass, renderPortableTextHtml, type EmailTheme } from './portable-text-html.ts';
import { escapeCmsHtml, issueLabel, issuePreheader } from './portable-text.ts';
import { readableOn, tint } from './colour.ts';
import { compileSlotted, slotted, type LayoutStore, type Slotted } from './mjml-slots.ts';

export interface RenderedIssueEmail {
  subject: string;
  preheader: string;
  html: string;
  text: string;
  warnings: RenderWarning[];
}

const layout = {
  width: 600,
  sidePadding: 24,
  text: '#1f2328',
  muted: '#6b7280',
  /** The light theme's background, set on the body so the text never falls on a client's dark canvas. */
  lightBackground: '#ffffff',
  darkBackground: '#0d1117',
  darkText: '#e6edf3',
  darkMuted: '#9ca3af',
  fonts: "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif",
} as const;

/** Classes dark mode recolours by: accent text, section rules, and the small print whose wrapper sets a muted colour. */
const accentClass = 'nd-a';
const ruleClass = 'nd-r';
const smallClass = 'nd-s';

/** `layouts`: where a build keeps compiled layouts between processes (mjml-slots.ts). */
export async function renderIssueEmail(issue: Issue, ctx: RenderContext, layouts?: LayoutStore): Promise<RenderedIssueEmail> {
  // The layout is compiled once and filled per issue (mjml-slots.ts): the same HTML as compiling buildIssueMjml's source.
  const html = await compileSlotted(issueMjmlSlots(issue, ctx), (source) => compileMjml(source, issueLabel(issue)), layouts);
  const { text, warnings } = renderIssueText(issue, ctx);
  return { subject: issueSubject(issue, ctx.settings), preheader: issuePreheader(issue), html, text, warnings };
}

let mjml: Promise<typeof Mjml2Html> | undefined;

/** MJML → HTML with strict validation; a template mistake is a RENDER_FAILED naming what was rendered. */
export async function compileMjml(source: string, label: string): Promise<string> {
  try {
    // No web fonts: MJML would otherwise link Google Fonts for any family it knows
    // (Roboto is in our stack), and every open would tell Google who read the issue.
    // Loaded on first use: filling a stored layout needs no MJML.
    const mjml2html = await (mjml ??= import('mjml').then((m) => m.default));
    const { html } = await mjml2html(source, { validationLevel: 'strict', keepComments: false, fonts: {} });
    return html;
  } catch (error) {
    throw new NewsdeskError('RENDER_FAILED', `The email template for ${label} is not valid MJML:\n  - ${mjmlMessages(error).join('\n  - ')}`, {
      hint: 'This is a bug in the email template (emails/issue-email.ts), not in the content; report it with the issue number.',
      cause: error,
    });
  }
}

/** The MJML source of an issue email; exported so tests and previews can inspect it. */
export function buildIssueMjml(issue: Issue, ctx: RenderContext): string {
  return issueMjml(issue, ctx, (content) => content);
}

/** The MJML as a layout with markers and the contents they stand for (mjml-slots.ts). */
export function issueMjmlSlots(issue: Issue, ctx: RenderContext): Slotted {
  return slotted((slot) => issueMjml(issue, ctx, slot));
}

/** The MJML, with the content of every ending tag (title, preheader, each mj-text) passed through `slot`. */
function issueMjml(issue: Issue, ctx: RenderContext, slot: (content: string) => string): string {
  const { settings } = ctx;
  // The accent colours text (masthead, links) and section rules, so in each scheme it
  // is the nearest colour to the chosen one that reads on that scheme's background.
  const accent = readableOn(settings.accentColor, layout.lightBackground);
  const darkAccent = readableOn(tint(settings.accentColor, 0.45), layout.darkBackground);
  const theme: EmailTheme = { accent, muted: layout.muted, contentWidth: layout.width - 2 * layout.sidePadding };
  const pt = (blocks: Issue['intro']) => renderPortableTextHtml(blocks, theme);
  const esc = escapeCmsHtml;
  const webUrl = absoluteUrl(ctx, issuePath(issue));
  const mutedStyle = `class="${mutedClass}" style="color:${layout.muted}"`;

  const header = [
    settings.logoUrl && isHttpUrl(settings.logoUrl)
      ? `<img src="${esc(settings.logoUrl)}" alt="${esc(settings.title)}" width="120" style="display:block;max-width:120px;height:auto;border:0;margin:0 0 12px">`
      : '',
    `<div class="${accentClass}" style="font-size:14px;font-weight:bold;letter-spacing:.04em;text-transform:uppercase;color:${accent}">${esc(settings.title)}</div>`,
    `<div ${mutedStyle.replace('style="', 'style="font-size:14px;')}>Issue #${issue.number} · ${esc(formatIssueDate(issue.date, settings.language))}</div>`,
    `<h1 style="margin:8px 0 0;font-size:28px;line-height:1.25">${esc(issue.title)}</h1>`,
    issue.byline?.trim() ? `<p ${mutedStyle.replace('style="', 'style="margin:8px 0 0;')}>${esc(issue.byline)}</p>` : '',
  ].join('');

  const sections = issue.sections.map(
    (section) =>
      `<mj-text>${slot(`<h2 class="${ruleClass}" style="margin:32px 0 12px;padding-top:16px;border-top:2px solid ${accent};font-size:22px;line-height:1.3">${esc(section.heading)}</h2>${pt(section.body)}`)}</mj-text>`,
  );

  const footer = [
    `<p style="margin:0 0 8px">You are receiving this because you subscribed to ${esc(settings.title)} with ${placeholders.recipientEmail}.</p>`,
    `<p style="margin:0 0 8px"><a href="${placeholders.unsubscribeUrl}" style="color:${layout.muted}" class="${mutedClass}">Unsubscribe</a>`,
    ` · <a href="${esc(webUrl)}" style="color:${layout.muted}" class="${mutedClass}">View in browser</a></p>`,
    `<p style="margin:0">${esc(settings.postalAddress.trim()).replace(/\n+/g, '<br>')}</p>`,
  ].join('');

  // Dark mode: Apple Mail and others honour prefers-color-scheme, and the !important
  // rules below override the light colours MJML inlines. Clients that strip <style> keep
  // the light colours, text and background together: the body sets its white explicitly,
  // since such a client may still honour color-scheme and paint a dark canvas, on which
  // the dark text alone would fall to about 1.2:1.
  const darkCss =
    `:root{color-scheme:light dark;supported-color-schemes:light dark}` +
    `@media (prefers-color-scheme:dark){` +
    // MJML inlines the light background on the body and on its wrapper (body>div).
    `body,.nd-body,.nd-body>div{background:${layout.darkBackground} !important}` +
    `.nd-t>div{color:${layout.darkText} !important}` +
    `.nd-t a,.nd-t .${accentClass}{color:${darkAccent} !important}` +
    `.nd-t .${ruleClass}{border-top-color:${darkAccent} !important}` +
    `.nd-t.${smallClass}>div,.nd-t .${mutedClass},.nd-t a.${mutedClass}{color:${layout.darkMuted} !important}}`;

  return `<mjml lang="${esc(settings.language)}">
<mj-head>
<mj-title>${slot(esc(issueSubject(issue, settings)))}</mj-title>
<mj-raw><meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark"></mj-raw>
<mj-attributes>
<mj-all font-family="${layout.fonts}"/>
<mj-section padding="0"/>
<mj-text font-size="16px" line-height="1.6" color="${layout.text}" padding="0 ${layout.sidePadding}px" css-class="nd-t"/>
<mj-class name="small" font-size="13px" line-height="1.5" color="${layout.muted}"/>
</mj-attributes>
<mj-style>${darkCss}</mj-style>
</mj-head>
<mj-body width="${layout.width}px" background-color="${layout.lightBackground}" css-class="nd-body">
<mj-raw>${slot(renderPreheader(issuePreheader(issue)))}</mj-raw>
<mj-section padding="12px 0 0"><mj-column>
<mj-text mj-class="small" css-class="nd-t ${smallClass}" align="right">${slot(`<a href="${esc(webUrl)}" style="color:${layout.muted}" class="${mutedClass}">View in browser</a>`)}</mj-text>
<mj-text padding="16px ${layout.sidePadding}px 8px">${slot(header)}</mj-text>
${issue.intro.length > 0 ? `<mj-text padding="16px ${layout.sidePadding}px 0">${slot(pt(issue.intro))}</mj-text>` : ''}
${sections.join('\n')}
${issue.signOff.length > 0 ? `<mj-text padding="24px ${layout.sidePadding}px 0">${slot(pt(issue.signOff))}</mj-text>` : ''}
<mj-divider border-width="1px" border-color="#d0d7de" padding="24px ${layout.sidePadding}px"/>
<mj-text mj-class="small" css-class="nd-t ${smallClass}" padding="0 ${layout.sidePadding}px 32px">${slot(footer)}</mj-text>
</mj-column></mj-section>
</mj-body>
</mjml>`;
}

/**
 * The hidden preview text inboxes show after the subject. Not MJML's <mj-preview>: that
 * one hides the text white on white, which spam filters score as hidden text
 * (SpamAssassin's HTML_FONT_LOW_CONTRAST). Display:none hides it without a colour.
 * After it come invisible spacers (combining grapheme joiner, zero-width non-joiner,
 * no-break space), so the inbox shows blank space rather than the email's first words
 * ("View in browser …") once the summary ends.
 */
function renderPreheader(text: string): string {
  const spacer = '&#847;&zwnj;&nbsp;'.repeat(preheaderSpacers);
  return `<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all">${escapeCmsHtml(text)}${spacer}</div>`;
}

/** Enough to fill the longest preview an inbox shows (about 200 characters) after a short summary. */
const preheaderSpacers = 120;

function mjmlMessages(error: unknown): string[] {
  if (typeof error === 'object' && error !== null && 'errors' in error && Array.isArray(error.errors)) {
    const messages = error.errors.map((e: { formattedMessage?: string; message?: string }) => e.formattedMessage ?? e.message ?? String(e));
    if (messages.length > 0) return messages;
  }
  return [error instanceof Error ? error.message : String(error)];
}
