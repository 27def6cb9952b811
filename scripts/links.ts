// `newsdesk links`: the link library — list and filter, triage, retry offline captures,
// check the published links for rot (content/link-check/) and list the broken and moved
// ones, and print the capture bookmarklet.
import { enrichLinks, setLinkStatus } from '../content/capture/capture-link.ts';
import { loadLinks } from '../content/load.ts';
import { linkStatusSchema } from '../content/model.ts';
import { checkLink } from '../content/link-check/check-link.ts';
import { checkPublishedLinks, defaultPoliteness, loadLinkChecks } from '../content/link-check/check-links.ts';
import { describeAnswer, linkOutcomes, needsAttention, type LinkCheckRecord, type LinkOutcome } from '../content/link-check/link-health.ts';
import { openContentStore } from '../content/open-store.ts';
import type { ContentStore } from '../content/store.ts';
import { NewsdeskError } from '../core/errors.ts';
import { buildBookmarklet } from '../server/capture-api.ts';
import { type Command, type CommandContext, formatTable, oneOf, parseOptions, positiveInt } from './cli.ts';

const statuses = linkStatusSchema.options;

export const linksCommand: Command = {
  name: 'links',
  summary: 'list captured links; set their status; retry offline captures; check published links for rot; print the bookmarklet',
  usage: [
    'links [list] [--status inbox|shortlisted|discarded] [--tag t] [--unused] [--json]',
    '       newsdesk links list --broken [--json]',
    '       newsdesk links check [--issue N] [--older-than days] [--fail-on-broken] [--json]',
    '       newsdesk links set-status <id|url> <inbox|shortlisted|discarded>',
    '       newsdesk links enrich',
    '       newsdesk links bookmarklet [--base-url https://news.example.org]',
  ].join('\n'),
  options: [
    ['--status <s>', `only links with this status (${statuses.join(', ')})`],
    ['--tag <slug>', 'only links with this tag'],
    ['--unused', 'only links no published issue uses yet'],
    ['--json', 'print JSON instead of a table'],
    ['--broken', 'list: the published links the last `links check` found broken or moved'],
    ['--issue <n>', 'check: only the links of this published issue'],
    ['--older-than <days>', 'check: leave out links checked within this many days'],
    ['--fail-on-broken', 'check: exit 1 when a link is broken'],
    ['--concurrency <n>', `check: requests in flight overall (default ${defaultPoliteness.concurrency})`],
    ['--per-host <n>', `check: requests in flight to one site (default ${defaultPoliteness.perHost})`],
    ['--delay-ms <ms>', `check: the least time between two requests to one site (default ${defaultPoliteness.delayMs})`],
    ['--base-url <url>', 'bookmarklet: where the newsdesk server runs (default NEWSDESK_BASE_URL)'],
  ],
  examples: [
    'newsdesk links --status inbox --unused',
    'newsdesk links set-status https://example.org/post shortlisted',
    'newsdesk links enrich',
    'newsdesk links check --older-than 7',
    'newsdesk links check --issue 12 --fail-on-broken',
    'newsdesk links list --broken',
    'NEWSDESK_API_TOKEN=… newsdesk links bookmarklet --base-url http://127.0.0.1:3000',
  ],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, {
      status: { type: 'string' },
      tag: { type: 'string' },
      unused: { type: 'boolean' },
      json: { type: 'boolean' },
      'base-url': { type: 'string' },
      broken: { type: 'boolean' },
      issue: { type: 'string' },
      'older-than': { type: 'string' },
      'fail-on-broken': { type: 'boolean' },
      concurrency: { type: 'string' },
      'per-host': { type: 'string' },
      'delay-ms': { type: 'string' },
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
      const policy = { allowPrivateAddresses: config.fetch.allowPrivateAddresses };
      const outcomes = await enrichLinks(store, { fetchPage: makePageFetcher({ limits: config.fetch, policy, signal: ctx.signal }) }, { signal: ctx.signal });
      if (outcomes.length === 0) ctx.out('No links are waiting for metadata.');
      for (const o of outcomes) ctx.out(`${o.kind.padEnd(13)} ${o.url} [${o.id}] — ${o.message}`);
      const still = outcomes.filter((o) => o.kind === 'still-offline').length;
      if (outcomes.length) ctx.out(`\n${outcomes.length - still} enriched, ${still} still offline`);
      return 0;
    }
    const checkOnly = (['issue', 'older-than', 'fail-on-broken', 'concurrency', 'per-host', 'delay-ms'] as const).filter((o) => values[o] !== undefined);
    if (sub !== 'check' && checkOnly.length > 0) {
      throw new NewsdeskError('USAGE', `--${checkOnly[0]} is an option of \`links check\``, { hint: `Run \`newsdesk links check --${checkOnly[0]} …\`.` });
    }
    if (values.broken && sub !== undefined && sub !== 'list') throw new NewsdeskError('USAGE', '--broken is an option of `links list`', { hint: 'Run `newsdesk links list --broken` after `newsdesk links check`.' });
    if (sub === 'check') return checkLinks(store, values, ctx);
    if (sub !== undefined && sub !== 'list') {
      throw new NewsdeskError('USAGE', `links: unknown subcommand "${sub}"`, { hint: 'Use list, check, set-status, enrich or bookmarklet (no subcommand lists).' });
    }
    if (values.broken) return listBrokenLinks(store, values.json === true, ctx);

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

type LinksOptions = Partial<Record<'issue' | 'older-than' | 'concurrency' | 'per-host' | 'delay-ms', string>> & { json?: boolean; 'fail-on-broken'?: boolean };

const outcomeWords: Record<LinkOutcome, string> = { ok: 'fine', moved: 'moved', broken: 'broken', unknown: 'could not be checked' };

async function checkLinks(store: ContentStore, values: LinksOptions, ctx: CommandContext): Promise<number> {
  const config = ctx.config();
  const whole = (what: string, value: string | undefined) => (value === undefined ? undefined : positiveInt(what, value));
  const delay = values['delay-ms'];
  if (delay !== undefined && !/^\d+$/.test(delay)) throw new NewsdeskError('USAGE', `--delay-ms must be a whole number of milliseconds (0 or more), not "${delay}"`);
  const delayMs = delay === undefined ? defaultPoliteness.delayMs : Number(delay);
  const politeness = {
    concurrency: whole('--concurrency', values.concurrency) ?? defaultPoliteness.concurrency,
    perHost: whole('--per-host', values['per-host']) ?? defaultPoliteness.perHost,
    delayMs,
  };
  const policy = { allowPrivateAddresses: config.fetch.allowPrivateAddresses };
  const run = await checkPublishedLinks(store, {
    check: (url) => checkLink(url, { limits: config.fetch, policy, signal: ctx.signal, retryDelayMs: politeness.delayMs }),
    politeness,
    issue: whole('--issue', values.issue),
    olderThanDays: whole('--older-than', values['older-than']),
    signal: ctx.signal,
  });
  if (!run.recorded) {
    throw new NewsdeskError('LINK_CHECK_FAILED', `Not one of the ${run.checked.length} sites' names resolved, so nothing was recorded`, { hint: 'Is this machine offline, or its DNS resolver down? Run `newsdesk links check` again once names resolve.' });
  }
  const counts = Object.fromEntries(linkOutcomes.map((o) => [o, run.checked.filter((r) => r.outcome === o).length])) as Record<LinkOutcome, number>;
  if (values.json) {
    ctx.out(JSON.stringify({ counts, skipped: run.skipped, checked: run.checked }, null, 2));
  } else {
    const noteworthy = run.checked.filter((r) => r.outcome !== 'ok');
    if (noteworthy.length) ctx.out(formatChecks(noteworthy) + '\n');
    const parts = linkOutcomes.filter((o) => counts[o] > 0 || o === 'ok').map((o) => `${counts[o]} ${outcomeWords[o]}`);
    const skipped = run.skipped ? `; ${run.skipped} left for later (checked recently${ctx.signal.aborted ? ' or stopped' : ''})` : '';
    ctx.out(`Checked ${run.checked.length} published link(s): ${parts.join(', ')}${skipped}.`);
    if (counts.broken + counts.moved > 0) ctx.out('`newsdesk links list --broken` lists them again; the Studio shows them under Link health.');
  }
  return values['fail-on-broken'] && counts.broken > 0 ? 1 : 0;
}

async function listBrokenLinks(store: ContentStore, json: boolean, ctx: CommandContext): Promise<number> {
  const checks = await loadLinkChecks(store);
  const attention = checks.filter(needsAttention).sort((a, b) => a.outcome.localeCompare(b.outcome) || a.url.localeCompare(b.url));
  if (json) {
    ctx.out(JSON.stringify(attention.map(({ _id, ...record }) => record), null, 2));
    return 0;
  }
  if (checks.length === 0) {
    ctx.out('No links have been checked yet: run `newsdesk links check`.');
    return 0;
  }
  if (attention.length === 0) {
    ctx.out(`No broken or moved links among the ${checks.length} checked.`);
    return 0;
  }
  ctx.out(formatChecks(attention));
  ctx.out(`\n${attention.length} of ${checks.length} checked link(s) broken or moved.`);
  return 0;
}

function formatChecks(records: LinkCheckRecord[]): string {
  return formatTable(
    ['outcome', 'answer', 'checked', 'used in', 'url'],
    records.map((r) => [
      outcomeWords[r.outcome],
      describeAnswer(r),
      r.checkedAt.slice(0, 10),
      r.usedIn.map((n) => `#${n}`).join(',') || '—',
      r.outcome === 'moved' ? `${r.url} → ${r.movedTo ?? r.finalUrl}` : r.url,
    ]),
  );
}
