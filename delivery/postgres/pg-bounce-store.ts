// Bounce and complaint reports in PostgreSQL, the twin of sqlite/sqlite-bounce-store.ts:
// each report is recorded once (its fingerprint is unique) together with the state change
// it causes, in one transaction that holds the subscriber's row, so a report is never
// applied twice nor recorded without its effect, whichever server reads it. Also the
// counts behind `newsdesk sends <n>` and `newsdesk subscribers stats`.
import type { BounceStore, FoundDelivery, ReportOutcome, ReportToApply, SoftBouncePolicy, UnsubscribeByMail } from '../bounces/bounce-processor.ts';
import { alreadyDetail, duplicateReport, noticeDetail, reportActor, reportWording, softBounceWording, stateChangeReason } from '../bounces/report-wording.ts';
import type { BounceReads, IssueReportCounts, SendReputation, SetAsideMessage } from '../bounces/report-counts.ts';
import { transactionalMail, type DeliveryRef } from '../signing/return-path.ts';
import { canTransition, isSuppressed, type ChangeEvidence } from '../subscribers/subscriber.ts';
import { transaction, type Pool, type PoolClient, type Queryable } from './pg-db.ts';
import { lockSubscriber, setStateIn, subscriberByToken } from './pg-subscriber-store.ts';

const delivered = "d.state IN ('sent', 'sending')";

export class PgBounceStore implements BounceStore, BounceReads {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async findDelivery(ref: DeliveryRef): Promise<FoundDelivery | undefined> {
    // A transactional mail's return path names its subscriber: the latest such mail that went out.
    const { rows } =
      ref.issue === transactionalMail
        ? await this.#pool.query<FoundDelivery>(
            `SELECT 0 AS issue, m.subscriber_id AS "subscriberId", s.email, m.kind AS mail FROM mail_queue m JOIN subscribers s ON s.id = m.subscriber_id
             WHERE m.subscriber_id = $1 AND m.state IN ('sent', 'sending') ORDER BY m.id DESC LIMIT 1`,
            [ref.subscriberId],
          )
        : await this.#pool.query<FoundDelivery>(
            `SELECT d.issue_number AS issue, d.subscriber_id AS "subscriberId", s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.issue_number = $1 AND d.subscriber_id = $2 AND ${delivered}`,
            [ref.issue, ref.subscriberId],
          );
    return rows[0];
  }

  async findDeliveryByMessageId(messageId: string): Promise<FoundDelivery | undefined> {
    const { rows } = await this.#pool.query<FoundDelivery>(
      `SELECT d.issue_number AS issue, d.subscriber_id AS "subscriberId", s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
       WHERE d.message_id = $1 AND ${delivered} LIMIT 1`,
      [messageId],
    );
    return rows[0];
  }

  async isRecorded(fingerprint: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `SELECT 1 FROM bounce_reports WHERE fingerprint = $1 UNION ALL SELECT 1 FROM bounce_set_aside WHERE fingerprint = $1
       UNION ALL SELECT 1 FROM mailbox_unsubscribes WHERE fingerprint = $1 LIMIT 1`,
      [fingerprint],
    );
    return rowCount === 1;
  }

  applyReport(report: ReportToApply, policy: SoftBouncePolicy, now: Date): Promise<ReportOutcome> {
    return transaction(this.#pool, (client) => this.#apply(client, report, policy, now));
  }

  async #apply(client: PoolClient, report: ReportToApply, policy: SoftBouncePolicy, now: Date): Promise<ReportOutcome> {
    const { delivery } = report;
    const at = now.toISOString();
    const record = async (outcome: string) =>
      !(await known(client, 'bounce_reports', report.fingerprint)) &&
      (
        await client.query(
          `INSERT INTO bounce_reports (fingerprint, source, kind, issue_number, subscriber_id, status, diagnostic, outcome, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (fingerprint) DO NOTHING`,
          [report.fingerprint, report.source, report.kind, delivery.issue, delivery.subscriberId, report.status ?? null, report.diagnostic ?? null, outcome, at],
        )
      ).rowCount === 1;
    // Held until the commit: two reports about one subscriber are applied one after the other.
    const subscriber = await lockSubscriber(client, delivery.subscriberId);
    const base = { issue: delivery.issue, subscriberId: delivery.subscriberId, email: delivery.email };
    if (!subscriber) return { outcome: 'duplicate', detail: 'the subscriber was erased' };
    const wording = reportWording(report);
    const { what, evidence } = wording;
    const change = (to: 'bounced' | 'complained', reason: string, extra: Partial<ChangeEvidence> = {}) =>
      setStateIn(client, subscriber.id, to, { actor: reportActor(to, report), reason, now, evidence: { ...evidence, ...extra } });

    switch (report.kind) {
      case 'hard':
      case 'complaint': {
        const to = report.kind === 'hard' ? 'bounced' : 'complained';
        if (!canTransition(subscriber.state, to, 'system')) {
          const detail = alreadyDetail(report.kind, subscriber.state);
          return (await record(detail)) ? { outcome: 'unchanged', detail, ...base } : duplicateReport();
        }
        const reason = stateChangeReason(report, wording);
        if (!(await record(to))) return duplicateReport();
        await change(to, reason);
        return { outcome: to, detail: reason, ...base };
      }
      case 'soft': {
        if (!(await record('soft bounce counted'))) return duplicateReport();
        // The issues of the subscriber's last sends that drew a soft bounce.
        const { rows } = await client.query<{ issue: number }>(
          `SELECT DISTINCT b.issue_number AS issue FROM bounce_reports b
           WHERE b.subscriber_id = $1 AND b.kind = 'soft' AND b.issue_number IN (
             SELECT d.issue_number FROM deliveries d WHERE d.subscriber_id = $1 AND ${delivered} ORDER BY d.issue_number DESC LIMIT $2)
           ORDER BY b.issue_number`,
          [subscriber.id, policy.sends],
        );
        const issues = rows.map((r) => r.issue);
        const words = softBounceWording(issues, policy, what);
        if (issues.length >= policy.bounces && canTransition(subscriber.state, 'bounced', 'system')) {
          await change('bounced', words.bounced, { softBounceIssues: issues });
          return { outcome: 'bounced', detail: words.bounced, ...base };
        }
        return { outcome: 'counted', detail: words.counted, ...base };
      }
      case 'delayed':
      case 'delivered': {
        const detail = noticeDetail(report.kind, what);
        return (await record(detail)) ? { outcome: 'noted', detail, ...base } : duplicateReport();
      }
    }
  }

  unsubscribeByMail(request: UnsubscribeByMail, now: Date): Promise<ReportOutcome | { outcome: 'no-subscriber' }> {
    return transaction(this.#pool, async (client): Promise<ReportOutcome | { outcome: 'no-subscriber' }> => {
      const subscriber = await subscriberByToken(client, request.subscriberToken, true);
      if (!subscriber) return { outcome: 'no-subscriber' };
      const base = { subscriberId: subscriber.id, email: subscriber.email };
      const suppressed = isSuppressed(subscriber.state);
      const detail = suppressed ? `unsubscribe by mail; the subscriber was already ${subscriber.state}` : 'unsubscribe by mail (List-Unsubscribe mailto)';
      if (await known(client, 'mailbox_unsubscribes', request.fingerprint)) return duplicateReport();
      const { rowCount } = await client.query(
        `INSERT INTO mailbox_unsubscribes (fingerprint, source, subscriber_id, outcome, received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (fingerprint) DO NOTHING`,
        [request.fingerprint, request.source, subscriber.id, suppressed ? 'unchanged' : 'unsubscribed', now.toISOString()],
      );
      if (rowCount !== 1) return duplicateReport();
      if (suppressed) return { outcome: 'already-unsubscribed', detail, ...base };
      await setStateIn(client, subscriber.id, 'unsubscribed', { actor: 'subscriber', as: 'subscriber', reason: `${detail}, read from ${request.source}`, now, evidence: request.evidence });
      return { outcome: 'unsubscribed', detail, ...base };
    });
  }

  async setAside(item: { fingerprint: string; source: string; reason: string; raw: Buffer }, now: Date): Promise<'kept' | 'duplicate'> {
    if (await known(this.#pool, 'bounce_set_aside', item.fingerprint)) return 'duplicate';
    const { rowCount } = await this.#pool.query(
      'INSERT INTO bounce_set_aside (fingerprint, source, reason, raw, received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (fingerprint) DO NOTHING',
      [item.fingerprint, item.source, item.reason, item.raw, now.toISOString()],
    );
    return rowCount === 1 ? 'kept' : 'duplicate';
  }

  /** Messages kept aside, newest first. */
  async listSetAside(limit = 100): Promise<SetAsideMessage[]> {
    const { rows } = await this.#pool.query<{ id: number; source: string; reason: string; raw: Buffer; received_at: string }>(
      'SELECT id, source, reason, raw, received_at FROM bounce_set_aside ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ id: r.id, source: r.source, reason: r.reason, receivedAt: r.received_at, raw: r.raw }));
  }

  /** Bounces and complaints of the last `sends` sends, newest first. */
  async reputation(sends: number): Promise<SendReputation[]> {
    const { rows } = await this.#pool.query<SendReputation>(
      `SELECT s.issue_number AS issue,
         (SELECT count(*) FROM deliveries d WHERE d.issue_number = s.issue_number AND d.state IN ('sent', 'failed')) AS attempted,
         (SELECT count(*) FROM deliveries d WHERE d.issue_number = s.issue_number AND d.state = 'sent') AS sent,
         (SELECT count(DISTINCT subscriber_id) FROM bounce_reports b WHERE b.issue_number = s.issue_number AND b.kind = 'hard') AS hard,
         (SELECT count(DISTINCT subscriber_id) FROM bounce_reports b WHERE b.issue_number = s.issue_number AND b.kind = 'complaint') AS complained
       FROM sends s ORDER BY s.issue_number DESC LIMIT $1`,
      [sends],
    );
    return rows;
  }

  /** Distinct subscribers with a hard bounce, a soft bounce (and no hard one) and a complaint, for one issue. */
  async countsFor(issue: number): Promise<IssueReportCounts> {
    const { rows } = await this.#pool.query<IssueReportCounts>(
      `SELECT
         count(DISTINCT CASE WHEN kind = 'hard' THEN subscriber_id END) AS hard,
         count(DISTINCT CASE WHEN kind = 'soft' AND subscriber_id NOT IN (SELECT subscriber_id FROM bounce_reports WHERE issue_number = $1 AND kind = 'hard' AND subscriber_id IS NOT NULL) THEN subscriber_id END) AS soft,
         count(DISTINCT CASE WHEN kind = 'complaint' THEN subscriber_id END) AS complained
       FROM bounce_reports WHERE issue_number = $1`,
      [issue],
    );
    return rows[0]!;
  }
}

/**
 * Whether a fingerprint is recorded: asked before inserting, because an insert that ON
 * CONFLICT refuses still uses up an id, and ids should run without gaps as in SQLite.
 * The unique index still decides a race between two servers.
 */
export async function known(db: Queryable, table: 'bounce_reports' | 'bounce_set_aside' | 'mailbox_unsubscribes', fingerprint: string): Promise<boolean> {
  return ((await db.query(`SELECT 1 FROM ${table} WHERE fingerprint = $1`, [fingerprint])).rowCount ?? 0) > 0;
}
