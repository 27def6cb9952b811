// The Hono app called directly through app.fetch (web-standard Request in, Response
// out, no socket): what a reader sees when something breaks on our side.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContentStore } from '../content/store.ts';
import { loadConfig } from '../core/config.ts';
import { openSqliteDelivery } from '../delivery/open-delivery.ts';
import { Subscriptions } from '../delivery/subscribers/subscriptions.ts';
import { makeTempDir } from './helpers/temp.ts';
import { createApp } from '../server/app.ts';

const brokenStore: ContentStore = {
  description: 'a store whose disk has gone',
  fetch: async () => {
    throw new Error('EIO: i/o error, read /srv/news/dataset.ndjson\n    at secret/internal/path.ts:12:3');
  },
  mutate: async () => {
    throw new Error('EIO');
  },
};

async function anAppOverABrokenStore() {
  const dir = await makeTempDir('newsdesk-app-');
  const config = loadConfig({ NEWSDESK_DATA_DIR: path.join(dir, 'data'), NEWSDESK_OUT_DIR: path.join(dir, 'dist'), NEWSDESK_SECRET: 'app-test-secret-0123456789' }, dir);
  const delivery = openSqliteDelivery(config.dbPath);
  afterAll(() => delivery.close());
  const logged: string[] = [];
  const now = () => new Date('2026-03-02T10:00:00Z');
  const app = createApp({
    config,
    store: brokenStore,
    subscriptions: new Subscriptions({ store: delivery.subscribers, secret: 'app-test-secret-0123456789', now }),
    checkHealth: delivery.checkHealth,
    transport: { description: 'nowhere', send: async () => ({ messageId: '', response: '' }), close: async () => undefined },
    secret: 'app-test-secret-0123456789',
    publicUrl: () => 'http://news.test',
    rebuild: undefined,
    fetchPage: async () => ({ ok: false, reason: 'offline' }) as never,
    now,
    log: (line) => logged.push(line),
  });
  return { app, logged, delivery };
}

describe('when the server fails on its side', () => {
  it('answers a friendly 500 without the error text or a stack trace, and logs the details', async () => {
    const { app, logged } = await anAppOverABrokenStore();
    const page = await app.fetch(new Request('http://news.test/subscribe'));
    expect(page.status).toBe(500);
    const body = await page.text();
    expect(body).not.toMatch(/EIO|internal\/path|at \S+:\d+/);
    expect(logged.join('\n')).toContain('EIO');

    const json = await app.fetch(new Request('http://news.test/subscribe', { headers: { accept: 'application/json' } }));
    expect(json.status).toBe(500);
    expect(await json.json()).toEqual({ ok: false, error: 'internal', message: 'Something went wrong on our side; please try again.' });
  });
});

describe('a sign-up request', () => {
  it('does the same single write for a known and an unknown address, and nothing else until the mail worker admits it', async () => {
    const { app, delivery } = await anAppOverABrokenStore();
    await delivery.subscribers.add({ email: 'known@example.com' }, 'active', { actor: 'test', now: new Date('2026-03-01T00:00:00Z') });
    const before = () => delivery.db.prepare('SELECT (SELECT count(*) FROM subscribers) AS subscribers, (SELECT count(*) FROM subscriber_events) AS events, (SELECT count(*) FROM mail_queue) AS mail').get();
    const untouched = before();
    const post = (email: string) => app.fetch(new Request('http://news.test/subscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) }));
    const known = await post('known@example.com');
    const unknown = await post('stranger@example.com');
    expect([known.status, await known.text()]).toEqual([unknown.status, await unknown.text()]);
    expect(known.status).toBe(202);
    expect(before()).toEqual(untouched);
    expect(delivery.db.prepare('SELECT email FROM signup_requests ORDER BY id').all()).toEqual([{ email: 'known@example.com' }, { email: 'stranger@example.com' }]);
  });
});
