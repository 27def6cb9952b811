// Folds the local dataset's journal into the dataset file now, so that dataset.ndjson
// alone holds every write (before `sanity dataset import`, a copy or a backup). newsdesk
// does this by itself once the journal passes a quarter of the dataset's size.
//   npx tsx content/compact.ts [dataset.ndjson]   (default: NEWSDESK_DATASET or the data folder's)
import { loadConfig } from '../core/config.ts';
import { NewsdeskError } from '../core/errors.ts';
import { GroqJsStore } from './groq-js-store.ts';

async function compactDataset(datasetPath: string | undefined): Promise<string> {
  let file = datasetPath;
  if (!file) {
    const { content } = loadConfig();
    if (content.kind !== 'local') {
      throw new NewsdeskError('USAGE', 'SANITY_PROJECT_ID points newsdesk at a Sanity project: there is no local dataset to compact', {
        hint: 'Name the dataset file: npx tsx content/compact.ts path/to/dataset.ndjson',
      });
    }
    file = content.datasetPath;
  }
  await new GroqJsStore({ datasetPath: file }).compact();
  return file;
}

try {
  console.log(`${await compactDataset(process.argv[2])} holds every write (journal folded in)`);
} catch (error) {
  console.error((error as Error).message);
  if (error instanceof NewsdeskError && error.hint) console.error(error.hint);
  process.exitCode = 1;
}
