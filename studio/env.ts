// The Studio's configuration, from SANITY_STUDIO_* variables. The placeholders let
// `sanity build` and `sanity schema validate` run offline with no Sanity account.
// In the browser bundle Vite supplies import.meta.env; the CLI runs this under Node.
type Env = Record<string, string | undefined>;

const viteEnv: Env = (import.meta as ImportMeta & { env?: Env }).env ?? {};
const nodeEnv: Env = typeof process === 'undefined' ? {} : process.env;

function read(name: string): string | undefined {
  const value = viteEnv[name] ?? nodeEnv[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export const studioDefaults = {
  projectId: 'newsdesk0',
  dataset: 'production',
  previewUrl: 'http://localhost:3000',
  previewSecret: '',
} satisfies Record<string, string>;

export const studioEnv = {
  /** SANITY_STUDIO_PROJECT_ID: the Sanity project (placeholder until you create one). */
  projectId: read('SANITY_STUDIO_PROJECT_ID') ?? studioDefaults.projectId,
  /** SANITY_STUDIO_DATASET: the dataset editors work in. */
  dataset: read('SANITY_STUDIO_DATASET') ?? studioDefaults.dataset,
  /** SANITY_STUDIO_PREVIEW_URL: where `newsdesk serve` answers /preview/… */
  previewUrl: (read('SANITY_STUDIO_PREVIEW_URL') ?? studioDefaults.previewUrl).replace(/\/+$/, ''),
  /** SANITY_STUDIO_PREVIEW_SECRET: shared with the server's preview secret. */
  previewSecret: read('SANITY_STUDIO_PREVIEW_SECRET') ?? studioDefaults.previewSecret,
};
