// The environment a worker thread starts with: the process's, and the compile cache the CLI
// keeps for its compiled modules (bin/newsdesk.js). A worker does not share its process's
// cache unless told where it is, and without it each compiled every module again on start:
// a build's render worker loading MJML spent 0.1-0.2 s of it compiling.
import module from 'node:module';
import path from 'node:path';

export function workerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // The versioned folder Node made inside the one it was given.
  const cacheDir = module.getCompileCacheDir?.();
  return { ...process.env, ...(cacheDir ? { NODE_COMPILE_CACHE: path.dirname(cacheDir) } : {}), ...extra };
}
