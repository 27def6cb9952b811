// The requests the pinned Studio makes of the local Content Lake, as a contract a test
// compares each Studio session with: upgrading `sanity` shows exactly which endpoints
// appeared, went away or answer differently. Paths are normalised so ids and keys vary
// freely: /data/doc/production/issue-1 → GET /data/doc/:dataset/:ids.
import { z } from 'zod';

export interface ContractEntry {
  method: string;
  path: string;
  status: number;
}

export function normalisePath(path: string): string {
  return path
    .replace(/^\/data\/history\/[^/]+\/events\/documents\/.+$/, '/data/history/:dataset/events/documents/:id')
    .replace(/^\/data\/history\/[^/]+\/(transactions|documents)\/.+$/, '/data/history/:dataset/$1/:ids')
    .replace(/^\/data\/doc\/[^/]+\/.+$/, '/data/doc/:dataset/:ids')
    .replace(/^\/data\/(query|mutate|actions|listen)\/[^/]+$/, '/data/$1/:dataset')
    .replace(/^\/assets\/(images|files)\/[^/]+$/, '/assets/$1/:dataset')
    .replace(/^\/(images|files)\/[^/]+\/[^/]+\/[^/]+$/, '/$1/:project/:dataset/:file')
    .replace(/^\/users\/me\/keyvalue\/.+$/, '/users/me/keyvalue/:keys')
    .replace(/^\/users\/(?!me(\/|$))[^/]+$/, '/users/:ids')
    .replace(/^\/projects\/[^/]+\/datasets\/[^/]+\/acl$/, '/projects/:project/datasets/:dataset/acl')
    .replace(/^\/projects\/[^/]+(\/|$)/, '/projects/:project$1')
    .replace(/^\/schedules\/[^/]+\/[^/]+$/, '/schedules/:project/:dataset')
    .replace(/^\/journey\/.+$/, '/journey/:feature');
}

export function entriesOf(requests: Array<{ method: string; path: string; status: number }>): ContractEntry[] {
  const seen = new Map<string, ContractEntry>();
  for (const r of requests) {
    const entry = { method: r.method, path: normalisePath(r.path), status: r.status };
    seen.set(`${entry.method} ${entry.path} ${entry.status}`, entry);
  }
  return [...seen.values()].sort((a, b) => `${a.path} ${a.method} ${a.status}`.localeCompare(`${b.path} ${b.method} ${b.status}`));
}

/** What the Studio reads from the answers it depends on most, checked on the lake's real answers. */
export const answerShapes: Record<string, z.ZodType> = {
  'GET /users/me': z.object({ id: z.string(), name: z.string(), email: z.string(), role: z.string(), roles: z.array(z.object({ name: z.string() })) }),
  'GET /projects/:project': z.object({ id: z.string(), displayName: z.string(), members: z.array(z.object({ id: z.string(), role: z.string() })) }),
  'GET /projects/:project/datasets': z.array(z.object({ name: z.string(), aclMode: z.string() })),
  'GET /projects/:project/datasets/:dataset/acl': z.array(z.object({ filter: z.string(), permissions: z.array(z.string()) })),
  'GET /data/query/:dataset': z.object({ result: z.unknown(), ms: z.number() }),
  'GET /data/doc/:dataset/:ids': z.object({ documents: z.array(z.object({ _id: z.string(), _type: z.string(), _rev: z.string() })), omitted: z.array(z.object({ id: z.string(), reason: z.string() })) }),
  'GET /data/history/:dataset/events/documents/:id': z.object({ events: z.record(z.string(), z.array(z.object({ type: z.string(), timestamp: z.string(), author: z.string() }))), nextCursor: z.string() }),
  'GET /users/me/keyvalue/:keys': z.array(z.object({ key: z.string(), value: z.unknown() })),
  // Read by resource, then grant name (deployStudio decides whether the Studio uploads its schema).
  'GET /projects/:project/grants': z.record(z.string(), z.array(z.object({ grants: z.array(z.object({ name: z.string() })) }))),
  // An upsell dialog's content, or null for none; the trial answer's showOnLoad decides whether a dialog opens.
  'GET /journey/:feature': z.union([z.null(), z.object({ showOnLoad: z.unknown() })]),
  // The help menu reads its sections from resources.sectionArray.
  'GET /help': z.object({ resources: z.object({ sectionArray: z.array(z.unknown()) }) }),
};
