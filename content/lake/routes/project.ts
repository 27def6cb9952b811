// The start-up questions the Studio asks a hosted project (who am I, which project,
// which datasets, what may I do, my saved preferences, which features), answered for
// one local editor with every permission.
import fs from 'node:fs/promises';
import type { Hono } from 'hono';
import { z } from 'zod';
import { writeAtomically } from '../../groq-js-store.ts';
import type { LakeContext } from '../lake.ts';
import { readLakeJson } from '../protocol.ts';
import { editorId } from '../users.ts';

const keyValueBody = z.array(z.object({ key: z.string().min(1).max(200), value: z.unknown() })).max(100);

export function mountProjectRoutes(app: Hono, ctx: LakeContext): void {
  const createdAt = '2026-01-01T00:00:00.000Z';
  const editor = ctx.users[editorId]!;

  app.get('/users/me', (c) => c.json(editor));
  app.get('/users/:ids', (c) =>
    c.json(
      c.req
        .param('ids')
        .split(',')
        .map((id) => ctx.users[id] ?? { id, displayName: 'Unknown user', isCurrentUser: false }),
    ),
  );
  app.get('/auth/id', (c) => c.json({ id: editor.id }));
  app.post('/auth/logout', (c) => c.body(null, 204));

  const project = () => ({
    id: ctx.projectId,
    displayName: 'newsdesk (local)',
    studioHost: null,
    isBlocked: false,
    isDisabled: false,
    isDisabledByUser: false,
    metadata: { color: '#1f5f7a' },
    organizationId: null,
    createdAt,
    members: Object.values(ctx.users).map((u) => ({
      id: u.id,
      role: u.role,
      roles: u.roles,
      isCurrentUser: u.id === editor.id,
      isRobot: Boolean(u.isRobot),
      createdAt,
    })),
    features: [],
  });
  app.get('/projects/:id', (c) => c.json(project()));
  app.get('/projects/:id/datasets', (c) => c.json([{ name: ctx.dataset, aclMode: 'private', createdAt, addonFor: null, datasetProfile: 'content' }]));
  app.get('/projects/:id/datasets/:dataset/acl', (c) => {
    ctx.requireDataset(c.req.param('dataset'));
    return c.json([{ filter: '_id in path("**")', permissions: ['history', 'read', 'update', 'create', 'manage'] }]);
  });
  app.get('/projects/:id/features', (c) => c.json([]));
  app.get('/projects/:id/user-applications', (c) => c.json([]));
  app.get('/projects/:id/features/:feature', (c) => c.json(false));
  app.get('/features', (c) => c.json([]));
  // What the editor may do to the project itself, keyed by resource as the hosted API
  // answers. No deployStudio grant: with it the Studio would upload its schema and
  // manifest, which a local lake has no use for; no member grants: nobody to invite.
  app.get('/projects/:id/grants', (c) =>
    c.json({
      'sanity.project': [{ grants: [{ name: 'read', params: {} }, { name: 'update', params: {} }], config: {} }],
      'sanity.project.datasets': [{ grants: [{ name: 'read', params: {} }], config: {} }],
      'sanity.project.members': [{ grants: [{ name: 'read', params: {} }], config: {} }],
    }),
  );
  // Upsell and trial dialogs (document and asset limits, trials, comments): a local
  // project has no plan to upgrade, so there is no dialog to show; null is the Studio's
  // "nothing for this feature", and the trial answer has nothing to show on load.
  app.get('/journey/trial', (c) => c.json({ id: null, showOnLoad: null, showOnClick: null, daysLeft: 0, totalDays: 0 }));
  app.get('/journey/:feature', (c) => c.json(null));
  // The help menu's links and its "latest version" line: none offline, and no newer
  // version to announce (the pinned Studio is updated with npm, not from Sanity's CDN).
  app.get('/help', (c) => c.json({ resources: { sectionArray: [] }, latestVersion: null, isSupported: true, isUpToDate: true, outdated: [] }));

  // Per-user settings the Studio keeps on the server (last used lists, layout).
  const readStore = async (): Promise<Record<string, unknown>> => {
    try {
      return JSON.parse(await fs.readFile(ctx.keyValueFile, 'utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  let writing: Promise<unknown> = Promise.resolve();
  app.get('/users/me/keyvalue/:keys', async (c) => {
    const stored = await readStore();
    return c.json(c.req.param('keys').split(',').map((key) => ({ key, value: stored[key] ?? null })));
  });
  app.put('/users/me/keyvalue', async (c) => {
    const pairs = keyValueBody.parse(await readLakeJson(c.req.raw));
    const run = writing.then(async () => {
      const stored = await readStore();
      for (const { key, value } of pairs) stored[key] = value;
      await writeAtomically(ctx.keyValueFile, JSON.stringify(stored, null, 1));
    });
    writing = run.catch(() => undefined);
    await run;
    return c.json(pairs);
  });

}
