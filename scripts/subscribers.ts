// `newsdesk subscribers add|import|export|list|remove|stats`: the subscriber list in
// the delivery database. Imports stream the file in short transactions (a server and a
// send keep working beside them) and never re-activate an address that unsubscribed,
// bounced or complained.
import fs from 'node:fs';
import path from 'node:path';
import { NewsdeskError, formatZodIssues } from '../core/errors.ts';
import { openDelivery, type Delivery } from '../delivery/open-delivery.ts';
import { reputationLimits, type SendReputation } from '../delivery/bounces/report-counts.ts';
import { importSubscribers } from '../delivery/subscribers/import-subscribers.ts';
import { checkSubscriberCsv, csvHeader, openCsv, readSubscriberCsv, toCsvLine } from '../delivery/subscribers/subscriber-csv.ts';
import { mailboxParts, subscriberInputSchema, subscriberStates } from '../delivery/subscribers/subscriber.ts';
import { type Command, type CommandContext, formatTable, oneOf, parseOptions, positiveInt } from './cli.ts';

const actions = ['add', 'import', 'export', 'list', 'remove', 'history', 'stats'] as const;

export const subscribersCommand: Command = {
  name: 'subscribers',
  summary: 'add, import, export, list, remove subscribers; their history; counts and bounce/complaint rates',
  usage: [
    'subscribers add <email> [--name NAME] [--pending] [--source SOURCE]',
    '       newsdesk subscribers import <file.csv> [--pending] [--source SOURCE] [--dry-run]',
    '       newsdesk subscribers export [--state STATE] [--out FILE]',
    '       newsdesk subscribers list [--state STATE] [--limit N] [--json]',
    '       newsdesk subscribers remove <email> [--erase]',
    '       newsdesk subscribers history <email> [--json]',
    '       newsdesk subscribers stats [--sends N]',
  ].join('\n'),
  options: [
    ['--pending', 'add/import as pending (double opt-in: they get no issue until they confirm)'],
    ['--source SOURCE', 'where these subscribers came from (default: "cli" or "import:<file>")'],
    ['--dry-run', 'import: report what would happen and change nothing'],
    ['--name NAME', 'add: the subscriber\'s name'],
    ['--state STATE', `list/export: only this state (${subscriberStates.join(', ')})`],
    ['--limit N', 'list: at most N rows (default 100)'],
    ['--out FILE', 'export: write to FILE instead of standard output; cells starting with = + - @ (or a tab or CR) get a leading \' so spreadsheets do not run them as formulas, and import takes it off again'],
    ['--erase', 'remove: delete the address and its history (it is then no longer suppressed)'],
    ['--json', 'list: print JSON'],
    ['--sends N', 'stats: bounce and complaint rates over the last N sends (default 5)'],
  ],
  examples: [
    'newsdesk subscribers add ada@example.org --name "Ada Lovelace"',
    'newsdesk subscribers add "Ada Lovelace <ada@example.org>"',
    'newsdesk subscribers import people.csv --dry-run',
    'newsdesk subscribers import people.csv --pending --source signup-sheet',
    'newsdesk subscribers export --out backup.csv',
    'newsdesk subscribers list --state unsubscribed',
    'newsdesk subscribers remove ada@example.org',
    'newsdesk subscribers history ada@example.org',
    'newsdesk subscribers stats',
    'newsdesk subscribers stats --sends 10',
  ],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, {
      pending: { type: 'boolean' },
      source: { type: 'string' },
      'dry-run': { type: 'boolean' },
      name: { type: 'string' },
      state: { type: 'string' },
      limit: { type: 'string' },
      out: { type: 'string' },
      erase: { type: 'boolean' },
      json: { type: 'boolean' },
      sends: { type: 'string' },
    });
    const [actionArg, target, ...extra] = positionals;
    if (actionArg === undefined) throw new NewsdeskError('USAGE', 'newsdesk subscribers needs an action', { hint: `Use one of: ${actions.join(', ')}.` });
    const action = oneOf('subscribers action', actionArg, actions);
    if (extra.length > 0) throw new NewsdeskError('USAGE', `Unexpected argument(s): ${extra.join(' ')}`);
    const needsTarget = action === 'add' || action === 'import' || action === 'remove' || action === 'history';
    if (needsTarget && target === undefined) {
      throw new NewsdeskError('USAGE', `newsdesk subscribers ${action} needs ${action === 'import' ? 'a CSV file' : 'an email address'}`);
    }
    if (!needsTarget && target !== undefined) throw new NewsdeskError('USAGE', `newsdesk subscribers ${action} takes no argument, got "${target}"`);
    const state = values.state === undefined ? undefined : oneOf('--state', values.state, subscriberStates);

    const delivery = await openDelivery(ctx.config());
    try {
      const now = new Date();
      const { subscribers } = delivery;
      switch (action) {
        case 'add': {
          // "Ada Okafor <ada@example.org>", as copied from an email program: the name comes with it (--name wins).
          const given = mailboxParts(target!);
          const parsed = subscriberInputSchema.safeParse({ email: given.email, name: values.name ?? given.name, source: values.source });
          if (!parsed.success) {
            throw new NewsdeskError('SUBSCRIBER_INVALID', `"${target}": ${formatZodIssues(parsed.error.issues).join('; ')}`);
          }
          const { subscriber, created } = await subscribers.add(parsed.data, values.pending ? 'pending' : 'active', {
            actor: 'cli',
            now,
          });
          ctx.out(created ? `Added ${subscriber.email} (${subscriber.state}).` : `${subscriber.email} is already on the list (${subscriber.state}); nothing changed.`);
          return 0;
        }
        case 'import':
          return await importCsv(ctx, delivery, target!, { pending: Boolean(values.pending), source: values.source, dryRun: Boolean(values['dry-run']) });
        case 'export': {
          const write = values.out ? openWriter(path.resolve(ctx.cwd, values.out)) : { write: (s: string) => process.stdout.write(s), close: () => {} };
          let n = 0;
          write.write(csvHeader());
          for await (const s of subscribers.iterate({ state })) {
            write.write(toCsvLine(s));
            n++;
          }
          write.close();
          if (values.out) ctx.out(`Wrote ${n} subscriber(s) to ${values.out}.`);
          return 0;
        }
        case 'list': {
          const limit = values.limit === undefined ? 100 : positiveInt('--limit', values.limit);
          const rows = [];
          for await (const s of subscribers.iterate({ state })) {
            if (rows.length >= limit) break;
            rows.push(s);
          }
          if (values.json) {
            ctx.out(JSON.stringify(rows.map(({ token: _t, ...s }) => s), null, 2));
            return 0;
          }
          if (rows.length === 0) {
            ctx.out(state ? `No ${state} subscribers.` : 'No subscribers yet. Add one with `newsdesk subscribers add <email>` or import a CSV.');
            return 0;
          }
          ctx.out(formatTable(['email', 'name', 'state', 'source', 'since'], rows.map((s) => [s.email, s.name ?? '', s.state, s.source, s.createdAt.slice(0, 10)])));
          return 0;
        }
        case 'remove': {
          const email = target!;
          if (values.erase) {
            if (!(await subscribers.erase(email))) throw notOnList(email);
            ctx.out(`Erased ${email} and its history. Note: it is no longer suppressed and could be imported again.`);
            return 0;
          }
          if (!(await subscribers.unsubscribe(email, { actor: 'cli:remove', now }))) throw notOnList(email);
          ctx.out(`${email} is unsubscribed and will not be sent anything again (kept on the suppression list).`);
          return 0;
        }
        case 'history': {
          const subscriber = await subscribers.get(target!);
          if (!subscriber) throw notOnList(target!);
          const events = await subscribers.history(subscriber.id);
          if (values.json) {
            ctx.out(JSON.stringify({ email: subscriber.email, state: subscriber.state, history: events }, null, 2));
            return 0;
          }
          ctx.out(`${subscriber.email}: ${subscriber.state}`);
          for (const e of events) {
            const evidence = e.evidence ? Object.entries(e.evidence).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`).join('; ') : '';
            ctx.out(`  ${e.at.slice(0, 19).replace('T', ' ')}  ${e.from ?? '(new)'} → ${e.to}  by ${e.actor}${e.reason ? `: ${e.reason}` : ''}${evidence ? `\n      evidence: ${evidence}` : ''}`);
          }
          return 0;
        }
        case 'stats': {
          const stats = await subscribers.stats();
          ctx.out(formatTable(['state', 'subscribers'], subscriberStates.map((s) => [s, String(stats.byState[s])])));
          ctx.out(`\n${stats.total} in total`);
          if (stats.bySource.length > 0) {
            ctx.out('');
            ctx.out(formatTable(['source', 'subscribers'], stats.bySource.map((s) => [s.source, String(s.count)])));
          }
          printReputation(ctx, await delivery.bounces.reputation(values.sends === undefined ? 5 : positiveInt('--sends', values.sends)));
          return 0;
        }
      }
    } finally {
      await delivery.close();
    }
  },
};

/** Bounce and complaint rates over the last sends, with a warning where inbox providers start to block. */
function printReputation(ctx: CommandContext, sends: SendReputation[]): void {
  if (sends.length === 0) return;
  const rate = (n: number, of: number) => (of > 0 ? n / of : 0);
  const percent = (r: number) => `${(r * 100).toFixed(2)}%`;
  ctx.out(`\nBounces and complaints over the last ${sends.length} send(s):`);
  ctx.out(
    formatTable(
      ['issue', 'sent', 'hard bounces', 'bounce rate', 'complaints', 'complaint rate'],
      sends.map((s) => [`#${s.issue}`, String(s.attempted), String(s.hard), percent(rate(s.hard, s.attempted)), String(s.complained), percent(rate(s.complained, s.sent))]),
    ),
  );
  const total = sends.reduce((t, s) => ({ attempted: t.attempted + s.attempted, sent: t.sent + s.sent, hard: t.hard + s.hard, complained: t.complained + s.complained }), { attempted: 0, sent: 0, hard: 0, complained: 0 });
  const bounceRate = rate(total.hard, total.attempted);
  const complaintRate = rate(total.complained, total.sent);
  ctx.out(`all: bounce rate ${percent(bounceRate)} (${total.hard} of ${total.attempted}), complaint rate ${percent(complaintRate)} (${total.complained} of ${total.sent})`);
  if (complaintRate > reputationLimits.complaintRate) {
    ctx.out(`warning: the complaint rate ${percent(complaintRate)} is above ${percent(reputationLimits.complaintRate)}: Gmail and Yahoo start to send bulk mail to spam or refuse it. Send only to people who confirmed, make unsubscribing easy, and look at what the complaints were about.`);
  }
  if (bounceRate > reputationLimits.bounceRate) {
    ctx.out(`warning: the bounce rate ${percent(bounceRate)} is above ${percent(reputationLimits.bounceRate)}: the list has old or mistyped addresses, which relays and email services take as a sign of a bought or stale list. Bounced addresses are no longer mailed; check where new sign-ups come from.`);
  }
}

function notOnList(email: string): NewsdeskError {
  return new NewsdeskError('NOT_FOUND', `${email} is not on the list`, { hint: 'Run `newsdesk subscribers list` to see who is.' });
}

function openWriter(file: string) {
  const fd = fs.openSync(file, 'w');
  return { write: (s: string) => fs.writeSync(fd, s), close: () => fs.closeSync(fd) };
}

async function importCsv(
  ctx: CommandContext,
  delivery: Delivery,
  file: string,
  options: { pending: boolean; source: string | undefined; dryRun: boolean },
): Promise<number> {
  const full = path.resolve(ctx.cwd, file);
  // A first pass over the file refuses one that is not CSV before anything is written;
  // the import itself then streams it, committing a few hundred rows at a time.
  await checkSubscriberCsv(openCsv(full, file), file);
  const actor = `import:${path.basename(file)}`;
  const report = await importSubscribers(readSubscriberCsv(openCsv(full, file), file), delivery.subscribers, {
    state: options.pending ? 'pending' : 'active',
    source: options.source ?? actor,
    dryRun: options.dryRun,
    actor,
    now: () => new Date(),
    onBad: (b) => ctx.err(`${file}:${b.line}: ${b.reason}`),
    signal: ctx.signal,
  });
  const c = report.counts;
  const verb = options.dryRun ? 'would be' : 'were';
  const read = Object.values(c).reduce((a, b) => a + b, 0) + report.bad;
  ctx.out(`${options.dryRun ? 'Dry run — nothing changed. ' : ''}${file}: ${read} row(s) read${ctx.signal.aborted ? ' before the import was interrupted' : ''}.`);
  const breakdown = Object.entries(report.addedByState).map(([state, n]) => `${n} ${state}`).join(', ');
  ctx.out(`  ${c.added} new subscriber(s) ${verb} added${c.added ? ` (${breakdown})` : ''}`);
  if (c.activated) ctx.out(`  ${c.activated} pending subscriber(s) ${verb} activated`);
  if (c.unchanged) ctx.out(`  ${c.unchanged} already on the list, unchanged`);
  if (c.suppressed) ctx.out(`  ${c.suppressed} unsubscribed/bounced/complained address(es) left as they are (never re-activated)`);
  if (c['newly-suppressed']) ctx.out(`  ${c['newly-suppressed']} existing address(es) ${verb} moved to the suppressed state the file gives`);
  if (c.duplicate) ctx.out(`  ${c.duplicate} duplicate row(s) in the file ignored (the same address, whatever the letter case)`);
  if (report.bad) {
    ctx.out(`  ${report.bad} bad row(s) ${options.dryRun ? 'would be' : 'were'} skipped (listed above by line)`);
    return 1;
  }
  return ctx.signal.aborted ? 130 : 0;
}
