// `newsdesk check`: validate everything in the content store and report every
// problem at once, each naming the document, field and what to fix.
import { checkContent } from '../content/check.ts';
import { describeProblem } from '../content/model.ts';
import { openContentStore } from '../content/open-store.ts';
import { type Command, parseOptions } from './cli.ts';

export const checkCommand: Command = {
  name: 'check',
  summary: 'validate the whole content store and report every problem at once',
  usage: 'check',
  examples: ['newsdesk check', 'NEWSDESK_DATASET=backup.ndjson newsdesk check'],
  async run(args, ctx) {
    parseOptions(this, args, {}, false);
    const store = openContentStore(ctx.config().content);
    const problems = await checkContent(store);
    if (problems.length === 0) {
      ctx.out(`✓ ${store.description}: no problems found`);
      return 0;
    }
    ctx.err(`${store.description}: ${problems.length} problem(s)`);
    for (const p of problems) ctx.err(`  - ${describeProblem(p)}`);
    return 1;
  },
};
