// Document actions on issues that send them: "Schedule send…" (a date, a time and a
// time zone, showing whom it will reach), "Send now…" (confirmed by typing the issue
// number) and "Cancel schedule". They call `newsdesk serve` like "Send test email"
// does, and are off, with the reason, for drafts and unpublished changes.
import { ClockIcon } from '@sanity/icons/Clock';
import { CloseIcon } from '@sanity/icons/Close';
import { RocketIcon } from '@sanity/icons/Rocket';
import { Button, Flex, Grid, Select, Stack, Text, TextInput } from '@sanity/ui';
import { useToast } from '@sanity/ui/toast';
import { useMemo, useState } from 'react';
import type { DocumentActionComponent, DocumentActionProps } from 'sanity';
import { isNewsdeskError } from '../../core/errors.ts';
import type { DeliveryStatus } from '../../delivery/schedule/delivery-status.ts';
import { formatSendTime, localTimeZone, sendTimeFromParts, wallClockParts } from '../../delivery/schedule/send-time.ts';
import { requestCancelSchedule, requestSchedule, requestSendNow, sendBlockedReason, type DeliveryResult } from '../delivery-api.ts';
import { usePreviewTarget } from '../use-preview-target.ts';
import { refreshDeliveries, useDelivery } from '../use-delivery.ts';

const waiting = new Set<DeliveryStatus['phase']>(['scheduled', 'missed', 'refused']);
const running = new Set<DeliveryStatus['phase']>(['starting', 'sending']);

/** The number of the issue, from whichever version the Studio has. */
function issueNumberOf(props: DocumentActionProps): number | undefined {
  const n = (props.published?.number ?? props.draft?.number) as unknown;
  return typeof n === 'number' ? n : undefined;
}

/**
 * What every send action starts from: where the server is, the issue's live delivery
 * status, whether its dialog is open, and `run`, which makes a request, tells the
 * editor how it went and has every delivery view look again.
 */
function useSendAction(props: DocumentActionProps) {
  const toast = useToast();
  const target = usePreviewTarget();
  const { value: status } = useDelivery(props.id, Boolean(props.draft || props.published));
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState(false);
  const run = async (title: string, request: () => Promise<DeliveryResult<unknown>>): Promise<boolean> => {
    setBusy(true);
    const result = await request();
    setBusy(false);
    toast.push({ status: result.ok ? 'success' : 'error', title: result.ok ? title : `${title}: not done`, description: result.message, closable: true });
    refreshDeliveries();
    return result.ok;
  };
  return { target, status, busy, run, open, setOpen };
}

/** Why the issue may not be scheduled or sent now, or undefined. */
function sendOffReason(props: DocumentActionProps, status: DeliveryStatus | undefined): string | undefined {
  if (status && running.has(status.phase)) return 'The send is running: watch it in the Delivery view.';
  if (status?.phase === 'sent') return 'This issue went to every active subscriber.';
  return sendBlockedReason(props);
}

function zones(): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [...new Set(['UTC', localTimeZone(), ...all])];
}

/** Tomorrow at 08:00 in the editor's zone: a sensible first suggestion. */
function suggestion(status: DeliveryStatus | undefined): { date: string; time: string; timeZone: string } {
  if (status?.schedule && waiting.has(status.phase)) {
    const zone = sendTimeZone(status.schedule.timeZone);
    return { ...wallClockParts(new Date(status.schedule.sendAt), zone), timeZone: zone };
  }
  const zone = localTimeZone();
  const tomorrow = wallClockParts(new Date(Date.now() + 86_400_000), zone);
  return { date: tomorrow.date, time: '08:00', timeZone: zone };
}

/** A schedule given as an ISO offset ("UTC+01:00") is edited in UTC. */
function sendTimeZone(zone: string): string {
  return zone.startsWith('UTC') ? 'UTC' : zone;
}

export const ScheduleSendAction: DocumentActionComponent = (props) => {
  const { target, status, busy, run, open, setOpen } = useSendAction(props);
  const [when, setWhen] = useState(() => suggestion(undefined));
  // Each field updates from the latest state, not the render it was drawn in: the action's
  // dialog is drawn by the Studio a render late, so two quick edits (a date, then a time)
  // would otherwise have the second put back the first's old value.
  const setField = (field: keyof typeof when, value: string) => setWhen((current) => ({ ...current, [field]: value }));
  const allZones = useMemo(zones, []);
  const blocked = sendOffReason(props, status);
  const rescheduling = status !== undefined && waiting.has(status.phase);
  let preview: { text: string; ok: boolean };
  try {
    const at = sendTimeFromParts(when.date, when.time, when.timeZone);
    preview = { ok: true, text: `${formatSendTime(at.at, at.timeZone)}; in your time ${at.at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}.` };
  } catch (error) {
    preview = { ok: false, text: isNewsdeskError(error) ? error.message : String(error) };
  }

  return {
    label: busy ? 'Scheduling…' : rescheduling ? 'Reschedule send…' : 'Schedule send…',
    icon: ClockIcon,
    disabled: busy || blocked !== undefined,
    title: blocked ?? 'Send this issue, as published then, at a date and time you choose',
    onHandle: () => {
      setWhen(suggestion(status));
      setOpen(true);
    },
    dialog: open
      ? {
          type: 'dialog',
          header: rescheduling ? 'Reschedule the send' : 'Schedule the send',
          onClose: () => setOpen(false),
          content: (
            <form
              data-testid="schedule-send-form"
              onSubmit={(event) => {
                event.preventDefault();
                if (!preview.ok) return;
                void run(rescheduling ? 'Send rescheduled' : 'Send scheduled', () => requestSchedule(target, props.id, when)).then((ok) => ok && setOpen(false));
              }}
            >
              <Stack gap={4}>
                <Grid gridTemplateColumns={[1, 3]} gap={3}>
                  <Stack gap={2}>
                    <Text size={1} weight="semibold">
                      Date
                    </Text>
                    <TextInput type="date" name="date" value={when.date} onChange={(e) => setField('date', e.currentTarget.value)} />
                  </Stack>
                  <Stack gap={2}>
                    <Text size={1} weight="semibold">
                      Time
                    </Text>
                    <TextInput type="time" name="time" step={1} value={when.time} onChange={(e) => setField('time', e.currentTarget.value)} />
                  </Stack>
                  <Stack gap={2}>
                    <Text size={1} weight="semibold">
                      Time zone
                    </Text>
                    <Select name="timeZone" value={when.timeZone} onChange={(e) => setField('timeZone', e.currentTarget.value)}>
                      {allZones.map((z) => (
                        <option key={z} value={z}>
                          {z}
                        </option>
                      ))}
                    </Select>
                  </Stack>
                </Grid>
                <Text size={1} muted={preview.ok} data-testid="schedule-send-when">
                  {preview.text}
                </Text>
                <Text size={1} data-testid="schedule-send-reach">
                  {status ? `It will reach ${status.activeSubscribers} active subscriber(s) (as many as are active then), with the issue as published at that time.` : 'Asking the server how many subscribers it will reach…'}
                </Text>
                <Flex justify="flex-end">
                  <Button type="submit" tone="primary" icon={ClockIcon} text={rescheduling ? 'Reschedule' : 'Schedule'} disabled={busy || !preview.ok} />
                </Flex>
              </Stack>
            </form>
          ),
        }
      : null,
  };
};

export const SendNowAction: DocumentActionComponent = (props) => {
  const { target, status, busy, run, open, setOpen } = useSendAction(props);
  const [typed, setTyped] = useState('');
  const number = issueNumberOf(props);
  const blocked = sendOffReason(props, status);
  const confirmed = number !== undefined && typed.trim() === String(number);
  return {
    label: busy ? 'Sending…' : 'Send now…',
    icon: RocketIcon,
    tone: 'critical',
    disabled: busy || blocked !== undefined,
    title: blocked ?? 'Send this issue to every active subscriber now',
    onHandle: () => {
      setTyped('');
      setOpen(true);
    },
    dialog: open
      ? {
          type: 'dialog',
          header: `Send issue #${number ?? '?'} now`,
          onClose: () => setOpen(false),
          content: (
            <form
              data-testid="send-now-form"
              onSubmit={(event) => {
                event.preventDefault();
                if (!confirmed) return;
                void run('Sending', () => requestSendNow(target, props.id, typed.trim())).then((ok) => ok && setOpen(false));
              }}
            >
              <Stack gap={4}>
                <Text size={1}>
                  This sends the issue as published now to {status ? `${status.activeSubscribers} active subscriber(s)` : 'every active subscriber'}
                  {status?.phase === 'scheduled' ? `, instead of at its scheduled time (${status.schedule?.when})` : ''}. A send cannot be taken back.
                </Text>
                <Text size={1} weight="semibold">
                  Type {number ?? 'the issue number'} to confirm:
                </Text>
                <TextInput name="confirm" inputMode="numeric" autoFocus value={typed} onChange={(e) => setTyped(e.currentTarget.value)} />
                <Flex justify="flex-end">
                  <Button type="submit" tone="critical" icon={RocketIcon} text="Send now" disabled={busy || !confirmed} />
                </Flex>
              </Stack>
            </form>
          ),
        }
      : null,
  };
};

export const CancelScheduleAction: DocumentActionComponent = (props) => {
  const { target, status, busy, run, open, setOpen } = useSendAction(props);
  const cancellable = status !== undefined && waiting.has(status.phase);
  return {
    label: busy ? 'Cancelling…' : 'Cancel schedule',
    icon: CloseIcon,
    disabled: busy || !cancellable,
    title: cancellable ? `Cancel the send set for ${status.schedule?.when}` : status && running.has(status.phase) ? 'A send that has started is not cancelled.' : 'This issue is not scheduled.',
    onHandle: () => setOpen(true),
    dialog: open
      ? {
          type: 'confirm',
          message: `Cancel the send set for ${status?.schedule?.when ?? 'later'}? Nothing will be sent until you schedule it again.`,
          onCancel: () => setOpen(false),
          onConfirm: () => {
            setOpen(false);
            void run('Schedule cancelled', () => requestCancelSchedule(target, props.id));
          },
        }
      : null,
  };
};
