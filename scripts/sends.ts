// `newsdesk sends`: past and current sends with their delivery counts, and what to do
// about any whose deliveries have an unknown outcome. `newsdesk sends <n>`: one issue's
// send in full, with what came back afterwards: bounces (hard and soft) and complaints.
import { NewsdeskError } from '../core/errors.ts';
import { openDelivery, type Delivery } from '../delivery/open-delivery.ts';
import { describeHolder, moreWorkers } from '../delivery/sending/send-issue.ts';
import type { SendRecord } from '../delivery/sending/ledger.ts';
import { type Command, type CommandContext, formatTable, parseOptions, positiveInt } from './cli.ts';

export const sendsCommand: Command = {
  name: 'sends',
  summary: 'list sends with their counts; one issue\'s delivered, bounced (hard/soft), complained, failed and unknown',
  usage: 'sends [<issue-number>] [--json]',
  options: [['--json', 'print JSON instead of a table']],
  examples: ['newsdesk sends', 'newsdesk sends 12', 'newsdesk sends --json'],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, { json: { type: 'boolean' } });
    if (positionals.length > 1) throw new NewsdeskError('USAGE', 'newsdesk sends takes at most one issue number', { hint: 'e.g. `newsdesk sends 12`, or `newsdesk sends` for all.' });
    const delivery = await openDelivery(ctx.config());
    try {
      if (positionals[0] !== undefined) return await showIssue(ctx, delivery, positiveInt('The issue number', positionals[0]), Boolean(values.json));
      const sends = await delivery.ledger.listSends();
      if (values.json) {
        ctx.out(JSON.stringify(sends, null, 2));
        return 0;
      }
      if (sends.length === 0) {
        ctx.out('No sends yet. `newsdesk send <issue-number>` shows the plan for one.');
        return 0;
      }
      ctx.out(
        formatTable(
          ['#', 'status', 'sent', 'failed', 'skipped', 'queued', 'unknown', 'started', 'subject'],
          sends.map((s) => [
            String(s.issueNumber),
            displayStatus(s),
            String(s.counts.sent),
            String(s.counts.failed),
            String(s.counts.skipped),
            String(s.counts.queued + s.counts.claimed),
            String(s.counts.sending),
            s.createdAt.slice(0, 16).replace('T', ' '),
            s.subject,
          ]),
        ),
      );
      for (const s of sends.filter((x) => x.status === 'paused')) ctx.out(`#${s.issueNumber} paused: ${s.pauseReason ?? 'no reason recorded'}`);
      for (const s of sends.filter((x) => x.counts.sending > 0)) {
        ctx.out(
          `#${s.issueNumber}: ${s.counts.sending} delivery(ies) have an unknown outcome (their message went out but no reply was recorded: the connection was lost before the relay's reply, or a run stopped abruptly). ` +
            `\`newsdesk send ${s.issueNumber}\` lists them; \`newsdesk send ${s.issueNumber} --yes --resend-unknown\` sends them again, \`--skip-unknown\` closes them.`,
        );
      }
      for (const s of sends.filter((x) => x.status === 'running' && x.lease)) ctx.out(`#${s.issueNumber} is being sent by ${describeHolder(s.lease!.holder)}${moreWorkers(s)}`);
      return 0;
    } finally {
      await delivery.close();
    }
  },
};

async function showIssue(ctx: CommandContext, delivery: Delivery, issue: number, json: boolean): Promise<number> {
  const send = await delivery.ledger.getSend(issue);
  if (!send) throw new NewsdeskError('NOT_FOUND', `Issue #${issue} has not been sent`, { hint: '`newsdesk sends` lists the sends; `newsdesk send <number>` shows the plan for one.' });
  const reports = await delivery.bounces.countsFor(issue);
  const { counts } = send;
  const bounced = reports.hard + reports.soft;
  const report = {
    issue,
    subject: send.subject,
    status: displayStatus(send),
    sent: counts.sent,
    // Accepted by the relay and not reported back as bounced since.
    delivered: Math.max(0, counts.sent - bounced),
    bounced: { hard: reports.hard, soft: reports.soft },
    complained: reports.complained,
    failed: counts.failed,
    unknown: counts.sending,
    skipped: counts.skipped,
    queued: counts.queued + counts.claimed,
  };
  if (json) {
    ctx.out(JSON.stringify(report, null, 2));
    return 0;
  }
  const pct = (n: number) => (counts.sent > 0 ? ` (${((n / counts.sent) * 100).toFixed(2)}% of sent)` : '');
  ctx.out(`Issue #${issue}: ${send.subject}`);
  ctx.out(`${report.status}, started ${send.createdAt.slice(0, 16).replace('T', ' ')} via ${send.transport}\n`);
  ctx.out(
    formatTable(
      ['', 'deliveries', ''],
      [
        ['delivered', String(report.delivered), 'accepted by the relay, no bounce reported since'],
        ['bounced, hard', String(reports.hard), `the address is bad; no longer mailed${pct(reports.hard)}`],
        ['bounced, soft', String(reports.soft), `a passing failure (full mailbox, policy); counted towards NEWSDESK_SOFT_BOUNCE_LIMIT${pct(reports.soft)}`],
        ['complained', String(reports.complained), `reported as spam; never mailed again${pct(reports.complained)}`],
        ['failed', String(counts.failed), 'refused during the send (5.1.x refusals also count as hard bounces)'],
        ['unknown', String(counts.sending), 'transmitted, no reply recorded (connection lost or run stopped); may have arrived'],
        ['skipped', String(counts.skipped), 'unsubscribed or gone before their turn'],
        ['queued', String(report.queued), 'not sent yet'],
      ],
    ),
  );
  if (counts.sending > 0) ctx.out(`\n\`newsdesk send ${issue}\` lists the unknown deliveries; \`newsdesk send ${issue} --yes --resend-unknown\` sends them again, \`--skip-unknown\` closes them.`);
  return 0;
}

/** Never "completed" while deliveries are unknown; a running send whose process is gone says so. */
function displayStatus(send: SendRecord): string {
  if (send.status === 'running' && !send.lease) return 'stopped';
  if (send.status === 'completed' && send.counts.sending > 0) return 'unresolved';
  return send.status;
}

