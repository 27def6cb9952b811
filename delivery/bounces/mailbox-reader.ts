// Reads the bounce mailbox from disk, one message at a time, as mail programs store
// it: an mbox file (messages after "From " lines, mboxrd's ">From " escapes undone),
// or a Maildir folder (new/ and cur/). A Maildir message is marked seen (moved from
// new/ to cur/ with the S flag) once processed; an mbox file is left as it is, and a
// second run over it changes nothing because every report is recorded once.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { NewsdeskError } from '../../core/errors.ts';

export interface MailboxMessage {
  raw: Buffer;
  /** Where it is, for reports: "bounces.mbox#3", "new/1773478872.M1P2.host". */
  label: string;
  /** Marks it processed where the format allows (Maildir: seen). */
  done(): Promise<void>;
}

export async function* readMailbox(location: string): AsyncGenerator<MailboxMessage> {
  const stat = await fs.stat(location).catch((error: NodeJS.ErrnoException) => {
    throw new NewsdeskError('NOT_FOUND', `${location}: ${error.code === 'ENOENT' ? 'no such file or folder' : error.message}`, {
      hint: 'Give an mbox file or a Maildir folder (one with cur/ and new/ inside).',
    });
  });
  if (stat.isDirectory()) yield* readMaildir(location);
  else yield* readMbox(location);
}

async function* readMaildir(dir: string): AsyncGenerator<MailboxMessage> {
  const isMaildir = (await Promise.all(['cur', 'new'].map((d) => fs.stat(path.join(dir, d)).then((s) => s.isDirectory(), () => false)))).every(Boolean);
  if (!isMaildir) {
    throw new NewsdeskError('USAGE', `${dir} is a folder but not a Maildir (it has no cur/ and new/ folders)`, { hint: 'Point at the Maildir itself, e.g. ~/Maildir/.Bounces, or at an mbox file.' });
  }
  // Both listed before the first is marked seen: a message moved to cur/ is not met twice.
  const listed = await Promise.all((['new', 'cur'] as const).map(async (sub) => ({ sub, names: (await fs.readdir(path.join(dir, sub))).filter((n) => !n.startsWith('.')).sort() })));
  for (const { sub, names } of listed) {
    for (const name of names) {
      const file = path.join(dir, sub, name);
      const raw = await fs.readFile(file).catch(() => undefined);
      // Another reader (a mail client, a second run) may have moved it meanwhile.
      if (!raw) continue;
      yield { raw, label: `${sub}/${name}`, done: () => markSeen(dir, sub, name) };
    }
  }
}

/** Maildir's "seen": in cur/, with S among the flags after ":2,". */
async function markSeen(dir: string, sub: 'new' | 'cur', name: string): Promise<void> {
  const [base, info = ''] = name.split(':2,');
  if (sub === 'cur' && info.includes('S')) return;
  const flags = [...new Set([...info, 'S'])].sort().join('');
  await fs.rename(path.join(dir, sub, name), path.join(dir, 'cur', `${base}:2,${flags}`)).catch(() => undefined);
}

async function* readMbox(file: string): AsyncGenerator<MailboxMessage> {
  const lines = readline.createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let message: string[] | undefined;
  let count = 0;
  let lineNumber = 0;
  const name = path.basename(file);
  const finish = (): MailboxMessage => {
    const raw = Buffer.from(`${message!.join('\n')}\n`);
    count++;
    return { raw, label: `${name}#${count}`, done: async () => {} };
  };
  for await (const line of lines) {
    lineNumber++;
    if (line.startsWith('From ') && (message === undefined || message.at(-1) === '')) {
      if (message) {
        message.pop();
        yield finish();
      }
      message = [];
      continue;
    }
    if (message === undefined) {
      if (line.trim() === '') continue;
      throw new NewsdeskError('USAGE', `${file}:${lineNumber}: not an mbox file (it should start with a "From " line)`, {
        hint: 'Export the bounce mailbox as mbox, or give its Maildir folder. A single message can be processed as a Maildir with one file in new/.',
      });
    }
    // mboxrd: a body line that began with "From " (after any ">") was written with one more ">".
    message.push(/^>+From /.test(line) ? line.slice(1) : line);
  }
  if (message) {
    while (message.at(-1) === '') message.pop();
    yield finish();
  }
}
