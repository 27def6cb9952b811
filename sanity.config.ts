// Sanity Studio for newsdesk: the content model from schemas/, the desk from studio/.
// projectId and dataset come from SANITY_STUDIO_* variables (see studio/env.ts).
import { defineConfig } from 'sanity';
import { structureTool } from 'sanity/structure';
import { schemaTypes, singletonTypes } from './schemas/index.ts';
import { SendTestEmailAction } from './studio/actions/SendTestEmailAction.tsx';
import { studioEnv } from './studio/env.ts';
import { defaultDocumentNode, structure } from './studio/structure.ts';

// Settings may be edited and published, never duplicated, deleted or unpublished:
// the build reads the one published "newsletter" document.
const singletonActions = new Set(['publish', 'discardChanges', 'restore']);

export default defineConfig({
  name: 'default',
  title: 'newsdesk',
  projectId: studioEnv.projectId,
  dataset: studioEnv.dataset,
  plugins: [structureTool({ structure, defaultDocumentNode })],
  schema: {
    types: schemaTypes,
    templates: (templates) => templates.filter(({ schemaType }) => !singletonTypes.has(schemaType)),
  },
  document: {
    newDocumentOptions: (options) => options.filter(({ templateId }) => !singletonTypes.has(templateId)),
    actions: (actions, { schemaType }) => {
      if (singletonTypes.has(schemaType)) return actions.filter(({ action }) => action !== undefined && singletonActions.has(action));
      if (schemaType === 'issue') return [...actions, SendTestEmailAction];
      return actions;
    },
  },
});
