// Scheduling and watching sends from the Studio: schedule an issue's send, send it now,
// cancel the schedule, read one issue's delivery status (polled by the Delivery view)
// and every issue's (the Issues list marks). Same origins and secret as the previews.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ContentStore } from '../../content/store.ts';
import type { Config } from '../../core/config.ts';
import { formatZodIssues, isNewsdeskError } from '../../core/errors.ts';
import { cancelSchedule, readDeliveryStatus, readDeliveryStatuses, scheduleSend, type SchedulingDeps } from '../../delivery/schedule/scheduling.ts';
import { localTimeZone, parseSendTime, sendTimeFromParts } from '../../delivery/schedule/send-time.ts';
import { bearer, bodyLimits, jsonError, limitBody, readJson, type Pages } from '../http.ts';
import { studioAccess } from '../preview-access.ts';

export interface ScheduleRouteDeps {
  config: Pick<Config, 'server' | 'schedule'>;
  store: ContentStore;
  /** The scheduling collaborators, with the clock read for this request. */
  scheduling: () => SchedulingDeps;
  /** A schedule was written: the scheduler looks again and the site follows. */
  onScheduleChanged: (issueNumber: number, what: string) => void;
  pages: Pages;
  studioToken?: string | undefined;
}

const idParam = z.object({ id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'is not a document id') });
const scheduleBody = z.union([
  z.object({ at: z.string().min(1).max(100), timeZone: z.string().max(100).optional() }),
  z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'), time: z.string().regex(/^\d{1,2}:\d{2}(:\d{2})?$/, 'must be HH:MM or HH:MM:SS'), timeZone: z.string().min(1).max(100) }),
]);
const sendNowBody = z.object({ confirm: z.union([z.number(), z.string()]).transform((v) => String(v).trim()) });

export function scheduleRoutes(deps: ScheduleRouteDeps): Hono {
  const app = new Hono();
  const access = studioAccess(deps.config, deps.studioToken);
  app.use('/preview/*', access.cors);

  /** The issue number a document id (draft or published) stands for. */
  const issueNumberOf = async (c: Context): Promise<number | Response> => {
    const params = idParam.safeParse(c.req.param());
    if (!params.success) return jsonError(c, 'invalid', { problems: formatZodIssues(params.error.issues) });
    const id = params.data.id.replace(/^drafts\./, '');
    const found = await deps.store.fetch<unknown>('*[_type == "issue" && (_id == $id || _id == "drafts." + $id)][0].number', { id }, { perspective: 'raw' });
    if (typeof found !== 'number') return jsonError(c, 'not_found', { message: `There is no numbered issue with id "${id}".` });
    return found;
  };

  /** The issue a call from the Studio is about, once the call has proved itself. */
  const authorisedIssue = async (c: Context): Promise<number | Response> => access.refusal(c, bearer(c)) ?? issueNumberOf(c);

  const answerError = (c: Context, error: unknown): Response => {
    if (isNewsdeskError(error, 'SEND_REFUSED')) return jsonError(c, 'send_refused', { message: error.message, hint: error.hint });
    if (isNewsdeskError(error, 'USAGE')) return jsonError(c, 'invalid', { message: error.message, hint: error.hint });
    if (isNewsdeskError(error, 'NOT_FOUND')) return jsonError(c, 'not_found', { message: error.message, hint: error.hint });
    throw error;
  };

  app.get('/preview/deliveries', async (c) => {
    const refused = access.refusal(c, bearer(c));
    if (refused) return refused;
    return c.json({ ok: true, deliveries: await readDeliveryStatuses(deps.scheduling()) });
  });

  app.get('/preview/issues/:id/delivery', async (c) => {
    const refused = access.refusal(c, bearer(c));
    if (refused) return refused;
    const issueNumber = await issueNumberOf(c);
    // The Studio shows a new issue as soon as the editor types, a moment before its first
    // save reaches the lake: until then there is simply no delivery to report.
    if (issueNumber instanceof Response) return issueNumber.status === 404 ? c.json({ ok: true, delivery: null }) : issueNumber;
    return c.json({ ok: true, delivery: await readDeliveryStatus(deps.scheduling(), issueNumber) });
  });

  app.post('/preview/issues/:id/schedule', limitBody(bodyLimits.form, deps.pages), async (c) => {
    const issueNumber = await authorisedIssue(c);
    if (issueNumber instanceof Response) return issueNumber;
    const body = scheduleBody.safeParse(await readJson(c));
    if (!body.success) {
      return jsonError(c, 'invalid', { message: 'Send {"date": "YYYY-MM-DD", "time": "HH:MM", "timeZone": "Europe/Berlin"} or {"at": "2026-12-04 08:00 Europe/Berlin"} as JSON.', problems: formatZodIssues(body.error.issues) });
    }
    try {
      const b = body.data;
      const at = 'at' in b ? parseSendTime(b.at, b.timeZone ?? deps.config.schedule.timeZone) : sendTimeFromParts(b.date, b.time, b.timeZone);
      const scheduling = deps.scheduling();
      const result = await scheduleSend(scheduling, { issueNumber, at, scheduledBy: 'the Studio' });
      deps.onScheduleChanged(issueNumber, result.previous ? 'rescheduled' : 'scheduled');
      const delivery = await readDeliveryStatus(scheduling, issueNumber);
      return c.json({ ok: true, message: `Issue #${issueNumber} ${result.previous ? 're' : ''}scheduled for ${delivery.schedule?.when}, to ${result.activeSubscribers} active subscriber(s).`, delivery });
    } catch (error) {
      return answerError(c, error);
    }
  });

  app.post('/preview/issues/:id/send-now', limitBody(bodyLimits.form, deps.pages), async (c) => {
    const issueNumber = await authorisedIssue(c);
    if (issueNumber instanceof Response) return issueNumber;
    const body = sendNowBody.safeParse(await readJson(c));
    // Typing the number is the editor's confirmation; the server checks it too.
    if (!body.success || body.data.confirm !== String(issueNumber)) {
      return jsonError(c, 'invalid', { message: `Confirm by sending {"confirm": ${issueNumber}}: the number of the issue to send.` });
    }
    try {
      const scheduling = deps.scheduling();
      const result = await scheduleSend(scheduling, { issueNumber, at: { at: scheduling.now, timeZone: deps.config.schedule.timeZone ?? localTimeZone() }, scheduledBy: 'the Studio (send now)', immediately: true });
      deps.onScheduleChanged(issueNumber, 'sent now');
      return c.json({ ok: true, message: `Sending issue #${issueNumber} to ${result.activeSubscribers} active subscriber(s) now.`, delivery: await readDeliveryStatus(scheduling, issueNumber) });
    } catch (error) {
      return answerError(c, error);
    }
  });

  app.post('/preview/issues/:id/cancel-schedule', async (c) => {
    const issueNumber = await authorisedIssue(c);
    if (issueNumber instanceof Response) return issueNumber;
    try {
      const scheduling = deps.scheduling();
      await cancelSchedule(scheduling, issueNumber);
      deps.onScheduleChanged(issueNumber, 'schedule cancelled');
      return c.json({ ok: true, message: `The scheduled send of issue #${issueNumber} is cancelled.`, delivery: await readDeliveryStatus(scheduling, issueNumber) });
    } catch (error) {
      return answerError(c, error);
    }
  });

  return app;
}
