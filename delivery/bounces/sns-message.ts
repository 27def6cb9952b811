// Amazon SNS messages as they arrive at an HTTP endpoint, and the proof that SNS sent
// them: the signature over the message's canonical fields (SignatureVersion 1:
// SHA1withRSA, 2: SHA256withRSA), checked with the public key of the signing
// certificate named in the message — fetched only from the configured hosts (Amazon's
// SNS hosts), over HTTPS (plain HTTP only on loopback, for a local stand-in), and
// cached. A valid signature proves SNS sent it, not which account's topic did, so only
// the configured topics are accepted. A signed message stays valid forever, so one
// published longer ago (or further ahead) than the webhooks' age window is refused:
// a message captured once cannot be replayed later.
import { verify, X509Certificate } from 'node:crypto';
import { z } from 'zod';

export const snsMessageSchema = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Subject: z.string().optional(),
  Message: z.string(),
  Timestamp: z.string().min(1),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1),
  SigningCertURL: z.string().min(1),
  SubscribeURL: z.string().optional(),
  Token: z.string().optional(),
  UnsubscribeURL: z.string().optional(),
});
export type SnsMessage = z.infer<typeof snsMessageSchema>;

/** The canonical text SNS signs: "Name\nvalue\n" for each signed field, in this order. */
export function snsStringToSign(m: SnsMessage): string {
  const fields =
    m.Type === 'Notification'
      ? (['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  return fields
    .filter((f) => m[f] !== undefined)
    .map((f) => `${f}\n${m[f]}\n`)
    .join('');
}

const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL SNS gave us may be fetched: an allowed host ("*" is one DNS label), HTTPS, or HTTP on loopback. */
export function isAllowedSnsUrl(value: string, hosts: readonly string[], options: { pem?: boolean } = {}): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback.has(url.hostname))) return false;
  if (options.pem && !url.pathname.endsWith('.pem')) return false;
  if (url.username || url.password) return false;
  return hosts.some((pattern) => new RegExp(`^${pattern.split('.').map((label) => (label === '*' ? '[a-z0-9-]+' : label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('\\.')}$`, 'i').test(url.hostname));
}

export interface SnsVerifierOptions {
  certHosts: readonly string[];
  topicArns: readonly string[];
  now: () => Date;
  /** How far a message's Timestamp may be from now, either way (the same window as every signed webhook). */
  maxAgeMs: number;
  /** Reads a certificate (PEM); defaults to fetch with a time and size limit. */
  fetchCertificate?: (url: string) => Promise<string>;
}

export type SnsVerification = { ok: true; message: SnsMessage } | { ok: false; reason: string };

export class SnsVerifier {
  readonly #options: SnsVerifierOptions;
  readonly #certificates = new Map<string, Promise<X509Certificate>>();

  constructor(options: SnsVerifierOptions) {
    this.#options = options;
  }

  async verify(body: string): Promise<SnsVerification> {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { ok: false, reason: 'the body is not JSON' };
    }
    const parsed = snsMessageSchema.safeParse(json);
    if (!parsed.success) return { ok: false, reason: `not an SNS message (${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})` };
    const message = parsed.data;
    if (!this.#options.topicArns.includes(message.TopicArn)) return { ok: false, reason: `topic ${message.TopicArn} is not one of SES_SNS_TOPIC_ARNS` };
    if (!isAllowedSnsUrl(message.SigningCertURL, this.#options.certHosts, { pem: true })) {
      return { ok: false, reason: `the signing certificate URL ${message.SigningCertURL} is not on an allowed host (SES_SNS_CERT_HOSTS)` };
    }
    const now = this.#options.now();
    const published = Date.parse(message.Timestamp);
    if (!Number.isFinite(published)) return { ok: false, reason: `the Timestamp ${message.Timestamp} is not a date` };
    const age = now.getTime() - published;
    if (Math.abs(age) > this.#options.maxAgeMs) {
      return {
        ok: false,
        reason: `the message was published ${formatAge(age)}; only messages published within ${Math.round(this.#options.maxAgeMs / 60_000)} minutes of now are accepted (replay protection). Check the server's clock`,
      };
    }
    let certificate: X509Certificate;
    try {
      certificate = await this.#certificate(message.SigningCertURL);
    } catch (error) {
      return { ok: false, reason: `the signing certificate could not be read: ${(error as Error).message}` };
    }
    if (now < new Date(certificate.validFrom) || now > new Date(certificate.validTo)) return { ok: false, reason: 'the signing certificate is not valid now' };
    const valid = verify(message.SignatureVersion === '1' ? 'sha1' : 'sha256', Buffer.from(snsStringToSign(message), 'utf8'), certificate.publicKey, Buffer.from(message.Signature, 'base64'));
    return valid ? { ok: true, message } : { ok: false, reason: 'the signature does not match the message' };
  }

  #certificate(url: string): Promise<X509Certificate> {
    let certificate = this.#certificates.get(url);
    if (!certificate) {
      certificate = (this.#options.fetchCertificate ?? fetchPem)(url).then((pem) => new X509Certificate(pem));
      // A failed fetch is not remembered: the next message tries again.
      certificate.catch(() => this.#certificates.delete(url));
      this.#certificates.set(url, certificate);
    }
    return certificate;
  }
}

function formatAge(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const span = minutes < 120 ? `${minutes} minute(s)` : minutes < 2 * 24 * 60 ? `${Math.round(minutes / 60)} hour(s)` : `${Math.round(minutes / (24 * 60))} day(s)`;
  return ms >= 0 ? `${span} ago` : `${span} in the future`;
}

async function fetchPem(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const text = await response.text();
  if (text.length > 64 * 1024 || !text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`${url} is not a PEM certificate`);
  return text;
}
