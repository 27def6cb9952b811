// Importing subscribers from any source (the CSV reader, or a platform migration that
// maps Substack/Ghost/Buttondown exports to rows): rows arrive as an async stream,
// are de-duplicated by mailbox, and are written in small chunks, each its own short
// transaction with a pause after it, so an import of any size holds the database
// lock for milliseconds at a time and unsubscribes, sign-ups and sends go on beside it.
// A dry run reads what is stored and writes nothing, so it reports exactly what a real
// run would do.
import { sleep } from '../../core/sleep.ts';
import { emailKey, isSuppressed, type SubscriberInput, type SubscriberState } from './subscriber.ts';

export interface ImportRow extends SubscriberInput {
  /** Where the row came from (a line in the file), for reports. */
  line: number;
  attributes?: Record<string, string> | undefined;
}

/** A row that could not be read or validated; the import goes on without it. */
export interface BadRow {
  line: number;
  reason: string;
}

export type ImportOutcome =
  | 'added'
  /** An existing pending subscriber became active. */
  | 'activated'
  /** Already there in a state the import does not change. */
  | 'unchanged'
  /** Unsubscribed, bounced or complained: left as it is, never re-activated. */
  | 'suppressed'
  /** The row itself carried a suppressed state and moved an existing address into it. */
  | 'newly-suppressed'
  /** The same mailbox earlier in this import (letter case does not matter). */
  | 'duplicate';

export interface ImportOptions {
  /** What a new address becomes: active, or pending for double opt-in. */
  state: 'pending' | 'active';
  /** Recorded on new subscribers whose row names no source. */
  source: string;
  dryRun: boolean;
  /** Who the history says made the changes, e.g. "import:people.csv". */
  actor: string;
  now: () => Date;
}

export interface ImportReport {
  counts: Record<ImportOutcome, number>;
  /** New subscribers by the state they were added in. */
  addedByState: Partial<Record<SubscriberState, number>>;
  bad: number;
}

/** What one row does to what is stored: the decision, apart from the writing. */
export type RowPlan =
  | { outcome: 'added'; state: SubscriberState }
  | { outcome: 'activated' | 'newly-suppressed'; state: SubscriberState }
  | { outcome: 'unchanged' | 'suppressed'; state: SubscriberState };

/** Pure: an import never lifts an address out of a suppressed state, and only suppresses further. */
export function planImportRow(existing: SubscriberState | undefined, row: Pick<ImportRow, 'state'>, importState: 'pending' | 'active'): RowPlan {
  const wanted: SubscriberState = row.state && isSuppressed(row.state) ? row.state : importState;
  if (existing === undefined) return { outcome: 'added', state: wanted };
  if (isSuppressed(existing)) return { outcome: 'suppressed', state: existing };
  if (isSuppressed(wanted)) return { outcome: 'newly-suppressed', state: wanted };
  if (existing === 'pending' && wanted === 'active') return { outcome: 'activated', state: 'active' };
  return { outcome: 'unchanged', state: existing };
}

/** What an import needs from the subscriber store. */
export interface SubscriberImporter {
  /**
   * Applies the rows (first occurrences of distinct mailboxes) in one transaction, or
   * with dryRun only works out what it would do. Resolves with each row's plan, in order.
   */
  importChunk(rows: readonly ImportRow[], options: ImportOptions): Promise<RowPlan[]>;
  /**
   * The pace that suits the store, unless the caller sets one: SQLite locks the whole
   * file per transaction, so small chunks with a pause let other writers in; PostgreSQL
   * locks rows, so bigger chunks with no pause only make the import faster.
   */
  readonly importPace?: { chunkSize: number; yieldRatio: number };
}

export interface ImportRunOptions extends ImportOptions {
  /** Rows per transaction; small enough that one commit takes a few milliseconds. */
  chunkSize?: number;
  /** Pause after each chunk, in proportion to its time, so waiting writers get the lock (at least 2 ms). */
  yieldRatio?: number;
  onBad?: (bad: BadRow) => void;
  onProgress?: (rowsDone: number) => void;
  signal?: AbortSignal;
}

/**
 * Imports a stream of rows (and bad rows, which are reported and counted). Memory
 * stays flat but for one set of mailbox keys, which finds duplicates within the import.
 */
export async function importSubscribers(
  source: AsyncIterable<ImportRow | BadRow> | Iterable<ImportRow | BadRow>,
  store: SubscriberImporter,
  options: ImportRunOptions,
): Promise<ImportReport> {
  const chunkSize = options.chunkSize ?? store.importPace?.chunkSize ?? 250;
  const yieldRatio = options.yieldRatio ?? store.importPace?.yieldRatio ?? 1;
  const report: ImportReport = {
    counts: { added: 0, activated: 0, unchanged: 0, suppressed: 0, 'newly-suppressed': 0, duplicate: 0 },
    addedByState: {},
    bad: 0,
  };
  const seen = new Set<string>();
  let chunk: ImportRow[] = [];
  let done = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    const rows = chunk;
    chunk = [];
    const started = performance.now();
    const plans = await store.importChunk(rows, options);
    for (const plan of plans) {
      report.counts[plan.outcome]++;
      if (plan.outcome === 'added') report.addedByState[plan.state] = (report.addedByState[plan.state] ?? 0) + 1;
    }
    done += rows.length;
    options.onProgress?.(done);
    if (yieldRatio > 0) await sleep(Math.max(2, (performance.now() - started) * yieldRatio));
  };
  for await (const item of source) {
    if (options.signal?.aborted) break;
    if (!('email' in item)) {
      report.bad++;
      options.onBad?.(item);
      continue;
    }
    const key = emailKey(item.email);
    if (seen.has(key)) {
      report.counts.duplicate++;
      continue;
    }
    seen.add(key);
    chunk.push(item);
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  return report;
}
