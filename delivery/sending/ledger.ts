// What the send ledger records, as the send service, the scheduler and the status views
// read it: each delivery's state and the counts per state, a send's status, and who
// holds its lease. The stores behind the ledger (sqlite/sqlite-ledger.ts, postgres/pg-ledger.ts) import these
// types; nothing here knows how they are kept.
/** Who holds a send's lease: enough to tell a person, and to see that a process on this machine is gone. */
export interface LeaseHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export const deliveryStates = ['queued', 'claimed', 'sending', 'sent', 'failed', 'skipped'] as const;
export type DeliveryState = (typeof deliveryStates)[number];
export type DeliveryCounts = Record<DeliveryState, number>;

/** unresolved: everything else is done, but some deliveries' outcome is unknown (see `send --help`). */
export type SendStatus = 'running' | 'paused' | 'interrupted' | 'completed' | 'unresolved';

export interface SendRecord {
  issueNumber: number;
  subject: string;
  status: SendStatus;
  pauseReason: string | undefined;
  transport: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | undefined;
  /** Who holds the send's lease, and until when (ms); undefined when nobody does. */
  lease: { holder: LeaseHolder; expiresAt: number } | undefined;
  /** Workers with a live lease on the send (PostgreSQL, where several may share it); the lease above is the first of them. */
  workers?: number;
  counts: DeliveryCounts;
}

/** One delivery as the status commands list it. */
export interface DeliveryRow {
  email: string;
  state: DeliveryState;
  attempts: number;
  lastError: string | undefined;
  messageId: string | undefined;
}

/** What the status views, the scheduler and the `send` command read from the ledger. */
export interface SendReads {
  getSend(issue: number): Promise<SendRecord | undefined>;
  /** Every send, newest issue first. */
  listSends(): Promise<SendRecord[]>;
  counts(issue: number): Promise<DeliveryCounts>;
  /** Active subscribers a new run would queue, without queuing them. */
  countUnqueuedActive(issue: number): Promise<number>;
  countRetryableFailed(issue: number): Promise<number>;
  deliveries(issue: number, state?: DeliveryState, limit?: number): Promise<DeliveryRow[]>;
}
