// The one place newsdesk reads its environment. Every variable is declared here with
// its default and checked at start-up; all problems are reported together, each naming
// the variable and what would fix it. Commands receive a Config and never touch
// process.env themselves.
import path from 'node:path';
import { IANAZone } from 'luxon';
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
  scheduleGraceMinutes: 60,
  webPublish: 'at-send' as 'at-send' | 'on-publish',
} satisfies Record<string, string | number>;

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
    .refine((v) => IANAZone.isValidZone(v), 'must be a time zone of the IANA database, such as Europe/Berlin or UTC')
    .optional(),
  SMTP_URL: z
    .string()
    .trim()
    .refine((v) => /^smtps?:\/\//i.test(v), 'must be an smtp:// or smtps:// URL, e.g. smtps://user:pass@smtp.example.org:465')
    .optional(),
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
  | { kind: 'smtp'; url: string };

export interface Config {
  cwd: string;
  dataDir: string;
  outDir: string;
  dbPath: string;
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
  fetch: { timeoutMs: number; maxBytes: number; maxRedirects: number };
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
    content,
    transport: e.SMTP_URL
      ? { kind: 'smtp', url: e.SMTP_URL }
      : { kind: 'outbox', dir: resolve(e.NEWSDESK_OUTBOX ?? path.join(dataDir, 'outbox')) },
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
    },
  };
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
