// Renders the transactional emails to the parts a message needs (subject, HTML, plain
// text) with @react-email/render. Pure apart from being async: everything a mail says
// comes in through its arguments.
import { render } from '@react-email/render';
import { createElement, type ReactElement } from 'react';
import type { Settings } from '../../content/model.ts';
import { toHeaderText } from '../../core/render.ts';
import { ConfirmationEmail, type ConfirmationEmailProps } from './confirmation-email.tsx';
import { WelcomeEmail, type WelcomeEmailProps } from './welcome-email.tsx';

export interface RenderedTransactionalEmail {
  subject: string;
  html: string;
  text: string;
}

async function renderParts(subject: string, element: ReactElement): Promise<RenderedTransactionalEmail> {
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })]);
  return { subject: toHeaderText(subject), html, text };
}

export function confirmationSubject(settings: Pick<Settings, 'title'>): string {
  return `Confirm your subscription to ${settings.title}`;
}

export function renderConfirmationEmail(props: ConfirmationEmailProps): Promise<RenderedTransactionalEmail> {
  return renderParts(confirmationSubject(props.settings), createElement(ConfirmationEmail, props));
}

/**
 * Per-recipient parts of the confirmation mail. Like the issue email, it is rendered
 * once (per settings) and the link and address are filled in per sign-up: rendering
 * React and converting to text costs milliseconds, a string replace microseconds.
 * Only letters, colon, underscore and braces, so they survive escaping and wrapping.
 */
export const confirmationPlaceholders = { confirmUrl: '{{newsdesk:confirm_url}}', email: '{{newsdesk:recipient_email}}' } as const;

export function renderConfirmationTemplate(settings: Settings, ttlHours: number): Promise<RenderedTransactionalEmail> {
  return renderConfirmationEmail({ settings, ttlHours, email: confirmationPlaceholders.email, confirmUrl: confirmationPlaceholders.confirmUrl });
}

export function fillConfirmation(template: RenderedTransactionalEmail, values: { confirmUrl: string; email: string }): RenderedTransactionalEmail {
  const fill = (text: string, escape: (s: string) => string) =>
    text.replaceAll(confirmationPlaceholders.confirmUrl, escape(values.confirmUrl)).replaceAll(confirmationPlaceholders.email, escape(values.email));
  return { subject: template.subject, html: fill(template.html, escapeLikeReact), text: fill(template.text, (s) => s) };
}

/** The escaping React applies to text and attributes, so a filled template equals a fresh render byte for byte. */
function escapeLikeReact(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]!);
}

export function renderWelcomeEmail(props: WelcomeEmailProps): Promise<RenderedTransactionalEmail> {
  return renderParts(`Welcome to ${props.settings.title}`, createElement(WelcomeEmail, props));
}
