// `newsdesk links`: the link library — list and filter, triage, retry offline captures,
// and print the capture bookmarklet.
import { enrichLinks, setLinkStatus } from '../content/capture/capture-link.ts';
import { loadLinks } from '../content/load.ts';
import { linkStatusSchema } from '../content/model.ts';
import { openContentStore } from '../content/open-store.ts';
import { NewsdeskError } from '../core/errors.ts';
import { buildBookmarklet } from '../server/capture-api.ts';
import { type Command, formatTable, oneOf, parseOptions } from './cli.ts';

const statuses = linkStatusSchema.options;

export const linksCommand: Command = {
  name: 'links',
  summary: 'list captured links; set their status; retry offline captures; print the bookmarklet',
  usage: [
    'links [--status inbox|shortlisted|discarded] [--tag t] [--unused] [--json]',
    '       newsdesk links set-status <id|url> <inbox|shortlisted|discarded>',
    '       newsdesk links enrich',
    '       newsdesk links bookmarklet [--base-url https://news.example.org]',
  ].join('\n'),
  options: [
    ['--status <s>', `only links with this status (${statuses.join(', ')})`],
    ['--tag <slug>', 'only links with this tag'],
    ['--unused', 'only links no published issue uses yet'],
    ['--json', 'print JSON instead of a table'],
    ['--base-url <url>', 'bookmarklet: where the newsdesk server runs (default NEWSDESK_BASE_URL)'],
  ],
  examples: [
    'newsdesk links --status inbox --unused',
    'newsdesk links set-status https://example.org/post shortlisted',
    'newsdesk links enrich',
    'NEWSDESK_API_TOKEN=… newsdesk links bookmarklet --base-url http://127.0.0.1:3000',
  ],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, {
      status: { type: 'string' },
      tag: { type: 'string' },
      unused: { type: 'boolean' },
      json: { type: 'boolean' },
      'base-url': { type: 'string' },
    });
    const [sub, ...rest] = positionals;
    const config = ctx.config();

    if (sub === 'bookmarklet') {
      const baseUrl = values['base-url'] ?? config.baseUrl;
      if (!baseUrl) throw new NewsdeskError('USAGE', 'The bookmarklet needs the server address', { hint: 'Pass --base-url http://127.0.0.1:3000 or set NEWSDESK_BASE_URL.' });
      if (!config.server.apiToken) {
        throw new NewsdeskError('USAGE', 'NEWSDESK_API_TOKEN is not set, so the capture API would refuse the bookmarklet', {
          hint: 'Set NEWSDESK_API_TOKEN (e.g. `openssl rand -hex 24`) for both the server and this command.',
        });
      }
      ctx.out(buildBookmarklet(baseUrl, config.server.apiToken));
      ctx.err('Drag this into your bookmarks bar (it holds your API token: keep it to your own browser).');
      return 0;
    }

    const store = openContentStore(config.content);
    if (sub === 'set-status') {
      const [target, status, ...extra] = rest;
      if (target === undefined || status === undefined || extra.length > 0) {
        throw new NewsdeskError('USAGE', 'links set-status needs a link id or URL and a status', { hint: `e.g. newsdesk links set-status https://example.org/post shortlisted (statuses: ${statuses.join(', ')})` });
      }
      const result = await setLinkStatus(store, target, oneOf('status', status, statuses));
      ctx.out(`${result.id} ${result.url}: ${result.previous ?? '(none)'} → ${status}`);
      return 0;
    }
    if (sub === 'enrich') {
      // open-graph-scraper and its HTML parsers are for enrich only, not for listing.
      const { makePageFetcher } = await import('../content/capture/fetch-page.ts');
      const outcomes = await enrichLinks(store, { fetchPage: makePageFetcher({ limits: config.fetch, signal: ctx.signal }) }, { signal: ctx.signal });
      if (outcomes.length === 0) ctx.out('No links are waiting for metadata.');
      for (const o of outcomes) ctx.out(`${o.kind.padEnd(13)} ${o.url} [${o.id}] — ${o.message}`);
      const still = outcomes.filter((o) => o.kind === 'still-offline').length;
      if (outcomes.length) ctx.out(`\n${outcomes.length - still} enriched, ${still} still offline`);
      return 0;
    }
    if (sub !== undefined) {
      throw new NewsdeskError('USAGE', `links: unknown subcommand "${sub}"`, { hint: 'Use set-status, enrich or bookmarklet, or no subcommand to list.' });
    }

    const status = values.status === undefined ? undefined : oneOf('--status', values.status, statuses);
    const links = await loadLinks(store, { status, tag: values.tag, unused: values.unused });
    if (values.json) {
      ctx.out(JSON.stringify(links, null, 2));
      return 0;
    }
    if (links.length === 0) {
      ctx.out(`No links match in ${store.description}.`);
      return 0;
    }
    ctx.out(
      formatTable(
        ['id', 'status', 'captured', 'used in', 'tags', 'title / url'],
        links.map((l) => [
          l.id,
          l.status + (l.needsEnrichment ? '*' : ''),
          l.capturedAt.slice(0, 10),
          l.usedIn.length ? l.usedIn.map((u) => `#${u.number}`).join(',') : '—',
          l.tags.map((t) => t.slug).join(',') || '—',
          `${l.title ?? '(no title)'}  ${l.url}`,
        ]),
      ),
    );
    ctx.out(`\n${links.length} link(s)${links.some((l) => l.needsEnrichment) ? '; * = captured offline, run `newsdesk links enrich`' : ''}`);
    return 0;
  },
};
