// What the status commands read back about bounces and complaints: per-issue counts,
// the reputation of recent sends against the inbox providers' limits, and the messages
// kept aside. Declared here; the stores in delivery/sqlite/ and delivery/postgres/ answer it.

export interface IssueReportCounts {
  hard: number;
  soft: number;
  complained: number;
}

export interface SetAsideMessage {
  id: number;
  source: string;
  reason: string;
  receivedAt: string;
  raw: Buffer;
}

export interface SendReputation {
  issue: number;
  /** Messages that left: accepted by the relay or refused by it. */
  attempted: number;
  sent: number;
  hard: number;
  complained: number;
}

/** Inbox providers' thresholds: Gmail and Yahoo want complaints under 0.3%; SES reviews accounts above 5% bounces and warns from 2%. */
export const reputationLimits = { complaintRate: 0.003, bounceRate: 0.02 } as const;

export interface BounceReads {
  /** Messages kept aside, newest first. */
  listSetAside(limit?: number): Promise<SetAsideMessage[]>;
  /** Bounces and complaints of the last `sends` sends, newest first. */
  reputation(sends: number): Promise<SendReputation[]>;
  /** Distinct subscribers with a hard bounce, a soft bounce (and no hard one) and a complaint, for one issue. */
  countsFor(issue: number): Promise<IssueReportCounts>;
}
