// The one place newsdesk reads its environment. Every variable is declared here with
// its default and checked at start-up; all problems are reported together, each naming
// the variable and what would fix it. Commands receive a Config and never touch
// process.env themselves.
import path from 'node:path';
import { z } from 'zod';
import { NewsdeskError } from './errors.ts';

/** Defaults in one object, so the README and the loader cannot drift apart. */
export const defaults = {
  dataDir: '.newsdesk',
  outDir: 'dist',
  sanityDataset: 'production',
  sanityApiVersion: '2025-02-19',
  host: '127.0.0.1',
  port: 3000,
  studioPort: 3334,
  sendRate: 14,
  sendConcurrency: 5,
  sendMaxAttempts: 5,
  sendPauseErrorRate: 0.2,
  sendPauseWindow: 50,
  confirmTtlHours: 48,
  fetchTimeoutMs: 8000,
  fetchMaxBytes: 2_000_000,
  fetchMaxRedirects: 5,
  trustProxy: 0,
  subscribeRate: '5/minute',
  studioOrigins: 'http://localhost:3333 https://*.sanity.studio',
  resendApiUrl: 'https://api.resend.com',
  resendRequestsPerSecond: 2,
  softBounceLimit: '3/5',
  bounceImapPollSeconds: 60,
  snsCertHosts: 'sns.*.amazonaws.com sns.*.amazonaws.com.cn',
  scheduleGraceMinutes: 60,
  webPublish: 'at-send' as 'at-send' | 'on-publish',
} satisfies Record<string, string | number>;

/** How mail leaves: NEWSDESK_TRANSPORT, or SMTP when SMTP_URL is set, else the outbox. */
export const transportKinds = ['outbox', 'smtp', 'ses', 'resend'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const intFrom = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const ratioFrom = z
  .string()
  .trim()
  .transform(Number)
  .pipe(z.number({ error: 'must be a number between 0 and 1' }).gt(0).lte(1));

const httpUrl = z.url({
  protocol: /^https?$/,
  error: 'must be an absolute http(s) URL such as https://news.example.org',
});

const envSchema = z.object({
  NEWSDESK_DATA_DIR: optionalString,
  NEWSDESK_DATASET: optionalString,
  NEWSDESK_OUT_DIR: optionalString,
  NEWSDESK_DB: optionalString,
  /** The delivery database in PostgreSQL instead of the SQLite file (several servers sharing one). */
  NEWSDESK_DATABASE_URL: z
    .string()
    .trim()
    .refine((v) => v === '' || /^postgres(ql)?:\/\/[^/?#]/i.test(v), 'must be a postgres:// or postgresql:// URL such as postgres://newsdesk:secret@db.example.org:5432/newsdesk (unset it to use the SQLite file)')
    .transform((v) => (v === '' ? undefined : v))
    .optional(),
  NEWSDESK_OUTBOX: optionalString,
  NEWSDESK_BASE_URL: httpUrl.optional(),
  NEWSDESK_SECRET: z.string().min(16, 'must be at least 16 characters (try: openssl rand -hex 32)').optional(),
  NEWSDESK_HOST: optionalString,
  NEWSDESK_PORT: intFrom(0, 65535).optional(),
  /** Where `newsdesk studio` serves the local Studio over HTTPS (HTTP/2). */
  NEWSDESK_STUDIO_PORT: intFrom(0, 65535).optional(),
  NEWSDESK_PREVIEW_SECRET: optionalString,
  NEWSDESK_API_TOKEN: optionalString,
  NEWSDESK_CONFIRM_TTL_HOURS: intFrom(1, 24 * 365).optional(),
  NEWSDESK_UNSUBSCRIBE_MAILTO: z.string().trim().email('must be an email address').optional(),
  NEWSDESK_SEND_RATE: intFrom(1, 100_000).optional(),
  NEWSDESK_SEND_CONCURRENCY: intFrom(1, 100).optional(),
  NEWSDESK_SEND_MAX_ATTEMPTS: intFrom(1, 50).optional(),
  NEWSDESK_SEND_PAUSE_ERROR_RATE: ratioFrom.optional(),
  NEWSDESK_SEND_PAUSE_WINDOW: intFrom(5, 100_000).optional(),
  NEWSDESK_FETCH_TIMEOUT_MS: intFrom(100, 120_000).optional(),
  NEWSDESK_FETCH_MAX_BYTES: intFrom(1024, 100_000_000).optional(),
  /** "address:port" pairs outbound fetches may reach although private (an intranet; tests). None by default. */
  NEWSDESK_FETCH_ALLOW: z
    .string()
    .trim()
    .refine((v) => v.split(/[\s,]+/).filter(Boolean).every((a) => /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\]):\d{1,5}$/i.test(a)), 'must be address:port pairs such as 10.0.0.5:8080 or [fd00::5]:443, separated by spaces')
    .optional(),
  /** How many reverse proxies in front of `serve` append to X-Forwarded-For (0: ignore the header). */
  NEWSDESK_TRUST_PROXY: z
    .string()
    .trim()
    .transform((v) => ({ true: '1', yes: '1', false: '0', no: '0', '': '0' })[v.toLowerCase()] ?? v)
    .pipe(intFrom(0, 10))
    .optional(),
  /** POST /subscribe allowance per client address: "<count>/<second|minute|hour>" or "off". */
  NEWSDESK_SUBSCRIBE_RATE: z
    .string()
    .trim()
    .regex(/^(off|\d+\/(second|minute|hour))$/i, 'must be like "5/minute" (count per second, minute or hour) or "off"')
    .optional(),
  /** Origins allowed to frame previews and call the preview API (the Studio), space or comma separated. */
  NEWSDESK_STUDIO_ORIGIN: z
    .string()
    .trim()
    .refine(
      (v) => v.split(/[\s,]+/).filter(Boolean).every((o) => /^https?:\/\/(\*\.)?[a-z0-9.-]+(:\d+)?$/i.test(o)),
      'must be origins like https://news.sanity.studio or http://localhost:3333 (a leading *. is allowed), separated by spaces',
    )
    .optional(),
  /** How late a scheduled send may still start when `serve` was down at its time. */
  NEWSDESK_SCHEDULE_GRACE_MINUTES: intFrom(1, 7 * 24 * 60).optional(),
  /** When a scheduled issue reaches the web archive and feeds: when its send starts, or as soon as it is published. */
  NEWSDESK_WEB_PUBLISH: z.enum(['at-send', 'on-publish'], { error: 'must be "at-send" or "on-publish"' }).optional(),
  /** The zone `newsdesk schedule` reads and shows times in when none is named (default: this machine's). */
  NEWSDESK_TIME_ZONE: z
    .string()
    .trim()
    .refine(isTimeZone, 'must be a time zone of the IANA database, such as Europe/Berlin or UTC')
    .optional(),
  SMTP_URL: z
    .string()
    .trim()
    .refine((v) => /^smtps?:\/\//i.test(v), 'must be an smtp:// or smtps:// URL, e.g. smtps://user:pass@smtp.example.org:465')
    .optional(),
  NEWSDESK_TRANSPORT: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(transportKinds, { error: `must be one of ${transportKinds.join(', ')}` }))
    .optional(),
  /** Amazon SES (v2 API): region, and an endpoint only for a stand-in or a VPC endpoint. */
  SES_REGION: z.string().trim().regex(/^[a-z0-9-]+$/, 'must be an AWS region such as eu-west-1').optional(),
  SES_ENDPOINT: httpUrl.optional(),
  SES_CONFIGURATION_SET: optionalString,
  /** Messages per second through SES; default: the account's own maximum send rate. */
  SES_SEND_RATE: intFrom(1, 100_000).optional(),
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  AWS_SESSION_TOKEN: optionalString,
  /** SNS topics whose notifications POST /hooks/ses accepts (space separated ARNs). */
  SES_SNS_TOPIC_ARNS: z
    .string()
    .trim()
    .refine((v) => v.split(/[\s,]+/).filter(Boolean).every((a) => /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/.test(a)), 'must be SNS topic ARNs like arn:aws:sns:eu-west-1:123456789012:ses-events, separated by spaces')
    .optional(),
  /** Hosts SNS signing certificates may be fetched from ("*" stands for one label). */
  SES_SNS_CERT_HOSTS: optionalString,
  RESEND_API_KEY: optionalString,
  RESEND_API_URL: httpUrl.optional(),
  RESEND_REQUESTS_PER_SECOND: intFrom(1, 1000).optional(),
  RESEND_WEBHOOK_SECRET: z.string().trim().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'must be the signing secret Resend shows for the webhook, starting with whsec_').optional(),
  /** The mailbox bounces come back to: each delivery's return path is <local>+<token>@<domain>. */
  NEWSDESK_BOUNCE_ADDRESS: z.string().trim().email('must be an email address such as bounces@bounce.news.example.org').optional(),
  /** "<soft bounces>/<sends>": that many soft bounces within the subscriber's last sends make the address bounced. */
  NEWSDESK_SOFT_BOUNCE_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+\/\d+$/, 'must be like "3/5" (3 soft bounces within the last 5 sends)')
    .refine((v) => { const [n, m] = v.split('/').map(Number); return n! >= 1 && m! >= n!; }, 'needs at least 1 soft bounce, within at least as many sends')
    .optional(),
  /** The bounce mailbox over IMAP, read inside `serve`: imap(s)://user:pass@host[:port][/mailbox]. */
  NEWSDESK_BOUNCE_IMAP_URL: z
    .string()
    .trim()
    .refine((v) => /^imaps?:\/\/[^/]+@[^/]+/i.test(v), 'must be an imap:// or imaps:// URL with a user, e.g. imaps://bounces:secret@imap.example.org/INBOX')
    .optional(),
  NEWSDESK_BOUNCE_IMAP_MOVE_TO: optionalString,
  NEWSDESK_BOUNCE_IMAP_POLL_SECONDS: intFrom(5, 86_400).optional(),
  DKIM_DOMAIN: optionalString,
  DKIM_SELECTOR: optionalString,
  DKIM_PRIVATE_KEY_FILE: optionalString,
  SANITY_PROJECT_ID: optionalString,
  SANITY_DATASET: optionalString,
  SANITY_API_VERSION: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2025-02-19')
    .optional(),
  SANITY_TOKEN: optionalString,
  SANITY_API_HOST: httpUrl.optional(),
  SANITY_WEBHOOK_SECRET: optionalString,
});

export type ContentConfig =
  | {
      kind: 'local';
      /** The user's own dataset; created from the sample on first use. */
      datasetPath: string;
      /** The shipped sample, read only, copied to datasetPath when that is missing. */
      samplePath: string;
    }
  | {
      kind: 'sanity';
      projectId: string;
      dataset: string;
      apiVersion: string;
      token: string | undefined;
      /** Only set to point the client at a stand-in (tests) or a proxy. */
      apiHost: string | undefined;
    };

export type TransportConfig =
  | { kind: 'outbox'; dir: string }
  | { kind: 'smtp'; url: string }
  | {
      kind: 'ses';
      region: string;
      /** Only to point the client at a stand-in or a VPC endpoint. */
      endpoint: string | undefined;
      configurationSet: string | undefined;
      /** Messages per second; undefined: ask the account (GetAccount) for its maximum. */
      rate: number | undefined;
      /** Undefined: the AWS SDK's own credential chain (instance role, shared files). */
      credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string | undefined } | undefined;
    }
  | { kind: 'resend'; apiKey: string; apiUrl: string; requestsPerSecond: number };

export interface BounceConfig {
  /** VERP: the address each delivery's signed return path is made from; undefined sends with the From address. */
  address: string | undefined;
  /** This many soft bounces within a subscriber's last `sends` sends make the address bounced. */
  softLimit: { bounces: number; sends: number };
  imap: { url: string; moveTo: string | undefined; pollMs: number } | undefined;
  /** POST /hooks/ses: the SNS topics accepted (none: the webhook is off) and where certificates may come from. */
  sns: { topicArns: string[]; certHosts: string[] };
  /** POST /hooks/resend: the webhook's signing secret (undefined: the webhook is off). */
  resendWebhookSecret: string | undefined;
}

export interface Config {
  cwd: string;
  dataDir: string;
  outDir: string;
  dbPath: string;
  /** The PostgreSQL delivery database; undefined: the SQLite file at dbPath. */
  databaseUrl: string | undefined;
  content: ContentConfig;
  transport: TransportConfig;
  /** Overrides the site URL from the newsletter settings when set. */
  baseUrl: string | undefined;
  /** HMAC secret for tokens; undefined means "use the generated one in dataDir". */
  secret: string | undefined;
  server: {
    host: string;
    port: number;
    /** HTTPS port of `newsdesk studio` (the local Studio, its Content Lake, previews and the site). */
    studioPort: number;
    previewSecret: string | undefined;
    apiToken: string | undefined;
    webhookSecret: string | undefined;
    /** Reverse proxies whose X-Forwarded-For entries are believed (0: use the socket address). */
    trustProxy: number;
    /** Token bucket for POST /subscribe per client address; undefined turns the limit off. */
    subscribeRate: { count: number; perMs: number } | undefined;
    /** Origins allowed to frame previews and call /preview (the Studio); may start with "https://*.". */
    studioOrigins: string[];
  };
  confirmTtlHours: number;
  unsubscribeMailto: string | undefined;
  send: { rate: number; concurrency: number; maxAttempts: number; pauseErrorRate: number; pauseWindow: number };
  dkim: { domain: string; selector: string; privateKeyFile: string } | undefined;
  schedule: {
    /** A scheduled send found this late (serve was down at its time) waits for the editor instead. */
    graceMinutes: number;
    /** at-send: an issue scheduled for sending stays off the web until its send starts. */
    webPublish: 'at-send' | 'on-publish';
    /** The zone for times written without one; undefined: this machine's. */
    timeZone: string | undefined;
  };
  fetch: {
    timeoutMs: number;
    maxBytes: number;
    maxRedirects: number;
    /** Exact "address:port" pairs the outbound fetch policy may reach although they are private. */
    allowPrivateAddresses: string[];
  };
  bounces: BounceConfig;
}

/** Where the shipped sample newsletter lives. */
export const samplePath = path.resolve(import.meta.dirname, '../content/sample/dataset.ndjson');

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${String(issue.path[0])} ${issue.message}`);
    throw configError(problems);
  }
  const e = parsed.data;
  const resolve = (p: string) => path.resolve(cwd, p);
  const dataDir = resolve(e.NEWSDESK_DATA_DIR ?? defaults.dataDir);

  const dkimParts = [e.DKIM_DOMAIN, e.DKIM_SELECTOR, e.DKIM_PRIVATE_KEY_FILE];
  if (dkimParts.some(Boolean) && !dkimParts.every(Boolean)) {
    problems.push('DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE must be set together (or none of them)');
  }
  const sanityOnly = { SANITY_TOKEN: e.SANITY_TOKEN, SANITY_API_HOST: e.SANITY_API_HOST };
  if (!e.SANITY_PROJECT_ID) {
    for (const [name, value] of Object.entries(sanityOnly)) {
      if (value) problems.push(`${name} is set but SANITY_PROJECT_ID is not: set SANITY_PROJECT_ID to use Sanity, or unset ${name} to use the local dataset`);
    }
  }
  const transportKind = e.NEWSDESK_TRANSPORT ?? (e.SMTP_URL ? 'smtp' : 'outbox');
  problems.push(...transportProblems(transportKind, e));
  if (problems.length > 0) throw configError(problems);

  const content: ContentConfig = e.SANITY_PROJECT_ID
    ? {
        kind: 'sanity',
        projectId: e.SANITY_PROJECT_ID,
        dataset: e.SANITY_DATASET ?? defaults.sanityDataset,
        apiVersion: e.SANITY_API_VERSION ?? defaults.sanityApiVersion,
        token: e.SANITY_TOKEN,
        apiHost: e.SANITY_API_HOST,
      }
    : {
        kind: 'local',
        datasetPath: resolve(e.NEWSDESK_DATASET ?? path.join(dataDir, 'dataset.ndjson')),
        samplePath,
      };

  return {
    cwd,
    dataDir,
    outDir: resolve(e.NEWSDESK_OUT_DIR ?? defaults.outDir),
    dbPath: resolve(e.NEWSDESK_DB ?? path.join(dataDir, 'newsdesk.db')),
    databaseUrl: e.NEWSDESK_DATABASE_URL,
    content,
    transport: toTransportConfig(transportKind, e, () => resolve(e.NEWSDESK_OUTBOX ?? path.join(dataDir, 'outbox'))),
    baseUrl: e.NEWSDESK_BASE_URL?.replace(/\/+$/, ''),
    secret: e.NEWSDESK_SECRET,
    server: {
      host: e.NEWSDESK_HOST ?? defaults.host,
      port: e.NEWSDESK_PORT ?? defaults.port,
      studioPort: e.NEWSDESK_STUDIO_PORT ?? defaults.studioPort,
      previewSecret: e.NEWSDESK_PREVIEW_SECRET,
      apiToken: e.NEWSDESK_API_TOKEN,
      webhookSecret: e.SANITY_WEBHOOK_SECRET,
      trustProxy: e.NEWSDESK_TRUST_PROXY ?? defaults.trustProxy,
      subscribeRate: parseRate(e.NEWSDESK_SUBSCRIBE_RATE ?? defaults.subscribeRate),
      studioOrigins: (e.NEWSDESK_STUDIO_ORIGIN ?? defaults.studioOrigins).split(/[\s,]+/).filter(Boolean),
    },
    confirmTtlHours: e.NEWSDESK_CONFIRM_TTL_HOURS ?? defaults.confirmTtlHours,
    unsubscribeMailto: e.NEWSDESK_UNSUBSCRIBE_MAILTO,
    send: {
      rate: e.NEWSDESK_SEND_RATE ?? defaults.sendRate,
      concurrency: e.NEWSDESK_SEND_CONCURRENCY ?? defaults.sendConcurrency,
      maxAttempts: e.NEWSDESK_SEND_MAX_ATTEMPTS ?? defaults.sendMaxAttempts,
      pauseErrorRate: e.NEWSDESK_SEND_PAUSE_ERROR_RATE ?? defaults.sendPauseErrorRate,
      pauseWindow: e.NEWSDESK_SEND_PAUSE_WINDOW ?? defaults.sendPauseWindow,
    },
    dkim:
      e.DKIM_DOMAIN && e.DKIM_SELECTOR && e.DKIM_PRIVATE_KEY_FILE
        ? { domain: e.DKIM_DOMAIN, selector: e.DKIM_SELECTOR, privateKeyFile: resolve(e.DKIM_PRIVATE_KEY_FILE) }
        : undefined,
    schedule: {
      graceMinutes: e.NEWSDESK_SCHEDULE_GRACE_MINUTES ?? defaults.scheduleGraceMinutes,
      webPublish: e.NEWSDESK_WEB_PUBLISH ?? defaults.webPublish,
      timeZone: e.NEWSDESK_TIME_ZONE,
    },
    fetch: {
      timeoutMs: e.NEWSDESK_FETCH_TIMEOUT_MS ?? defaults.fetchTimeoutMs,
      maxBytes: e.NEWSDESK_FETCH_MAX_BYTES ?? defaults.fetchMaxBytes,
      maxRedirects: defaults.fetchMaxRedirects,
      allowPrivateAddresses: splitList(e.NEWSDESK_FETCH_ALLOW ?? ''),
    },
    bounces: {
      address: e.NEWSDESK_BOUNCE_ADDRESS,
      softLimit: parseSoftLimit(e.NEWSDESK_SOFT_BOUNCE_LIMIT ?? defaults.softBounceLimit),
      imap: e.NEWSDESK_BOUNCE_IMAP_URL
        ? { url: e.NEWSDESK_BOUNCE_IMAP_URL, moveTo: e.NEWSDESK_BOUNCE_IMAP_MOVE_TO, pollMs: (e.NEWSDESK_BOUNCE_IMAP_POLL_SECONDS ?? defaults.bounceImapPollSeconds) * 1000 }
        : undefined,
      sns: { topicArns: splitList(e.SES_SNS_TOPIC_ARNS ?? ''), certHosts: splitList(e.SES_SNS_CERT_HOSTS ?? defaults.snsCertHosts) },
      resendWebhookSecret: e.RESEND_WEBHOOK_SECRET,
    },
  };
}

type Env = z.infer<typeof envSchema>;

/** What each transport needs, and what makes no sense beside it, as problems for the one error. */
function transportProblems(kind: (typeof transportKinds)[number], e: Env): string[] {
  const problems: string[] = [];
  const chosen = e.NEWSDESK_TRANSPORT ? 'NEWSDESK_TRANSPORT' : 'the transport (by default)';
  if (kind === 'smtp' && !e.SMTP_URL) problems.push('NEWSDESK_TRANSPORT=smtp needs SMTP_URL (e.g. smtps://user:pass@smtp.example.org:465)');
  if (kind !== 'smtp' && e.SMTP_URL) problems.push(`SMTP_URL is set but ${chosen} is ${kind}: unset SMTP_URL, or set NEWSDESK_TRANSPORT=smtp`);
  if (kind === 'ses' && !e.SES_REGION) problems.push('NEWSDESK_TRANSPORT=ses needs SES_REGION (e.g. eu-west-1)');
  if (kind === 'resend' && !e.RESEND_API_KEY) problems.push('NEWSDESK_TRANSPORT=resend needs RESEND_API_KEY (an API key with sending access, re_…)');
  if (Boolean(e.AWS_ACCESS_KEY_ID) !== Boolean(e.AWS_SECRET_ACCESS_KEY)) problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (or neither, to use the instance role)');
  const sesOnly = { SES_REGION: e.SES_REGION, SES_ENDPOINT: e.SES_ENDPOINT, SES_CONFIGURATION_SET: e.SES_CONFIGURATION_SET, SES_SEND_RATE: e.SES_SEND_RATE };
  const resendOnly = { RESEND_API_KEY: e.RESEND_API_KEY, RESEND_API_URL: e.RESEND_API_URL, RESEND_REQUESTS_PER_SECOND: e.RESEND_REQUESTS_PER_SECOND };
  for (const [only, owner] of [[sesOnly, 'ses'], [resendOnly, 'resend']] as const) {
    if (kind === owner) continue;
    for (const [name, value] of Object.entries(only)) {
      if (value !== undefined) problems.push(`${name} is set but ${chosen} is ${kind}: set NEWSDESK_TRANSPORT=${owner} to send through it, or unset ${name}`);
    }
  }
  if (e.NEWSDESK_BOUNCE_IMAP_MOVE_TO && !e.NEWSDESK_BOUNCE_IMAP_URL) problems.push('NEWSDESK_BOUNCE_IMAP_MOVE_TO is set but NEWSDESK_BOUNCE_IMAP_URL is not');
  return problems;
}

function toTransportConfig(kind: (typeof transportKinds)[number], e: Env, outboxDir: () => string): TransportConfig {
  switch (kind) {
    case 'smtp':
      return { kind, url: e.SMTP_URL! };
    case 'ses':
      return {
        kind,
        region: e.SES_REGION!,
        endpoint: e.SES_ENDPOINT,
        configurationSet: e.SES_CONFIGURATION_SET,
        rate: e.SES_SEND_RATE,
        credentials: e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, sessionToken: e.AWS_SESSION_TOKEN } : undefined,
      };
    case 'resend':
      return { kind, apiKey: e.RESEND_API_KEY!, apiUrl: (e.RESEND_API_URL ?? defaults.resendApiUrl).replace(/\/+$/, ''), requestsPerSecond: e.RESEND_REQUESTS_PER_SECOND ?? defaults.resendRequestsPerSecond };
    case 'outbox':
      return { kind, dir: outboxDir() };
  }
}

function parseSoftLimit(value: string): BounceConfig['softLimit'] {
  const [bounces, sends] = value.split('/').map(Number) as [number, number];
  return { bounces, sends };
}

function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

function parseRate(value: string): { count: number; perMs: number } | undefined {
  const match = /^(\d+)\/(second|minute|hour)$/i.exec(value);
  if (!match || Number(match[1]) === 0) return undefined;
  const unit = { second: 1000, minute: 60_000, hour: 3_600_000 }[match[2]!.toLowerCase() as 'second' | 'minute' | 'hour'];
  return { count: Number(match[1]), perMs: unit };
}

function configError(problems: string[]): NewsdeskError {
  return new NewsdeskError('CONFIG_INVALID', `Configuration has ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`, {
    hint: 'Fix the environment variables above; the README lists every variable with its default.',
  });
}

/**
 * Whether `zone` names a time zone this Node knows (its IANA database): what the scheduler's
 * date library asks too, without loading that library into every command's start.
 */
function isTimeZone(zone: string): boolean {
  if (zone === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone }).format();
    return true;
  } catch {
    return false;
  }
}
