// `newsdesk send <issue-number>`: shows the plan, and with --yes sends the issue to
// every active subscriber through the ledger (resumable, never doubling a message).
// --to sends one test copy and leaves the ledger alone.
import { loadIssueByNumber, loadSettings } from '../content/load.ts';
import { openContentStore } from '../content/open-store.ts';
import type { Config } from '../core/config.ts';
import { NewsdeskError } from '../core/errors.ts';
import { renderIssueEmail } from '../emails/issue-email.ts';
import { composeIssueMessage, type MessageContext, type RenderedEmail } from '../delivery/message.ts';
import { openDelivery } from '../delivery/open-delivery.ts';
import { openTransport } from '../delivery/open-transport.ts';
import { createProgressBar, formatDuration } from '../delivery/progress.ts';
import { resolveSecret } from '../delivery/secret.ts';
import { defaultRetry, runSend, type SendOutcome } from '../delivery/send-loop.ts';
import { emailSchema } from '../delivery/subscriber.ts';
import { createSubscriberToken } from '../delivery/tokens.ts';
import { type Command, type CommandContext, parseOptions, positiveInt } from './cli.ts';

export const sendCommand: Command = {
  name: 'send',
  summary: 'send an issue to every active subscriber (shows the plan unless --yes)',
  usage: 'send <issue-number> [--yes] [--resend-unknown] | send <issue-number> --to <address>',
  options: [
    ['--yes', 'really send (without it, only the plan is shown); also resumes a paused or interrupted send'],
    ['--to ADDRESS', 'send one test copy to ADDRESS; the ledger is not touched'],
    ['--resend-unknown', 'also re-send deliveries whose outcome is unknown after a crash (they may arrive twice)'],
  ],
  examples: ['newsdesk send 12', 'newsdesk send 12 --to me@example.org', 'newsdesk send 12 --yes', 'SMTP_URL=smtps://user:pass@smtp.example.org:465 newsdesk send 12 --yes'],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, {
      yes: { type: 'boolean' },
      to: { type: 'string' },
      'resend-unknown': { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new NewsdeskError('USAGE', 'newsdesk send needs exactly one issue number', { hint: 'e.g. `newsdesk send 12`; `newsdesk issues` lists them.' });
    const issueNumber = positiveInt('The issue number', positionals[0]);
    if (values.to !== undefined && (values.yes || values['resend-unknown'])) {
      throw new NewsdeskError('USAGE', '--to sends a single test copy and cannot be combined with --yes or --resend-unknown');
    }
    const config = ctx.config();
    const store = openContentStore(config.content);
    const [issue, settings] = await Promise.all([loadIssueByNumber(store, issueNumber), loadSettings(store)]);
    const baseUrl = config.baseUrl ?? settings.siteUrl.replace(/\/+$/, '');
    const secret = resolveSecret(config);
    const messageContext: MessageContext = { issueNumber, settings, baseUrl, secret, unsubscribeMailto: config.unsubscribeMailto, date: new Date() };

    if (values.to !== undefined) {
      const to = emailSchema.safeParse(values.to);
      if (!to.success) throw new NewsdeskError('USAGE', `--to "${values.to}" is not a valid email address`);
      const email = await render(ctx, issue, baseUrl, settings);
      const transport = openTransport(config);
      try {
        // A throwaway token: the test copy's unsubscribe link points at nobody.
        const message = composeIssueMessage(email, { email: to.data, name: undefined, token: createSubscriberToken() }, messageContext);
        const result = await transport.send(message);
        ctx.out(`Test copy of issue #${issueNumber} sent to ${to.data} via ${transport.description}: ${result.response}`);
      } finally {
        await transport.close();
      }
      return 0;
    }

    const delivery = openDelivery(config);
    try {
      const { ledger } = delivery;
      const existing = ledger.getSend(issueNumber);
      const counts = ledger.counts(issueNumber);
      const fresh = ledger.countUnqueuedActive(issueNumber);
      const retryableFailed = countRetryableFailed(delivery.db, issueNumber);
      const toSend = fresh + counts.queued + retryableFailed + (values['resend-unknown'] ? counts.sending : 0);
      const transportDescription = describeTransport(config);
      ctx.out(`Issue #${issue.number}: ${issue.title}`);
      if (existing) ctx.out(`Earlier send: ${existing.status}${existing.pauseReason ? ` (${existing.pauseReason})` : ''}; ${counts.sent} sent, ${counts.failed} failed, ${counts.skipped} skipped so far`);
      ctx.out(`Recipients: ${toSend} to send${existing ? ` (${fresh} not yet queued, ${counts.queued} queued, ${retryableFailed} to retry)` : ''}`);
      ctx.out(`Transport:  ${transportDescription}`);
      ctx.out(`Rate:       ${config.send.rate} msg/s, ${config.send.concurrency} at once; about ${formatDuration((toSend / config.send.rate) * 1000)}`);
      if (counts.sending > 0) {
        ctx.out(`Unknown:    ${counts.sending} delivery(ies) were being sent when an earlier run stopped abruptly; they may have arrived and are ${values['resend-unknown'] ? 'RE-SENT (--resend-unknown)' : 'not re-sent (add --resend-unknown to re-send them)'}`);
        for (const d of ledger.deliveries(issueNumber, 'sending', 20)) ctx.out(`  ? ${d.email}`);
      }
      if (!values.yes) {
        ctx.out('\nNothing sent. Run again with --yes to send.');
        return 0;
      }
      if (existing?.status === 'completed' && toSend === 0) {
        ctx.out('\nThis issue has already gone to every active subscriber; nothing to send.');
        return 0;
      }

      const email = await render(ctx, issue, baseUrl, settings);
      const now = () => new Date();
      ledger.startSend(issueNumber, email.subject, transportDescription, now());
      ledger.enqueueActive(issueNumber, now());
      ledger.requeueRetryable(issueNumber);
      if (values['resend-unknown']) ledger.requeueUnknown(issueNumber);
      const total = ledger.counts(issueNumber).queued;

      const transport = openTransport(config);
      const bar = ctx.isTTY ? createProgressBar((s) => process.stdout.write(s), total) : undefined;
      let outcome: SendOutcome;
      try {
        outcome = await runSend({
          issue: issueNumber,
          ledger,
          bounces: delivery.subscribers,
          transport,
          compose: (r) => composeIssueMessage(email, r, messageContext),
          options: { ...config.send, ...defaultRetry },
          signal: ctx.signal,
          onProgress: bar ? (p) => bar.update(p) : undefined,
        });
      } finally {
        await transport.close();
      }
      if (bar) {
        bar.update(outcome, true);
        bar.done();
      }
      if (outcome.status === 'completed') ledger.skipInactive(issueNumber, now());
      ledger.setStatus(issueNumber, outcome.status, outcome.status === 'paused' ? outcome.reason : undefined, now());
      printSummary(ctx, issueNumber, outcome, ledger.counts(issueNumber));
      if (outcome.status === 'paused') {
        throw new NewsdeskError('SEND_PAUSED', `The send paused itself: ${outcome.reason}`, {
          hint: `Fix the cause (relay limits, credentials, a bad list), then run \`newsdesk send ${issueNumber} --yes\` to resume.`,
        });
      }
      if (outcome.status === 'interrupted') {
        ctx.err(`Interrupted. Run \`newsdesk send ${issueNumber} --yes\` to resume where it stopped.`);
        return 130;
      }
      return 0;
    } finally {
      delivery.close();
    }
  },
};

async function render(ctx: CommandContext, issue: Awaited<ReturnType<typeof loadIssueByNumber>>, baseUrl: string, settings: Awaited<ReturnType<typeof loadSettings>>): Promise<RenderedEmail> {
  const email = await renderIssueEmail(issue, { baseUrl, settings });
  for (const w of email.warnings) ctx.err(`warning: ${w.where}: ${w.field}: ${w.message}`);
  return email;
}

function describeTransport(config: Config): string {
  if (config.transport.kind === 'outbox') return `outbox folder ${config.transport.dir} (set SMTP_URL to send for real)`;
  const url = new URL(config.transport.url);
  return `SMTP ${url.protocol === 'smtps:' ? 'over TLS ' : ''}${url.hostname}:${url.port || (url.protocol === 'smtps:' ? '465' : '587')}${config.dkim ? `, DKIM d=${config.dkim.domain} s=${config.dkim.selector}` : ''}`;
}

function countRetryableFailed(db: ReturnType<typeof openDelivery>['db'], issue: number): number {
  return (db.prepare("SELECT count(*) AS n FROM deliveries WHERE issue_number = ? AND state = 'failed' AND retryable = 1").get(issue) as { n: number }).n;
}

function printSummary(ctx: CommandContext, issue: number, outcome: SendOutcome, counts: ReturnType<ReturnType<typeof openDelivery>['ledger']['counts']>): void {
  ctx.out(`\nIssue #${issue}: ${outcome.status}. This run: ${outcome.sent} sent, ${outcome.failed} failed (${outcome.bounced} bounced), ${outcome.retried} retries.`);
  ctx.out(`Ledger: ${counts.sent} sent, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.queued} queued, ${counts.sending} unknown.`);
}
