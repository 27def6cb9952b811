// Bounce and complaint reports in SQLite: each report is recorded once (by its
// fingerprint) together with the state change it causes, in one transaction, so a
// report is never applied twice nor recorded without its effect. Soft bounces add up
// per issue: enough of them within a subscriber's last sends make the address bounced.
// Also the counts behind `newsdesk sends <n>` and `newsdesk subscribers stats`.
import type { BounceStore, FoundDelivery, ReportOutcome, ReportToApply, SoftBouncePolicy, UnsubscribeByMail } from '../bounces/bounce-processor.ts';
import { alreadyDetail, duplicateReport, noticeDetail, reportActor, reportWording, softBounceWording, stateChangeReason } from '../bounces/report-wording.ts';
import type { BounceReads, IssueReportCounts, SendReputation, SetAsideMessage } from '../bounces/report-counts.ts';
import type { Database } from './db.ts';
import { retryOnBusy, transaction } from './db.ts';
import { transactionalMail, type DeliveryRef } from '../signing/return-path.ts';
import type { SqliteSubscriberStore } from './sqlite-subscriber-store.ts';
import { canTransition, isSuppressed, type ChangeEvidence } from '../subscribers/subscriber.ts';

const delivered = "d.state IN ('sent', 'sending')";

export class SqliteBounceStore implements BounceStore, BounceReads {
  readonly #db: Database;
  readonly #subscribers: SqliteSubscriberStore;
  readonly #byRef;
  readonly #byMessageId;
  readonly #byMail;
  readonly #known;
  readonly #insert;
  readonly #softIssues;
  readonly #aside;
  readonly #unsubscribeMail;

  constructor(db: Database, subscribers: SqliteSubscriberStore) {
    this.#db = db;
    this.#subscribers = subscribers;
    this.#byRef = db.prepare(`SELECT d.issue_number AS issue, d.subscriber_id AS subscriberId, s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
      WHERE d.issue_number = ? AND d.subscriber_id = ? AND ${delivered}`);
    this.#byMessageId = db.prepare(`SELECT d.issue_number AS issue, d.subscriber_id AS subscriberId, s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
      WHERE d.message_id = ? AND ${delivered} LIMIT 1`);
    // A transactional mail's return path names its subscriber: the latest such mail that went out.
    this.#byMail = db.prepare(`SELECT 0 AS issue, m.subscriber_id AS subscriberId, s.email, m.kind AS mail FROM mail_queue m JOIN subscribers s ON s.id = m.subscriber_id
      WHERE m.subscriber_id = ? AND m.state IN ('sent', 'sending') ORDER BY m.id DESC LIMIT 1`);
    this.#known = db.prepare(`SELECT 1 FROM bounce_reports WHERE fingerprint = :f UNION ALL SELECT 1 FROM bounce_set_aside WHERE fingerprint = :f
      UNION ALL SELECT 1 FROM mailbox_unsubscribes WHERE fingerprint = :f LIMIT 1`);
    this.#unsubscribeMail = db.prepare(`INSERT INTO mailbox_unsubscribes (fingerprint, source, subscriber_id, outcome, received_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (fingerprint) DO NOTHING`);
    this.#insert = db.prepare(`INSERT INTO bounce_reports (fingerprint, source, kind, issue_number, subscriber_id, status, diagnostic, outcome, received_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING`);
    // The issues of the subscriber's last sends that drew a soft bounce.
    this.#softIssues = db.prepare(`SELECT DISTINCT b.issue_number AS issue FROM bounce_reports b
      WHERE b.subscriber_id = :id AND b.kind = 'soft' AND b.issue_number IN (
        SELECT d.issue_number FROM deliveries d WHERE d.subscriber_id = :id AND ${delivered} ORDER BY d.issue_number DESC LIMIT :sends)
      ORDER BY b.issue_number`);
    this.#aside = db.prepare('INSERT INTO bounce_set_aside (fingerprint, source, reason, raw, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING');
  }

  async findDelivery(ref: DeliveryRef): Promise<FoundDelivery | undefined> {
    if (ref.issue === transactionalMail) return retryOnBusy(() => this.#byMail.get(ref.subscriberId) as FoundDelivery | undefined);
    return retryOnBusy(() => this.#byRef.get(ref.issue, ref.subscriberId) as FoundDelivery | undefined);
  }

  async findDeliveryByMessageId(messageId: string): Promise<FoundDelivery | undefined> {
    return retryOnBusy(() => this.#byMessageId.get(messageId) as FoundDelivery | undefined);
  }

  async isRecorded(fingerprint: string): Promise<boolean> {
    return retryOnBusy(() => this.#known.get({ f: fingerprint }) !== undefined);
  }

  async applyReport(report: ReportToApply, policy: SoftBouncePolicy, now: Date): Promise<ReportOutcome> {
    return retryOnBusy(() => transaction(this.#db, () => this.#apply(report, policy, now)));
  }

  #apply(report: ReportToApply, policy: SoftBouncePolicy, now: Date): ReportOutcome {
    const { delivery } = report;
    const at = now.toISOString();
    const record = (outcome: string) =>
      Number(this.#insert.run(report.fingerprint, report.source, report.kind, delivery.issue, delivery.subscriberId, report.status ?? null, report.diagnostic ?? null, outcome, at).changes) === 1;
    const subscriber = this.#subscribers.readById(delivery.subscriberId);
    const base = { issue: delivery.issue, subscriberId: delivery.subscriberId, email: delivery.email };
    if (!subscriber) return { outcome: 'duplicate', detail: 'the subscriber was erased' };
    const wording = reportWording(report);
    const { what, evidence } = wording;
    const change = (to: 'bounced' | 'complained', reason: string, extra: Partial<ChangeEvidence> = {}) =>
      this.#subscribers.changeState(subscriber.id, to, { actor: reportActor(to, report), reason, now, evidence: { ...evidence, ...extra } });

    switch (report.kind) {
      case 'hard':
      case 'complaint': {
        const to = report.kind === 'hard' ? 'bounced' : 'complained';
        if (!canTransition(subscriber.state, to, 'system')) {
          const detail = alreadyDetail(report.kind, subscriber.state);
          return record(detail) ? { outcome: 'unchanged', detail, ...base } : duplicateReport();
        }
        const reason = stateChangeReason(report, wording);
        if (!record(to)) return duplicateReport();
        change(to, reason);
        return { outcome: to, detail: reason, ...base };
      }
      case 'soft': {
        if (!record('soft bounce counted')) return duplicateReport();
        const issues = (this.#softIssues.all({ id: subscriber.id, sends: policy.sends }) as Array<{ issue: number }>).map((r) => r.issue);
        const words = softBounceWording(issues, policy, what);
        if (issues.length >= policy.bounces && canTransition(subscriber.state, 'bounced', 'system')) {
          change('bounced', words.bounced, { softBounceIssues: issues });
          return { outcome: 'bounced', detail: words.bounced, ...base };
        }
        return { outcome: 'counted', detail: words.counted, ...base };
      }
      case 'delayed':
      case 'delivered': {
        const detail = noticeDetail(report.kind, what);
        return record(detail) ? { outcome: 'noted', detail, ...base } : duplicateReport();
      }
    }
  }

  async unsubscribeByMail(request: UnsubscribeByMail, now: Date): Promise<ReportOutcome | { outcome: 'no-subscriber' }> {
    return retryOnBusy(() =>
      transaction(this.#db, (): ReportOutcome | { outcome: 'no-subscriber' } => {
        const subscriber = this.#subscribers.readByToken(request.subscriberToken);
        if (!subscriber) return { outcome: 'no-subscriber' };
        const base = { subscriberId: subscriber.id, email: subscriber.email };
        const suppressed = isSuppressed(subscriber.state);
        const detail = suppressed ? `unsubscribe by mail; the subscriber was already ${subscriber.state}` : 'unsubscribe by mail (List-Unsubscribe mailto)';
        const recorded = Number(this.#unsubscribeMail.run(request.fingerprint, request.source, subscriber.id, suppressed ? 'unchanged' : 'unsubscribed', now.toISOString()).changes) === 1;
        if (!recorded) return duplicateReport();
        if (suppressed) return { outcome: 'already-unsubscribed', detail, ...base };
        this.#subscribers.changeState(subscriber.id, 'unsubscribed', { actor: 'subscriber', as: 'subscriber', reason: `${detail}, read from ${request.source}`, now, evidence: request.evidence });
        return { outcome: 'unsubscribed', detail, ...base };
      }),
    );
  }

  async setAside(item: { fingerprint: string; source: string; reason: string; raw: Buffer }, now: Date): Promise<'kept' | 'duplicate'> {
    const changes = await retryOnBusy(() => Number(this.#aside.run(item.fingerprint, item.source, item.reason, item.raw, now.toISOString()).changes));
    return changes === 1 ? 'kept' : 'duplicate';
  }

  /** Messages kept aside, newest first. */
  async listSetAside(limit = 100): Promise<SetAsideMessage[]> {
    const rows = this.#db.prepare('SELECT id, source, reason, raw, received_at FROM bounce_set_aside ORDER BY id DESC LIMIT ?').all(limit) as Array<{ id: number; source: string; reason: string; raw: Uint8Array; received_at: string }>;
    return rows.map((r) => ({ id: r.id, source: r.source, reason: r.reason, receivedAt: r.received_at, raw: Buffer.from(r.raw) }));
  }

  /** Bounces and complaints of the last `sends` sends, newest first. */
  async reputation(sends: number): Promise<SendReputation[]> {
    return this.#db
      .prepare(`SELECT s.issue_number AS issue,
          (SELECT count(*) FROM deliveries d WHERE d.issue_number = s.issue_number AND d.state IN ('sent', 'failed')) AS attempted,
          (SELECT count(*) FROM deliveries d WHERE d.issue_number = s.issue_number AND d.state = 'sent') AS sent,
          (SELECT count(DISTINCT subscriber_id) FROM bounce_reports b WHERE b.issue_number = s.issue_number AND b.kind = 'hard') AS hard,
          (SELECT count(DISTINCT subscriber_id) FROM bounce_reports b WHERE b.issue_number = s.issue_number AND b.kind = 'complaint') AS complained
        FROM sends s ORDER BY s.issue_number DESC LIMIT ?`)
      .all(sends) as unknown as SendReputation[];
  }

  /** Distinct subscribers with a hard bounce, a soft bounce (and no hard one) and a complaint, for one issue. */
  async countsFor(issue: number): Promise<IssueReportCounts> {
    const row = this.#db
      .prepare(`SELECT
          count(DISTINCT CASE WHEN kind = 'hard' THEN subscriber_id END) AS hard,
          count(DISTINCT CASE WHEN kind = 'soft' AND subscriber_id NOT IN (SELECT subscriber_id FROM bounce_reports WHERE issue_number = :issue AND kind = 'hard') THEN subscriber_id END) AS soft,
          count(DISTINCT CASE WHEN kind = 'complaint' THEN subscriber_id END) AS complained
        FROM bounce_reports WHERE issue_number = :issue`)
      .get({ issue }) as unknown as IssueReportCounts;
    return row;
  }
}
