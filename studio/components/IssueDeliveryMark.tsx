// The Issues list's mark for an issue's send. List previews take plain text for their
// title and subtitle, but a component for their media: so the media square shows a
// clock for a scheduled issue, a rocket while it sends, a check once sent and a warning
// when it needs the editor, with the words ("Scheduled Fri 4 Dec, 08:00 Europe/Berlin",
// "Sending 120/300", "Sent to 300") as its label, from one shared poll.
import { CheckmarkCircleIcon } from '@sanity/icons/CheckmarkCircle';
import { ClockIcon } from '@sanity/icons/Clock';
import { EnvelopeIcon } from '@sanity/icons/Envelope';
import { RocketIcon } from '@sanity/icons/Rocket';
import { WarningOutlineIcon } from '@sanity/icons/WarningOutline';
import type { ComponentType, CSSProperties } from 'react';
import type { DeliveryPhase } from '../../delivery/schedule/delivery-status.ts';
import { deliveryMark } from '../delivery-api.ts';
import { useDeliveries } from '../use-delivery.ts';

const icons: Record<DeliveryPhase, ComponentType<{ style?: CSSProperties }>> = {
  none: EnvelopeIcon,
  scheduled: ClockIcon,
  starting: RocketIcon,
  sending: RocketIcon,
  sent: CheckmarkCircleIcon,
  missed: WarningOutlineIcon,
  refused: WarningOutlineIcon,
  paused: WarningOutlineIcon,
  interrupted: WarningOutlineIcon,
  unresolved: WarningOutlineIcon,
};

// Mid-tones that read on light and dark cards alike.
const colours: Partial<Record<DeliveryPhase, string>> = {
  scheduled: '#2276fc',
  starting: '#2276fc',
  sending: '#2276fc',
  sent: '#2e9d5b',
  missed: '#c98a0a',
  refused: '#d0413b',
  paused: '#c98a0a',
  interrupted: '#c98a0a',
  unresolved: '#c98a0a',
};

const media = new Map<number, ComponentType>();

/** The media for an issue's preview: its delivery mark, or the issue icon when it has none. */
export function issueMedia(number: number | undefined): ComponentType {
  if (typeof number !== 'number') return EnvelopeIcon;
  let component = media.get(number);
  // One component per issue: a new one on every render would remount the preview.
  if (!component) {
    component = function IssueDeliveryMark() {
      const status = useDeliveries().value?.get(number);
      const mark = deliveryMark(status);
      const phase = mark ? status!.phase : 'none';
      const Icon = icons[phase];
      return (
        <span
          data-testid={mark ? 'issue-delivery-mark' : undefined}
          data-issue={number}
          data-mark={mark}
          title={mark}
          aria-label={mark}
          role={mark ? 'img' : undefined}
          style={{ display: 'flex', alignItems: 'center', justifyContent: 'center', width: '100%', height: '100%' }}
        >
          {/* The preview's media box colours icons itself; the mark's colour goes on the icon. */}
          <Icon style={colours[phase] ? { color: colours[phase] } : {}} />
        </span>
      );
    };
    media.set(number, component);
  }
  return component;
}
