// One send as both stores keep it in their `sends` table, and the SendRecord the status
// views read: the columns are the same in SQLite and PostgreSQL, only where the lease is
// kept differs (a column of the send in SQLite, a row per worker in PostgreSQL).
import type { DeliveryCounts, LeaseHolder, SendRecord, SendStatus } from './ledger.ts';

export interface SendRow {
  issue_number: number;
  subject: string;
  status: SendStatus;
  pause_reason: string | null;
  transport: string;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

/** `holder` is the lease holder as stored (JSON), with its expiry; `workers` how many hold a lease now. */
export function sendRecordFrom(r: SendRow, lease: { holder: string | null; expiresAt: number | null }, counts: DeliveryCounts, workers?: number): SendRecord {
  return {
    issueNumber: r.issue_number,
    subject: r.subject,
    status: r.status,
    pauseReason: r.pause_reason ?? undefined,
    transport: r.transport,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at ?? undefined,
    lease: lease.holder && lease.expiresAt !== null ? { holder: JSON.parse(lease.holder) as LeaseHolder, expiresAt: lease.expiresAt } : undefined,
    ...(workers === undefined ? {} : { workers }),
    counts,
  };
}
