// Turns a queued transactional mail into the message to send: the confirmation mail
// (rendered once per settings, link and address filled in per mail, with a fresh
// expiring token) or the welcome mail (the first list mail, so it carries the same
// one-click unsubscribe headers as every issue). Mail that is no longer wanted (the
// subscriber was erased, confirmed meanwhile, or left) is skipped with the reason.
// Each leaves with the subscriber's own signed return path (delivery/signing/return-path.ts, "issue 0"),
// so a bounce of a confirmation counts against the address like one of an issue.
import { randomBytes } from 'node:crypto';
import type { Settings } from '../../content/model.ts';
import { toHeaderText } from '../../core/render.ts';
import { fillConfirmation, renderConfirmationTemplate, renderWelcomeEmail, type RenderedTransactionalEmail } from '../../emails/transactional/render.ts';
import type { QueuedMail } from './mail-queue.ts';
import { createDeliveryToken, returnPathFor, transactionalMail } from '../signing/return-path.ts';
import type { Composed } from './mail-worker.ts';
import { feedbackId, listId, listUnsubscribeHeaders } from '../messages/message.ts';
import type { Subscriber } from '../subscribers/subscriber.ts';
import { createConfirmToken } from '../signing/tokens.ts';
import type { OutgoingMessage } from '../sending/transport.ts';

export interface TransactionalDeps {
  secret: string;
  confirmTtlHours: number;
  now: () => Date;
  /** The newsletter settings (sender, title) and the public URL links in mails point to. */
  site: () => Promise<{ settings: Settings; baseUrl: string }>;
  /** Address for mailto: unsubscribes in List-Unsubscribe; defaults to reply-to or sender. */
  unsubscribeMailto?: string | undefined;
  /** The bounce mailbox (NEWSDESK_BOUNCE_ADDRESS): the envelope sender becomes its per-subscriber return path. */
  bounceAddress?: string | undefined;
}

export function createTransactionalComposer(deps: TransactionalDeps): (mail: QueuedMail) => Promise<Composed> {
  /** The confirmation mail rendered once per settings object (a webhook reload makes a new one). */
  const templates = new WeakMap<Settings, Promise<RenderedTransactionalEmail>>();
  const confirmationTemplate = (settings: Settings) => {
    let template = templates.get(settings);
    if (!template) {
      template = renderConfirmationTemplate(settings, deps.confirmTtlHours);
      // A failed render is not cached: the next mail tries again.
      template.catch(() => templates.delete(settings));
      templates.set(settings, template);
    }
    return template;
  };

  return async (mail) => {
    const subscriber = mail.subscriber;
    if (!subscriber) return { skip: 'the subscriber was erased' };
    const now = deps.now();
    const { settings, baseUrl } = await deps.site();
    if (mail.kind === 'confirm') {
      if (subscriber.state === 'active') return { skip: 'already confirmed' };
      if (subscriber.state === 'complained') return { skip: 'the subscriber complained' };
      const token = createConfirmToken(subscriber.token, deps.secret, { now, ttlHours: deps.confirmTtlHours });
      const confirmUrl = `${baseUrl}/confirm?token=${encodeURIComponent(token)}`;
      const filled = fillConfirmation(await confirmationTemplate(settings), { confirmUrl, email: subscriber.email });
      return { message: withReturnPath(composeTransactional(filled, subscriber, settings, now, { kind: 'confirm' }), subscriber, deps) };
    }
    if (subscriber.state !== 'active') return { skip: `the subscriber is ${subscriber.state}` };
    // The welcome mail is the first list mail: it carries the same one-click headers as every issue.
    const unsubscribe = listUnsubscribeHeaders(subscriber.token, { baseUrl, secret: deps.secret, unsubscribeMailto: deps.unsubscribeMailto, settings });
    const welcome = await renderWelcomeEmail({ settings, name: subscriber.name, archiveUrl: `${baseUrl}/`, unsubscribeUrl: unsubscribe.url });
    return {
      message: withReturnPath(
        composeTransactional(welcome, subscriber, settings, now, {
          kind: 'welcome',
          headers: { ...unsubscribe.headers, 'List-Id': listId(settings.title, baseUrl) },
        }),
        subscriber,
        deps,
      ),
    };
  };
}

/** The signed token names the subscriber's transactional mail; services that hand tags back get it too. */
function withReturnPath(message: OutgoingMessage, subscriber: Subscriber, deps: TransactionalDeps): OutgoingMessage {
  const ref = { issue: transactionalMail, subscriberId: subscriber.id };
  message.deliveryToken = createDeliveryToken(ref, deps.secret);
  if (deps.bounceAddress) message.returnPath = returnPathFor(ref, deps.bounceAddress, deps.secret);
  return message;
}

function composeTransactional(
  mail: RenderedTransactionalEmail,
  subscriber: Subscriber,
  settings: Settings,
  now: Date,
  extra: { kind: 'confirm' | 'welcome'; headers?: Record<string, string> },
): OutgoingMessage {
  const domain = settings.senderEmail.slice(settings.senderEmail.lastIndexOf('@') + 1).toLowerCase();
  return {
    from: { name: toHeaderText(settings.senderName), address: settings.senderEmail },
    to: { name: subscriber.name ? toHeaderText(subscriber.name) : undefined, address: subscriber.email },
    replyTo: settings.replyTo,
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    messageId: `<${extra.kind}.${randomBytes(12).toString('base64url')}@${domain}>`,
    date: now,
    headers: { ...extra.headers, 'Feedback-ID': feedbackId(extra.kind, settings.title, settings.senderEmail) },
  };
}
