// `newsdesk bounces process <mbox | Maildir>`: reads the bounce mailbox and applies
// every delivery status notification, complaint and unsubscribe request by mail in it
// (delivery/bounces/bounce-processor.ts);
// `newsdesk bounces aside`: the messages kept aside because they were no report we could
// act on, with the reason, and optionally written out as .eml files to read.
import fs from 'node:fs/promises';
import path from 'node:path';
import { NewsdeskError } from '../core/errors.ts';
import { BounceProcessor, type ReportOutcome } from '../delivery/bounces/bounce-processor.ts';
import { readMailbox } from '../delivery/bounces/mailbox-reader.ts';
import { openDelivery } from '../delivery/open-delivery.ts';
import { transactionalMail } from '../delivery/signing/return-path.ts';
import { resolveSecret } from '../delivery/signing/secret.ts';
import { type Command, formatTable, oneOf, parseOptions, positiveInt } from './cli.ts';

const actions = ['process', 'aside'] as const;

export const bouncesCommand: Command = {
  name: 'bounces',
  summary: 'process bounces and complaints from a mailbox; list what was kept aside',
  usage: ['bounces process <mbox-file | Maildir-folder> [--json]', '       newsdesk bounces aside [--limit N] [--out FOLDER]'].join('\n'),
  options: [
    ['--json', 'process: print one JSON line per message instead of text'],
    ['--limit N', 'aside: at most N messages, newest first (default 50)'],
    ['--out FOLDER', 'aside: also write each kept message to FOLDER/<id>.eml'],
  ],
  examples: ['newsdesk bounces process ~/Mail/bounces.mbox', 'newsdesk bounces process ~/Maildir/.Bounces', 'newsdesk bounces aside --out set-aside/'],
  async run(args, ctx) {
    const { values, positionals } = parseOptions(this, args, { json: { type: 'boolean' }, limit: { type: 'string' }, out: { type: 'string' } });
    const [actionArg, target, ...extra] = positionals;
    if (actionArg === undefined) throw new NewsdeskError('USAGE', 'newsdesk bounces needs an action', { hint: `Use one of: ${actions.join(', ')}.` });
    const action = oneOf('bounces action', actionArg, actions);
    if (extra.length > 0) throw new NewsdeskError('USAGE', `Unexpected argument(s): ${extra.join(' ')}`);
    if (action === 'process' && target === undefined) throw new NewsdeskError('USAGE', 'newsdesk bounces process needs an mbox file or a Maildir folder');
    if (action === 'aside' && target !== undefined) throw new NewsdeskError('USAGE', `newsdesk bounces aside takes no argument, got "${target}"`);
    const config = ctx.config();
    const delivery = await openDelivery(config);
    try {
      if (action === 'aside') {
        const kept = await delivery.bounces.listSetAside(values.limit === undefined ? 50 : positiveInt('--limit', values.limit));
        if (kept.length === 0) {
          ctx.out('Nothing kept aside: every message read so far was a report about one of our deliveries or a genuine unsubscribe request.');
          return 0;
        }
        ctx.out(formatTable(['id', 'received', 'from', 'reason'], kept.map((k) => [String(k.id), k.receivedAt.slice(0, 16).replace('T', ' '), k.source, k.reason])));
        if (values.out) {
          const dir = path.resolve(ctx.cwd, values.out);
          await fs.mkdir(dir, { recursive: true });
          for (const k of kept) await fs.writeFile(path.join(dir, `${k.id}.eml`), k.raw);
          ctx.out(`\nWrote ${kept.length} message(s) to ${values.out}.`);
        }
        return 0;
      }

      const location = path.resolve(ctx.cwd, target!);
      const source = `mailbox:${path.basename(location)}`;
      const processor = new BounceProcessor({ store: delivery.bounces, secret: resolveSecret(config), softLimit: config.bounces.softLimit, now: () => new Date() });
      const tally = new Map<ReportOutcome['outcome'], number>();
      for await (const message of readMailbox(location)) {
        if (ctx.signal.aborted) break;
        for (const result of await processor.processMessage(message.raw, source)) {
          tally.set(result.outcome, (tally.get(result.outcome) ?? 0) + 1);
          if (values.json) ctx.out(JSON.stringify({ message: message.label, ...result }));
          else ctx.out(`${message.label}: ${describe(result)}`);
        }
        await message.done();
      }
      const total = [...tally.values()].reduce((a, b) => a + b, 0);
      if (!values.json) {
        const parts = (['bounced', 'complained', 'counted', 'unchanged', 'noted', 'unsubscribed', 'already-unsubscribed', 'duplicate', 'set-aside'] as const).filter((o) => tally.get(o)).map((o) => `${tally.get(o)} ${o}`);
        ctx.out(`\n${total} message(s) read from ${target}${parts.length ? `: ${parts.join(', ')}` : ''}.`);
        if (tally.get('set-aside')) ctx.out('Messages set aside are kept in the database with the reason: `newsdesk bounces aside` lists them.');
      }
      return ctx.signal.aborted ? 130 : 0;
    } finally {
      await delivery.close();
    }
  },
};

function describe(result: ReportOutcome): string {
  switch (result.outcome) {
    case 'duplicate':
      return `already processed, nothing changed (${result.detail})`;
    case 'set-aside':
      return `kept aside: ${result.detail}`;
    case 'unsubscribed':
    case 'already-unsubscribed':
      return `${result.outcome} ${result.email}: ${result.detail}`;
    default:
      return `${result.outcome} ${result.email} (${result.issue === transactionalMail ? 'transactional mail' : `issue #${result.issue}`}): ${result.detail}`;
  }
}
