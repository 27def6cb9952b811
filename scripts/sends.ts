// `newsdesk sends`: past and current sends with their delivery counts, and what to do
// about any whose deliveries have an unknown outcome.
import { openDelivery } from '../delivery/open-delivery.ts';
import { describeHolder } from '../delivery/send-issue.ts';
import type { SendRecord } from '../delivery/sqlite-ledger.ts';
import { type Command, formatTable, parseOptions } from './cli.ts';

export const sendsCommand: Command = {
  name: 'sends',
  summary: 'list sends with sent, failed, skipped, queued and unknown counts',
  usage: 'sends [--json]',
  options: [['--json', 'print JSON instead of a table']],
  examples: ['newsdesk sends', 'newsdesk sends --json'],
  async run(args, ctx) {
    const { values } = parseOptions(this, args, { json: { type: 'boolean' } }, false);
    const delivery = openDelivery(ctx.config());
    try {
      const sends = delivery.ledger.listSends();
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
          `#${s.issueNumber}: ${s.counts.sending} delivery(ies) have an unknown outcome (their transmission had started when a run stopped abruptly). ` +
            `\`newsdesk send ${s.issueNumber}\` lists them; \`newsdesk send ${s.issueNumber} --yes --resend-unknown\` sends them again, \`--skip-unknown\` closes them.`,
        );
      }
      for (const s of sends.filter((x) => x.status === 'running' && x.lease)) ctx.out(`#${s.issueNumber} is being sent by ${describeHolder(s.lease!.holder)}`);
      return 0;
    } finally {
      delivery.close();
    }
  },
};

/** Never "completed" while deliveries are unknown; a running send whose process is gone says so. */
function displayStatus(send: SendRecord): string {
  if (send.status === 'running' && !send.lease) return 'stopped';
  if (send.status === 'completed' && send.counts.sending > 0) return 'unresolved';
  return send.status;
}
