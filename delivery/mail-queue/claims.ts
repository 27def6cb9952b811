// Who holds a transactional mail: a claim names its worker as host:pid. Which claims a
// worker may take back (its own, and those of a dead worker on this host), and after how
// long a claim from another host counts as abandoned. Pure, shared by the queue's stores.
import os from 'node:os';
import { isProcessAlive } from '../sending/send-issue.ts';

/** A worker on another host that holds a claim this long has stopped (a mail takes seconds). */
export const staleClaimMs = 15 * 60_000;

export interface MailQueueOptions {
  /** This worker, as claims name it: host:pid. */
  claimant?: { host: string; pid: number };
  isProcessAlive?: (pid: number) => boolean;
}

export interface Claimant {
  /** As claims name this worker: host:pid. */
  me: string;
  /** Of the claimants found, those whose mails this worker puts back (null: a claim from before claims were named). */
  gone(claimants: ReadonlyArray<string | null>, ownOnly: boolean): Array<string | null>;
}

export function claimantOf(options: MailQueueOptions = {}): Claimant {
  const { host, pid } = options.claimant ?? { host: os.hostname(), pid: process.pid };
  const me = `${host}:${pid}`;
  const isAlive = options.isProcessAlive ?? isProcessAlive;
  return {
    me,
    gone: (claimants, ownOnly) =>
      claimants.filter((claimant) => {
        if (claimant === me) return true;
        // Rows from before claims were named have no claimant: only a starting worker takes them.
        if (ownOnly || claimant === null) return claimant === null && !ownOnly;
        const at = claimant.lastIndexOf(':');
        return claimant.slice(0, at) === host && !isAlive(Number(claimant.slice(at + 1)));
      }),
  };
}
