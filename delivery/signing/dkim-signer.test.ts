import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { isNewsdeskError } from '../../core/errors.ts';
import { placeholders } from '../../core/render.ts';
import { makeTempDir } from '../../tests/helpers/temp.ts';
import { loadDkim, overSignedHeaders, signMessage, type DkimOptions } from './dkim-signer.ts';
import { composeIssueMessage } from '../messages/message.ts';
import { OutboxTransport } from '../transports/outbox-transport.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dkim: DkimOptions = { domainName: 'news.example.org', keySelector: 'nd2026', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
const dnsRecord = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;

/** mailauth, an implementation independent of ours, with the public key served as DNS would. */
async function verify(message: Buffer | string): Promise<{ result: string; signedHeaders: string[] }> {
  const outcome = await dkimVerify(Buffer.from(message), {
    resolver: async (name: string, type: string) => {
      if (type === 'TXT' && name === 'nd2026._domainkey.news.example.org') return [[dnsRecord]];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    },
  });
  const [signature] = outcome.results;
  const h = /\bh=([^;]+)/.exec(String(message).replace(/\r\n[ \t]/g, ''))?.[1] ?? '';
  return { result: signature?.status.result ?? 'none', signedHeaders: h.split(':').map((n) => n.trim()) };
}

/** One issue mail exactly as composed for a recipient (From, To, Subject, Reply-To, list headers …). */
function anIssueMessage(): Buffer {
  const email = {
    subject: 'Ecosystem Tracker #7: Lockfiles',
    preheader: '',
    html: `<p>Hello ${placeholders.recipientEmail}</p><a href="${placeholders.unsubscribeUrl}">Unsubscribe</a>`,
    text: `Hello ${placeholders.recipientEmail}\nUnsubscribe: ${placeholders.unsubscribeUrl}\n`,
    warnings: [],
  };
  const message = composeIssueMessage(email, { email: 'reader@example.org', name: 'Rae', token: 'reader-token-1' }, {
    issueNumber: 7,
    settings: { title: 'Ecosystem Tracker', senderName: 'Ecosystem Tracker', senderEmail: 'tracker@news.example.org', replyTo: 'editors@news.example.org' },
    baseUrl: 'https://news.example.org',
    secret: 'dkim-test-secret-0123456789',
    unsubscribeMailto: undefined,
    date: new Date('2026-03-14T09:00:00Z'),
  });
  return message.mime!;
}

/** The signed message with one more header field put above or below all the others, as a relay might. */
function withAddedHeader(signed: Buffer, field: string, where: 'top' | 'bottom'): string {
  const text = signed.toString('latin1');
  if (where === 'top') return `${field}\r\n${text}`;
  const end = text.indexOf('\r\n\r\n');
  return `${text.slice(0, end)}\r\n${field}${text.slice(end)}`;
}

const forgeries: Record<(typeof overSignedHeaders)[number], string> = {
  From: 'From: Ecosystem Tracker <billing@attacker.example>',
  Sender: 'Sender: billing@attacker.example',
  Subject: 'Subject: Your account is suspended',
  To: 'To: someone-else@example.org',
  Cc: 'Cc: harvest@attacker.example',
  'Reply-To': 'Reply-To: billing@attacker.example',
  'List-Unsubscribe': 'List-Unsubscribe: <https://attacker.example/unsubscribe>',
  'List-Unsubscribe-Post': 'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
};

describe('DKIM signing', () => {
  it('signs an issue mail so that an independent verifier passes it', async () => {
    expect((await verify(signMessage(anIssueMessage(), dkim))).result).toBe('pass');
  });

  it('names each trusted header once more than it occurs, and the other signed headers as often as they occur', async () => {
    const { signedHeaders } = await verify(signMessage(anIssueMessage(), dkim));
    const count = (name: string) => signedHeaders.filter((h) => h === name).length;
    for (const name of ['from', 'subject', 'to', 'reply-to', 'list-unsubscribe', 'list-unsubscribe-post']) expect(count(name), name).toBe(2);
    expect(count('cc')).toBe(1);
    expect(count('sender')).toBe(1);
    for (const name of ['date', 'message-id', 'mime-version', 'content-type', 'list-id', 'feedback-id']) expect(count(name), name).toBe(1);
  });

  for (const [name, field] of Object.entries(forgeries)) {
    it(`fails verification when a relay adds a second ${name} header, above or below the original`, async () => {
      const signed = signMessage(anIssueMessage(), dkim);
      expect((await verify(withAddedHeader(signed, field, 'top'))).result).toBe('fail');
      expect((await verify(withAddedHeader(signed, field, 'bottom'))).result).toBe('fail');
    });
  }

  it('is needed: a signature that names From only once still verifies with a forged From added above it', async () => {
    const mailer = nodemailer.createTransport({ streamTransport: true, buffer: true, dkim: { ...dkim, headerFieldNames: 'From:Subject:To' } });
    const info = await mailer.sendMail({ raw: anIssueMessage() });
    const forged = withAddedHeader(info.message as Buffer, forgeries.From, 'top');
    expect((await verify(forged)).result).toBe('pass');
  });

  it('does not verify once the body is changed after signing', async () => {
    const signed = signMessage(anIssueMessage(), dkim).toString('latin1');
    // mailauth reports a body hash mismatch as "neutral" (RFC 6376 §6.3), never "pass".
    expect((await verify(signed.replace('Hello', 'Hallo'))).result).not.toBe('pass');
  });

  it('signs a message written with bare LF line ends as the CRLF message SMTP carries', async () => {
    const lf = Buffer.from('From: a@news.example.org\nTo: b@example.org\nSubject: Hi  there\n\nLine one  \nLine two\n\n\n');
    const signed = signMessage(lf, dkim);
    expect(signed.toString()).not.toMatch(/[^\r]\n/);
    expect((await verify(signed)).result).toBe('pass');
  });

  it('relaxes white space in the body as an independent verifier does: tabs, runs, line ends, blank lines, a last line without CRLF', async () => {
    const head = 'From: a@news.example.org\r\nTo: b@example.org\r\nSubject: Spaces\r\n\r\n';
    const bodies = [
      '\tindented\r\nruns   of \t spaces\r\nends in spaces   \r\n \t \r\nlone\rCR \r\n\r\n\r\n',
      'no final line end',
      'a last line\r\nwithout its line end  \t',
      'only blank lines follow\r\n  \r\n\t\r\n\r\n',
      '',
      '\r\n\r\n',
    ];
    for (const body of bodies) expect((await verify(signMessage(Buffer.from(head + body, 'latin1'), dkim))).result, JSON.stringify(body)).toBe('pass');
  });

  it('signs what the outbox transport writes', async () => {
    const dir = await makeTempDir();
    const outbox = new OutboxTransport({ dir, dkim });
    await outbox.send({
      from: { name: 'Ecosystem Tracker', address: 'tracker@news.example.org' },
      to: { name: 'Rae', address: 'reader@example.org' },
      replyTo: undefined,
      subject: 'Welcome to Ecosystem Tracker',
      text: 'Welcome!',
      html: '<p>Welcome!</p>',
      messageId: '<welcome.1@news.example.org>',
      date: new Date('2026-03-14T09:00:00Z'),
      headers: { 'List-Unsubscribe': '<https://news.example.org/unsubscribe?token=t>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    const written = fs.readFileSync(outbox.fileFor('<welcome.1@news.example.org>'));
    const { result, signedHeaders } = await verify(written);
    expect(result).toBe('pass');
    expect(signedHeaders.filter((h) => h === 'list-unsubscribe')).toHaveLength(2);
  });

  it('refuses a key that is not RSA when the configuration is loaded, saying how to make one', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'ed.pem');
    fs.writeFileSync(file, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const failure = (() => {
      try {
        return loadDkim({ domain: 'news.example.org', selector: 's', privateKeyFile: file });
      } catch (error) {
        return error;
      }
    })();
    expect(isNewsdeskError(failure, 'CONFIG_INVALID')).toBe(true);
    expect((failure as Error).message).toContain('ed25519');
  });
});
