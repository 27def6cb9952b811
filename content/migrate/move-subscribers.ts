// The one place a migration hands subscribers to the delivery database, through the
// delivery's own import (streamed, a few hundred rows per short transaction, so a big
// list never blocks unsubscribes). Rows are validated by the same schema as every other
// way in; suppressed states (unsubscribed, bounced, complained) travel with the row and
// are never undone; pending readers stay pending, everyone else arrives active.
import { formatZodIssues } from '../../core/errors.ts';
import { importSubscribers, type ImportRow, type SubscriberImporter } from '../../delivery/subscribers/import-subscribers.ts';
import { subscriberInputSchema } from '../../delivery/subscribers/subscriber.ts';
import type { MigratedSubscriber } from './migration.ts';

export type { SubscriberImporter };

export interface MovedSubscribers {
  /** Outcome → count, over both imports. */
  counts: Record<string, number>;
  invalid: Array<{ origin: string; reason: string }>;
}

export async function moveSubscribers(
  store: SubscriberImporter,
  subscribers: MigratedSubscriber[],
  options: { source: string; dryRun: boolean; now: Date },
): Promise<MovedSubscribers> {
  const invalid: MovedSubscribers['invalid'] = [];
  const byTarget: Record<'pending' | 'active', ImportRow[]> = { pending: [], active: [] };
  subscribers.forEach((s, i) => {
    const parsed = subscriberInputSchema.safeParse({ email: s.email, name: s.name, state: s.state === 'active' || s.state === 'pending' ? undefined : s.state, source: options.source });
    if (!parsed.success) {
      invalid.push({ origin: s.origin, reason: formatZodIssues(parsed.error.issues).join('; ') });
      return;
    }
    byTarget[s.state === 'pending' ? 'pending' : 'active'].push({ ...parsed.data, line: i + 1 });
  });
  const counts: Record<string, number> = {};
  for (const state of ['active', 'pending'] as const) {
    if (byTarget[state].length === 0) continue;
    const report = await importSubscribers(byTarget[state], store, { state, source: options.source, dryRun: options.dryRun, actor: options.source, now: () => options.now });
    for (const [outcome, n] of Object.entries(report.counts)) if (n > 0) counts[outcome] = (counts[outcome] ?? 0) + n;
  }
  return { counts, invalid };
}
