import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaults, loadConfig } from './config.ts';

const cwd = '/srv/news';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('loadConfig', () => {
  it('runs on the embedded dataset and the outbox with no configuration at all', () => {
    const config = loadConfig({}, cwd);
    expect(config.content).toEqual({
      kind: 'local',
      datasetPath: path.join(cwd, '.newsdesk/dataset.ndjson'),
      samplePath: expect.stringMatching(/content\/sample\/dataset\.ndjson$/),
    });
    expect(config.transport).toEqual({ kind: 'outbox', dir: path.join(cwd, '.newsdesk/outbox') });
    expect(config.dbPath).toBe(path.join(cwd, '.newsdesk/newsdesk.db'));
    expect(config.outDir).toBe(path.join(cwd, 'dist'));
    expect(config.server.port).toBe(defaults.port);
    expect(config.dkim).toBeUndefined();
  });

  it('chooses Sanity when SANITY_PROJECT_ID is set, with defaults for the rest', () => {
    const config = loadConfig({ SANITY_PROJECT_ID: 'abc123', SANITY_TOKEN: 'sk' }, cwd);
    expect(config.content).toEqual({ kind: 'sanity', projectId: 'abc123', dataset: 'production', apiVersion: defaults.sanityApiVersion, token: 'sk', apiHost: undefined });
  });

  it('keeps the delivery database in the SQLite file unless NEWSDESK_DATABASE_URL names a PostgreSQL database', () => {
    expect(loadConfig({}, cwd).databaseUrl).toBeUndefined();
    expect(loadConfig({ NEWSDESK_DATABASE_URL: '' }, cwd).databaseUrl).toBeUndefined();
    expect(loadConfig({ NEWSDESK_DATABASE_URL: 'postgres://news:pw@db.example.org:5432/newsdesk' }, cwd).databaseUrl).toBe('postgres://news:pw@db.example.org:5432/newsdesk');
    expect(loadConfig({ NEWSDESK_DATABASE_URL: 'postgresql://db.example.org/newsdesk' }, cwd).databaseUrl).toBe('postgresql://db.example.org/newsdesk');
    for (const wrong of ['mysql://db.example.org/newsdesk', 'db.example.org:5432', 'postgres://']) {
      expect(problemsOf({ NEWSDESK_DATABASE_URL: wrong })).toContain('NEWSDESK_DATABASE_URL must be a postgres:// or postgresql:// URL');
    }
  });

  it('chooses SMTP when SMTP_URL is set', () => {
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.org:465' }, cwd).transport).toEqual({ kind: 'smtp', url: 'smtps://u:p@mail.example.org:465' });
  });

  it('chooses an email service by NEWSDESK_TRANSPORT and says what each one is missing or what clashes with it', () => {
    expect(loadConfig({ NEWSDESK_TRANSPORT: 'ses', SES_REGION: 'eu-west-1' }, cwd).transport).toEqual({ kind: 'ses', region: 'eu-west-1', endpoint: undefined, configurationSet: undefined, rate: undefined, credentials: undefined });
    expect(loadConfig({ NEWSDESK_TRANSPORT: 'resend', RESEND_API_KEY: 're_123' }, cwd).transport).toEqual({ kind: 'resend', apiKey: 're_123', apiUrl: 'https://api.resend.com', requestsPerSecond: 2 });
    const clashes = problemsOf({ NEWSDESK_TRANSPORT: 'ses', SMTP_URL: 'smtp://mail.example.org', RESEND_API_KEY: 're_1', AWS_ACCESS_KEY_ID: 'AKID' });
    expect(clashes).toContain('4 problem(s)');
    expect(clashes).toContain('NEWSDESK_TRANSPORT=ses needs SES_REGION');
    expect(clashes).toContain('SMTP_URL is set but NEWSDESK_TRANSPORT is ses: unset SMTP_URL, or set NEWSDESK_TRANSPORT=smtp');
    expect(clashes).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together');
    expect(clashes).toContain('RESEND_API_KEY is set but NEWSDESK_TRANSPORT is ses: set NEWSDESK_TRANSPORT=resend to send through it, or unset RESEND_API_KEY');
    expect(() => loadConfig({ NEWSDESK_TRANSPORT: 'pigeon' }, cwd)).toThrow(/NEWSDESK_TRANSPORT must be one of outbox, smtp, ses, resend/);
  });

  it('reads the bounce settings: return path, soft-bounce limit, IMAP mailbox and webhook secrets', () => {
    expect(loadConfig({}, cwd).bounces).toEqual({ address: undefined, softLimit: { bounces: 3, sends: 5 }, imap: undefined, sns: { topicArns: [], certHosts: ['sns.*.amazonaws.com', 'sns.*.amazonaws.com.cn'] }, resendWebhookSecret: undefined });
    const bounces = loadConfig({ NEWSDESK_BOUNCE_ADDRESS: 'bounces@b.example.org', NEWSDESK_SOFT_BOUNCE_LIMIT: '2/4', NEWSDESK_BOUNCE_IMAP_URL: 'imaps://b:pw@imap.example.org/INBOX', SES_SNS_TOPIC_ARNS: 'arn:aws:sns:eu-west-1:123456789012:ses-events' }, cwd).bounces;
    expect(bounces).toMatchObject({ address: 'bounces@b.example.org', softLimit: { bounces: 2, sends: 4 }, imap: { url: 'imaps://b:pw@imap.example.org/INBOX', moveTo: undefined, pollMs: 60_000 }, sns: { topicArns: ['arn:aws:sns:eu-west-1:123456789012:ses-events'] } });
    const problems = problemsOf({ NEWSDESK_SOFT_BOUNCE_LIMIT: '5/2', NEWSDESK_BOUNCE_IMAP_URL: 'imap.example.org', RESEND_WEBHOOK_SECRET: 'secret' });
    expect(problems).toContain('NEWSDESK_SOFT_BOUNCE_LIMIT needs at least 1 soft bounce, within at least as many sends');
    expect(problems).toContain('NEWSDESK_BOUNCE_IMAP_URL must be an imap:// or imaps:// URL');
    expect(problems).toContain('RESEND_WEBHOOK_SECRET must be the signing secret Resend shows for the webhook, starting with whsec_');
  });

  it('reads the schedule settings: grace period, when the web follows the send, the default time zone', () => {
    expect(loadConfig({}, cwd).schedule).toEqual({ graceMinutes: 60, webPublish: 'at-send', timeZone: undefined });
    expect(loadConfig({ NEWSDESK_SCHEDULE_GRACE_MINUTES: '15', NEWSDESK_WEB_PUBLISH: 'on-publish', NEWSDESK_TIME_ZONE: 'Europe/Berlin' }, cwd).schedule).toEqual({
      graceMinutes: 15,
      webPublish: 'on-publish',
      timeZone: 'Europe/Berlin',
    });
    expect(() => loadConfig({ NEWSDESK_WEB_PUBLISH: 'later', NEWSDESK_TIME_ZONE: 'Berlin', NEWSDESK_SCHEDULE_GRACE_MINUTES: '-5' }, cwd)).toThrow(
      /3 problem\(s\)[\s\S]*NEWSDESK_SCHEDULE_GRACE_MINUTES must be a whole number[\s\S]*NEWSDESK_WEB_PUBLISH must be "at-send" or "on-publish"[\s\S]*NEWSDESK_TIME_ZONE must be a time zone/,
    );
  });

  it('reports every bad variable in one error, each with what would fix it', () => {
    let message = '';
    try {
      loadConfig({ NEWSDESK_PORT: 'http', NEWSDESK_SEND_PAUSE_ERROR_RATE: '3', NEWSDESK_BASE_URL: 'news.example.org', NEWSDESK_SECRET: 'short' }, cwd);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('4 problem(s)');
    expect(message).toContain('NEWSDESK_PORT must be a whole number');
    expect(message).toContain('NEWSDESK_SEND_PAUSE_ERROR_RATE');
    expect(message).toContain('NEWSDESK_BASE_URL must be an absolute http(s) URL');
    expect(message).toContain('NEWSDESK_SECRET must be at least 16 characters');
  });

  it('refuses half a DKIM configuration and Sanity variables without a project', () => {
    expect(() => loadConfig({ DKIM_DOMAIN: 'example.org', SANITY_TOKEN: 'sk' }, cwd)).toThrow(
      /DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE must be set together[\s\S]*SANITY_TOKEN is set but SANITY_PROJECT_ID is not/,
    );
  });

  it('strips a trailing slash from the base URL', () => {
    expect(loadConfig({ NEWSDESK_BASE_URL: 'https://news.example.org/' }, cwd).baseUrl).toBe('https://news.example.org');
  });

  it('reads the server settings: proxy trust, sign-up rate (or off) and Studio origins', () => {
    const server = loadConfig({ NEWSDESK_TRUST_PROXY: 'true', NEWSDESK_SUBSCRIBE_RATE: '10/hour', NEWSDESK_STUDIO_ORIGIN: 'https://news.sanity.studio, http://localhost:3333' }, cwd).server;
    expect(server).toMatchObject({ trustProxy: 1, subscribeRate: { count: 10, perMs: 3_600_000 }, studioOrigins: ['https://news.sanity.studio', 'http://localhost:3333'] });
    expect(loadConfig({ NEWSDESK_SUBSCRIBE_RATE: 'off' }, cwd).server.subscribeRate).toBeUndefined();
    expect(loadConfig({}, cwd).server).toMatchObject({ trustProxy: 0, subscribeRate: { count: 5, perMs: 60_000 } });
    expect(() => loadConfig({ NEWSDESK_SUBSCRIBE_RATE: 'lots', NEWSDESK_STUDIO_ORIGIN: 'studio.example' }, cwd)).toThrow(/NEWSDESK_SUBSCRIBE_RATE must be like "5\/minute"[\s\S]*NEWSDESK_STUDIO_ORIGIN must be origins/);
  });

  it('opens no private address for outbound fetches unless NEWSDESK_FETCH_ALLOW names exact address:port pairs', () => {
    expect(loadConfig({}, cwd).fetch.allowPrivateAddresses).toEqual([]);
    expect(loadConfig({ NEWSDESK_FETCH_ALLOW: '10.0.0.5:8080 [fd00::5]:443' }, cwd).fetch.allowPrivateAddresses).toEqual(['10.0.0.5:8080', '[fd00::5]:443']);
    expect(problemsOf({ NEWSDESK_FETCH_ALLOW: 'intranet.example' })).toMatch(/NEWSDESK_FETCH_ALLOW must be address:port pairs such as 10\.0\.0\.5:8080/);
  });
});
