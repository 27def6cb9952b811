// The reader-facing server over real HTTP on port 0, with a real SQLite file, the real
// outbox transport and the sample newsletter: sign-up, confirmation, unsubscribe,
// webhooks, previews, headers and limits, as a browser, a mail provider or Sanity
// would exercise them.
import { encodeSignatureHeader, SIGNATURE_HEADER_NAME } from '@sanity/webhook';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfirmToken, createUnsubscribeToken, verifyUnsubscribeToken } from '../delivery/signing/tokens.ts';
import type { OutgoingMessage, Transport } from '../delivery/sending/transport.ts';
import { confirmLinkIn, confirmVia, formPost, jsonPost, previewSecret, readOutbox, startTestServer, tokenSecret, webhookSecret, type TestServer } from './server-kit.ts';
import { sqliteDbOf } from './delivery-kit.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

/** The stored subscriber, once the mail worker has admitted the sign-ups recorded so far. */
const subscriberOf = async (email: string) => {
  await server.mail.idle();
  return await server.delivery.subscribers.get(email);
};

async function subscribeAndConfirm(email: string): Promise<void> {
  const before = (await server.outboxMail()).length;
  expect((await jsonPost(`${server.url}/subscribe`, { email })).status).toBe(202);
  const mails = (await server.outboxMail()).filter((m) => m.to.includes(email) && /^Confirm/.test(m.subject));
  expect((await server.outboxMail()).length).toBeGreaterThan(before);
  expect((await confirmVia(confirmLinkIn(mails.at(-1)!))).status).toBe(200);
}

describe('subscribing with double opt-in', () => {
  it('stores a pending subscriber, mails a confirmation link, and activates and welcomes them when it is followed', async () => {
    const response = await formPost(`${server.url}/subscribe`, { email: 'ada@example.com', name: 'Ada', website: '' }, server.url);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/subscribe/thanks');
    expect((await subscriberOf('ada@example.com'))?.state).toBe('pending');

    const confirmation = (await server.outboxMail()).find((m) => m.to.includes('ada@example.com'));
    expect(confirmation?.subject).toBe('Confirm your subscription to Marrow Fortnight');
    expect(confirmation!.raw).toMatch(/^Feedback-ID: confirm:marrow-fortnight:newsdesk:[a-z0-9.-]+\r$/m);
    const link = confirmLinkIn(confirmation!);
    expect(link.startsWith(`${server.url}/confirm?token=`)).toBe(true);

    const confirmed = await confirmVia(link);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('Subscription confirmed');
    const subscriber = (await subscriberOf('ada@example.com'))!;
    expect(subscriber.state).toBe('active');
    expect((await server.delivery.subscribers.history(subscriber.id)).map((e) => `${e.from ?? '-'}→${e.to}`)).toEqual(['-→pending', 'pending→active']);

    const welcome = (await server.outboxMail()).find((m) => m.to.includes('ada@example.com') && m.subject.startsWith('Welcome'));
    expect(welcome).toBeDefined();
    expect(welcome!.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    expect(welcome!.raw).toMatch(/^Feedback-ID: welcome:marrow-fortnight:newsdesk:[a-z0-9.-]+\r$/m);
    expect(welcome!.text).toContain(`${server.url}/unsubscribe?token=`);
  });

  it('puts the subscriber\'s signed token in the welcome mail\'s mailto unsubscribe, as in issue mails', async () => {
    await subscribeAndConfirm('mailto@example.com');
    const welcome = (await server.outboxMail()).find((m) => m.to.includes('mailto@example.com') && m.subject.startsWith('Welcome'))!;
    const header = /^List-Unsubscribe:(.*(?:\r\n[ \t].*)*)/m.exec(welcome.raw)![1]!.replace(/\r\n[ \t]+/g, ' ').trim();
    const [, https, mailtoSubject] = /^<([^>]+)>, <mailto:[^?>]+\?subject=([^>]+)>$/.exec(header)!;
    const mailtoToken = /^unsubscribe (\S+)$/.exec(decodeURIComponent(mailtoSubject!))![1]!;
    expect(mailtoToken).toBe(new URL(https!).searchParams.get('token'));
    expect(verifyUnsubscribeToken(mailtoToken, tokenSecret)).toEqual({ subscriberToken: (await subscriberOf('mailto@example.com'))!.token });
  });

  it('answers a known and an unknown address identically, as a form and as JSON', async () => {
    await subscribeAndConfirm('known@example.com');
    const answer = async (email: string, json: boolean) => {
      const r = json ? await jsonPost(`${server.url}/subscribe`, { email }) : await formPost(`${server.url}/subscribe`, { email }, server.url);
      return { status: r.status, location: r.headers.get('location'), type: r.headers.get('content-type'), body: await r.text() };
    };
    expect(await answer('known@example.com', false)).toEqual(await answer('stranger@example.com', false));
    expect(await answer('known@example.com', true)).toEqual(await answer('stranger2@example.com', true));
    // The already-active address was not mailed again.
    const toKnown = (await server.outboxMail()).filter((m) => m.to.includes('known@example.com') && m.subject.startsWith('Confirm'));
    expect(toKnown).toHaveLength(1);
  });

  it('stores one subscriber when the same address signs up many times at once', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => jsonPost(`${server.url}/subscribe`, { email: 'Twin@Example.COM' })));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(202));
    await server.mail.idle();
    const rows = sqliteDbOf(server.delivery).prepare("SELECT email FROM subscribers WHERE email_key = 'twin@example.com'").all();
    expect(rows).toEqual([{ email: 'Twin@example.com' }]);
  });

  it('treats letter-case variants of an address as one subscriber, and mails it at most three confirmations an hour', async () => {
    const variants = ['Carol@Example.com', 'carol@example.com', 'CAROL@example.com', 'cArol@example.com', 'caRol@example.com', 'carOl@example.com', 'caroL@example.com', 'CArol@example.com', 'caROL@example.com', 'CAROl@example.com'];
    for (const email of variants) expect((await jsonPost(`${server.url}/subscribe`, { email })).status).toBe(202);
    await server.mail.idle();
    const stored = sqliteDbOf(server.delivery).prepare("SELECT email, state FROM subscribers WHERE email_key = 'carol@example.com'").all();
    expect(stored).toEqual([{ email: 'Carol@example.com', state: 'pending' }]);
    const confirmations = (await server.outboxMail()).filter((m) => m.to.toLowerCase().includes('carol@example.com'));
    expect(confirmations).toHaveLength(3);
  });

  it('isolates a name with right-to-left override characters in the welcome mail, so it cannot reorder the sentence', async () => {
    const name = 'Mallory \u202Etxet desrever';
    expect((await jsonPost(`${server.url}/subscribe`, { email: 'rtl@example.com', name })).status).toBe(202);
    const confirmation = (await server.outboxMail()).find((m) => m.to.includes('rtl@example.com'))!;
    expect(confirmation.html).toContain('<span dir="ltr" style="unicode-bidi:isolate">rtl@example.com</span>');
    expect((await confirmVia(confirmLinkIn(confirmation))).status).toBe(200);
    const welcome = (await server.outboxMail()).find((m) => m.to.includes('rtl@example.com') && m.subject.startsWith('Welcome'))!;
    expect(welcome.html).toContain(`Welcome, <span dir="auto" style="unicode-bidi:isolate">${name}</span>!`);
  });

  it('accepts a filled honeypot with the usual answer but stores nothing', async () => {
    const response = await formPost(`${server.url}/subscribe`, { email: 'bot@example.com', website: 'http://spam.example' }, server.url);
    expect(response.status).toBe(303);
    expect(await subscriberOf('bot@example.com')).toBeUndefined();
  });

  it('explains what is wrong with an invalid address and stores nothing', async () => {
    const form = await formPost(`${server.url}/subscribe`, { email: 'not-an-address' }, server.url);
    expect(form.status).toBe(400);
    expect(await form.text()).toContain('Email address: is not a valid email address');
    const json = await jsonPost(`${server.url}/subscribe`, { email: 'x@y', name: 7 });
    expect(json.status).toBe(400);
    expect((await json.json()) as object).toMatchObject({ ok: false, error: 'invalid' });
  });

  it('refuses a form posted from another site', async () => {
    const response = await formPost(`${server.url}/subscribe`, { email: 'csrf@example.com' }, 'https://evil.example');
    expect(response.status).toBe(403);
    expect(await subscriberOf('csrf@example.com')).toBeUndefined();
  });
});

describe('confirmation links', () => {
  it('changes nothing when the link is only opened (a link scanner\'s HEAD or GET); the page\'s button confirms', async () => {
    await jsonPost(`${server.url}/subscribe`, { email: 'scanned@example.com' });
    const link = confirmLinkIn((await server.outboxMail()).find((m) => m.to.includes('scanned@example.com'))!);
    expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);
    const shown = await fetch(link);
    expect(shown.status).toBe(200);
    const html = await shown.text();
    expect(html).toMatch(/<form action="[^"]*\/confirm\?token=[^"]+" method="post"><button type="submit">Confirm subscription<\/button><\/form>/);
    expect((await subscriberOf('scanned@example.com'))?.state).toBe('pending');
    // The token is still unused: pressing the button now confirms.
    const pressed = await confirmVia(link);
    expect(pressed.status).toBe(200);
    expect(await pressed.text()).toContain('Subscription confirmed');
    expect((await subscriberOf('scanned@example.com'))?.state).toBe('active');
  });

  it('refuses a confirmation posted from another site', async () => {
    await jsonPost(`${server.url}/subscribe`, { email: 'csrf-confirm@example.com' });
    const link = confirmLinkIn((await server.outboxMail()).find((m) => m.to.includes('csrf-confirm@example.com'))!);
    expect((await formPost(link, {}, 'https://evil.example')).status).toBe(403);
    expect((await subscriberOf('csrf-confirm@example.com'))?.state).toBe('pending');
  });

  it('shows the expired page for a link older than the configured lifetime and activates nobody', async () => {
    await jsonPost(`${server.url}/subscribe`, { email: 'late@example.com' });
    const link = confirmLinkIn((await server.outboxMail()).find((m) => m.to.includes('late@example.com'))!);
    server.clock.advanceHours(server.config.confirmTtlHours + 1);
    try {
      const response = await confirmVia(link);
      expect(response.status).toBe(410);
      expect(await response.text()).toContain('This confirmation link has expired');
      expect((await subscriberOf('late@example.com'))?.state).toBe('pending');
    } finally {
      server.clock.advanceHours(-(server.config.confirmTtlHours + 1));
    }
  });

  it('refuses a forged link', async () => {
    await jsonPost(`${server.url}/subscribe`, { email: 'forged@example.com' });
    const subscriber = (await subscriberOf('forged@example.com'))!;
    const forged = createConfirmToken(subscriber.token, 'some-other-secret-0123456789', { now: server.clock.now(), ttlHours: 48 });
    const response = await fetch(`${server.url}/confirm?token=${encodeURIComponent(forged)}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('This confirmation link does not work');
    expect((await fetch(`${server.url}/confirm?token=garbage`)).status).toBe(400);
    expect((await fetch(`${server.url}/confirm`)).status).toBe(400);
    expect((await subscriberOf('forged@example.com'))?.state).toBe('pending');
  });

  it('works once: a second use says so without changing anything', async () => {
    await jsonPost(`${server.url}/subscribe`, { email: 'twice@example.com' });
    const link = confirmLinkIn((await server.outboxMail()).find((m) => m.to.includes('twice@example.com'))!);
    expect((await confirmVia(link)).status).toBe(200);
    const again = await confirmVia(link);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already used');
    const welcomes = (await server.outboxMail()).filter((m) => m.to.includes('twice@example.com') && m.subject.startsWith('Welcome'));
    expect(welcomes).toHaveLength(1);
  });

  it('brings an unsubscribed reader back only once they confirm again', async () => {
    await subscribeAndConfirm('returning@example.com');
    const s = (await subscriberOf('returning@example.com'))!;
    const token = createUnsubscribeToken(s.token, tokenSecret);
    await fetch(`${server.url}/unsubscribe?token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect((await subscriberOf('returning@example.com'))?.state).toBe('unsubscribed');
    await jsonPost(`${server.url}/subscribe`, { email: 'returning@example.com' });
    expect((await subscriberOf('returning@example.com'))?.state).toBe('unsubscribed');
    const mails = (await server.outboxMail()).filter((m) => m.to.includes('returning@example.com') && m.subject.startsWith('Confirm'));
    expect((await confirmVia(confirmLinkIn(mails.at(-1)!))).status).toBe(200);
    expect((await subscriberOf('returning@example.com'))?.state).toBe('active');
  });
});

describe('unsubscribing', () => {
  const unsubscribeUrlFor = async (email: string) => `${server.url}/unsubscribe?token=${encodeURIComponent(createUnsubscribeToken((await subscriberOf(email))!.token, tokenSecret))}`;

  it('accepts the RFC 8058 one-click POST from a mail provider: cross-origin, no cookies, form-encoded', async () => {
    await subscribeAndConfirm('oneclick@example.com');
    const response = await fetch(await unsubscribeUrlFor('oneclick@example.com'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://mail.provider.example', 'sec-fetch-site': 'cross-site' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    expect((await subscriberOf('oneclick@example.com'))?.state).toBe('unsubscribed');
    const history = await server.delivery.subscribers.history((await subscriberOf('oneclick@example.com'))!.id);
    expect(history.at(-1)).toMatchObject({ to: 'unsubscribed', actor: 'subscriber', reason: 'one-click (RFC 8058)' });
  });

  it('accepts the one-click POST as multipart/form-data too, and a repeat is still a success', async () => {
    await subscribeAndConfirm('multipart@example.com');
    const body = new FormData();
    body.set('List-Unsubscribe', 'One-Click');
    const first = await fetch(await unsubscribeUrlFor('multipart@example.com'), { method: 'POST', body });
    expect(first.status).toBe(200);
    const second = await fetch(await unsubscribeUrlFor('multipart@example.com'), { method: 'POST', body });
    expect(second.status).toBe(200);
    expect((await subscriberOf('multipart@example.com'))?.state).toBe('unsubscribed');
  });

  it('shows a page with one button, and the button unsubscribes', async () => {
    await subscribeAndConfirm('button@example.com');
    const url = await unsubscribeUrlFor('button@example.com');
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    const pageHtml = await (await fetch(url)).text();
    expect(pageHtml).toContain('<button type="submit">Unsubscribe</button>');
    expect((await subscriberOf('button@example.com'))?.state).toBe('active');
    const response = await formPost(url, { confirm: 'yes' }, server.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('You are unsubscribed');
    expect((await subscriberOf('button@example.com'))?.state).toBe('unsubscribed');
  });

  it('refuses the page form (not one-click) when posted from another site', async () => {
    await subscribeAndConfirm('victim@example.com');
    const response = await formPost(await unsubscribeUrlFor('victim@example.com'), { confirm: 'yes' }, 'https://evil.example');
    expect(response.status).toBe(403);
    expect((await subscriberOf('victim@example.com'))?.state).toBe('active');
  });

  it('refuses a forged unsubscribe token', async () => {
    const response = await fetch(`${server.url}/unsubscribe?token=${encodeURIComponent('AAAAAAAAAAAAAAAAAAAAAA.forgedsignature0000000')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(400);
  });
});

describe('the Sanity webhook', () => {
  const payload = JSON.stringify({ _id: 'issue-4', _type: 'issue' });

  it('schedules one rebuild for a burst of validly signed calls', async () => {
    // Its own server whose quiet time outlasts any machine's pace: the burst is folded
    // because the calls came before the quiet time ended, however slowly they arrive.
    const patient = await startTestServer({ build: false, rebuildDebounceMs: 3_600_000 });
    try {
      const signature = await encodeSignatureHeader(payload, patient.clock.now().getTime(), webhookSecret);
      const responses = await Promise.all(
        [1, 2, 3].map(() => fetch(`${patient.url}/hooks/sanity`, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER_NAME]: signature }, body: payload })),
      );
      expect(responses.map((r) => r.status)).toEqual([202, 202, 202]);
      expect(patient.rebuildRuns).toEqual([]);
      patient.rebuilds.flush();
      await patient.rebuilds.idle();
      expect(patient.rebuildRuns).toEqual([['webhook: issue issue-4', 'webhook: issue issue-4', 'webhook: issue issue-4']]);
    } finally {
      await patient.close();
    }
  });

  it('refuses a call signed with another secret, or with the body changed, or unsigned', async () => {
    const runs = server.rebuildRuns.length;
    const wrong = await encodeSignatureHeader(payload, server.clock.now().getTime(), 'not-the-webhook-secret');
    const right = await encodeSignatureHeader(payload, server.clock.now().getTime(), webhookSecret);
    const post = (headers: Record<string, string>, body = payload) => fetch(`${server.url}/hooks/sanity`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect((await post({ [SIGNATURE_HEADER_NAME]: wrong })).status).toBe(401);
    expect((await post({ [SIGNATURE_HEADER_NAME]: right }, payload.replace('issue-4', 'issue-5'))).status).toBe(401);
    expect((await post({ [SIGNATURE_HEADER_NAME]: 'garbage' })).status).toBe(401);
    expect((await post({})).status).toBe(401);
    await server.rebuilds.idle();
    expect(server.rebuildRuns.length).toBe(runs);
  });

  it('refuses a validly signed call made more than five minutes ago (a replay)', async () => {
    const runs = server.rebuildRuns.length;
    const post = (at: number) =>
      encodeSignatureHeader(payload, at, webhookSecret).then((signature) =>
        fetch(`${server.url}/hooks/sanity`, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER_NAME]: signature }, body: payload }),
      );
    const now = server.clock.now().getTime();
    const replayed = await post(now - 6 * 60_000);
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { message: string }).message).toContain('replay');
    expect((await post(now + 6 * 60_000)).status).toBe(401);
    await server.rebuilds.idle();
    expect(server.rebuildRuns.length).toBe(runs);
    expect((await post(now - 4 * 60_000)).status).toBe(202);
  });
});

describe('webhook rebuilds of the real site', () => {
  it('rebuilds the web output with the published change', async () => {
    const live = await startTestServer({ realRebuild: true });
    try {
      const before = await (await fetch(`${live.url}/`)).text();
      expect(before).not.toContain('Retitled by the webhook test');
      await live.store.mutate([{ patch: { id: 'issue-4', set: { title: 'Retitled by the webhook test' } } }]);
      const payload = JSON.stringify({ _id: 'issue-4', _type: 'issue' });
      const response = await fetch(`${live.url}/hooks/sanity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER_NAME]: await encodeSignatureHeader(payload, live.clock.now().getTime(), webhookSecret) },
        body: payload,
      });
      expect(response.status).toBe(202);
      await live.rebuilds.idle();
      expect(await (await fetch(`${live.url}/`)).text()).toContain('Retitled by the webhook test');
    } finally {
      await live.close();
    }
  });
});

describe('previews for the Studio', () => {
  const previewUrl = (id: string, as: string, secret = previewSecret) => `${server.url}/preview/issues/${id}?as=${as}&secret=${encodeURIComponent(secret)}`;

  it('renders the draft, not the published issue, as web page, email and text', async () => {
    const web = await fetch(previewUrl('issue-3', 'web'));
    expect(web.status).toBe(200);
    const html = await web.text();
    expect(html).toContain('Widgets, a winter sprint (14–15 Feb) and the survey');
    expect(web.headers.get('content-security-policy')).toContain("frame-ancestors 'self' http://localhost:3333 https://*.sanity.studio");
    expect(web.headers.get('x-frame-options')).toBeNull();

    const draftOnly = await fetch(previewUrl('drafts.issue-5', 'email'));
    expect(draftOnly.status).toBe(200);
    expect(await draftOnly.text()).toContain('Election week');
    expect(draftOnly.headers.get('content-security-policy')).toMatch(/sandbox/);

    const text = await fetch(`${server.url}/preview/issues/issue-5?as=text`, { headers: { authorization: `Bearer ${previewSecret}` } });
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await text.text()).toContain('Election week');
  });

  it('refuses without the secret or with a wrong one', async () => {
    expect((await fetch(`${server.url}/preview/issues/issue-5?as=web`)).status).toBe(401);
    expect((await fetch(previewUrl('issue-5', 'web', 'wrong'))).status).toBe(401);
  });

  it('previews a draft with no title and no slug yet, saying in the editor\'s words what is missing', async () => {
    const para = { _type: 'block', _key: 'p', style: 'normal', markDefs: [], children: [{ _type: 'span', _key: 's', text: 'Half a thought about kernels', marks: [] }] };
    await server.store.mutate([{ createOrReplace: { _id: 'drafts.issue-half', _type: 'issue', number: 9, date: '2026-04-01', sections: [{ _type: 'section', _key: 'a', heading: 'News', body: [para] }] } }]);
    for (const as of ['web', 'email', 'text']) {
      const response = await fetch(previewUrl('issue-half', as));
      expect(response.status, as).toBe(200);
      const body = await response.text();
      expect(body, as).toContain('Half a thought about kernels');
      expect(body, as).toContain('This issue has no title yet');
      expect(body, as).not.toMatch(/Invalid input|expected string/);
    }
    // With a title but still no slug: the address follows the title, and nothing is missing.
    await server.store.mutate([{ patch: { id: 'drafts.issue-half', set: { title: 'Kernels, half done' } } }]);
    const titled = await (await fetch(previewUrl('issue-half', 'web'))).text();
    expect(titled).toContain('Kernels, half done');
    expect(titled).not.toContain('Not ready to publish yet');
    // Rich text mid-edit: an image without alt text yet, an editorial note not yet written.
    const image = { _type: 'image', _key: 'img', asset: { _type: 'reference', _ref: 'image-abc-10x10-png' } };
    const note = { _type: 'editorialNote', _key: 'n', body: [] };
    await server.store.mutate([{ patch: { id: 'drafts.issue-half', set: { 'sections[_key=="a"].body': [para, image, note] } } }]);
    const midEdit = await fetch(previewUrl('issue-half', 'web'));
    expect(midEdit.status).toBe(200);
    const shown = await midEdit.text();
    expect(shown).toContain('Half a thought about kernels');
    expect(shown).toContain('An image in section “News” has no alternative text yet.');
    expect(shown).toContain('An editorial note in section “News” is still empty, so it is not shown.');
    // An empty draft still previews, listing what the rule book would refuse at publish.
    await server.store.mutate([{ createOrReplace: { _id: 'drafts.issue-blank', _type: 'issue' } }]);
    const blank = await fetch(previewUrl('issue-blank', 'text'));
    expect(blank.status).toBe(200);
    const said = await blank.text();
    for (const words of ['no number yet', 'no title yet', 'no publication date yet', 'Every section is empty']) expect(said).toContain(words);
  });

  it('says 404 for an unknown issue and 400 for a bad format', async () => {
    expect((await fetch(previewUrl('issue-404', 'web'))).status).toBe(404);
    expect((await fetch(previewUrl('issue-5', 'pdf'))).status).toBe(400);
  });

  it('sends the draft as a test email to the given address through the transport', async () => {
    const response = await jsonPost(`${server.url}/preview/issues/issue-5/send-test`, { to: 'editor@example.com' }, { authorization: `Bearer ${previewSecret}`, origin: 'http://localhost:3333' });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3333');
    expect(((await response.json()) as { message: string }).message).toContain('editor@example.com');
    const mail = (await server.outboxMail()).find((m) => m.to.includes('editor@example.com'));
    expect(mail?.subject).toMatch(/^\[Test\] Marrow Fortnight #5: Election week/);
  });

  it('refuses a test send of an unfinished draft, saying in the editor\'s words what is missing', async () => {
    await server.store.mutate([{ createOrReplace: { _id: 'drafts.issue-bare', _type: 'issue', number: 9, date: '2026-04-01', sections: [{ _type: 'section', _key: 'a', heading: 'News', body: [] }] } }]);
    const response = await jsonPost(`${server.url}/preview/issues/issue-bare/send-test`, { to: 'editor@example.com' }, { authorization: `Bearer ${previewSecret}`, origin: 'http://localhost:3333' });
    expect(response.status).toBe(422);
    const { message } = (await response.json()) as { message: string };
    expect(message).toMatch(/^This draft cannot be sent yet: This issue has no title yet.* Every section is empty/);
    expect(message).not.toMatch(/Invalid input|expected string/);
  });

  it('refuses a test send without the bearer secret and answers the Studio preflight', async () => {
    expect((await jsonPost(`${server.url}/preview/issues/issue-5/send-test`, { to: 'x@example.com' })).status).toBe(401);
    const preflight = await fetch(`${server.url}/preview/issues/issue-5/send-test`, {
      method: 'OPTIONS',
      headers: { origin: 'https://tidepool.sanity.studio', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://tidepool.sanity.studio');
  });
});

describe('the built site and the HTTP hygiene around it', () => {
  it('serves pages with a strict CSP, nosniff, no framing and a referrer policy', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("style-src 'self'");
    // The site's own script (reader search) and nothing else: no inline code, no eval.
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('eval');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await response.text()).toContain('action="/subscribe"');
  });

  it('answers a repeat request with 304 and caches the hashed stylesheet forever', async () => {
    const first = await fetch(`${server.url}/`);
    const again = await fetch(`${server.url}/`, { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
    const css = (await fs.readdir(server.config.outDir)).find((f) => /^style\.[0-9a-f]+\.css$/.test(f))!;
    const style = await fetch(`${server.url}/${css}`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(style.headers.get('cache-control')).toContain('immutable');
  });

  it('serves 404.html for misses and never a file outside the output folder', async () => {
    await fs.writeFile(path.join(server.dir, 'secret.txt'), 'do not serve');
    for (const p of ['/no-such-page/', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/.%2e/secret.txt', '/issues/..%5c..%5csecret.txt']) {
      const response = await fetch(`${server.url}${p}`);
      expect(response.status, p).toBe(404);
      const body = await response.text();
      expect(body, p).not.toContain('do not serve');
      expect(body, p).toContain('Page not found');
    }
  });

  it('refuses an oversized body before reading it', async () => {
    const response = await jsonPost(`${server.url}/subscribe`, { email: 'big@example.com', name: 'x'.repeat(40_000) });
    expect(response.status).toBe(413);
    const streamed = await fetch(`${server.url}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(`{"email":"big@example.com","name":"${'y'.repeat(40_000)}"}`)); c.close(); } }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await subscriberOf('big@example.com')).toBeUndefined();
  });

  it('answers the health check and mounts the capture API', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ ok: true });
    const capture = await jsonPost(`${server.url}/api/links`, { url: 'https://example.org/' });
    expect(capture.status).toBe(503);
  });
});

describe('with a rate limit', () => {
  it('refuses a client past its burst with 429 and Retry-After, counting clients by the trusted proxy address', async () => {
    const limited = await startTestServer({ build: false, env: { NEWSDESK_SUBSCRIBE_RATE: '2/minute', NEWSDESK_TRUST_PROXY: '1' } });
    try {
      const from = (ip: string, n: number) => jsonPost(`${limited.url}/subscribe`, { email: `r${n}@example.com` }, { 'x-forwarded-for': `198.51.100.1, ${ip}` });
      expect((await from('203.0.113.1', 1)).status).toBe(202);
      expect((await from('203.0.113.1', 2)).status).toBe(202);
      const refused = await from('203.0.113.1', 3);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await from('203.0.113.2', 4)).status).toBe(202);
    } finally {
      await limited.close();
    }
  });
});

describe('when mail cannot be sent', () => {
  it('refuses previews when no preview secret is configured', async () => {
    const noSecret = await startTestServer({ build: false, env: { NEWSDESK_PREVIEW_SECRET: '' } });
    try {
      const response = await fetch(`${noSecret.url}/preview/issues/issue-5?as=web&secret=anything`);
      expect(response.status).toBe(403);
    } finally {
      await noSecret.close();
    }
  });
});
