// The Studio's calls to `newsdesk serve` about sending an issue: read its delivery
// status (and every issue's, for the Issues list), schedule it, send it now, cancel the
// schedule. Same server and secret as the previews. Never throws: every outcome is a
// result with a message for people. `fetchImpl` is a seam for tests.
import { findSendRefusals } from '../content/rules.ts';
import type { DeliveryStatus } from '../delivery/schedule/delivery-status.ts';
import { failureText, publishedIdOf, readServerAnswer, unreachable, type PreviewTarget } from './preview-urls.ts';

export type DeliveryResult<T> = { ok: true; value: T; message: string } | { ok: false; message: string };

function base(target: PreviewTarget): string {
  return target.previewUrl.replace(/\/+$/, '');
}

export function issueDeliveryUrl(target: PreviewTarget, documentId: string, action: 'delivery' | 'schedule' | 'send-now' | 'cancel-schedule'): string {
  return `${base(target)}/preview/issues/${encodeURIComponent(publishedIdOf(documentId))}/${action}`;
}

async function call<T>(target: PreviewTarget, url: string, pick: (body: Record<string, unknown>) => T, body: unknown, fetchImpl: typeof fetch): Promise<DeliveryResult<T>> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${target.previewSecret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    return { ok: false, message: unreachable(target, error) };
  }
  const answer = await readServerAnswer(response);
  if (!response.ok || !answer.body) return { ok: false, message: failureText(response, answer.message) };
  return { ok: true, value: pick(answer.body), message: answer.message };
}

const delivery = (body: Record<string, unknown>) => body.delivery as DeliveryStatus;
/** A status read: `undefined` while the issue is not stored yet (nothing to report). */
const deliveryRead = (body: Record<string, unknown>) => (body.delivery ?? undefined) as DeliveryStatus | undefined;

export function fetchDelivery(target: PreviewTarget, documentId: string, fetchImpl: typeof fetch = fetch): Promise<DeliveryResult<DeliveryStatus | undefined>> {
  return call(target, issueDeliveryUrl(target, documentId, 'delivery'), deliveryRead, undefined, fetchImpl);
}

export function fetchDeliveries(target: PreviewTarget, fetchImpl: typeof fetch = fetch): Promise<DeliveryResult<DeliveryStatus[]>> {
  return call(target, `${base(target)}/preview/deliveries`, (body) => body.deliveries as DeliveryStatus[], undefined, fetchImpl);
}

/** Schedules the send at a date and time on the clocks of `timeZone` (an IANA zone). */
export function requestSchedule(
  target: PreviewTarget,
  documentId: string,
  when: { date: string; time: string; timeZone: string },
  fetchImpl: typeof fetch = fetch,
): Promise<DeliveryResult<DeliveryStatus>> {
  return call(target, issueDeliveryUrl(target, documentId, 'schedule'), delivery, when, fetchImpl);
}

/** Sends at once; `confirm` is the issue number the editor typed. */
export function requestSendNow(target: PreviewTarget, documentId: string, confirm: string, fetchImpl: typeof fetch = fetch): Promise<DeliveryResult<DeliveryStatus>> {
  return call(target, issueDeliveryUrl(target, documentId, 'send-now'), delivery, { confirm }, fetchImpl);
}

export function requestCancelSchedule(target: PreviewTarget, documentId: string, fetchImpl: typeof fetch = fetch): Promise<DeliveryResult<DeliveryStatus>> {
  return call(target, issueDeliveryUrl(target, documentId, 'cancel-schedule'), delivery, {}, fetchImpl);
}

/** Short words for the Issues list: "Scheduled Fri 4 Dec, 08:00", "Sending 120/300", "Sent". */
export function deliveryMark(status: DeliveryStatus | undefined): string | undefined {
  if (!status) return undefined;
  const { counts } = status;
  switch (status.phase) {
    case 'none':
      return undefined;
    case 'scheduled':
      return `Scheduled ${status.schedule?.when.replace(/ \d{4},/, ',').replace(/ \(.*\)$/, '') ?? ''}`.trim();
    case 'missed':
      return 'Missed its time';
    case 'refused':
      return 'Not sent';
    case 'starting':
      return 'Sending';
    case 'sending':
      return `Sending ${counts.sent}/${counts.total}`;
    case 'paused':
      return `Paused ${counts.sent}/${counts.total}`;
    case 'interrupted':
      return `Interrupted ${counts.sent}/${counts.total}`;
    case 'sent':
      return `Sent to ${counts.sent}`;
    case 'unresolved':
      return `Sent to ${counts.sent}, ${counts.unknown} unknown`;
  }
}

/** Why the send actions are off for this document, or undefined when they may be used. */
export function sendBlockedReason(document: { draft: unknown; published: unknown }): string | undefined {
  if (!document.published) return 'Publish the issue first: only a published issue is sent.';
  if (document.draft) return 'Publish your changes first: the send takes the issue as published.';
  return ruleBookReason(document.published);
}

/**
 * What `newsdesk check` would refuse in this issue, judged by the same rule book in the
 * Studio, so the editor learns it before filling a dialog; undefined when nothing.
 */
export function ruleBookReason(issue: unknown): string | undefined {
  const refusals = findSendRefusals(issue);
  if (refusals.length === 0) return undefined;
  const more = refusals.length > 1 ? ` (and ${refusals.length - 1} more problem${refusals.length > 2 ? 's' : ''})` : '';
  return `Fix this first: ${refusals[0]!.message}${more}`;
}
