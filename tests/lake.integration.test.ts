// The local Content Lake through the real @sanity/client, the way the Studio and
// scripts use it: queries with perspectives and search, revision checks, the actions the
// Studio edits and publishes with, live events (its own writes and another process's),
// history and restore, asset uploads, the presence socket, and its security rules.
import { createClient, type SanityClient } from '@sanity/client';
import fs from 'node:fs/promises';
import path from 'node:path';
import { firstValueFrom, filter, shareReplay, timeout, type Observable, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GroqJsStore } from '../content/groq-js-store.ts';
import type { SanityDocument } from '../content/store.ts';
import { hangMs } from './helpers/hang.ts';
import { startLocalLake, type LocalLake } from './helpers/local-lake.ts';
import { aPng } from './helpers/studio-page.ts';
import { makeTempDir } from './helpers/temp.ts';

const docs: SanityDocument[] = [
  { _id: 'issue-1', _type: 'issue', number: 1, title: 'Opening the desk', summary: 'Kernels and widgets', _rev: 'r1' },
  { _id: 'drafts.issue-1', _type: 'issue', number: 1, title: 'Opening the desk, revised', _rev: 'r2' },
  { _id: 'link-a', _type: 'link', url: 'https://example.org/gpu-pools', title: 'GPU pools for kelpie', status: 'inbox', _rev: 'r3' },
  { _id: 'link-b', _type: 'link', url: 'https://example.org/merging', title: 'Merging slates without tears', status: 'shortlisted', _rev: 'r4' },
];

let lake: LocalLake;
let client: SanityClient;
let datasetPath: string;

beforeEach(async () => {
  const dir = await makeTempDir('newsdesk-lake-');
  datasetPath = path.join(dir, 'dataset.ndjson');
  await fs.writeFile(datasetPath, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  lake = await startLocalLake(new GroqJsStore({ datasetPath }));
  client = createClient({ projectId: 'newsdesk0', dataset: 'production', apiVersion: '2026-05-04', apiHost: lake.url, useProjectHostname: false, useCdn: false, token: lake.token });
});

afterEach(() => lake.close());

describe('queries', () => {
  it('answers GET and long POST queries in the raw, drafts and published perspectives', async () => {
    expect(await client.fetch('*[_type == "issue"].title', {}, { perspective: 'raw' })).toHaveLength(2);
    expect(await client.fetch('*[_type == "issue"][0].title', {}, { perspective: 'drafts' })).toBe('Opening the desk, revised');
    expect(await client.fetch('*[_type == "issue"][0].title', {}, { perspective: 'published' })).toBe('Opening the desk');
    const long = `*[_type == "link" && !(_id in ${JSON.stringify(Array.from({ length: 600 }, (_, i) => `missing-${i}`))})] | order(_id).title`;
    expect(await client.fetch(long, {}, { perspective: 'published' })).toEqual(['GPU pools for kelpie', 'Merging slates without tears']);
    expect(lake.requests.some((r) => r.method === 'POST' && r.path === '/data/query/production')).toBe(true);
  });

  it('searches with text::query() as the Studio does: every word, prefixes, exclusions, all on "*"', async () => {
    const search = (q: string) =>
      client.fetch<string[]>('*[_type == "link" && [@, _id] match text::query($q)] | order(_id)._id', { q }, { perspective: 'drafts' });
    expect(await search('gpu')).toEqual(['link-a']);
    expect(await search('merg*')).toEqual(['link-b']);
    expect(await search('slates -tears')).toEqual([]);
    expect(await search('"without tears"')).toEqual(['link-b']);
    expect(await search('*')).toEqual(['link-a', 'link-b']);
  });

  it('says what is wrong with a query that is not GROQ', async () => {
    await expect(client.fetch('*[_type == ')).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/GROQ query could not be parsed/) });
  });

  it('gets documents by id and names the ones that do not exist', async () => {
    expect((await client.getDocuments(['link-a', 'nope'])).map((d) => d?._id ?? null)).toEqual(['link-a', null]);
  });
});

describe('writes', () => {
  it('refuses a patch whose ifRevisionID is stale with 409 and writes nothing', async () => {
    await expect(client.patch('link-a').ifRevisionId('not-the-revision').set({ title: 'lost' }).commit()).rejects.toMatchObject({ statusCode: 409 });
    expect(await client.fetch('*[_id == "link-a"][0].title')).toBe('GPU pools for kelpie');
    const updated = await client.patch('link-a').ifRevisionId('r3').set({ status: 'shortlisted' }).commit();
    expect(updated._rev).not.toBe('r3');
  });

  it('creates, edits, publishes, unpublishes, discards and deletes through the Actions API', async () => {
    await client.action({ actionType: 'sanity.action.document.create', publishedId: 'tag-x', attributes: { _id: 'drafts.tag-x', _type: 'tag', title: 'Draft' }, ifExists: 'fail' });
    await client.action({ actionType: 'sanity.action.document.edit', draftId: 'drafts.tag-x', publishedId: 'tag-x', patch: { set: { title: 'Kernels' } } });
    await client.action({ actionType: 'sanity.action.document.publish', draftId: 'drafts.tag-x', publishedId: 'tag-x' });
    expect(await client.getDocuments(['tag-x', 'drafts.tag-x']).then((d) => d.map((x) => x?.title ?? null))).toEqual(['Kernels', null]);
    // Editing a published document starts a draft from it.
    await client.action({ actionType: 'sanity.action.document.edit', draftId: 'drafts.tag-x', publishedId: 'tag-x', patch: { set: { title: 'Kernels!' } } });
    await client.action({ actionType: 'sanity.action.document.discard', draftId: 'drafts.tag-x' });
    await client.action({ actionType: 'sanity.action.document.unpublish', draftId: 'drafts.tag-x', publishedId: 'tag-x' });
    expect(await client.getDocuments(['tag-x', 'drafts.tag-x']).then((d) => d.map((x) => x?.title ?? null))).toEqual([null, 'Kernels']);
    await client.action({ actionType: 'sanity.action.document.replaceDraft', publishedId: 'tag-x', attributes: { _id: 'drafts.tag-x', _type: 'tag', title: 'Replaced' } });
    await client.action({ actionType: 'sanity.action.document.delete', publishedId: 'tag-x', includeDrafts: ['drafts.tag-x'] });
    expect(await client.getDocuments(['tag-x', 'drafts.tag-x']).then((d) => d.map((x) => x?._id ?? null))).toEqual([null, null]);
  });

  it('loses no change when the Studio and another process write at the same time', async () => {
    const cli = new GroqJsStore({ datasetPath });
    await client.patch('link-b').set({ studio: [] }).commit();
    await Promise.all([
      ...Array.from({ length: 15 }, (_, i) => client.patch('link-b').setIfMissing({ studio: [] }).append('studio', [`s${i}`]).commit({ autoGenerateArrayKeys: false })),
      ...Array.from({ length: 15 }, (_, i) => cli.mutate([{ patch: { id: 'link-b', setIfMissing: { cli: [] }, insert: { after: 'cli[-1]', items: [`c${i}`] } } }])),
    ]);
    const doc = (await client.getDocument('link-b'))!;
    expect((doc.studio as string[]).length).toBe(15);
    expect((doc.cli as string[]).length).toBe(15);
  });

  it('refuses to publish an issue the rule book refuses, with the reason the Studio shows, and fills a missing slug', async () => {
    const block = (markDefs: unknown[] = []) => ({ _type: 'block', _key: 'b', markDefs, children: [{ _type: 'span', _key: 's', text: 'a tool', marks: markDefs.length ? ['x'] : [] }] });
    await client.createOrReplace({ _id: 'drafts.issue-7', _type: 'issue', number: 7, title: 'Quiet week', sections: [{ _key: 'a', heading: 'News', body: [] }, { _key: 'b', heading: 'Tools', body: [] }] });
    const publish = () => client.action({ actionType: 'sanity.action.document.publish', draftId: 'drafts.issue-7', publishedId: 'issue-7' });
    await expect(publish()).rejects.toMatchObject({ statusCode: 409, message: expect.stringMatching(/cannot be published yet\. Every section is empty/) });
    await client.patch('drafts.issue-7').set({ 'sections[_key=="b"].body': [block([{ _type: 'externalLink', _key: 'x', href: 'https://exa mple.com/a b' }])] }).commit();
    await expect(publish()).rejects.toMatchObject({ statusCode: 409, message: expect.stringMatching(/Section “Tools”: the link “a tool” goes to "https:\/\/exa mple\.com\/a b"/) });
    expect(await client.getDocument('issue-7')).toBeUndefined();
    await client.patch('drafts.issue-7').set({ 'sections[_key=="b"].body': [block([{ _type: 'externalLink', _key: 'x', href: 'https://example.com/a' }])] }).commit();
    await publish();
    expect((await client.getDocument('issue-7'))?.slug).toEqual({ _type: 'slug', current: 'quiet-week' });
  });

  it('refuses to publish a draft that changed since the revision the editor saw', async () => {
    await expect(
      client.action({ actionType: 'sanity.action.document.publish', draftId: 'drafts.issue-1', publishedId: 'issue-1', ifDraftRevisionId: 'stale' }),
    ).rejects.toMatchObject({ statusCode: 409 });
  });
});

describe('live events', () => {
  // A listener is connected once the lake has said welcome; a write before that could go
  // unheard, so each test waits for it instead of for a while.
  const open: Subscription[] = [];
  afterEach(() => open.splice(0).forEach((s) => s.unsubscribe()));
  async function listening(query: string, options: Parameters<SanityClient['listen']>[2]): Promise<(type: string) => Promise<Record<string, any>>> {
    const events = (client.listen(query, {}, options) as Observable<Record<string, any>>).pipe(shareReplay({ refCount: true }));
    open.push(events.subscribe());
    const next = (type: string) => firstValueFrom(events.pipe(filter((e) => e.type === type), timeout(hangMs)));
    await next('welcome');
    return next;
  }

  it('sends welcome, then mutation events with revisions, transition, effects and the result', async () => {
    const next = await listening('*[_type == "link"]', { events: ['welcome', 'mutation'], includeResult: true, effectFormat: 'mendoza' });
    await client.patch('link-a').set({ title: 'GPU pools, revised' }).commit({ transactionId: 'tx-edit' });
    const mutation = await next('mutation');
    expect(mutation).toMatchObject({
      type: 'mutation',
      documentId: 'link-a',
      transactionId: 'tx-edit',
      previousRev: 'r3',
      resultRev: 'tx-edit',
      transition: 'update',
      result: { title: 'GPU pools, revised' },
    });
    expect(mutation!.effects.apply).toEqual([0, expect.objectContaining({ title: 'GPU pools, revised' })]);
  });

  it('reports a write another process makes to the dataset file, as the CLI does while the Studio is open', async () => {
    const next = await listening('*[_type == "link"]', { events: ['welcome', 'mutation'], includeResult: true });
    await new GroqJsStore({ datasetPath }).mutate([{ create: { _id: 'link-c', _type: 'link', url: 'https://example.org/c', status: 'inbox' } }]);
    expect(await next('mutation')).toMatchObject({ documentId: 'link-c', transition: 'appear', result: { url: 'https://example.org/c' } });
  });

  it('tells listeners to reconnect when the lake stops', async () => {
    const next = await listening('*', { events: ['welcome', 'reconnect'] });
    lake.lake.close();
    expect((await next('reconnect')).type).toBe('reconnect');
  });
});

describe('history', () => {
  it('lists the transactions of a document and restores an earlier revision', async () => {
    const first = await client.patch('link-a').set({ title: 'First edit' }).commit({ transactionId: 'tx-1' });
    await client.patch('link-a').set({ title: 'Second edit' }).commit({ transactionId: 'tx-2' });
    const lines = (await client.request<Buffer | string>({ url: '/data/history/production/transactions/link-a?reverse=true&excludeContent=true' })).toString();
    const transactions = lines.trim().split('\n').map((l) => JSON.parse(l) as { id: string; effects: Record<string, { apply: unknown }> });
    expect(transactions.map((t) => t.id)).toEqual(['tx-2', 'tx-1']);
    expect(transactions[0]!.effects['link-a']!.apply).toEqual([0, expect.objectContaining({ title: 'Second edit' })]);
    const old = await client.request<{ documents: SanityDocument[] }>({ url: `/data/history/production/documents/link-a?revision=${first._rev}` });
    expect(old.documents[0]!.title).toBe('First edit');
    // Restore, as the Studio does: the old content becomes the draft.
    await client.action({ actionType: 'sanity.action.document.replaceDraft', publishedId: 'link-a', attributes: { ...old.documents[0]!, _id: 'drafts.link-a' } });
    expect((await client.getDocument('drafts.link-a'))?.title).toBe('First edit');
  });

  it('keeps history across a restart of the lake', async () => {
    await client.patch('link-b').set({ title: 'Before the restart' }).commit({ transactionId: 'tx-before' });
    await lake.close();
    lake = await startLocalLake(new GroqJsStore({ datasetPath }));
    client = client.withConfig({ apiHost: lake.url });
    const lines = (await client.request<Buffer | string>({ url: '/data/history/production/transactions/link-b' })).toString();
    expect(lines).toContain('tx-before');
  });
});

describe('assets', () => {
  it('stores an uploaded image beside the dataset, describes it, serves it and keeps one copy of the same bytes', async () => {
    const png = aPng(40, 30);
    const asset = await client.assets.upload('image', png, { filename: 'board.png' });
    expect(asset).toMatchObject({ _type: 'sanity.imageAsset', extension: 'png', mimeType: 'image/png', originalFilename: 'board.png', metadata: { dimensions: { width: 40, height: 30 } } });
    expect(asset._id).toMatch(/^image-[0-9a-f]{40}-40x30-png$/);
    const served = await fetch(asset.url);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
    const again = await client.assets.upload('image', png, { filename: 'copy.png' });
    expect(again._id).toBe(asset._id);
    expect(await client.fetch('count(*[_type == "sanity.imageAsset"])')).toBe(1);
  });

  it('stores other files as file assets and serves them back as they came', async () => {
    const bytes = Buffer.from('%PDF-1.4 the sprint plan, in short\n');
    const asset = await client.assets.upload('file', bytes, { filename: 'sprint-plan.pdf', contentType: 'application/pdf' });
    expect(asset).toMatchObject({ _type: 'sanity.fileAsset', extension: 'pdf', mimeType: 'application/pdf', originalFilename: 'sprint-plan.pdf' });
    const served = await fetch(asset.url);
    expect(served.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('refuses an upload that is not an image it can describe, saying what it accepts', async () => {
    await expect(client.assets.upload('image', Buffer.from('not an image'), { filename: 'note.txt' })).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining('PNG, JPEG, GIF, WebP, SVG or AVIF'),
    });
  });
});

describe('security', () => {
  it('answers nothing without the token, and nothing to another site even with it', async () => {
    const query = `${lake.url}/v2026-05-04/data/query/production?query=${encodeURIComponent('*[0]')}`;
    expect((await fetch(query)).status).toBe(401);
    expect((await fetch(query, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const foreign = await fetch(query, { headers: { authorization: `Bearer ${lake.token}`, origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('runs presence over the socket only after the token, and tells the other tab where an editor is', async () => {
    const socketUrl = `${lake.url.replace('http', 'ws')}/v2022-06-30/socket/production`;
    const connect = (token: string) =>
      new Promise<{ ws: WebSocket; messages: Array<Record<string, any>>; closed: Promise<number> }>((resolve, reject) => {
        const ws = new WebSocket(socketUrl);
        const messages: Array<Record<string, any>> = [];
        const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
        ws.on('message', (data) => {
          const text = String(data);
          if (text !== '\u2665') messages.push(JSON.parse(text));
        });
        ws.on('open', () => {
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'auth', method: 'authorization', params: { authorization: `Bearer ${token}` } }));
          resolve({ ws, messages, closed });
        });
        ws.on('error', reject);
      });
    const intruder = await connect('wrong');
    expect(await intruder.closed).toBe(4001);

    const a = await connect(lake.token);
    const b = await connect(lake.token);
    const send = (ws: WebSocket, id: string, method: string, params: object) => ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    send(b.ws, 'sub', 'presence_subscribe', {});
    await expect.poll(() => b.messages.find((m) => m.id === 'sub')?.result).toBeTruthy();
    send(a.ws, 'hello', 'presence_announce', { data: { sessionId: 'tab-a', locations: [{ type: 'document', documentId: 'issue-1', path: ['title'] }] } });
    await expect
      .poll(() => b.messages.find((m) => m.method === 'presence_subscription')?.params?.result)
      .toMatchObject({ type: 'state', m: { sessionId: 'tab-a', locations: [{ documentId: 'issue-1' }] } });
    a.ws.close();
    await expect.poll(() => b.messages.some((m) => m.params?.result?.type === 'disconnect' && m.params.result.m.session === 'tab-a')).toBe(true);
    b.ws.close();
  });
});
