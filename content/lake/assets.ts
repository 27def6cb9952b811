// Images and files uploaded in the Studio: the bytes are kept beside the dataset, named
// by their SHA-1 as Sanity names them, and described by a sanity.imageAsset or
// sanity.fileAsset document in the dataset, so references, queries (`asset->url`) and a
// later `sanity dataset import` treat them like hosted assets.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { imageSize } from 'image-size';
import type { SanityDocument } from '../store.ts';
import { LakeError } from './protocol.ts';

export type AssetKind = 'images' | 'files';

/** Image types browsers and mail clients show; anything else uploads as a file. */
const imageTypes: Record<string, { extension: string; mimeType: string }> = {
  png: { extension: 'png', mimeType: 'image/png' },
  jpg: { extension: 'jpg', mimeType: 'image/jpeg' },
  gif: { extension: 'gif', mimeType: 'image/gif' },
  webp: { extension: 'webp', mimeType: 'image/webp' },
  svg: { extension: 'svg', mimeType: 'image/svg+xml' },
  avif: { extension: 'avif', mimeType: 'image/avif' },
};

export const assetLimits = { maxBytes: 50 * 1024 * 1024 } as const;

export interface AssetUpload {
  kind: AssetKind;
  bytes: Uint8Array;
  filename: string | undefined;
  contentType: string | undefined;
  projectId: string;
  dataset: string;
  /** The lake's public base URL, for the asset document's `url`. */
  baseUrl: string;
  now: string;
}

/** The asset document for an upload, and the file name its bytes are stored under. */
export function describeAsset(upload: AssetUpload): { document: SanityDocument; file: string } {
  const sha1 = createHash('sha1').update(upload.bytes).digest('hex');
  const originalFilename = upload.filename ? path.basename(upload.filename).slice(0, 200) : undefined;
  if (upload.kind === 'images') {
    let size: ReturnType<typeof imageSize>;
    try {
      size = imageSize(upload.bytes);
    } catch {
      throw new LakeError(400, 'invalidImageError', `${originalFilename ?? 'The upload'} is not an image newsdesk can read (PNG, JPEG, GIF, WebP, SVG or AVIF).`);
    }
    const type = imageTypes[size.type ?? ''];
    if (!type || !size.width || !size.height) {
      throw new LakeError(400, 'invalidImageError', `${originalFilename ?? 'The upload'} is a ${size.type ?? 'kind of'} image that emails and pages cannot show; upload PNG, JPEG, GIF, WebP, SVG or AVIF.`);
    }
    const file = `${sha1}-${size.width}x${size.height}.${type.extension}`;
    const assetPath = `images/${upload.projectId}/${upload.dataset}/${file}`;
    return {
      file,
      document: {
        _id: `image-${sha1}-${size.width}x${size.height}-${type.extension}`,
        _type: 'sanity.imageAsset',
        assetId: sha1,
        sha1hash: sha1,
        extension: type.extension,
        mimeType: type.mimeType,
        size: upload.bytes.byteLength,
        ...(originalFilename ? { originalFilename } : {}),
        path: assetPath,
        url: `${upload.baseUrl}/${assetPath}`,
        uploadId: randomBytes(16).toString('base64url'),
        metadata: {
          _type: 'sanity.imageMetadata',
          dimensions: { _type: 'sanity.imageDimensions', width: size.width, height: size.height, aspectRatio: size.width / size.height },
          hasAlpha: type.extension === 'png' || type.extension === 'webp' || type.extension === 'svg',
          isOpaque: type.extension === 'jpg',
        },
        _createdAt: upload.now,
      },
    };
  }
  const extension = /\.([a-z0-9]{1,10})$/i.exec(originalFilename ?? '')?.[1]?.toLowerCase() ?? 'bin';
  const file = `${sha1}.${extension}`;
  const assetPath = `files/${upload.projectId}/${upload.dataset}/${file}`;
  return {
    file,
    document: {
      _id: `file-${sha1}-${extension}`,
      _type: 'sanity.fileAsset',
      assetId: sha1,
      sha1hash: sha1,
      extension,
      mimeType: upload.contentType && /^[\w.+-]+\/[\w.+-]+$/.test(upload.contentType) ? upload.contentType : 'application/octet-stream',
      size: upload.bytes.byteLength,
      ...(originalFilename ? { originalFilename } : {}),
      path: assetPath,
      url: `${upload.baseUrl}/${assetPath}`,
      uploadId: randomBytes(16).toString('base64url'),
      _createdAt: upload.now,
    },
  };
}

/** Where an asset's bytes live: <assetsDir>/images/<file> or <assetsDir>/files/<file>. */
export function assetFilePath(assetsDir: string, kind: AssetKind, file: string): string {
  if (!/^[a-f0-9]{40}(-\d+x\d+)?\.[a-z0-9]{1,10}$/.test(file)) throw new LakeError(404, 'notFound', `No asset ${file}.`);
  return path.join(assetsDir, kind, file);
}

/** Writes the bytes once (same content, same name), atomically. */
export async function storeAssetBytes(assetsDir: string, kind: AssetKind, file: string, bytes: Uint8Array): Promise<void> {
  const target = assetFilePath(assetsDir, kind, file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  try {
    await fs.access(target);
    return;
  } catch {
    // not there yet
  }
  const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, target);
}

export function mimeTypeOf(file: string): string {
  const extension = path.extname(file).slice(1).toLowerCase();
  return Object.values(imageTypes).find((t) => t.extension === extension)?.mimeType ?? (extension === 'pdf' ? 'application/pdf' : 'application/octet-stream');
}
