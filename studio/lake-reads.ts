// Reads that Studio validation rules share. Rules run for every link of an issue on each
// edit, so a read over the whole dataset (the published issues, the link checks) is made
// once per dataset and kept for a short while instead of once per rule run.
import type { QueryClient } from '../schemas/validation.ts';

export interface DatasetCacheOptions {
  ttlMs?: number;
  now?: () => number;
}

/** `read` once per dataset, its answer kept for ttlMs (30 s); a failed read is not kept. */
export function makeDatasetCache<T>(read: (client: QueryClient) => Promise<T>, options: DatasetCacheOptions = {}): (client: QueryClient) => Promise<T> {
  const ttlMs = options.ttlMs ?? 30_000;
  const now = options.now ?? Date.now;
  // One entry per dataset: clients are made afresh for each rule run, their settings stay.
  const cache = new Map<string, { at: number; value: Promise<T> }>();
  return (client) => {
    const { apiHost, projectId, dataset } = (client as { config?: () => Record<string, unknown> }).config?.() ?? {};
    const key = JSON.stringify([apiHost, projectId, dataset]);
    let entry = cache.get(key);
    if (!entry || now() - entry.at > ttlMs) {
      const fresh = { at: now(), value: read(client) };
      fresh.value.catch(() => {
        if (cache.get(key) === fresh) cache.delete(key);
      });
      cache.set(key, (entry = fresh));
    }
    return entry.value;
  };
}

/** The URL of a link document, by id, draft or published. */
export async function readLinkUrl(linkId: string, client: QueryClient): Promise<string | null> {
  const id = linkId.replace(/^drafts\./, '');
  return client.fetch<string | null>(`coalesce(*[_id == $id][0].url, *[_id == $draft][0].url)`, { id, draft: `drafts.${id}` });
}
