// Uploading images and files from the Studio, and serving them back (originals: the
// local lake does not resize; the Studio scales thumbnails in the browser).
import fs from 'node:fs/promises';
import type { Hono } from 'hono';
import { readBodyBytes, RequestBodyError } from '../../../core/request-body.ts';
import { assetFilePath, assetLimits, describeAsset, mimeTypeOf, storeAssetBytes, type AssetKind } from '../assets.ts';
import type { LakeContext } from '../lake.ts';
import { LakeError } from '../protocol.ts';
import { editorId } from '../users.ts';

export function mountAssetRoutes(app: Hono, ctx: LakeContext, { publicOnly }: { publicOnly: boolean }): void {
  if (publicOnly) {
    app.get('/:kind{images|files}/:project/:dataset/:file', async (c) => {
      const kind = c.req.param('kind') as AssetKind;
      ctx.requireDataset(c.req.param('dataset'));
      const file = assetFilePath(ctx.assetsDir, kind, c.req.param('file'));
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(file);
      } catch {
        throw new LakeError(404, 'notFound', `No ${kind === 'images' ? 'image' : 'file'} ${c.req.param('file')} in this dataset.`);
      }
      const headers: Record<string, string> = {
        'content-type': mimeTypeOf(file),
        // Named by content: the same URL never changes.
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      };
      if (c.req.query('dl') !== undefined) headers['content-disposition'] = 'attachment';
      // An uploaded SVG must not run script in the lake's origin.
      if (file.endsWith('.svg')) headers['content-security-policy'] = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
      return c.body(new Uint8Array(bytes), 200, headers);
    });
    return;
  }

  app.post('/assets/:kind{images|files}/:dataset', async (c) => {
    const kind = c.req.param('kind') as AssetKind;
    const dataset = c.req.param('dataset');
    ctx.requireDataset(dataset);
    // Counted while it arrives: a chunked upload has no length to check first.
    const bytes = await readBodyBytes(c.req.raw, assetLimits.maxBytes).catch((error: unknown) => {
      if (error instanceof RequestBodyError) throw new LakeError(413, 'payloadTooLargeError', `Uploads are limited to ${assetLimits.maxBytes / 1024 / 1024} MB.`);
      throw error;
    });
    if (bytes.byteLength === 0) throw new LakeError(400, 'validationError', 'The upload is empty.');
    const { document, file } = describeAsset({
      kind,
      bytes,
      filename: c.req.query('filename'),
      contentType: c.req.header('content-type'),
      projectId: ctx.projectId,
      dataset,
      baseUrl: ctx.publicUrl(),
      now: ctx.now().toISOString(),
    });
    await storeAssetBytes(ctx.assetsDir, kind, file, bytes);
    // The same bytes uploaded twice are one asset, as on a hosted project.
    await ctx.store.mutate([{ createIfNotExists: document }], { author: editorId });
    const [stored] = await ctx.store.getDocuments([document._id]);
    return c.json({ document: stored ?? document });
  });
}
