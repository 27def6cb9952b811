import { describe, expect, it } from 'vitest';
import { readResendEvent, readSesEvent } from './service-events.ts';
import { isAllowedSnsUrl, snsStringToSign } from './sns-message.ts';

const mail = { messageId: 'ses-1', tags: { newsdesk_delivery: ['abcdefghijklmnopqrstuvwxyz'] } };

describe("reading SES's events", () => {
  it('reads a transient bounce as soft, a permanent one as hard, keyed by its feedback id', () => {
    const soft = readSesEvent(JSON.stringify({ eventType: 'Bounce', mail, bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', feedbackId: 'fb-1', bouncedRecipients: [{ emailAddress: 'a@example.org' }] } }), 'sns-1', '{}');
    expect(soft).toMatchObject({ kind: 'soft', fingerprint: 'ses:fb-1', token: 'abcdefghijklmnopqrstuvwxyz', status: 'Transient/MailboxFull' });
    const hard = readSesEvent(JSON.stringify({ notificationType: 'Bounce', mail, bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'a@example.org', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1' }] } }), 'sns-2', '{}');
    expect(hard).toMatchObject({ kind: 'hard', fingerprint: 'ses:sns-2', status: '5.1.1', diagnostic: 'smtp; 550 5.1.1' });
  });

  it('reads delivery and delay notices, and leaves sends, opens and clicks alone', () => {
    expect(readSesEvent(JSON.stringify({ eventType: 'Delivery', mail }), 'sns-3', '{}')).toMatchObject({ kind: 'delivered' });
    expect(readSesEvent(JSON.stringify({ eventType: 'DeliveryDelay', mail }), 'sns-4', '{}')).toMatchObject({ kind: 'delayed' });
    expect(readSesEvent(JSON.stringify({ eventType: 'Open', mail }), 'sns-5', '{}')).toBeUndefined();
    expect(readSesEvent('not json', 'sns-6', '{}')).toBeUndefined();
  });
});

describe("reading Resend's events", () => {
  it('finds the delivery token in tags given as a list or as an object, and the status in the bounce message', () => {
    const asList = readResendEvent(JSON.stringify({ type: 'email.bounced', data: { tags: [{ name: 'newsdesk_delivery', value: 'tok' }], bounce: { type: 'Transient', message: '452 4.2.2 mailbox full' } } }), 'msg_1');
    expect(asList).toMatchObject({ kind: 'soft', token: 'tok', status: '4.2.2', fingerprint: 'resend:msg_1' });
    const asObject = readResendEvent(JSON.stringify({ type: 'email.complained', data: { tags: { newsdesk_delivery: 'tok2' } } }), 'msg_2');
    expect(asObject).toMatchObject({ kind: 'complaint', token: 'tok2' });
    expect(readResendEvent(JSON.stringify({ type: 'email.opened', data: {} }), 'msg_3')).toBeUndefined();
  });
});

describe('SNS messages', () => {
  it('signs the fields SNS signs, in its order, leaving out a missing Subject', () => {
    const base = { MessageId: 'm1', TopicArn: 'arn:t', Message: 'hello', Timestamp: '2026-03-14T09:00:00.000Z', SignatureVersion: '2' as const, Signature: 'x', SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/c.pem' };
    expect(snsStringToSign({ ...base, Type: 'Notification' })).toBe('Message\nhello\nMessageId\nm1\nTimestamp\n2026-03-14T09:00:00.000Z\nTopicArn\narn:t\nType\nNotification\n');
    expect(snsStringToSign({ ...base, Type: 'SubscriptionConfirmation', SubscribeURL: 'https://s', Token: 't' })).toBe(
      'Message\nhello\nMessageId\nm1\nSubscribeURL\nhttps://s\nTimestamp\n2026-03-14T09:00:00.000Z\nToken\nt\nTopicArn\narn:t\nType\nSubscriptionConfirmation\n',
    );
  });

  it('fetches certificates only over HTTPS from the allowed hosts, or over HTTP on loopback', () => {
    const hosts = ['sns.*.amazonaws.com', '127.0.0.1'];
    expect(isAllowedSnsUrl('https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem', hosts, { pem: true })).toBe(true);
    expect(isAllowedSnsUrl('http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem', hosts, { pem: true })).toBe(false);
    expect(isAllowedSnsUrl('https://sns.eu-west-1.amazonaws.com.attacker.example/c.pem', hosts, { pem: true })).toBe(false);
    expect(isAllowedSnsUrl('https://evil.sns.eu-west-1.amazonaws.com/c.pem', hosts, { pem: true })).toBe(false);
    expect(isAllowedSnsUrl('https://sns.eu-west-1.amazonaws.com/c.txt', hosts, { pem: true })).toBe(false);
    expect(isAllowedSnsUrl('http://127.0.0.1:8080/c.pem', hosts, { pem: true })).toBe(true);
  });
});
