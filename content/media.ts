// Images uploaded to the local dataset live beside it (the local Content Lake keeps them);
// the public site hosts them under /media/, so the build copies them into the output and
// every email, page and feed points at the site's own host, never at the editor's
// computer. With a Sanity project, images stay on Sanity's CDN as their asset URL says.
import path from 'node:path';
import type { Config } from '../core/config.ts';
import { assetsDirIn, lakeDirFor } from './lake/paths.ts';
import type { Issue, PortableBlock, Settings } from './model.ts';

/** The site path the dataset's own images are published under. */
export const mediaPath = 'media';

/** Where the build publishes local images, e.g. https://news.example.org/media; undefined with a Sanity project. */
export function localMediaBase(config: Partial<Pick<Config, 'content'>>, baseUrl: string): string | undefined {
  return config.content?.kind === 'local' ? `${baseUrl.replace(/\/+$/, '')}/${mediaPath}` : undefined;
}

/** The folder the local Content Lake keeps uploaded images in; undefined with a Sanity project. */
export function localImagesDir(config: Partial<Pick<Config, 'content'>>): string | undefined {
  return config.content?.kind === 'local' ? path.join(assetsDirIn(lakeDirFor(config.content.datasetPath)), 'images') : undefined;
}

/** The public URL of an uploaded asset, from its stored path (images/<project>/<dataset>/<file>). */
export function mediaUrl(base: string, assetPath: string): string {
  return `${base}/${path.posix.basename(assetPath)}`;
}

/** The issue with every uploaded image pointing at the site's media folder. */
export function withLocalMedia(issue: Issue, base: string | undefined): Issue {
  if (!base) return issue;
  const blocks = (list: PortableBlock[]) =>
    list.map((b) => (b._type === 'image' && b.assetPath ? { ...b, url: mediaUrl(base, b.assetPath) } : b));
  return {
    ...issue,
    intro: blocks(issue.intro),
    sections: issue.sections.map((s) => ({ ...s, body: blocks(s.body) })),
    signOff: blocks(issue.signOff),
  };
}

/** The settings with an uploaded logo pointing at the site's media folder. */
export function settingsWithLocalMedia(settings: Settings, base: string | undefined): Settings {
  return base && settings.logoPath ? { ...settings, logoUrl: mediaUrl(base, settings.logoPath) } : settings;
}
