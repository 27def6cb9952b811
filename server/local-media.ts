// /media/<file> straight from the local dataset's uploaded images: the built site has
// them too (the build copies them), but previews of a draft show images the site has
// not been rebuilt with yet.
import { mediaPath } from '../content/media.ts';
import { StaticSite } from './static.ts';

export function serveLocalMedia(dir: string): (request: Request) => Promise<Response | undefined> {
  const files = new StaticSite(dir);
  const prefix = `/${mediaPath}/`;
  return async (request) => {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith(prefix) || (request.method !== 'GET' && request.method !== 'HEAD')) return undefined;
    const result = await files.serve(request, pathname.slice(prefix.length - 1));
    return result.kind === 'file' ? result.response : undefined;
  };
}
