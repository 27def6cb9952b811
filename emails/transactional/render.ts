// Renders the transactional emails to the parts a message needs (subject, HTML, plain
// text) with @react-email/render. Pure apart from being async: everything a mail says
// comes in through its arguments. The renderer and the emails' components are loaded when
// the first mail is rendered, not with the server: @react-email/components and
// @react-email/render were 48 MB of a server's memory and half a second of its start.
import { createElement, type FunctionComponent, type ReactElement } from 'react';
import type { Settings } from '../../content/model.ts';
import { toHeaderText } from '../../core/render.ts';
import { textWidth } from '../issue-text.ts';
import { wrapText } from '../wrap-text.ts';
import type { ConfirmationEmailProps } from './confirmation-email.tsx';
import type { WelcomeEmailProps } from './welcome-email.tsx';

let renderer: Promise<(typeof import('@react-email/render'))['render']> | undefined;
let confirmation: Promise<FunctionComponent<ConfirmationEmailProps>> | undefined;
let welcome: Promise<FunctionComponent<WelcomeEmailProps>> | undefined;
const confirmationEmail = () => (confirmation ??= import('./confirmation-email.tsx').then((m) => m.ConfirmationEmail));
const welcomeEmail = () => (welcome ??= import('./welcome-email.tsx').then((m) => m.WelcomeEmail));

export interface RenderedTransactionalEmail {
  subject: string;
  html: string;
  text: string;
}

async function renderParts(subject: string, element: ReactElement): Promise<RenderedTransactionalEmail> {
  const render = await (renderer ??= import('@react-email/render').then((m) => m.render));
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })]);
  return { subject: toHeaderText(subject), html, text };
}

/**
 * The plain-text part wrapped to the issue text's width: the renderer leaves each
 * paragraph on one line, and text-only readers and quoting clients show it as it is.
 * URLs and addresses are never broken (wrap-text.ts).
 */
function wrapParts(mail: RenderedTransactionalEmail): RenderedTransactionalEmail {
  return { ...mail, text: wrapText(mail.text, { width: textWidth }).join('\n') };
}

export function confirmationSubject(settings: Pick<Settings, 'title'>): string {
  return `Confirm your subscription to ${settings.title}`;
}

export async function renderConfirmationEmail(props: ConfirmationEmailProps): Promise<RenderedTransactionalEmail> {
  return wrapParts(await renderParts(confirmationSubject(props.settings), createElement(await confirmationEmail(), props)));
}

/**
 * Per-recipient parts of the confirmation mail. Like the issue email, it is rendered
 * once (per settings) and the link and address are filled in per sign-up: rendering
 * React and converting to text costs milliseconds, a string replace microseconds.
 * Only letters, colon, underscore and braces, so they survive escaping and wrapping.
 */
export const confirmationPlaceholders = { confirmUrl: '{{newsdesk:confirm_url}}', email: '{{newsdesk:recipient_email}}' } as const;

/** The template's text is left unwrapped: it is wrapped once the link and address are in, as they change the line lengths. */
export async function renderConfirmationTemplate(settings: Settings, ttlHours: number): Promise<RenderedTransactionalEmail> {
  const props = { settings, ttlHours, email: confirmationPlaceholders.email, confirmUrl: confirmationPlaceholders.confirmUrl };
  return renderParts(confirmationSubject(settings), createElement(await confirmationEmail(), props));
}

export function fillConfirmation(template: RenderedTransactionalEmail, values: { confirmUrl: string; email: string }): RenderedTransactionalEmail {
  const fill = (text: string, escape: (s: string) => string) =>
    text.replaceAll(confirmationPlaceholders.confirmUrl, escape(values.confirmUrl)).replaceAll(confirmationPlaceholders.email, escape(values.email));
  return wrapParts({ subject: template.subject, html: fill(template.html, escapeLikeReact), text: fill(template.text, (s) => s) });
}

/** The escaping React applies to text and attributes, so a filled template equals a fresh render byte for byte. */
function escapeLikeReact(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]!);
}

export async function renderWelcomeEmail(props: WelcomeEmailProps): Promise<RenderedTransactionalEmail> {
  return wrapParts(await renderParts(`Welcome to ${props.settings.title}`, createElement(await welcomeEmail(), props)));
}
