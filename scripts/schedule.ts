// `newsdesk schedule`: schedule an issue's send for a time (a running `serve` or
// `studio` starts it), list the scheduled sends with how far each has got, cancel one.
// The rules (published, no problems, not in the past, not while sending) are the
// Studio's too: delivery/schedule/scheduling.ts.
import { openContentStore } from '../content/open-store.ts';
import { NewsdeskError } from '../core/errors.ts';
import { openDelivery } from '../delivery/open-delivery.ts';
import type { DeliveryStatus } from '../delivery/schedule/delivery-status.ts';
import { cancelSchedule, readDeliveryStatuses, scheduleSend, type SchedulingDeps } from '../delivery/schedule/scheduling.ts';
import { formatSendTime, formatTimeUntil, localTimeZone, parseSendTime } from '../delivery/schedule/send-time.ts';
import { type Command, type CommandContext, formatTable, parseOptions, positiveInt } from './cli.ts';

export const scheduleCommand: Command = {
  name: 'schedule',
  summary: 'schedule an issue\'s send for a time, list scheduled sends, cancel one',
  usage: 'schedule <issue-number> --at <time> | schedule --list [--json] | schedule <issue-number> --cancel',
  options: [
    ['--at TIME', 'when to send: "2026-12-04 08:00 Europe/Berlin", an ISO time with offset (2026-12-04T08:00+01:00), or a date and time in NEWSDESK_TIME_ZONE (default: this computer\'s zone); again on a scheduled issue moves it'],
    ['--list', 'list scheduled sends: when, their state, how far they have got, and whether the issue changed since'],
    ['--json', 'with --list: print JSON'],
    ['--cancel', 'cancel the issue\'s scheduled send (not one that has started)'],
  ],
  examples: ['newsdesk schedule 12 --at "2026-12-04 08:00 Europe/Berlin"', 'newsdesk schedule 12 --at 2026-12-04T07:00Z', 'newsdesk schedule --list', 'newsdesk schedule 12 --cancel'],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, { at: { type: 'string' }, list: { type: 'boolean' }, json: { type: 'boolean' }, cancel: { type: 'boolean' } });
    const modes = [values.at !== undefined, values.list === true, values.cancel === true].filter(Boolean).length;
    if (modes !== 1) throw new NewsdeskError('USAGE', 'Say one of --at TIME, --list or --cancel', { hint: 'e.g. `newsdesk schedule 12 --at "2026-12-04 08:00 Europe/Berlin"` or `newsdesk schedule --list`.' });
    if (values.json && !values.list) throw new NewsdeskError('USAGE', '--json goes with --list');
    if (values.list ? positionals.length !== 0 : positionals.length !== 1) {
      throw new NewsdeskError('USAGE', values.list ? '--list takes no issue number' : 'Name exactly one issue number', { hint: '`newsdesk issues` lists them.' });
    }
    const config = ctx.config();
    const delivery = await openDelivery(config);
    try {
      const deps: SchedulingDeps = { store: openContentStore(config.content), schedules: delivery.schedules, sends: delivery.ledger, now: new Date() };
      if (values.list) return await list(ctx, deps, values.json === true);
      const issueNumber = positiveInt('The issue number', positionals[0]);
      if (values.cancel) {
        const cancelled = await cancelSchedule(deps, issueNumber);
        ctx.out(`The send of issue #${issueNumber} set for ${formatSendTime(cancelled.sendAt, cancelled.timeZone)} is cancelled.`);
        if (config.schedule.webPublish === 'at-send') ctx.out('The issue is no longer kept off the site: a running `serve` rebuilds it now; otherwise run `newsdesk build`.');
        return 0;
      }
      const at = parseSendTime(values.at!, config.schedule.timeZone ?? localTimeZone());
      const result = await scheduleSend(deps, { issueNumber, at, scheduledBy: 'newsdesk CLI' });
      const { issue, schedule, previous } = result;
      ctx.out(`Issue #${issueNumber}: ${issue.issue.title}`);
      ctx.out(
        `Scheduled for ${formatSendTime(schedule.sendAt, schedule.timeZone)}, in ${formatTimeUntil(schedule.sendAt.getTime() - deps.now.getTime())}, to ${result.activeSubscribers} active subscriber(s) (as many as are active then).`,
      );
      if (previous) ctx.out(`It was ${previous.state === 'scheduled' ? 'set' : `${previous.state}, set`} for ${formatSendTime(previous.sendAt, previous.timeZone)}.`);
      if (issue.draftPending) ctx.out('Note: the issue has unpublished changes; the send takes the issue as published at its time, so publish them before then.');
      ctx.out(
        `A running \`newsdesk serve\` (or \`newsdesk studio\`) starts it within seconds of that time; if none runs then, the first to start within ${config.schedule.graceMinutes} minute(s) does (NEWSDESK_SCHEDULE_GRACE_MINUTES), later it waits for you.`,
      );
      if (config.schedule.webPublish === 'at-send') ctx.out('The site leaves the issue out until its send starts: a running `serve` rebuilds it now; otherwise run `newsdesk build`.');
      return 0;
    } finally {
      await delivery.close();
    }
  },
};

async function list(ctx: CommandContext, deps: SchedulingDeps, json: boolean): Promise<number> {
  const statuses = (await readDeliveryStatuses(deps)).filter((s) => s.schedule !== undefined);
  if (json) {
    ctx.out(JSON.stringify(statuses, null, 2));
    return 0;
  }
  if (statuses.length === 0) {
    ctx.out('No scheduled sends. `newsdesk schedule <issue-number> --at "2026-12-04 08:00 Europe/Berlin"` schedules one.');
    return 0;
  }
  ctx.out(
    formatTable(
      ['#', 'state', 'send at', 'progress', 'changed since'],
      statuses.map((s) => [String(s.issueNumber), s.phase, s.schedule!.when, progressOf(s), changesOf(s)]),
    ),
  );
  for (const s of statuses) {
    if (s.phase === 'missed' || s.phase === 'refused' || s.phase === 'paused') ctx.out(`#${s.issueNumber}: ${s.summary}`);
    if (s.changedSinceScheduled) ctx.out(`#${s.issueNumber} was edited and published again after it was scheduled: the send takes the issue as published at its time.`);
  }
  return 0;
}

function progressOf(s: DeliveryStatus): string {
  const c = s.counts;
  if (c.total === 0) return `${s.activeSubscribers} active subscriber(s)`;
  const extra = [c.failed ? `${c.failed} failed` : '', c.bounced ? `${c.bounced} bounced` : '', c.unknown ? `${c.unknown} unknown` : ''].filter(Boolean).join(', ');
  return `${c.sent}/${c.total} sent${extra ? `, ${extra}` : ''}${s.ratePerSecond ? `, ${s.ratePerSecond.toFixed(1)}/s` : ''}`;
}

function changesOf(s: DeliveryStatus): string {
  const notes = [s.changedSinceScheduled ? 'edited and published' : '', s.unpublishedChanges ? 'unpublished changes' : '', s.published ? '' : 'unpublished'].filter(Boolean);
  return notes.join(', ') || '—';
}
