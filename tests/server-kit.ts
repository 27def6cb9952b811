// Shared set-up for the server's HTTP tests: a temp data folder seeded with the sample
// newsletter, a built site, a clock the test can move, and helpers to read the outbox
// the server's mail worker writes confirmation and welcome mail into.
import { simpleParser } from 'mailparser';
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildSite } from '../build/build-site.ts';
import { openContentStore } from '../content/open-store.ts';
import type { ContentStore } from '../content/store.ts';
import { loadConfig, type Config } from '../core/config.ts';
import type { Transport } from '../delivery/sending/transport.ts';
import { startServer, type RunningServer, type ServerOptions } from '../server/server.ts';
import { makeTempDir } from './helpers/temp.ts';

export const previewSecret = 'preview-secret-for-tests';
export const webhookSecret = 'webhook-secret-for-tests';
export const tokenSecret = 'token-secret-for-tests-0123456789';

/** Starts at a fixed moment and runs at real speed (the mail worker's retries wait on it); tests can jump it. */
export function aClock(iso = '2026-03-02T10:00:00Z') {
  const started = performance.now();
  let offset = new Date(iso).getTime();
  return { now: () => new Date(offset + (performance.now() - started)), advanceHours: (h: number) => void (offset += h * 3_600_000) };
}

export interface TestServer extends RunningServer {
  config: Config;
  store: ContentStore;
  dir: string;
  outbox: string;
  clock: ReturnType<typeof aClock>;
  rebuildRuns: string[][];
  /** The outbox once the mail worker has sent everything due. */
  outboxMail(): Promise<OutboxMail[]>;
}

/** A server on port 0 over its own data folder; the site is built once unless `build: false`. */
export async function startTestServer(
  options: { env?: Record<string, string>; build?: boolean; transport?: Transport; rebuildDebounceMs?: number; realRebuild?: boolean; clockStart?: string } & Partial<Pick<ServerOptions, 'fetchPage' | 'mailWorker'>> = {},
): Promise<TestServer> {
  const dir = await makeTempDir('newsdesk-server-');
  const config = loadConfig(
    {
      NEWSDESK_DATA_DIR: path.join(dir, 'data'),
      NEWSDESK_OUT_DIR: path.join(dir, 'dist'),
      NEWSDESK_PORT: '0',
      NEWSDESK_SECRET: tokenSecret,
      NEWSDESK_PREVIEW_SECRET: previewSecret,
      SANITY_WEBHOOK_SECRET: webhookSecret,
      NEWSDESK_SUBSCRIBE_RATE: 'off',
      ...options.env,
    },
    dir,
  );
  // As `newsdesk serve` opens it without the Studio (scripts/serve.ts).
  const store = openContentStore(config.content, { lazy: true });
  if (options.build !== false) await buildSite({ config, store, threads: 1 });
  const clock = aClock(options.clockStart);
  const rebuildRuns: string[][] = [];
  const server = await startServer({
    config,
    store,
    now: clock.now,
    log: () => undefined,
    rebuildDebounceMs: options.rebuildDebounceMs ?? 5,
    ...(options.realRebuild ? {} : { rebuildSite: async (reasons: string[]) => void rebuildRuns.push(reasons) }),
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.fetchPage ? { fetchPage: options.fetchPage } : {}),
    ...(options.mailWorker ? { mailWorker: options.mailWorker } : {}),
  });
  const outbox = config.transport.kind === 'outbox' ? config.transport.dir : '';
  const outboxMail = async () => {
    await server.mail.idle();
    return readOutbox(outbox);
  };
  return { ...server, store, config, dir, outbox, clock, rebuildRuns, outboxMail };
}

export interface OutboxMail {
  file: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The message as written, for header checks mailparser would reinterpret. */
  raw: string;
}

export async function readOutbox(dir: string): Promise<OutboxMail[]> {
  let files: string[];
  try {
    const names = (await fs.readdir(dir)).filter((f) => f.endsWith('.eml'));
    // Oldest first: file names are random, the write order is what tests ask about.
    const stats = await Promise.all(names.map(async (f) => ({ f, t: (await fs.stat(path.join(dir, f), { bigint: true })).mtimeNs })));
    files = stats.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0)).map((s) => s.f);
  } catch {
    return [];
  }
  return Promise.all(
    files.map(async (file) => {
      const raw = await fs.readFile(path.join(dir, file));
      const parsed = await simpleParser(raw);
      const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
      return { file, to: to ?? '', subject: parsed.subject ?? '', text: parsed.text ?? '', html: parsed.html || '', raw: raw.toString('utf8') };
    }),
  );
}

/** The confirmation link in a mail's plain-text part. */
export function confirmLinkIn(mail: Pick<OutboxMail, 'text'>): string {
  const match = /https?:\/\/\S+\/confirm\?token=[^\s\]>)]+/.exec(mail.text);
  if (!match) throw new Error(`no confirmation link in:\n${mail.text}`);
  return match[0];
}

/**
 * Follows a confirmation link as a reader does: opens the page, then presses its button
 * (the form's POST, from the page's own origin). An error page (expired, invalid) is
 * answered by the GET and returned as is.
 */
export async function confirmVia(link: string): Promise<Response> {
  const shown = await fetch(link);
  if (shown.status !== 200) return shown;
  const html = await shown.text();
  const action = /<form\b[^>]*\baction="([^"]+)"[^>]*>/.exec(html)?.[1];
  if (!action) throw new Error(`no confirmation form on the page:\n${html}`);
  const target = new URL(action.replace(/&amp;/g, '&'), link);
  return formPost(target.toString(), {}, new URL(link).origin);
}

export function formPost(url: string, fields: Record<string, string>, origin: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', redirect: 'manual', headers: { origin, ...headers }, body: new URLSearchParams(fields) });
}

export function jsonPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
