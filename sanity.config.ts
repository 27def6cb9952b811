// Sanity Studio for newsdesk: the content model from schemas/, the desk from studio/.
// projectId and dataset come from SANITY_STUDIO_* variables (see studio/env.ts); with
// no project the Studio talks to newsdesk's local Content Lake on its own origin.
import { createClient, type ClientConfig } from '@sanity/client';
import { defineConfig } from 'sanity';
import { structureTool } from 'sanity/structure';
import { recordTypes, schemaTypes, singletonTypes } from './schemas/index.ts';
import { CancelScheduleAction, ScheduleSendAction, SendNowAction } from './studio/actions/DeliveryActions.tsx';
import { SendTestEmailAction } from './studio/actions/SendTestEmailAction.tsx';
import { StudioLayout } from './studio/components/StudioLayout.tsx';
import { studioEnv } from './studio/env.ts';
import { localLoginProviders } from './studio/local-lake.ts';
import { defaultDocumentNode, structure } from './studio/structure.ts';

// Settings may be edited and published, never duplicated, deleted or unpublished:
// the build reads the one published "newsletter" document.
const singletonActions = new Set(['publish', 'discardChanges', 'restore']);

/**
 * The local lake answers on the Studio's own host, so requests must not go to
 * <projectId>.<host> as they do for a hosted project; the token comes from the link
 * `newsdesk studio` prints (#token=…) and stays in this browser.
 */
const localLake = studioEnv.apiHost
  ? {
      apiHost: studioEnv.apiHost,
      auth: { loginMethod: 'token' as const, apiHost: studioEnv.apiHost, providers: localLoginProviders(studioEnv.apiHost) },
      unstable_clientFactory: (options: ClientConfig) =>
        createClient({ ...options, apiHost: studioEnv.apiHost, useProjectHostname: false, ignoreBrowserTokenWarning: true }),
      // Hosted-only services the local lake does not offer; off, so the Studio neither
      // shows them nor asks for them.
      releases: { enabled: false },
      scheduledDrafts: { enabled: false },
      tasks: { enabled: false },
      scheduledPublishing: { enabled: false },
      announcements: { enabled: false },
      mediaLibrary: { enabled: false },
    }
  : {};

export default defineConfig({
  name: 'default',
  title: 'newsdesk',
  projectId: studioEnv.projectId,
  dataset: studioEnv.dataset,
  ...localLake,
  plugins: [structureTool({ structure, defaultDocumentNode })],
  studio: { components: { layout: StudioLayout } },
  schema: {
    types: schemaTypes,
    templates: (templates) => templates.filter(({ schemaType }) => !singletonTypes.has(schemaType) && !recordTypes.has(schemaType)),
  },
  document: {
    ...(studioEnv.apiHost ? { comments: { enabled: false } } : {}),
    newDocumentOptions: (options) => options.filter(({ templateId }) => !singletonTypes.has(templateId) && !recordTypes.has(templateId)),
    actions: (actions, { schemaType }) => {
      if (singletonTypes.has(schemaType)) return actions.filter(({ action }) => action !== undefined && singletonActions.has(action));
      // A check may be deleted (the next run writes it again); nothing else.
      if (recordTypes.has(schemaType)) return actions.filter(({ action }) => action === 'delete');
      if (schemaType === 'issue') return [...actions, SendTestEmailAction, ScheduleSendAction, SendNowAction, CancelScheduleAction];
      return actions;
    },
  },
});
