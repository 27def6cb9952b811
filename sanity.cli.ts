// Configuration for the `sanity` CLI (studio, studio:build, schema:validate, schema:extract).
import { defineCliConfig } from 'sanity/cli';
import { studioEnv } from './studio/env.ts';

export default defineCliConfig({
  api: { projectId: studioEnv.projectId, dataset: studioEnv.dataset },
  // The local Studio is served under /studio beside the site and the lake.
  project: { basePath: studioEnv.basePath },
  // Self-contained bundles: the build works offline and never loads Studio code from a CDN.
  deployment: { autoUpdates: false },
});
