// Sending through Amazon SES, against aws-ses-v2-local on loopback: every subscriber
// gets the issue once, each request carries its delivery's token, the account's send
// rate is read, throttling is retried as a deferral, and a refused hand-off sends nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { readDeliveryToken } from '../delivery/signing/return-path.ts';
import { SesTransport, sesDeliveryTag } from '../delivery/transports/ses-transport.ts';
import { HandOffRefused } from '../delivery/sending/transport.ts';
import { aDeliveryDb, addresses, aMessageContext, aRenderedEmail, sendIssueWith } from './delivery-kit.ts';
import { startSesStandIn, type SesStandIn } from './helpers/ses-stand-in.ts';
import { composeIssueMessage } from '../delivery/messages/message.ts';

let ses: SesStandIn | undefined;
let transport: SesTransport | undefined;

afterEach(async () => {
  await transport?.close();
  await ses?.close();
  transport = ses = undefined;
});

function sesTransport(endpoint: string, rate?: number) {
  return new SesTransport({ region: 'eu-west-1', endpoint, configurationSet: 'newsletter-events', rate, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret', sessionToken: undefined } });
}

describe('sending an issue through Amazon SES', () => {
  it('delivers one message per subscriber from the From address, each tagged with its own signed delivery, at the rate the account allows', async () => {
    ses = await startSesStandIn({ maxSendRate: 40 });
    transport = sesTransport(ses.endpoint);
    expect(await transport.rate()).toBe(40);
    const list = addresses(6);
    const delivery = await aDeliveryDb(list);
    const result = await sendIssueWith(delivery, transport, { issue: 7, concurrency: 3, context: { bounceAddress: 'bounces@bounce.news.example.org' } });
    expect(result.status).toBe('completed');
    expect(result.counts).toMatchObject({ sent: 6, sending: 0, queued: 0, failed: 0 });
    const emails = await ses.emails();
    for (const address of list) expect(emails.filter((e) => e.destination.to.some((to) => to.includes(address)))).toHaveLength(1);
    expect(emails[0]?.subject).toBe(aRenderedEmail().subject);
    const tagged = ses.accepted.map((r) => readDeliveryToken(r.EmailTags?.find((t) => t.Name === sesDeliveryTag)?.Value ?? '', aMessageContext().secret));
    expect(tagged.map((t) => t?.subscriberId).sort()).toEqual((await Promise.all(list.map(async (a) => (await delivery.subscribers.get(a))!.id))).sort());
    expect(new Set(tagged.map((t) => t?.issue))).toEqual(new Set([7]));
    expect(ses.accepted.every((r) => r.ConfigurationSetName === 'newsletter-events' && r.FromEmailAddress === 'tracker@news.example.org')).toBe(true);
  });

  it('retries SES throttling as a deferral, slows the send down, and still delivers every message once', async () => {
    ses = await startSesStandIn();
    transport = sesTransport(ses.endpoint, 1000);
    const list = addresses(8);
    const delivery = await aDeliveryDb(list);
    ses.throttleFirst(4);
    const { outcome, counts } = await sendIssueWith(delivery, transport, { issue: 7, concurrency: 1, maxAttempts: 6 });
    expect(outcome).toMatchObject({ status: 'completed', sent: 8, retried: 4, failed: 0 });
    expect(outcome.lowestRate).toBeLessThan(1000);
    expect(counts.sent).toBe(8);
    const emails = await ses.emails();
    expect(emails).toHaveLength(8);
    expect(new Set(emails.map((e) => e.destination.to.join()))).toHaveProperty('size', 8);
    expect((await delivery.ledger.deliveries(7)).filter((d) => d.attempts > 1).every((d) => d.state === 'sent')).toBe(true);
  });

  it('sends nothing when the hand-off is refused (the send no longer holds the delivery)', async () => {
    ses = await startSesStandIn();
    transport = sesTransport(ses.endpoint, 1000);
    const message = composeIssueMessage(aRenderedEmail(), { email: 'reader@example.org', name: undefined, token: 'reader-token-0001', subscriberId: 1 }, aMessageContext());
    await expect(transport.send(message, { onTransmit: () => { throw new Error('lease lost'); } })).rejects.toBeInstanceOf(HandOffRefused);
    expect(ses.requests).toBe(0);
    expect(await ses.emails()).toHaveLength(0);
  });

  it('leaves a message SES took but whose answer was lost unknown: not sent again, the send unresolved', async () => {
    ses = await startSesStandIn();
    transport = sesTransport(ses.endpoint, 1000);
    const list = addresses(4);
    const delivery = await aDeliveryDb(list);
    ses.loseAnswers(1);
    const result = await sendIssueWith(delivery, transport, { issue: 7, concurrency: 1, maxAttempts: 4 });
    const emails = await ses.emails();
    for (const address of list) expect({ address, copies: emails.filter((e) => e.destination.to.some((to) => to.includes(address))).length }).toEqual({ address, copies: 1 });
    expect(result.status).toBe('unresolved');
    expect(result.outcome).toMatchObject({ sent: 3, unknown: 1, retried: 0 });
    expect(result.counts).toMatchObject({ sent: 3, sending: 1, queued: 0 });
    expect((await delivery.ledger.deliveries(7, 'sending'))[0]?.lastError).toMatch(/^outcome unknown/);
  });
});
