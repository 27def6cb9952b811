// Rewrites the golden files from the sample dataset: `npm run golden:update`. Run it on
// purpose after a deliberate template change, then read the diff before committing;
// the tests never write goldens themselves.
import fs from 'node:fs/promises';
import path from 'node:path';
import { renderEmailGoldens, repositoryRoot } from './email-goldens.ts';
import { renderWebGoldens } from './web-goldens.ts';

const goldens = [...(await renderEmailGoldens()), ...(await renderWebGoldens())];
for (const golden of goldens) {
  const target = path.join(repositoryRoot, golden.file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const previous = await fs.readFile(target, 'utf8').catch(() => undefined);
  await fs.writeFile(target, golden.content);
  console.log(`${previous === undefined ? 'created' : previous === golden.content ? 'unchanged' : 'updated'} ${golden.file}`);
}
