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

export function renderWelcomeEmail(props: WelcomeEmailProps): Promise<RenderedTransactionalEmail> {
  return renderParts(`Welcome to ${props.settings.title}`, createElement(WelcomeEmail, props));
}
