// The issue as its subscribers get it: the published issue loaded at send time, its
// uploaded images pointing at the public site (as the built pages link them), rendered
// once, and one message composed per recipient. `newsdesk send` and the scheduler in
// `serve` both go through here, so a scheduled send is exactly what `send` would send.
import { loadIssueByNumber, loadSettings } from '../../content/load.ts';
import { localMediaBase, settingsWithLocalMedia, withLocalMedia } from '../../content/media.ts';
import type { Issue, Settings } from '../../content/model.ts';
import type { ContentStore } from '../../content/store.ts';
import type { Config } from '../../core/config.ts';
import { renderIssueEmail } from '../../emails/issue-email.ts';
import { composeIssueMessage, type MessageContext, type MessageRecipient, type RenderedEmail } from './message.ts';
import type { OutgoingMessage } from '../sending/transport.ts';

export interface IssueMail {
  issue: Issue;
  settings: Settings;
  baseUrl: string;
  context: MessageContext;
}

export interface RenderedIssueMail {
  email: RenderedEmail;
  compose: (recipient: MessageRecipient) => OutgoingMessage;
}

/** The published issue and everything its messages need, before the (slower) rendering. */
export async function loadIssueMail(options: {
  config: Pick<Config, 'baseUrl' | 'unsubscribeMailto'> & Partial<Pick<Config, 'content' | 'bounces'>>;
  store: ContentStore;
  issueNumber: number;
  secret: string;
  date: Date;
}): Promise<IssueMail> {
  const { config, store, issueNumber } = options;
  const [storedIssue, storedSettings] = await Promise.all([loadIssueByNumber(store, issueNumber), loadSettings(store)]);
  const baseUrl = config.baseUrl ?? storedSettings.siteUrl.replace(/\/+$/, '');
  const mediaBase = localMediaBase(config, baseUrl);
  const settings = settingsWithLocalMedia(storedSettings, mediaBase);
  return {
    issue: withLocalMedia(storedIssue, mediaBase),
    settings,
    baseUrl,
    // A signed return path per delivery when a bounce address is configured (delivery/signing/return-path.ts).
    context: { issueNumber, settings, baseUrl, secret: options.secret, unsubscribeMailto: config.unsubscribeMailto, date: options.date, bounceAddress: config.bounces?.address },
  };
}

/** Renders the issue email once; `compose` fills in one recipient. */
export async function renderIssueMail(mail: IssueMail): Promise<RenderedIssueMail> {
  const email = await renderIssueEmail(mail.issue, { baseUrl: mail.baseUrl, settings: mail.settings });
  return { email, compose: (recipient) => composeIssueMessage(email, recipient, mail.context) };
}
