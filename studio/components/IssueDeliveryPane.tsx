// The "Delivery" view of an issue: the schedule (in the zone it was chosen in and in
// the editor's own), what changed since, then the live counts while the send runs
// (queued, sent, failed, bounced, unknown, rate, time left) and the final report.
import { Box, Card, Flex, Grid, Heading, Stack, Text } from '@sanity/ui';
import type { UserViewComponent } from 'sanity/structure';
import type { DeliveryStatus } from '../../delivery/schedule/delivery-status.ts';
import { formatDuration } from '../../delivery/sending/progress.ts';
import { sendBlockedReason } from '../delivery-api.ts';
import { useDelivery } from '../use-delivery.ts';

const tones: Record<DeliveryStatus['phase'], 'default' | 'primary' | 'positive' | 'caution' | 'critical'> = {
  none: 'default',
  scheduled: 'primary',
  missed: 'caution',
  refused: 'critical',
  starting: 'primary',
  sending: 'primary',
  paused: 'caution',
  interrupted: 'caution',
  sent: 'positive',
  unresolved: 'caution',
};

function inYourTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
}

function Count(props: { label: string; value: string | number; id: string }) {
  return (
    <Card padding={3} radius={2} border>
      <Stack gap={2}>
        <Text size={1} muted>
          {props.label}
        </Text>
        <Text size={3} weight="semibold" data-testid={`delivery-${props.id}`}>
          {props.value}
        </Text>
      </Stack>
    </Card>
  );
}

export const IssueDeliveryPane: UserViewComponent = (props) => {
  const { value: status, error } = useDelivery(props.documentId, Boolean(props.document.draft || props.document.published));
  const blocked = sendBlockedReason({ draft: props.document.draft, published: props.document.published });
  return (
    <Box padding={4}>
      <Stack gap={4}>
        {error ? (
          <Card padding={3} tone="critical" radius={2}>
            <Text size={1}>{error}</Text>
          </Card>
        ) : null}
        {!status ? (
          <Text muted>Asking the server…</Text>
        ) : (
          <>
            <Card padding={4} radius={2} tone={tones[status.phase]} data-testid="delivery-phase" data-phase={status.phase}>
              <Stack gap={3}>
                <Heading size={1}>{status.summary}</Heading>
                {status.schedule && status.phase === 'scheduled' ? <Text size={1}>In your time: {inYourTime(status.schedule.sendAt)}; scheduled from {status.schedule.scheduledBy}.</Text> : null}
                {status.schedule?.reason && (status.phase === 'missed' || status.phase === 'refused') ? <Text size={1}>{status.schedule.reason}</Text> : null}
              </Stack>
            </Card>
            {status.changedSinceScheduled ? (
              <Card padding={3} radius={2} tone="caution" data-testid="delivery-changed">
                <Text size={1}>The issue was edited and published again after it was scheduled: the send takes the issue as published at its time.</Text>
              </Card>
            ) : null}
            {status.unpublishedChanges ? (
              <Card padding={3} radius={2} tone="caution">
                <Text size={1}>This issue has unpublished changes; they are not sent unless you publish them before the send.</Text>
              </Card>
            ) : null}
            {blocked && status.phase === 'none' ? (
              <Text size={1} muted>
                {blocked}
              </Text>
            ) : null}
            <Grid gridTemplateColumns={[2, 3, 4]} gap={3}>
              <Count id="reach" label="Active subscribers" value={status.activeSubscribers} />
              <Count id="queued" label="Queued" value={status.counts.queued} />
              <Count id="sent" label="Sent" value={status.counts.sent} />
              <Count id="failed" label="Failed" value={status.counts.failed} />
              <Count id="bounced" label="Bounced" value={status.counts.bounced} />
              <Count id="unknown" label="Unknown" value={status.counts.unknown} />
              <Count id="rate" label="Rate" value={status.ratePerSecond === undefined ? '—' : `${status.ratePerSecond.toFixed(1)}/s`} />
              <Count id="left" label="Time left" value={status.secondsLeft === undefined ? '—' : formatDuration(status.secondsLeft * 1000)} />
            </Grid>
            <Report status={status} />
          </>
        )}
      </Stack>
    </Box>
  );
};

/** What happened, once the send has stopped: who got it, what failed, what is unknown and what to do. */
function Report({ status }: { status: DeliveryStatus }) {
  if (!['sent', 'unresolved', 'paused', 'interrupted'].includes(status.phase)) return null;
  const { counts } = status;
  const started = status.startedAt ? new Date(status.startedAt) : undefined;
  const finished = status.finishedAt ? new Date(status.finishedAt) : undefined;
  return (
    <Card padding={3} radius={2} border data-testid="delivery-report">
      <Stack gap={3}>
        <Text size={1} weight="semibold">
          Report
        </Text>
        <Flex direction="column" gap={2}>
          <Text size={1}>
            {counts.sent} of {counts.total} sent{counts.failed ? `, ${counts.failed} failed (${counts.bounced} bounced)` : ''}
            {counts.skipped ? `, ${counts.skipped} skipped (no longer subscribed)` : ''}.
          </Text>
          {started ? <Text size={1}>Started {inYourTime(started.toISOString())}{finished ? `, finished after ${formatDuration(finished.getTime() - started.getTime())}` : ''}.</Text> : null}
          {counts.unknown > 0 ? (
            <Text size={1}>
              {counts.unknown} delivery(ies) have an unknown outcome: their message had started to leave when a server stopped abruptly. Check the relay's log, then run `newsdesk send {status.issueNumber} --yes --resend-unknown` or `--skip-unknown`.
            </Text>
          ) : null}
          {status.phase === 'paused' ? <Text size={1}>Fix the cause, then use Send now to resume.</Text> : null}
        </Flex>
      </Stack>
    </Card>
  );
}
