// The server's own pages (subscribe, thank-you, confirmed, expired or invalid links,
// unsubscribe): React rendered on the server inside the site's layout and stylesheet,
// so they look like the rest of the site and hold under the same strict CSP (no
// scripts, no inline styles). An address someone typed is shown in <bdi>, so
// right-to-left control characters in it cannot reorder the text around it.
// Pure: (page, context) -> HTML.
import type { ReactNode } from 'react';
import type { RenderContext } from '../core/render.ts';
import { Layout, renderDocument, SubscribeForm } from '../web/layout.tsx';
import { siteHref } from '../web/site.ts';

export type ServerPage =
  | { kind: 'subscribe' }
  | { kind: 'thanks' }
  | { kind: 'subscribe-invalid'; problems: string[] }
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  | { kind: 'confirm'; token: string }
  | { kind: 'confirmed'; alreadyActive: boolean }
  | { kind: 'confirm-expired' }
  | { kind: 'confirm-invalid' }
  | { kind: 'confirm-used'; active: boolean }
  | { kind: 'unsubscribe'; token: string; email: string; alreadyUnsubscribed: boolean }
  | { kind: 'unsubscribed'; email: string | undefined }
  | { kind: 'unsubscribe-invalid' }
  | { kind: 'forbidden' }
  | { kind: 'too-large' }
  | { kind: 'busy' }
  | { kind: 'error' };

function Message({ ctx, title, showSubscribe = false, children }: { ctx: RenderContext; title: string; showSubscribe?: boolean; children: ReactNode }) {
  return (
    <Layout title={title} ctx={ctx} showSubscribe={showSubscribe}>
      <h1>{title}</h1>
      {children}
    </Layout>
  );
}

const ArchiveLink = ({ ctx, children = 'Read the archive' }: { ctx: RenderContext; children?: ReactNode }) => (
  <p>
    <a href={siteHref(ctx, '')}>{children}</a>
  </p>
);

function pageElement(page: ServerPage, ctx: RenderContext): ReactNode {
  const title = ctx.settings.title;
  switch (page.kind) {
    case 'subscribe':
      return (
        <Layout title={`Subscribe`} ctx={ctx} showSubscribe={false}>
          <SubscribeForm ctx={ctx} />
          {ctx.settings.description ? <p>{ctx.settings.description}</p> : null}
        </Layout>
      );
    case 'thanks':
      return (
        <Message ctx={ctx} title="Check your inbox">
          <p>
            If the address can receive {title}, a message with a confirmation link is on its way. Open it and press the
            button to start your subscription.
          </p>
          <p className="meta">Nothing after a few minutes? Look in the spam folder, or subscribe again.</p>
          <ArchiveLink ctx={ctx} />
        </Message>
      );
    case 'subscribe-invalid':
      return (
        <Layout title="Please check the form" ctx={ctx} showSubscribe={false}>
          <h1>Please check the form</h1>
          <ul>
            {page.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
          <SubscribeForm ctx={ctx} />
        </Layout>
      );
    case 'rate-limited':
      return (
        <Message ctx={ctx} title="Too many requests">
          <p>Please wait {formatWait(page.retryAfterSeconds)} and try again.</p>
        </Message>
      );
    case 'confirm':
      // The link in the mail only shows this page: link scanners and prefetchers open
      // (GET or HEAD) every link in a message, and must not confirm on the reader's behalf.
      return (
        <Message ctx={ctx} title={`Confirm your subscription to ${title}`}>
          <section className="subscribe" aria-label="Confirm your subscription">
            <p>One more step: press the button to start receiving {title}.</p>
            <form method="post" action={`${siteHref(ctx, 'confirm')}?token=${encodeURIComponent(page.token)}`}>
              <button type="submit">Confirm subscription</button>
            </form>
          </section>
        </Message>
      );
    case 'confirmed':
      return (
        <Message ctx={ctx} title={page.alreadyActive ? 'You are already subscribed' : 'Subscription confirmed'}>
          <p>
            {page.alreadyActive
              ? `Your subscription to ${title} was already active; nothing has changed.`
              : `Thank you! The next issue of ${title} will arrive in your inbox.`}
          </p>
          <ArchiveLink ctx={ctx}>Read past issues in the archive</ArchiveLink>
        </Message>
      );
    case 'confirm-expired':
      return (
        <Message ctx={ctx} title="This confirmation link has expired" showSubscribe>
          <p>Confirmation links only work for a limited time. Subscribe again below and we will send you a fresh one.</p>
        </Message>
      );
    case 'confirm-invalid':
      return (
        <Message ctx={ctx} title="This confirmation link does not work" showSubscribe>
          <p>
            The link may have been cut short when it was copied. Try opening it straight from the email, or subscribe
            again below.
          </p>
        </Message>
      );
    case 'confirm-used':
      return (
        <Message ctx={ctx} title="This confirmation link was already used" showSubscribe={!page.active}>
          <p>
            {page.active
              ? `Your subscription to ${title} is active; there is nothing more to do.`
              : 'Each confirmation link works once. Subscribe again below to get a new one.'}
          </p>
          {page.active ? <ArchiveLink ctx={ctx} /> : null}
        </Message>
      );
    case 'unsubscribe':
      return (
        <Message ctx={ctx} title={page.alreadyUnsubscribed ? 'You are unsubscribed' : `Unsubscribe from ${title}`}>
          {page.alreadyUnsubscribed ? (
            <p>
              <bdi>{page.email}</bdi> no longer receives {title}.
            </p>
          ) : (
            <section className="subscribe" aria-label="Unsubscribe">
              <p>
                Stop sending {title} to{' '}
                <strong>
                  <bdi>{page.email}</bdi>
                </strong>
                ?
              </p>
              <form method="post" action={`${siteHref(ctx, 'unsubscribe')}?token=${encodeURIComponent(page.token)}`}>
                <input type="hidden" name="confirm" value="yes" />
                <button type="submit">Unsubscribe</button>
              </form>
            </section>
          )}
        </Message>
      );
    case 'unsubscribed':
      return (
        <Message ctx={ctx} title="You are unsubscribed">
          <p>
            {page.email ? <bdi>{page.email}</bdi> : 'This address'} will not receive {title} any more. Sorry to see you go.
          </p>
          <p className="meta">Changed your mind? You can subscribe again from any page of the site.</p>
        </Message>
      );
    case 'unsubscribe-invalid':
      return (
        <Message ctx={ctx} title="This unsubscribe link does not work">
          <p>
            The link may have been cut short when it was copied. Open it straight from the email, or reply to any issue and
            we will take you off the list by hand.
          </p>
        </Message>
      );
    case 'forbidden':
      return (
        <Message ctx={ctx} title="Request refused">
          <p>This form has to be sent from {title}'s own pages. Please go back, reload the page and try again.</p>
        </Message>
      );
    case 'too-large':
      return (
        <Message ctx={ctx} title="Request too large">
          <p>That was more than this form accepts. Please go back and shorten what you entered.</p>
        </Message>
      );
    case 'busy':
      return (
        <Message ctx={ctx} title="Busy for a moment">
          <p>We could not do that just now because the server is busy. Please try again in a few seconds.</p>
        </Message>
      );
    case 'error':
      return (
        <Message ctx={ctx} title="Something went wrong">
          <p>Sorry, that did not work on our side. Please try again in a moment.</p>
          <ArchiveLink ctx={ctx} />
        </Message>
      );
  }
}

export function renderServerPage(page: ServerPage, ctx: RenderContext): string {
  return renderDocument(pageElement(page, ctx));
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
