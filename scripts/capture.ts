// `newsdesk capture`: puts a link (or a file of links) into the inbox of the content store.
import fs from 'node:fs/promises';
import path from 'node:path';
import { captureLink, captureMany, type BulkOutcome, type CaptureOutcome } from '../content/capture/capture-link.ts';
import { makePageFetcher } from '../content/capture/fetch-page.ts';
import { describeLinkedIn, loadLinkedIn, type LinkedIn } from '../content/capture/linked-in.ts';
import { isBookmarksExport, parseCaptureList } from '../content/capture/capture-list.ts';
import { openContentStore } from '../content/open-store.ts';
import { NewsdeskError } from '../core/errors.ts';
import { type Command, parseOptions } from './cli.ts';

export const captureCommand: Command = {
  name: 'capture',
  summary: 'capture a link (or a file of links / a bookmarks export) into the link inbox',
  usage: 'capture <url> [--tag t]... [--note "…"] [--found-at "…"]\n       newsdesk capture --from <urls.txt | bookmarks.html> [--tag t]...',
  options: [
    ['--tag <t>', 'tag by title or slug; repeat for more; missing tags are created'],
    ['--note <text>', 'a private note on the link (appended when the link is already known)'],
    ['--found-at <text>', 'where you found it, e.g. "Mastodon, @someone"'],
    ['--from <file>', 'capture every URL in a file: one URL a line, or a browser bookmarks export (folders become tags)'],
    ['--json', 'print the outcomes as JSON'],
  ],
  examples: [
    'newsdesk capture https://example.org/post --tag notebooks --note "lead for Deployment"',
    'newsdesk capture --from ~/bookmarks.html --tag backlog',
  ],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, {
      tag: { type: 'string', multiple: true },
      note: { type: 'string' },
      'found-at': { type: 'string' },
      from: { type: 'string' },
      json: { type: 'boolean' },
    });
    const config = ctx.config();
    const store = openContentStore(config.content);
    const deps = { fetchPage: makePageFetcher({ limits: config.fetch, signal: ctx.signal }), now: () => new Date() };
    const tags = values.tag ?? [];

    if (values.from !== undefined) {
      if (positionals.length > 0) throw new NewsdeskError('USAGE', 'Give either a URL or --from <file>, not both');
      const file = path.resolve(ctx.cwd, values.from);
      const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new NewsdeskError('USAGE', `Cannot read ${file}: ${error.code ?? error.message}`, { hint: 'Check the path given to --from.' });
      });
      const entries = parseCaptureList(text).map((e) => ({
        where: e.where,
        url: e.url,
        tags: [...e.tags, ...tags],
        note: values.note,
        foundAt: values['found-at'],
        title: e.title,
      }));
      if (entries.length === 0) {
        ctx.out(`No URLs in ${file}.`);
        return 0;
      }
      ctx.err(`Capturing ${entries.length} link(s) from ${isBookmarksExport(text) ? 'a bookmarks export' : 'a URL list'} into ${store.description}…`);
      const outcomes = await captureMany(store, entries, deps, { signal: ctx.signal });
      const linkedIn = await loadLinkedIn(store);
      const seen = outcomes.map((o) => ({ ...o, linkedIn: o.kind === 'invalid' ? [] : linkedIn([o.url]) }));
      if (values.json) ctx.out(JSON.stringify(seen, null, 2));
      else for (const o of seen) ctx.out(formatOutcome(o));
      const counts = countOutcomes(outcomes);
      ctx.out(`\n${counts.created} created, ${counts.merged} merged, ${counts.offline} offline-flagged, ${counts.invalid} invalid`);
      return counts.invalid > 0 ? 1 : 0;
    }

    const [url, ...extra] = positionals;
    if (url === undefined || extra.length > 0) {
      throw new NewsdeskError('USAGE', url === undefined ? 'capture needs a URL (or --from <file>)' : `capture takes one URL, got ${positionals.length}`, {
        hint: 'newsdesk capture https://example.org/post --tag notebooks',
      });
    }
    // Reading the published issues takes as long as the archive is big: do it while the page is fetched.
    const [outcome, linkedIn] = await Promise.all([captureLink(store, { url, tags, note: values.note, foundAt: values['found-at'] }, deps), loadLinkedIn(store)]);
    if (outcome.kind === 'invalid') {
      throw new NewsdeskError('CAPTURE_FAILED', outcome.message, { hint: 'Give the whole address, starting with https:// or http://.' });
    }
    // The address as given and the one it was merged into may differ (canonical, redirect).
    const seen = { ...outcome, linkedIn: linkedIn([url, outcome.url]) };
    if (values.json) ctx.out(JSON.stringify(seen, null, 2));
    else ctx.out(formatOutcome(seen));
    return 0;
  },
};

export function formatOutcome(o: (CaptureOutcome | BulkOutcome) & { linkedIn?: LinkedIn[] }): string {
  const where = 'where' in o ? `${o.where}: ` : '';
  const id = 'id' in o ? ` [${o.id}]` : '';
  const linked = o.linkedIn?.length ? `; already linked in ${describeLinkedIn(o.linkedIn)}` : '';
  return `${where}${o.kind.padEnd(7)} ${o.url}${id} — ${o.message}${linked}`;
}

function countOutcomes(outcomes: BulkOutcome[]) {
  const counts = { created: 0, merged: 0, offline: 0, invalid: 0 };
  for (const o of outcomes) counts[o.kind]++;
  return counts;
}
