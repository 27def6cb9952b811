// Where the Studio finds the preview server, and what it proves itself with. On the
// local Content Lake the preview server is the Studio's own origin and accepts the
// Studio's token; with a Sanity project both come from SANITY_STUDIO_PREVIEW_*.
import { useClient } from 'sanity';
import { studioEnv } from './env.ts';
import type { PreviewTarget } from './preview-urls.ts';
import { validationApiVersion } from '../schemas/lake-client.ts';

export function usePreviewTarget(): PreviewTarget {
  const client = useClient({ apiVersion: validationApiVersion });
  const token = studioEnv.local ? client.config().token : undefined;
  return { previewUrl: studioEnv.previewUrl, previewSecret: studioEnv.previewSecret || token || '' };
}
