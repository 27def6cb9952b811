// The HMAC secret behind every signed link: NEWSDESK_SECRET when set, otherwise one
// generated once into the data directory (mode 0600) so links keep working across
// runs without anyone having to invent a secret on day one.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../core/config.ts';
import { NewsdeskError } from '../../core/errors.ts';

export function resolveSecret(config: Pick<Config, 'secret' | 'dataDir'>): string {
  if (config.secret) return config.secret;
  const file = path.join(config.dataDir, 'secret');
  fs.mkdirSync(config.dataDir, { recursive: true });
  try {
    // 'wx' makes two processes starting at once agree on one secret: the loser reads the winner's.
    fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new NewsdeskError('CONFIG_INVALID', `Could not create the secret file ${file}: ${(error as Error).message}`, {
        hint: 'Set NEWSDESK_SECRET, or make the data directory writable.',
        cause: error,
      });
    }
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (secret.length < 16) {
    throw new NewsdeskError('CONFIG_INVALID', `The secret file ${file} holds fewer than 16 characters`, {
      hint: 'Delete it to have a new one generated (this invalidates links in sent emails), or set NEWSDESK_SECRET.',
    });
  }
  return secret;
}
