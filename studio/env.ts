// The Studio's configuration, from SANITY_STUDIO_* variables. Without a project id the
// Studio works on newsdesk's local Content Lake (the embedded dataset) and needs no
// account: `newsdesk studio` serves it with the lake on one origin. The placeholders
// let `sanity build` and `sanity schema validate` run offline.
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
  /** Where `newsdesk studio` and `newsdesk serve --studio` serve the local Studio. */
  localBasePath: '/studio',
  /** …and the local Content Lake, on the same origin. */
  localApiPath: '/lake',
} satisfies Record<string, string>;

const projectId = read('SANITY_STUDIO_PROJECT_ID');
const apiHost = read('SANITY_STUDIO_API_HOST');
/** No Sanity project: the local Content Lake (its address may be given, e.g. for `sanity dev`). */
const local = projectId === undefined || apiHost !== undefined;

/** The page's own origin in a browser, where the local Studio is served beside its lake. */
function pageOrigin(): string | undefined {
  return typeof window === 'undefined' ? undefined : window.location.origin;
}

export const studioEnv = {
  /** True when the Studio edits the local dataset through newsdesk's Content Lake. */
  local,
  /** SANITY_STUDIO_PROJECT_ID: the Sanity project (unset: the local Content Lake). */
  projectId: projectId ?? studioDefaults.projectId,
  /** SANITY_STUDIO_DATASET: the dataset editors work in. */
  dataset: read('SANITY_STUDIO_DATASET') ?? studioDefaults.dataset,
  /** SANITY_STUDIO_API_HOST: the local lake's address, when the Studio is not served beside it. */
  apiHost: local ? (apiHost ?? `${pageOrigin() ?? 'https://localhost:3334'}${studioDefaults.localApiPath}`) : undefined,
  /** Where the Studio lives under its origin. */
  basePath: read('SANITY_STUDIO_BASEPATH') ?? (local && !apiHost ? studioDefaults.localBasePath : '/'),
  /** SANITY_STUDIO_PREVIEW_URL: where `newsdesk serve` answers /preview/… (locally: the Studio's own server). */
  previewUrl: (read('SANITY_STUDIO_PREVIEW_URL') ?? (local ? (apiHost ? new URL(apiHost).origin : pageOrigin()) : undefined) ?? studioDefaults.previewUrl).replace(/\/+$/, ''),
  /** SANITY_STUDIO_PREVIEW_SECRET: shared with the server's preview secret (locally the Studio's token serves). */
  previewSecret: read('SANITY_STUDIO_PREVIEW_SECRET') ?? studioDefaults.previewSecret,
};
