// The email services' webhooks on the real server: SES notifications through SNS,
// signed as SNS signs them (versions 1 and 2) with a certificate served from loopback,
// and Resend's events signed with the webhook secret. Bounces and complaints about a
// real send change the subscriber's state and history with the evidence; forged,
// misdirected and replayed events change nothing.
import { createSign, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCA, createCert } from 'mkcert';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryToken } from '../delivery/signing/return-path.ts';
import { snsStringToSign, type SnsMessage } from '../delivery/bounces/sns-message.ts';
import { secret, sendToOutbox, type SentMessage } from './bounce-kit.ts';
import { signWebhook } from './helpers/resend-stand-in.ts';
import { startTestServer, type TestServer } from './server-kit.ts';

const topic = 'arn:aws:sns:eu-west-1:123456789012:newsletter-events';
const resendSecret = `whsec_${Buffer.from('resend-webhook-signing-secret-32b').toString('base64')}`;

/** A loopback HTTP server that serves the signing certificate and records subscription confirmations. */
let snsHost: { url: string; key: string; confirmations: string[]; close: () => Promise<void> };

beforeAll(async () => {
  const ca = await createCA({ organization: 'Test SNS CA', countryCode: 'ZZ', state: 'Test', locality: 'Loopback', validity: 30 });
  const leaf = await createCert({ ca, domains: ['sns.eu-west-1.amazonaws.com'], validity: 30 });
  const confirmations: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/SimpleNotificationService-test.pem') return res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(leaf.cert);
    if (req.url?.startsWith('/?Action=ConfirmSubscription')) {
      confirmations.push(req.url);
      return res.writeHead(200, { 'content-type': 'text/xml' }).end('<ConfirmSubscriptionResponse/>');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  snsHost = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, key: leaf.key, confirmations, close: () => new Promise((r) => server.close(() => r())) };
});
afterAll(() => snsHost.close());

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function aServerAfterASend(readers: string[]) {
  server = await startTestServer({
    build: false,
    clockStart: new Date().toISOString(),
    env: { NEWSDESK_SECRET: secret, SES_SNS_TOPIC_ARNS: topic, SES_SNS_CERT_HOSTS: '127.0.0.1', RESEND_WEBHOOK_SECRET: resendSecret },
  });
  const { subscribers, ledger } = server.delivery;
  for (const email of readers) await subscribers.add({ email }, 'active', { actor: 'test', now: new Date() });
  const sent = await sendToOutbox({ dir: server.dir, subscribers, ledger }, 7);
  return { server, sent };
}

function snsMessage(fields: Partial<SnsMessage> & Pick<SnsMessage, 'Type' | 'Message'>, version: '1' | '2' = '2', key = snsHost.key): string {
  const unsigned: SnsMessage = {
    MessageId: randomUUID(),
    TopicArn: topic,
    Timestamp: new Date().toISOString(),
    SignatureVersion: version,
    SigningCertURL: `${snsHost.url}/SimpleNotificationService-test.pem`,
    Signature: '',
    ...fields,
  };
  const signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(snsStringToSign(unsigned)).sign(key, 'base64');
  return JSON.stringify({ ...unsigned, Signature: signature });
}

function sesBounce(about: SentMessage, token: string | undefined, bounceType: 'Permanent' | 'Transient', status: string, diagnostic: string): string {
  return JSON.stringify({
    eventType: 'Bounce',
    bounce: {
      feedbackId: `0102019${randomUUID()}-000000`,
      bounceType,
      bounceSubType: bounceType === 'Permanent' ? 'General' : 'MailboxFull',
      bouncedRecipients: [{ emailAddress: about.recipient, action: 'failed', status, diagnosticCode: diagnostic }],
      timestamp: new Date().toISOString(),
      reportingMTA: 'dns; b224-13.smtp-out.eu-west-1.amazonses.com',
    },
    mail: { timestamp: new Date().toISOString(), messageId: '0102019a-ses-id', source: 'tracker@news.example.org', destination: [about.recipient], ...(token ? { tags: { newsdesk_delivery: [token] } } : {}) },
  });
}

const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' }) =>
  fetch(`${server!.url}${path}`, { method: 'POST', headers, body });

describe('SES notifications through SNS', () => {
  it('confirms a subscription by visiting its SubscribeURL, and refuses one from a topic that is not configured', async () => {
    await aServerAfterASend([]);
    const subscribe = (topicArn: string) =>
      snsMessage({ Type: 'SubscriptionConfirmation', TopicArn: topicArn, Message: 'You have chosen to subscribe to the topic.', Token: 'tok-1', SubscribeURL: `${snsHost.url}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=tok-1` });
    const other = await post('/hooks/ses', subscribe('arn:aws:sns:eu-west-1:999999999999:someone-else'));
    expect(other.status).toBe(401);
    expect(snsHost.confirmations).toHaveLength(0);
    const ours = await post('/hooks/ses', subscribe(topic));
    expect(ours.status).toBe(200);
    expect(snsHost.confirmations).toEqual([`/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topic)}&Token=tok-1`]);
  });

  it('applies a signed bounce (version 1) and complaint (version 2) with their evidence, and a replayed one changes nothing', async () => {
    const { server, sent } = await aServerAfterASend(['marta@example.org', 'yuki@example.org']);
    const { subscribers } = server.delivery;
    const marta = (await subscribers.get('marta@example.org'))!;
    const token = createDeliveryToken({ issue: 7, subscriberId: marta.id }, secret);
    const bounce = snsMessage({ Type: 'Notification', Message: sesBounce(sent.get('marta@example.org')!, token, 'Permanent', '5.1.1', 'smtp; 550 5.1.1 user unknown') }, '1');
    const answer = await post('/hooks/ses', bounce);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ ok: true, outcome: 'bounced', email: 'marta@example.org', issue: 7 });
    expect((await subscribers.history(marta.id)).at(-1)).toMatchObject({ to: 'bounced', actor: 'bounce:ses', evidence: { issue: 7, status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 user unknown', source: 'ses' } });

    // The complaint names its message by the Message-ID it went out with, no tag.
    const yuki = sent.get('yuki@example.org')!;
    const complaint = JSON.stringify({
      notificationType: 'Complaint',
      complaint: { feedbackId: 'complaint-feedback-1', complainedRecipients: [{ emailAddress: yuki.recipient }], complaintFeedbackType: 'abuse', userAgent: 'Yahoo!-Mail-Feedback/2.0', timestamp: new Date().toISOString() },
      mail: { messageId: '0102019b-ses-id', commonHeaders: { messageId: yuki['message-id'] } },
    });
    expect((await post('/hooks/ses', snsMessage({ Type: 'Notification', Message: complaint }, '2'))).status).toBe(200);
    const yukiNow = (await subscribers.get('yuki@example.org'))!;
    expect(yukiNow.state).toBe('complained');
    expect((await subscribers.history(yukiNow.id)).at(-1)!.evidence).toMatchObject({ issue: 7, feedbackType: 'abuse', source: 'ses' });

    const events = (await subscribers.history(marta.id)).length;
    const replay = await post('/hooks/ses', bounce);
    expect(await replay.json()).toMatchObject({ outcome: 'duplicate' });
    expect(await subscribers.history(marta.id)).toHaveLength(events);
  });

  it('refuses a bad signature, a certificate from a host that is not allowed and an unknown token, and changes nothing', async () => {
    const { server, sent } = await aServerAfterASend(['calm@example.org']);
    const { subscribers } = server.delivery;
    const calm = (await subscribers.get('calm@example.org'))!;
    const event = sesBounce(sent.get('calm@example.org')!, createDeliveryToken({ issue: 7, subscriberId: calm.id }, secret), 'Permanent', '5.1.1', 'smtp; 550 5.1.1');
    const tampered = JSON.parse(snsMessage({ Type: 'Notification', Message: event })) as SnsMessage;
    tampered.Message = tampered.Message.replace('5.1.1', '5.1.2');
    expect((await post('/hooks/ses', JSON.stringify(tampered))).status).toBe(401);
    const elsewhere = snsMessage({ Type: 'Notification', Message: event, SigningCertURL: 'https://sns.attacker.example/SimpleNotificationService-test.pem' });
    const refused = await post('/hooks/ses', elsewhere);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ message: expect.stringContaining('not on an allowed host') });
    const madeUp = await post('/hooks/ses', snsMessage({ Type: 'Notification', Message: sesBounce(sent.get('calm@example.org')!, 'q'.repeat(26), 'Permanent', '5.1.1', 'smtp; 550') }));
    expect(await madeUp.json()).toMatchObject({ outcome: 'set-aside', detail: expect.stringContaining('forged or damaged') });
    expect((await subscribers.get('calm@example.org'))!.state).toBe('active');
    expect(await subscribers.history(calm.id)).toHaveLength(1);
  });
});

describe('the age of an SNS message', () => {
  it('refuses a validly signed bounce published long ago (a replay), or too far ahead, and changes nothing; one from a minute ago applies', async () => {
    const { server, sent } = await aServerAfterASend(['old@example.org']);
    const { subscribers } = server.delivery;
    const old = (await subscribers.get('old@example.org'))!;
    const event = sesBounce(sent.get('old@example.org')!, createDeliveryToken({ issue: 7, subscriberId: old.id }, secret), 'Permanent', '5.1.1', 'smtp; 550 5.1.1 user unknown');
    for (const [when, words] of [[new Date('2015-06-01T10:00:00Z'), /published \d+ day\(s\) ago; only messages published within 5 minutes/], [new Date(Date.now() + 60 * 60_000), /in the future/]] as const) {
      const answer = await post('/hooks/ses', snsMessage({ Type: 'Notification', Message: event, Timestamp: when.toISOString() }));
      expect(answer.status).toBe(401);
      expect(await answer.json()).toMatchObject({ message: expect.stringMatching(words) });
    }
    expect((await subscribers.get('old@example.org'))!.state).toBe('active');
    expect(await subscribers.history(old.id)).toHaveLength(1);

    const recent = await post('/hooks/ses', snsMessage({ Type: 'Notification', Message: event, Timestamp: new Date(Date.now() - 60_000).toISOString() }));
    expect(await recent.json()).toMatchObject({ ok: true, outcome: 'bounced' });
  });
});

describe("Resend's webhook", () => {
  const resendEvent = (type: string, to: string, token: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ type, created_at: new Date().toISOString(), data: { email_id: randomUUID(), created_at: new Date().toISOString(), from: 'Ecosystem Tracker <tracker@news.example.org>', to: [to], subject: 'Ecosystem Tracker #7', tags: [{ name: 'newsdesk_delivery', value: token }], ...extra } });

  it('applies bounced and complained events signed with the webhook secret; replayed, stale or wrongly signed ones change nothing', async () => {
    const { server } = await aServerAfterASend(['ines@example.org', 'pat@example.org', 'gus@example.org']);
    const { subscribers } = server.delivery;
    const tokenOf = async (email: string) => createDeliveryToken({ issue: 7, subscriberId: (await subscribers.get(email))!.id }, secret);
    const now = Math.floor(server.clock.now().getTime() / 1000);

    const bounced = resendEvent('email.bounced', 'ines@example.org', await tokenOf('ines@example.org'), { bounce: { type: 'Permanent', subType: 'General', message: '550 5.1.1 The email account that you tried to reach does not exist.' } });
    const signed = signWebhook(resendSecret, bounced, now);
    const first = await post('/hooks/resend', bounced, signed);
    expect(await first.json()).toMatchObject({ outcome: 'bounced', email: 'ines@example.org' });
    const ines = (await subscribers.get('ines@example.org'))!;
    expect((await subscribers.history(ines.id)).at(-1)).toMatchObject({ actor: 'bounce:resend', evidence: { issue: 7, status: '5.1.1', diagnostic: expect.stringContaining('does not exist'), source: 'resend' } });
    expect(await (await post('/hooks/resend', bounced, signed)).json()).toMatchObject({ outcome: 'duplicate' });

    const complained = resendEvent('email.complained', 'pat@example.org', await tokenOf('pat@example.org'));
    expect((await post('/hooks/resend', complained, signWebhook(resendSecret, complained, now))).status).toBe(200);
    expect((await subscribers.get('pat@example.org'))!.state).toBe('complained');

    const gus = resendEvent('email.complained', 'gus@example.org', await tokenOf('gus@example.org'));
    const stale = await post('/hooks/resend', gus, signWebhook(resendSecret, gus, now - 10 * 60));
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ message: expect.stringContaining('replay protection') });
    const otherSecret = `whsec_${Buffer.from('some-other-secret-entirely-32by').toString('base64')}`;
    expect((await post('/hooks/resend', gus, signWebhook(otherSecret, gus, now))).status).toBe(401);
    expect((await subscribers.get('gus@example.org'))!.state).toBe('active');
  });
});
