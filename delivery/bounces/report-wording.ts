// How a report reads in a subscriber's history and in the processor's answer: what it is
// about, the evidence kept with the change, the words for each kind. Pure, and shared by
// the stores that apply reports (sqlite/ and postgres/), so both say the same.
import type { ReportKind } from './bounce-report.ts';
import type { ReportOutcome, ReportToApply, SoftBouncePolicy } from './bounce-processor.ts';
import type { ChangeEvidence } from '../subscribers/subscriber.ts';

export interface ReportWording {
  /** "issue #12", or "the confirmation mail". */
  about: string;
  /** Status and diagnostic with what it is about, for reasons and details. */
  what: string;
  evidence: ChangeEvidence;
}

export function reportWording(report: ReportToApply): ReportWording {
  const { delivery } = report;
  const about = delivery.mail ? `the ${delivery.mail === 'confirm' ? 'confirmation' : 'welcome'} mail` : `issue #${delivery.issue}`;
  return {
    about,
    what: `${[report.status, report.diagnostic].filter(Boolean).join(' ') || 'no diagnostic'} (${about})`,
    evidence: {
      ...(delivery.mail ? { mail: delivery.mail } : { issue: delivery.issue }),
      status: report.status,
      diagnostic: report.diagnostic,
      feedbackType: report.feedbackType,
      source: report.source,
      report: report.reportId,
    },
  };
}

/** Who the history says made a change a report caused. */
export function reportActor(to: 'bounced' | 'complained', report: Pick<ReportToApply, 'source'>): string {
  return `${to === 'complained' ? 'complaint' : 'bounce'}:${report.source}`;
}

export function reportLabel(kind: ReportKind): string {
  return { hard: 'hard bounce', soft: 'soft bounce', complaint: 'complaint', delayed: 'delay notice', delivered: 'delivery notice' }[kind];
}

export function duplicateReport(): ReportOutcome {
  return { outcome: 'duplicate', detail: 'this report was processed before' };
}

/** Why a hard bounce or a complaint changed the subscriber's state. */
export function stateChangeReason(report: Pick<ReportToApply, 'kind' | 'feedbackType'>, wording: Pick<ReportWording, 'about' | 'what'>): string {
  return report.kind === 'hard' ? `hard bounce: ${wording.what}` : `spam complaint (${report.feedbackType ?? 'abuse'}) about ${wording.about}`;
}

/** A report that changes nothing because the subscriber is already past it. */
export function alreadyDetail(kind: ReportKind, state: string): string {
  return `${reportLabel(kind)}; the subscriber was already ${state}`;
}

/** A soft bounce counted against the policy: the answer, and the reason when it makes the subscriber bounced. */
export function softBounceWording(issues: number[], policy: SoftBouncePolicy, what: string): { counted: string; bounced: string } {
  return {
    counted: `soft bounce: ${what}; ${issues.length} soft bounce(s) within the last ${policy.sends} send(s), ${policy.bounces} make it bounced`,
    bounced: `${issues.length} soft bounces within the last ${policy.sends} sends (issues ${issues.map((i) => `#${i}`).join(', ')}); last: ${what}`,
  };
}

/** A delay or delivery notice, noted without changing anything. */
export function noticeDetail(kind: ReportKind, what: string): string {
  return `${reportLabel(kind)}: ${what}`;
}
