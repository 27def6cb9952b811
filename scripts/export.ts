// `newsdesk export`: every document of the local dataset (its journal folded in), as one
// file in Sanity's export format, for `sanity dataset import`, a backup or a copy. The
// dataset file alone may lag the latest edits, which wait in the journal beside it until
// the store compacts; this never changes the dataset or the journal.
import path from 'node:path';
import { NewsdeskError } from '../core/errors.ts';
import { GroqJsStore, serialiseInParts, writeAtomically } from '../content/groq-js-store.ts';
import { type Command, parseOptions } from './cli.ts';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write every document of the local dataset (latest edits included) to one NDJSON file for sanity dataset import or a backup',
  usage: 'export <file.ndjson> [--published]',
  options: [['--published', 'leave drafts out (ids starting "drafts.")']],
  examples: ['newsdesk export backup.ndjson', 'newsdesk export site.ndjson --published && npx sanity dataset import site.ndjson production'],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, { published: { type: 'boolean' } });
    const [target, ...extra] = positionals;
    if (!target || extra.length) throw new NewsdeskError('USAGE', 'export takes one file name', { hint: 'For example: newsdesk export backup.ndjson' });
    const content = ctx.config().content;
    if (content.kind !== 'local') {
      throw new NewsdeskError('USAGE', 'SANITY_PROJECT_ID points newsdesk at a Sanity project, which has no local dataset to export', {
        hint: 'Export a Sanity dataset with `npx sanity dataset export <dataset> <file>`.',
      });
    }
    const file = path.resolve(ctx.cwd, target);
    if (file === path.resolve(content.datasetPath)) {
      throw new NewsdeskError('USAGE', `${target} is the dataset itself`, { hint: 'Name another file; the dataset and its journal stay as they are.' });
    }
    // Lazily, and not copied: each document is parsed as it is written out and let go (content/lazy-document.ts),
    // where a parsed dataset and its copy (GroqJsStore.documents) held 1,000 issues' 80 MB as 590 MB.
    const store = new GroqJsStore({ datasetPath: content.datasetPath, seedFrom: content.samplePath, lazy: true });
    try {
      const all = (await store.view('raw'))();
      const documents = values.published ? all.filter((d) => !d._id.startsWith('drafts.')) : all;
      await writeAtomically(file, serialiseInParts(documents));
      ctx.out(`${documents.length} document(s) from ${store.description} written to ${path.relative(ctx.cwd, file) || file}`);
      return 0;
    } finally {
      store.close();
    }
  },
};
