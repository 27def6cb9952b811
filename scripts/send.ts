// `newsdesk send <issue-number>`: shows the plan, and with --yes sends the issue to
// every active subscriber (delivery/sending/send-issue.ts: resumable, one send per issue at a
// time, never doubling a message). --to sends one test copy and leaves the ledger alone.
import { openContentStore } from '../content/open-store.ts';
import type { Config } from '../core/config.ts';
import { NewsdeskError } from '../core/errors.ts';
import { loadIssueMail, renderIssueMail, type IssueMail, type RenderedIssueMail } from '../delivery/messages/issue-mail.ts';
import { composeTestCopy } from '../delivery/messages/message.ts';
import { openDelivery } from '../delivery/open-delivery.ts';
import { openTransport } from '../delivery/transports/open-transport.ts';
import { createProgressBar, formatDuration } from '../delivery/sending/progress.ts';
import { resolveSecret } from '../delivery/signing/secret.ts';
import { describeHolder, moreWorkers, sendIssue, type SendIssueResult } from '../delivery/sending/send-issue.ts';
import { defaultRetry } from '../delivery/sending/send-loop.ts';
import type { SendRecord } from '../delivery/sending/ledger.ts';
import { formatSendTime } from '../delivery/schedule/send-time.ts';
import { emailSchema } from '../delivery/subscribers/subscriber.ts';
import { type Command, type CommandContext, parseOptions, positiveInt } from './cli.ts';

export const sendCommand: Command = {
  name: 'send',
  summary: 'send an issue to every active subscriber (shows the plan unless --yes)',
  usage: 'send <issue-number> [--yes] [--resend-unknown | --skip-unknown] | send <issue-number> --to <address>',
  options: [
    ['--yes', 'really send (without it, only the plan is shown); also resumes a paused or interrupted send'],
    ['--to ADDRESS', 'send one test copy to ADDRESS; the ledger is not touched'],
    ['--resend-unknown', 'also re-send deliveries whose outcome is unknown (their message went out but no reply was recorded: a lost connection or a run that stopped abruptly; they may arrive twice)'],
    ['--skip-unknown', 'close deliveries whose outcome is unknown as skipped, without sending them again, so the send can complete'],
  ],
  examples: ['newsdesk send 12', 'newsdesk send 12 --to me@example.org', 'newsdesk send 12 --yes', 'SMTP_URL=smtps://user:pass@smtp.example.org:465 newsdesk send 12 --yes'],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, {
      yes: { type: 'boolean' },
      to: { type: 'string' },
      'resend-unknown': { type: 'boolean' },
      'skip-unknown': { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new NewsdeskError('USAGE', 'newsdesk send needs exactly one issue number', { hint: 'e.g. `newsdesk send 12`; `newsdesk issues` lists them.' });
    const issueNumber = positiveInt('The issue number', positionals[0]);
    if (values.to !== undefined && (values.yes || values['resend-unknown'] || values['skip-unknown'])) {
      throw new NewsdeskError('USAGE', '--to sends a single test copy and cannot be combined with --yes, --resend-unknown or --skip-unknown');
    }
    if (values['resend-unknown'] && values['skip-unknown']) throw new NewsdeskError('USAGE', 'Choose one of --resend-unknown and --skip-unknown');
    const config = ctx.config();
    const store = openContentStore(config.content);
    const mail = await loadIssueMail({ config, store, issueNumber, secret: resolveSecret(config), date: new Date() });
    const { issue } = mail;

    if (values.to !== undefined) {
      const to = emailSchema.safeParse(values.to);
      if (!to.success) throw new NewsdeskError('USAGE', `--to "${values.to}" is not a valid email address`);
      const { email } = await render(ctx, mail);
      const transport = openTransport(config);
      try {
        const message = composeTestCopy(email, to.data, mail.context);
        const result = await transport.send(message);
        ctx.out(`Test copy of issue #${issueNumber} sent to ${to.data} via ${transport.description}: ${result.response}`);
      } finally {
        await transport.close();
      }
      return 0;
    }

    const delivery = await openDelivery(config);
    try {
      const { ledger } = delivery;
      const existing = await ledger.getSend(issueNumber);
      const counts = await ledger.counts(issueNumber);
      const fresh = await ledger.countUnqueuedActive(issueNumber);
      const retryableFailed = await ledger.countRetryableFailed(issueNumber);
      const unknownChoice = values['resend-unknown'] ? 'resend' : values['skip-unknown'] ? 'skip' : 'leave';
      const toSend = fresh + counts.queued + counts.claimed + retryableFailed + (unknownChoice === 'resend' ? counts.sending : 0);
      const transportDescription = describeTransport(config);
      ctx.out(`Issue #${issue.number}: ${issue.title}`);
      if (existing) ctx.out(`Earlier send: ${describeStatus(existing)}; ${counts.sent} sent, ${counts.failed} failed, ${counts.skipped} skipped so far`);
      ctx.out(`Recipients: ${toSend} to send${existing ? ` (${fresh} not yet queued, ${counts.queued + counts.claimed} queued, ${retryableFailed} to retry)` : ''}`);
      ctx.out(`Transport:  ${transportDescription}`);
      ctx.out(`Rate:       ${config.send.rate} msg/s, ${config.send.concurrency} at once; about ${formatDuration((toSend / config.send.rate) * 1000)}`);
      if (counts.sending > 0) {
        const fate = { resend: 'RE-SENT (--resend-unknown)', skip: 'closed as skipped without sending (--skip-unknown)', leave: 'not re-sent (add --resend-unknown to re-send them, or --skip-unknown to close them)' }[unknownChoice];
        ctx.out(`Unknown:    ${counts.sending} delivery(ies) went out without a recorded reply (connection lost before the relay answered, or a run stopped abruptly); they may have arrived and are ${fate}`);
        for (const d of await ledger.deliveries(issueNumber, 'sending', 20)) ctx.out(`  ? ${d.email}: ${d.lastError ?? 'a run stopped while it was being transmitted'}`);
      }
      if (!values.yes) {
        ctx.out('\nNothing sent. Run again with --yes to send.');
        return 0;
      }
      // A scheduled send belongs to the server that will start it; sending it here too would race it.
      const schedule = await delivery.schedules.get(issueNumber);
      if (schedule && (schedule.state === 'scheduled' || schedule.state === 'missed')) {
        throw new NewsdeskError('SEND_REFUSED', `Issue #${issueNumber} is scheduled for ${formatSendTime(schedule.sendAt, schedule.timeZone)}${schedule.state === 'missed' ? ' (missed)' : ''}`, {
          hint: `Cancel the schedule first (\`newsdesk schedule ${issueNumber} --cancel\`), then send, or leave it to the server.`,
        });
      }
      if (existing?.status === 'completed' && toSend === 0) {
        ctx.out('\nThis issue has already gone to every active subscriber; nothing to send.');
        return 0;
      }

      const { email, compose } = await render(ctx, mail);
      const transport = openTransport(config);
      let bar: ReturnType<typeof createProgressBar> | undefined;
      let result: SendIssueResult;
      try {
        result = await sendIssue({
          issue: issueNumber,
          subject: email.subject,
          store: ledger,
          bounces: delivery.subscribers,
          transport,
          compose,
          options: { ...config.send, ...defaultRetry },
          signal: ctx.signal,
          unknown: unknownChoice,
          onStart: (total) => (bar = ctx.isTTY ? createProgressBar((s) => process.stdout.write(s), total) : undefined),
          onProgress: (p) => bar?.update(p),
        });
      } finally {
        await transport.close();
      }
      if (bar) {
        bar.update(result.outcome, true);
        bar.done();
      }
      printSummary(ctx, issueNumber, result, config.send.rate);
      const { outcome } = result;
      if (outcome.status === 'paused') {
        throw new NewsdeskError('SEND_PAUSED', `The send paused itself: ${outcome.reason}`, {
          hint: `Fix the cause (relay limits, credentials, a bad list), then run \`newsdesk send ${issueNumber} --yes\` to resume.`,
        });
      }
      if (outcome.status === 'interrupted') {
        ctx.err(`Interrupted${outcome.reason ? ` (${outcome.reason})` : ''}. Run \`newsdesk send ${issueNumber} --yes\` to resume where it stopped.`);
        return 130;
      }
      if (result.status === 'unresolved') {
        throw new NewsdeskError('SEND_UNRESOLVED', `Issue #${issueNumber} went to everyone else, but ${result.counts.sending} delivery(ies) have an unknown outcome: their message went out but no reply was recorded (the connection was lost before the relay's reply, or a run stopped abruptly)`, {
          hint: `Check your relay's log for them (\`newsdesk send ${issueNumber}\` lists them). Then run \`newsdesk send ${issueNumber} --yes --resend-unknown\` to send them again (some may arrive twice), or \`--skip-unknown\` to close them without sending.`,
        });
      }
      return 0;
    } finally {
      await delivery.close();
    }
  },
};

async function render(ctx: CommandContext, mail: IssueMail): Promise<RenderedIssueMail> {
  const rendered = await renderIssueMail(mail);
  for (const w of rendered.email.warnings) ctx.err(`warning: ${w.where}: ${w.field}: ${w.message}`);
  return rendered;
}

function describeTransport(config: Config): string {
  const t = config.transport;
  const returnPath = config.bounces.address ? `; bounces come back to ${config.bounces.address.replace('@', '+<delivery>@')}` : '';
  if (t.kind === 'outbox') return `outbox folder ${t.dir} (set SMTP_URL to send for real)${returnPath}`;
  if (t.kind === 'ses') return `Amazon SES ${t.region}${t.endpoint ? ` at ${t.endpoint}` : ''}, ${t.rate ? `${t.rate} msg/s` : "the account's maximum send rate"}${t.configurationSet ? `, configuration set ${t.configurationSet}` : ''}`;
  if (t.kind === 'resend') return `Resend ${new URL(t.apiUrl).host}, batches of up to 100, ${t.requestsPerSecond} request(s)/s`;
  const url = new URL(t.url);
  return `SMTP ${url.protocol === 'smtps:' ? 'over TLS ' : ''}${url.hostname}:${url.port || (url.protocol === 'smtps:' ? '465' : '587')}${config.dkim ? `, DKIM d=${config.dkim.domain} s=${config.dkim.selector}` : ''}${returnPath}`;
}

function describeStatus(send: SendRecord): string {
  if (send.status === 'running' && send.lease) return `running (${describeHolder(send.lease.holder)}${moreWorkers(send)})`;
  if (send.status === 'running') return 'stopped abruptly';
  return `${send.status}${send.pauseReason ? ` (${send.pauseReason})` : ''}`;
}

function printSummary(ctx: CommandContext, issue: number, result: SendIssueResult, configuredRate: number): void {
  const { outcome, counts } = result;
  const slowed = outcome.lowestRate < configuredRate ? ` The relay deferred messages; the rate went down to ${Number(outcome.lowestRate.toFixed(2))} msg/s at its lowest.` : '';
  ctx.out(`\nIssue #${issue}: ${result.status}. This run: ${outcome.sent} sent, ${outcome.failed} failed (${outcome.bounced} bounced), ${outcome.retried} retries${outcome.unknown > 0 ? `, ${outcome.unknown} unknown (the connection was lost after the message went out, before the relay's reply; not re-sent)` : ''}.${slowed}`);
  if (result.workersLeft) ctx.out(`Other workers are still sending issue #${issue}; the last of them to finish records how the send ended.`);
  if (result.requeued > 0) ctx.out(`${result.requeued} delivery(ies) an earlier run had claimed but never started went back to the queue.`);
  ctx.out(`Ledger: ${counts.sent} sent, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.queued + counts.claimed} queued, ${counts.sending} unknown.`);
}
