// Which published issues `newsdesk build` leaves off the site for now: those scheduled to be
// sent and not sent yet, when the site publishes an issue with its send (the default). Its
// own module, reading the delivery database only when there is one: a build loaded every
// delivery store with open-delivery.ts (twenty modules and their schemas) to learn, on a
// site without subscribers yet, that there was nothing to read.
import fs from 'node:fs';
import type { Config } from '../core/config.ts';

/** Published issues the site leaves out for now (issuesHeldFromWeb), for a command without a server: from the delivery database, when there is one. */
export async function readIssuesHeldFromWeb(config: Pick<Config, 'schedule' | 'dbPath'> & Partial<Pick<Config, 'databaseUrl'>>): Promise<Set<number>> {
  if (config.schedule.webPublish !== 'at-send') return new Set();
  if (!config.databaseUrl && !fs.existsSync(config.dbPath)) return new Set();
  const { issuesHeldFromWeb } = await import('./schedule/scheduling.ts');
  if (config.databaseUrl) {
    const { openPostgresDelivery } = await import('./open-delivery.ts');
    const delivery = await openPostgresDelivery(config.databaseUrl);
    try {
      return await issuesHeldFromWeb(config, delivery.schedules);
    } finally {
      await delivery.close();
    }
  }
  const [{ openDatabase }, { SqliteScheduleStore }] = await Promise.all([import('./sqlite/db.ts'), import('./sqlite/sqlite-schedule-store.ts')]);
  const db = openDatabase(config.dbPath);
  try {
    return await issuesHeldFromWeb(config, new SqliteScheduleStore(db));
  } finally {
    db.close();
  }
}
