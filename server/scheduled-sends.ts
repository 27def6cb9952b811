// Scheduled sends in a running server: the scheduler that starts them (the published
// issue, checked and rendered at send time, sent as `newsdesk send --yes` would send
// it), the routes the Studio schedules and watches them through, and what the site
// leaves out while they wait. server.ts puts these beside the rest.
import type { Hono } from 'hono';
import { checkIssueForSend } from '../content/check.ts';
import type { ContentStore } from '../content/store.ts';
import type { Config } from '../core/config.ts';
import { loadIssueMail, renderIssueMail } from '../delivery/messages/issue-mail.ts';
import type { Delivery } from '../delivery/open-delivery.ts';
import { SendScheduler, type ScheduleStore } from '../delivery/schedule/scheduler.ts';
import { issuesHeldFromWeb, type SchedulingDeps } from '../delivery/schedule/scheduling.ts';
import { defaultRetry, type SendOptions } from '../delivery/sending/send-loop.ts';
import type { Transport } from '../delivery/sending/transport.ts';
import { pageResponder, type SettingsCache } from './http.ts';
import type { RebuildScheduler } from './rebuild.ts';
import { scheduleRoutes } from './routes/schedule-routes.ts';

export interface ScheduledSendsOptions {
  config: Config;
  store: ContentStore;
  delivery: Delivery;
  transport: Transport;
  secret: string;
  now: () => Date;
  log: (line: string) => void;
  /** The site follows the send: rebuilt when the issues waiting for theirs change. */
  rebuilds: () => RebuildScheduler;
  settings: SettingsCache;
  publicUrl: () => string;
  studioToken: string | undefined;
  /** false turns the scheduler off; tests shorten its look interval, the lease and the retries. */
  scheduler: false | { pollMs?: number; leaseTtlMs?: number; send?: Partial<SendOptions> } | undefined;
}

export interface ScheduledSends {
  schedules: ScheduleStore;
  scheduler: SendScheduler | undefined;
  routes: { path: string; app: Hono };
  /** Published issues the site leaves out now. */
  withheld(): Promise<Set<number>>;
}

export function setUpScheduledSends(options: ScheduledSendsOptions): ScheduledSends {
  const { config, store, delivery, now } = options;
  const { schedules } = delivery;
  const tuning = options.scheduler || {};
  const scheduler =
    options.scheduler === false
      ? undefined
      : new SendScheduler({
          schedules,
          sends: delivery.ledger,
          bounces: delivery.subscribers,
          transport: options.transport,
          prepare: async (issueNumber) => {
            await checkIssueForSend(store, issueNumber);
            const { email, compose } = await renderIssueMail(await loadIssueMail({ config, store, issueNumber, secret: options.secret, date: now() }));
            return { subject: email.subject, compose };
          },
          // Scheduling, cancelling and starting a send change what the site leaves out.
          onWaitingChanged: (issues) => {
            if (config.schedule.webPublish === 'at-send') options.rebuilds().request(`issues waiting for their send: ${issues.map((n) => `#${n}`).join(', ') || 'none'}`);
          },
          options: { ...config.send, ...defaultRetry, ...tuning.send },
          graceMs: config.schedule.graceMinutes * 60_000,
          ...(tuning.pollMs ? { pollMs: tuning.pollMs } : {}),
          ...(tuning.leaseTtlMs ? { leaseTtlMs: tuning.leaseTtlMs } : {}),
          now,
          log: options.log,
        });
  const scheduling = (): SchedulingDeps => ({ store, schedules, sends: delivery.ledger, now: now() });
  const app = scheduleRoutes({
    config,
    store,
    scheduling,
    onScheduleChanged: () => scheduler?.wake(),
    pages: pageResponder(async () => ({ baseUrl: options.publicUrl(), settings: await options.settings.get() })),
    studioToken: options.studioToken,
  });
  return { schedules, scheduler, routes: { path: '/', app }, withheld: () => issuesHeldFromWeb(config, schedules) };
}
