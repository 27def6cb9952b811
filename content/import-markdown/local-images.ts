// Pictures that sit beside a back-issue (`![Map](img/map.png)` next to the Markdown
// file) are copied into the local dataset the way the Studio uploads them
// (content/lake/assets.ts: bytes named by their SHA-1, a sanity.imageAsset document),
// so the build publishes them under the site's /media/ like any uploaded image. Only a
// local dataset keeps files beside it; with a Sanity project they stay alt text.
import fs from 'node:fs';
import path from 'node:path';
import { studioDefaults } from '../../studio/env.ts';
import { GroqJsStore } from '../groq-js-store.ts';
import { describeAsset, storeAssetBytes } from '../lake/assets.ts';
import { assetsDirIn, lakeDirFor } from '../lake/paths.ts';
import type { Mutation, SanityDocument } from '../store.ts';
import { importError } from './errors.ts';

/** Where the local lake serves its assets from, on the Studio's own origin. */
const lakeAssetBase = '/lake';

/**
 * Tells whether an image address names a file in the archive folder `dir`: a relative
 * path (no scheme, no leading slash) to a regular file that stays inside that folder.
 */
export function findLocalImage(dir: string, src: string): string | undefined {
  if (src === '' || /^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith('/') || src.startsWith('#')) return undefined;
  // The picture types emails and pages show (what the Studio accepts as an image upload).
  if (!/\.(png|jpe?g|gif|webp|svg|avif)(?:[?#].*)?$/i.test(src)) return undefined;
  let relative: string;
  try {
    relative = decodeURIComponent(src.replace(/[?#].*$/, ''));
  } catch {
    return undefined;
  }
  const file = path.resolve(dir, relative);
  if (path.relative(dir, file).startsWith('..')) return undefined;
  try {
    return fs.statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The local dataset's assets folder, or undefined when the store keeps no files (a Sanity project). */
export function localAssetsDir(store: unknown): string | undefined {
  return store instanceof GroqJsStore ? assetsDirIn(lakeDirFor(store.datasetPath)) : undefined;
}

interface StoredImageBlock {
  _type: 'image';
  _key: string;
  url?: string;
  alt?: string;
  link?: string;
  asset?: { _type: 'reference'; _ref: string };
}

/**
 * Replaces each image of the issue document whose address is a file of the archive with
 * a reference to an uploaded asset, and adds the asset documents to the mutations. The
 * bytes are written unless `dryRun`; the same picture twice is one asset.
 */
export async function attachLocalImages(
  mutations: Mutation[],
  sourceFile: string,
  dir: string,
  assetsDir: string,
  options: { dryRun: boolean; now: Date },
): Promise<Mutation[]> {
  const issue = mutations.find((m): m is { createOrReplace: SanityDocument } => 'createOrReplace' in m && m.createOrReplace._type === 'issue')?.createOrReplace;
  if (!issue) return mutations;
  const assets = new Map<string, SanityDocument>();
  const swap = async (blocks: unknown): Promise<unknown> => {
    if (!Array.isArray(blocks)) return blocks;
    const out: unknown[] = [];
    for (const block of blocks as StoredImageBlock[]) {
      const file = block._type === 'image' && block.url !== undefined ? findLocalImage(dir, block.url) : undefined;
      if (!file) {
        out.push(block);
        continue;
      }
      const bytes = await fs.promises.readFile(file);
      let described: ReturnType<typeof describeAsset>;
      try {
        described = describeAsset({
        kind: 'images',
        bytes,
        filename: path.basename(file),
        contentType: undefined,
        projectId: studioDefaults.projectId,
        dataset: studioDefaults.dataset,
        baseUrl: lakeAssetBase,
        now: options.now.toISOString(),
        });
      } catch (error) {
        throw importError(sourceFile, undefined, `the picture ${block.url} is not an image newsdesk can show (${(error as Error).message})`, 'Convert it to PNG, JPEG, GIF, WebP, SVG or AVIF, or remove it from the Markdown.');
      }
      const { document, file: stored } = described;
      if (!options.dryRun) await storeAssetBytes(assetsDir, 'images', stored, bytes);
      assets.set(document._id, document);
      const { url: _url, ...rest } = block;
      out.push({ ...rest, asset: { _type: 'reference', _ref: document._id } });
    }
    return out;
  };
  const updated: SanityDocument = { ...issue, intro: await swap(issue.intro) };
  if (Array.isArray(issue.sections)) {
    updated.sections = await Promise.all((issue.sections as Array<{ body: unknown }>).map(async (s) => ({ ...s, body: await swap(s.body) })));
  }
  return [...[...assets.values()].map((doc) => ({ createIfNotExists: doc })), ...mutations.map((m) => ('createOrReplace' in m && m.createOrReplace === issue ? { createOrReplace: updated } : m))];
}
