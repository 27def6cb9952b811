// `newsdesk migrate substack|ghost|buttondown <export>`: moves a newsletter in from
// another platform. Posts become issues through the same import, fidelity check and
// report as `newsdesk import` (numbered in publication order after any issue already
// stored); subscribers keep their state, with a count of how each platform state mapped.
import fs from 'node:fs/promises';
import path from 'node:path';
import { importIssues, readSample } from '../content/import-markdown/import-issue.ts';
import { formatArchiveReport } from '../content/import-markdown/report.ts';
import { openExport, type ExportFiles } from '../content/migrate/export-files.ts';
import { readButtondownExport } from '../content/migrate/buttondown.ts';
import { readGhostExport } from '../content/migrate/ghost.ts';
import { describeStateMapping, type Migration } from '../content/migrate/migration.ts';
import { moveSubscribers } from '../content/migrate/move-subscribers.ts';
import { readSubstackExport } from '../content/migrate/substack.ts';
import { openContentStore } from '../content/open-store.ts';
import { NewsdeskError } from '../core/errors.ts';
import { openDelivery } from '../delivery/open-delivery.ts';
import { type Command, oneOf, parseOptions } from './cli.ts';

const kinds = ['substack', 'ghost', 'buttondown'] as const;

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'move a newsletter in from Substack, Ghost or Buttondown: posts become issues, subscribers keep their state',
  usage: 'migrate <substack|ghost|buttondown> <export.zip|folder|export.json> [--subscribers FILE] [--publish] [--replace] [--strict] [--no-subscribers] [--dry-run] [--verbose]',
  options: [
    ['--subscribers <FILE>', 'the subscriber CSV when it is not inside the export (Ghost members export, Substack email list)'],
    ['--publish', 'store published posts published (default: drafts); platform drafts stay drafts'],
    ['--replace', 'overwrite existing issues with the same numbers'],
    ['--strict', 'refuse a post whenever the import would change a construct'],
    ['--no-subscribers', 'move the posts only'],
    ['--dry-run', 'convert and check everything, print the report, write nothing'],
    ['--verbose', 'list every warning with its post and line'],
  ],
  examples: [
    'newsdesk migrate substack ~/Downloads/kelp-tracker-export.zip --dry-run',
    'newsdesk migrate ghost kelp.ghost.2026-03-01.json --subscribers members.csv --publish',
    'newsdesk migrate buttondown buttondown-export/ --publish',
  ],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, {
      subscribers: { type: 'string' },
      publish: { type: 'boolean' },
      replace: { type: 'boolean' },
      strict: { type: 'boolean' },
      'no-subscribers': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      verbose: { type: 'boolean' },
    });
    const [kindArg, location, ...extra] = positionals;
    if (kindArg === undefined || location === undefined || extra.length > 0) {
      throw new NewsdeskError('USAGE', 'migrate takes a platform and its export', { hint: `newsdesk migrate <${kinds.join('|')}> <export> --dry-run` });
    }
    const kind = oneOf('platform', kindArg, kinds);
    const dryRun = Boolean(values['dry-run']);
    const files = await openSingleOrFolder(path.resolve(ctx.cwd, location), location);
    const subscriberFiles = values.subscribers === undefined ? undefined : await openSingleOrFolder(path.resolve(ctx.cwd, values.subscribers), values.subscribers);
    const migration: Migration =
      kind === 'substack' ? readSubstackExport(files, subscriberFiles) : kind === 'ghost' ? await readGhostExport(files, subscriberFiles) : readButtondownExport(files, subscriberFiles);

    const started = performance.now();
    const content = ctx.config().content;
    const store = openContentStore(content);
    // As for `import`: the untouched shipped sample gives way to the migrated posts.
    const sample = content.kind === 'local' ? await readSample(content.samplePath) : undefined;
    const report = await importIssues(store, migration.issues, { sample, publish: values.publish, replace: values.replace, strict: values.strict, dryRun, renumber: true, now: () => new Date() });
    ctx.out(`Posts: ${migration.issues.length} from the ${kind} export`);
    for (const line of formatArchiveReport(report.results, { verbose: values.verbose, seconds: (performance.now() - started) / 1000 })) ctx.out(line);
    if (report.notes.length) ctx.out('');
    for (const note of report.notes) ctx.out(note);
    if (migration.skipped.length) {
      ctx.out('');
      ctx.out(`Left out (${migration.skipped.length}):`);
      for (const reason of migration.skipped) ctx.out(`  ${reason}`);
    }

    let badRows = 0;
    if (!values['no-subscribers'] && migration.subscribers.length > 0) {
      const delivery = await openDelivery(ctx.config());
      try {
        const moved = await moveSubscribers(delivery.subscribers, migration.subscribers, { source: `migrate:${kind}`, dryRun, now: new Date() });
        ctx.out(`\nSubscribers: ${migration.subscribers.length} row(s); platform state → newsdesk state:`);
        for (const line of describeStateMapping(migration.subscribers)) ctx.out(`  ${line}`);
        ctx.out(`  outcome: ${Object.entries(moved.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing to do'}`);
        for (const bad of moved.invalid) ctx.err(`${bad.origin}: ${bad.reason}`);
        badRows = moved.invalid.length;
        if (badRows) ctx.out(`  ${badRows} row(s) skipped as invalid (listed above)`);
      } finally {
        await delivery.close();
      }
    }
    ctx.out(dryRun ? '\nDry run: nothing was written.' : report.written ? `\nIssues stored in ${store.description}.` : '');
    return report.results.every((r) => r.ok) && badRows === 0 ? 0 : 1;
  },
};

/** Ghost's content export and members CSV are single files; the others arrive as .zip or folder. */
async function openSingleOrFolder(absolute: string, label: string): Promise<ExportFiles> {
  if (!/\.(json|csv)$/i.test(absolute)) return openExport(absolute, label);
  const bytes = await fs.readFile(absolute).catch((error: NodeJS.ErrnoException) => {
    throw new NewsdeskError('IMPORT_FAILED', `${label}: cannot read it (${error.code ?? error.message})`, { hint: 'Check the path.' });
  });
  const name = path.basename(absolute);
  return { names: [name], read: (n) => (n === name ? bytes : undefined), label };
}
