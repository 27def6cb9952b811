// The bounce and complaint events email services send, read into the processor's
// ServiceEvent: Amazon SES's notifications (the JSON inside an SNS message, from a
// configuration set's event destination or an identity's notifications) and Resend's
// webhook events. Each names its delivery by the token we tagged the message with,
// or by the Message-ID it went out with. Events that say nothing about bounces,
// complaints or delivery (sends, opens, clicks) are not read.
import { z } from 'zod';
import type { ServiceEvent } from './bounce-processor.ts';
import type { ReportKind } from './bounce-report.ts';
import { resendDeliveryTag } from '../transports/resend-transport.ts';
import { sesDeliveryTag } from '../transports/ses-transport.ts';

const sesEventSchema = z.looseObject({
  notificationType: z.string().optional(),
  eventType: z.string().optional(),
  mail: z.looseObject({
    messageId: z.string().optional(),
    headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    commonHeaders: z.looseObject({ messageId: z.string().optional() }).optional(),
    tags: z.record(z.string(), z.array(z.string())).optional(),
  }),
  bounce: z
    .looseObject({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      bouncedRecipients: z.array(z.looseObject({ emailAddress: z.string(), status: z.string().optional(), diagnosticCode: z.string().optional(), action: z.string().optional() })).default([]),
      feedbackId: z.string().optional(),
      reportingMTA: z.string().optional(),
    })
    .optional(),
  complaint: z
    .looseObject({
      complainedRecipients: z.array(z.looseObject({ emailAddress: z.string() })).default([]),
      feedbackId: z.string().optional(),
      complaintFeedbackType: z.string().optional(),
      userAgent: z.string().optional(),
    })
    .optional(),
});

/** One SES event (the SNS message's Message); undefined for events that are no bounce, complaint or delivery notice. */
export function readSesEvent(message: string, snsMessageId: string, raw: string): ServiceEvent | undefined {
  const parsed = sesEventSchema.safeParse(safeJson(message));
  if (!parsed.success) return undefined;
  const e = parsed.data;
  const type = e.eventType ?? e.notificationType;
  const token = e.mail.tags?.[sesDeliveryTag]?.[0];
  const messageId = e.mail.commonHeaders?.messageId ?? e.mail.headers?.find((h) => h.name.toLowerCase() === 'message-id')?.value;
  const base = { token, messageId, raw, reportId: snsMessageId };
  if (type === 'Bounce' && e.bounce) {
    const recipient = e.bounce.bouncedRecipients[0];
    return {
      ...base,
      fingerprint: `ses:${e.bounce.feedbackId ?? snsMessageId}`,
      kind: e.bounce.bounceType === 'Permanent' ? 'hard' : 'soft',
      status: recipient?.status ?? `${e.bounce.bounceType}/${e.bounce.bounceSubType ?? 'General'}`,
      diagnostic: recipient?.diagnosticCode ?? `SES ${e.bounce.bounceType} bounce (${e.bounce.bounceSubType ?? 'General'})`,
    };
  }
  if (type === 'Complaint' && e.complaint) {
    const feedbackType = e.complaint.complaintFeedbackType ?? 'abuse';
    return { ...base, fingerprint: `ses:${e.complaint.feedbackId ?? snsMessageId}`, kind: 'complaint', status: undefined, diagnostic: `${feedbackType} report${e.complaint.userAgent ? ` by ${e.complaint.userAgent}` : ''} (via SES)`, feedbackType };
  }
  const notice: Partial<Record<string, ReportKind>> = { Delivery: 'delivered', DeliveryDelay: 'delayed' };
  const kind = type ? notice[type] : undefined;
  return kind ? { ...base, fingerprint: `sns:${snsMessageId}`, kind, status: undefined, diagnostic: `SES ${type} event` } : undefined;
}

const resendEventSchema = z.looseObject({
  type: z.string(),
  created_at: z.string().optional(),
  data: z.looseObject({
    email_id: z.string().optional(),
    message_id: z.string().optional(),
    to: z.array(z.string()).optional(),
    // Documented as an array of {name, value}; some payloads carry an object of name → value.
    tags: z.union([z.array(z.object({ name: z.string(), value: z.string() })), z.record(z.string(), z.string())]).optional(),
    bounce: z.looseObject({ type: z.string().optional(), subType: z.string().optional(), message: z.string().optional() }).optional(),
  }),
});

/** One Resend webhook event; undefined for events that are no bounce, complaint or delivery notice. */
export function readResendEvent(body: string, webhookId: string): ServiceEvent | undefined {
  const parsed = resendEventSchema.safeParse(safeJson(body));
  if (!parsed.success) return undefined;
  const { type, data } = parsed.data;
  const tags = data.tags;
  const token = Array.isArray(tags) ? tags.find((t) => t.name === resendDeliveryTag)?.value : tags?.[resendDeliveryTag];
  const base = { fingerprint: `resend:${webhookId}`, reportId: data.email_id ?? webhookId, token, messageId: data.message_id, raw: body };
  switch (type) {
    case 'email.bounced': {
      const message = data.bounce?.message;
      return {
        ...base,
        kind: data.bounce?.type === 'Permanent' ? 'hard' : 'soft',
        status: /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(message ?? '')?.[1] ?? `${data.bounce?.type ?? 'Undetermined'}/${data.bounce?.subType ?? 'General'}`,
        diagnostic: message ?? `Resend ${data.bounce?.type ?? ''} bounce`.replace(/\s+/g, ' '),
      };
    }
    case 'email.complained':
      return { ...base, kind: 'complaint', status: undefined, diagnostic: 'abuse report (via Resend)', feedbackType: 'abuse' };
    case 'email.delivery_delayed':
      return { ...base, kind: 'delayed', status: undefined, diagnostic: 'Resend delivery delayed' };
    case 'email.delivered':
      return { ...base, kind: 'delivered', status: undefined, diagnostic: 'Resend delivered' };
    default:
      return undefined;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
