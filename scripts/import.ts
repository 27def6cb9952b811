// `newsdesk import`: a back-issue in Markdown becomes an issue (a draft unless --publish),
// its links become link documents, and a fidelity check refuses any lossy conversion.
import fs from 'node:fs/promises';
import path from 'node:path';
import { formatImportSummary, importMarkdownIssue } from '../content/import-markdown-store.ts';
import { loadSettings } from '../content/load.ts';
import type { Settings } from '../content/model.ts';
import { openContentStore } from '../content/open-store.ts';
import { isNewsdeskError, NewsdeskError } from '../core/errors.ts';
import { renderIssueText } from '../emails/issue-text.ts';
import { type Command, parseOptions, positiveInt } from './cli.ts';

export const importCommand: Command = {
  name: 'import',
  summary: 'import a back-issue written in Markdown as an issue (links go to the link library)',
  usage: 'import <file.md> [--number N] [--publish] [--replace] [--dry-run]',
  options: [
    ['--number <N>', 'the issue number (default: from front matter `number:` or the title, e.g. "#12")'],
    ['--publish', 'store it published (default: a draft)'],
    ['--replace', 'overwrite an existing issue with that number'],
    ['--dry-run', 'convert and check, print the summary, write nothing'],
  ],
  examples: ['newsdesk import back-issues/12.md --dry-run', 'newsdesk import back-issues/12.md --number 12 --publish --replace'],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, {
      number: { type: 'string' },
      publish: { type: 'boolean' },
      replace: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new NewsdeskError('USAGE', 'import takes one Markdown file', { hint: 'newsdesk import back-issue.md --dry-run' });
    const number = values.number === undefined ? undefined : positiveInt('--number', values.number);
    const absolute = path.resolve(ctx.cwd, file);
    const bytes = await fs.readFile(absolute).catch((error: NodeJS.ErrnoException) => {
      throw new NewsdeskError('IMPORT_FAILED', `${file}: cannot read it (${error.code ?? error.message})`, { hint: 'Check the path.' });
    });
    const source = new TextDecoder('utf-8').decode(bytes);

    const config = ctx.config();
    const store = openContentStore(config.content);
    const settings = await loadSettings(store).catch((error: unknown) => {
      if (isNewsdeskError(error, 'NOT_FOUND')) return fallbackSettings;
      throw error;
    });
    const renderContext = { baseUrl: config.baseUrl ?? settings.siteUrl, settings };
    const summary = await importMarkdownIssue(store, source, {
      file,
      number,
      publish: values.publish,
      replace: values.replace,
      dryRun: values['dry-run'],
      now: () => new Date(),
      renderText: (issue) => renderIssueText(issue, renderContext).text,
    });
    for (const line of formatImportSummary(summary)) ctx.out(line);
    ctx.out(summary.written ? `\nStored in ${store.description}.` : '\nDry run: nothing was written.');
    return 0;
  },
};

/** Only for rendering the fidelity check when the store has no settings yet; never stored. */
const fallbackSettings: Settings = {
  title: 'Newsletter',
  description: undefined,
  siteUrl: 'https://newsletter.invalid',
  senderName: 'Newsletter',
  senderEmail: 'newsletter@newsletter.invalid',
  replyTo: undefined,
  postalAddress: '(postal address)',
  accentColor: '#1d6b5f',
  logoUrl: undefined,
  language: 'en',
  defaultSectionHeadings: [],
};
