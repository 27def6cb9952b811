// Where the local Content Lake keeps its own files: a folder beside the dataset file
// (dataset.ndjson → dataset.lake/) holding the history, uploaded assets and the token.
import path from 'node:path';

export function lakeDirFor(datasetPath: string): string {
  return datasetPath.replace(/\.ndjson$/i, '') + '.lake';
}

/** Where uploaded assets live in a lake folder: assets/images/<file>, assets/files/<file>. */
export function assetsDirIn(lakeDir: string): string {
  return path.join(lakeDir, 'assets');
}
