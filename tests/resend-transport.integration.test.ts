// Sending through Resend's batch API, against a local stand-in of it: batches of up to
// the configured size, each subscriber once, a lost answer re-posted under the same
// idempotency key, the rate limit waited out, and one refused message failing alone.
import { afterEach, describe, expect, it } from 'vitest';
import { readDeliveryToken } from '../delivery/signing/return-path.ts';
import { ResendTransport, resendDeliveryTag } from '../delivery/transports/resend-transport.ts';
import { aDeliveryDb, addresses, aMessageContext, sendIssueWith } from './delivery-kit.ts';
import { startResendStandIn, type ResendStandIn } from './helpers/resend-stand-in.ts';

let resend: ResendStandIn | undefined;
let transport: ResendTransport | undefined;

afterEach(async () => {
  await transport?.close();
  await resend?.close();
  transport = resend = undefined;
});

function resendTransport(stand: ResendStandIn, requestsPerSecond = 1000, batchSize = 4) {
  return new ResendTransport({ apiKey: stand.apiKey, apiUrl: stand.url, requestsPerSecond, batchSize, lingerMs: 5 });
}

const copiesTo = (stand: ResendStandIn, address: string) => stand.sent.filter((e) => e.to.includes(address)).length;

describe('sending an issue through Resend', () => {
  it('gathers deliveries into batch requests, delivers each subscriber once, with its list headers and delivery tag', async () => {
    resend = await startResendStandIn();
    transport = resendTransport(resend);
    const list = addresses(10);
    const delivery = await aDeliveryDb(list);
    const result = await sendIssueWith(delivery, transport, { issue: 7, concurrency: 8 });
    expect(result.status).toBe('completed');
    expect(result.counts).toMatchObject({ sent: 10, sending: 0, failed: 0 });
    for (const address of list) expect(copiesTo(resend, address)).toBe(1);
    expect(resend.requests.length).toBeLessThan(10);
    expect(resend.requests.every((r) => r.size <= 4 && r.idempotencyKey)).toBe(true);
    expect(Math.max(...resend.requests.map((r) => r.size))).toBeGreaterThan(1);
    const first = resend.sent.find((e) => e.to.includes(list[0]!))!;
    expect(first.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(first.headers?.['Message-ID']).toMatch(/^<issue7\./);
    const token = first.tags?.find((t) => t.name === resendDeliveryTag)?.value ?? '';
    expect(readDeliveryToken(token, aMessageContext().secret)).toEqual({ issue: 7, subscriberId: (await delivery.subscribers.get(list[0]!))!.id });
    expect((await delivery.ledger.deliveries(7)).every((d) => d.state === 'sent')).toBe(true);
  });

  it('posts a batch whose answer was lost again under the same idempotency key, and Resend sends it once', async () => {
    resend = await startResendStandIn();
    transport = resendTransport(resend);
    const list = addresses(4);
    const delivery = await aDeliveryDb(list);
    resend.dropNextAnswer();
    const result = await sendIssueWith(delivery, transport, { issue: 7, concurrency: 4 });
    expect(result.status).toBe('completed');
    for (const address of list) expect(copiesTo(resend, address)).toBe(1);
    const [lost, again] = resend.requests;
    expect(lost?.status).toBe(0);
    expect(again?.idempotencyKey).toBe(lost?.idempotencyKey);
    expect(result.outcome.retried).toBe(0);
  });

  it("waits out Resend's rate limit and delivers every message once", async () => {
    resend = await startResendStandIn({ requestsPerSecond: 2 });
    transport = resendTransport(resend, 100, 2);
    const list = addresses(8);
    const delivery = await aDeliveryDb(list);
    const result = await sendIssueWith(delivery, transport, { issue: 7, concurrency: 2 });
    expect(result.status).toBe('completed');
    expect(resend.requests.some((r) => r.status === 429)).toBe(true);
    for (const address of list) expect(copiesTo(resend, address)).toBe(1);
  });

  it('fails a message Resend refuses on its own, without retrying it, and sends the rest of its batch', async () => {
    resend = await startResendStandIn({ refuse: (e) => (e.to.includes('reader003@example.org') ? 'Invalid `to` field. The email address needs to follow the `email@example.com` format.' : undefined) });
    transport = resendTransport(resend);
    const list = addresses(4);
    const delivery = await aDeliveryDb(list);
    const result = await sendIssueWith(delivery, transport, { issue: 7, concurrency: 4 });
    expect(result.outcome).toMatchObject({ sent: 3, failed: 1, retried: 0 });
    expect((await delivery.ledger.deliveries(7)).find((d) => d.email === 'reader003@example.org')).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringContaining('Invalid `to` field') });
    expect(copiesTo(resend, 'reader003@example.org')).toBe(0);
    for (const address of list.filter((a) => a !== 'reader003@example.org')) expect(copiesTo(resend, address)).toBe(1);
  });

  it('leaves a batch whose every answer was lost unknown: the send loop does not post it again under a new key', async () => {
    resend = await startResendStandIn();
    transport = new ResendTransport({ apiKey: resend.apiKey, apiUrl: resend.url, requestsPerSecond: 1000, batchSize: 4, lingerMs: 5, maxRequestAttempts: 2 });
    const list = addresses(4);
    const delivery = await aDeliveryDb(list);
    resend.dropAnswers(2);
    const result = await sendIssueWith(delivery, transport, { issue: 7, concurrency: 1, maxAttempts: 4 });
    for (const address of list) expect({ address, copies: copiesTo(resend, address) }).toEqual({ address, copies: 1 });
    expect(result.status).toBe('unresolved');
    expect(result.outcome).toMatchObject({ unknown: 1, retried: 0 });
    expect(result.counts).toMatchObject({ sent: 3, sending: 1, queued: 0 });
  });
});
