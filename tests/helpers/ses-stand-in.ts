// A local Amazon SES (v2 API) for tests and the send benchmark: the npm package
// aws-ses-v2-local in a child process on a free loopback port, with an account whose
// maximum send rate the test chooses. `emails()` reads what it accepted (GET /store).
// `throttleFirst(n)` puts a small loopback proxy in front that answers the next n
// SendEmail requests the way SES does when the send rate is exceeded;
// `loseAnswers(n)` lets the next n SendEmail requests through to SES and then hangs up
// instead of passing its answer on (the message was taken; the caller cannot know).
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { hangMs } from './hang.ts';

const cli = path.join(path.dirname(createRequire(import.meta.url).resolve('aws-ses-v2-local/package.json')), 'dist/cli.js');

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

export interface SesStandIn {
  /** The endpoint to give SES_ENDPOINT (through the throttling proxy). */
  endpoint: string;
  /** The stand-in itself, without the proxy (for the benchmark: nothing of ours in between). */
  directEndpoint: string;
  emails(): Promise<StoredEmail[]>;
  /** SendEmail requests that reached the proxy (throttled ones included). */
  requests: number;
  /** The SendEmail requests SES accepted, without their content. */
  accepted: Array<{ EmailTags?: Array<{ Name: string; Value: string }>; ConfigurationSetName?: string; FromEmailAddress?: string; Destination?: { ToAddresses?: string[] } }>;
  throttleFirst(n: number): void;
  loseAnswers(n: number): void;
  close(): Promise<void>;
}

export async function startSesStandIn(options: { maxSendRate?: number } = {}): Promise<SesStandIn> {
  const account = {
    DedicatedIpAutoWarmupEnabled: false,
    Details: { AdditionalContactEmailAddresses: [], ContactLanguage: 'EN', MailType: 'MARKETING', ReviewDetails: { CaseId: 'case-1', Status: 'GRANTED' }, UseCaseDescription: 'newsletter', WebsiteURL: 'https://news.example.org' },
    EnforcementStatus: 'HEALTHY',
    ProductionAccessEnabled: true,
    SendingEnabled: true,
    SendQuota: { Max24HourSend: 1_000_000, MaxSendRate: options.maxSendRate ?? 1000, SentLast24Hours: 0 },
    SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
  };
  const child = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', AWS_SES_ACCOUNT: JSON.stringify(account) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const upstream = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`aws-ses-v2-local did not start:\n${out}`)), hangMs);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /server running at (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!.replace('localhost', '127.0.0.1'));
      }
    });
    child.on('exit', (code) => reject(new Error(`aws-ses-v2-local exited (${code}):\n${out}`)));
  });

  let throttled = 0;
  let losing = 0;
  const proxy = { requests: 0, accepted: [] as SesStandIn['accepted'] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const sending = req.method === 'POST' && req.url?.startsWith('/v2/email/outbound-emails');
      if (sending) proxy.requests++;
      if (sending && throttled > 0) {
        throttled--;
        // SES v2 is REST-JSON: the error type travels in x-amzn-ErrorType, the text in the body.
        res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
        return res.end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
      }
      const forward = http.request(`${upstream}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        if (sending && answer.statusCode === 200) {
          // Only what tests look at: keeping the content would grow with every message.
          const { EmailTags, ConfigurationSetName, FromEmailAddress, Destination } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SesStandIn['accepted'][number];
          proxy.accepted.push({ EmailTags, ConfigurationSetName, FromEmailAddress, Destination });
          if (losing > 0) {
            losing--;
            answer.resume();
            return req.socket.destroy();
          }
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.writeHead(502).end());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    directEndpoint: upstream,
    get requests() {
      return proxy.requests;
    },
    accepted: proxy.accepted,
    async emails() {
      const res = await fetch(`${upstream}/store`);
      return ((await res.json()) as { emails: StoredEmail[] }).emails;
    },
    throttleFirst(n) {
      throttled = n;
    },
    loseAnswers(n) {
      losing = n;
    },
    close: () => stop(child, server),
  };
}

async function stop(child: ChildProcess, server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
