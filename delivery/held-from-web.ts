// Which published issues `newsdesk build` leaves off the site for now: those scheduled to be
// sent and not sent yet, when the site publishes an issue with its send (the default). A
// module of its own, loading the delivery code (open-delivery.ts: every store, ten modules
// and their schemas) only when there is a database to read: a build loaded it all to learn,
// on a site without subscribers yet, that there was nothing to read.
import fs from 'node:fs';
import type { Config } from '../core/config.ts';

/** Published issues the site leaves out for now (issuesHeldFromWeb), for a command without a server: from the delivery database, when there is one. */
export async function readIssuesHeldFromWeb(config: Pick<Config, 'schedule' | 'dbPath'> & Partial<Pick<Config, 'databaseUrl'>>): Promise<Set<number>> {
  if (config.schedule.webPublish !== 'at-send') return new Set();
  if (!config.databaseUrl && !fs.existsSync(config.dbPath)) return new Set();
  // The composition root opens the database (the stores live behind it).
  const [{ issuesHeldFromWeb }, { openDelivery }] = await Promise.all([import('./schedule/scheduling.ts'), import('./open-delivery.ts')]);
  const delivery = await openDelivery(config);
  try {
    return await issuesHeldFromWeb(config, delivery.schedules);
  } finally {
    await delivery.close();
  }
}
