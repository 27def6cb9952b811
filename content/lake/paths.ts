// Where the local Content Lake keeps its own files: a folder beside the dataset file
// (dataset.ndjson → dataset.lake/) holding the history, uploaded assets and the token.
export function lakeDirFor(datasetPath: string): string {
  return datasetPath.replace(/\.ndjson$/i, '') + '.lake';
}
