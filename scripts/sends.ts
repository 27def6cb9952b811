// `newsdesk sends`: past and current sends with their delivery counts.
import { openDelivery } from '../delivery/open-delivery.ts';
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
            s.status,
            String(s.counts.sent),
            String(s.counts.failed),
            String(s.counts.skipped),
            String(s.counts.queued),
            String(s.counts.sending),
            s.createdAt.slice(0, 16).replace('T', ' '),
            s.subject,
          ]),
        ),
      );
      for (const s of sends.filter((x) => x.pauseReason)) ctx.out(`#${s.issueNumber} paused: ${s.pauseReason}`);
      return 0;
    } finally {
      delivery.close();
    }
  },
};
