// Regenerates content/sample/dataset.ndjson from the readable source in ./source.
// Run with `npm run sample:build`; commit the source and the generated file together.
import fs from 'node:fs/promises';
import path from 'node:path';
import { renderSampleDataset } from './source/index.ts';

const target = path.join(import.meta.dirname, 'dataset.ndjson');
const text = renderSampleDataset();
await fs.writeFile(target, text);
process.stdout.write(`wrote ${path.relative(process.cwd(), target)} (${text.split('\n').length - 1} documents, ${(text.length / 1024).toFixed(1)} KB)\n`);
