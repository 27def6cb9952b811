// Scheduled sends with real servers on real files: the project's server (scheduler
// inside) on port 0 over a temp data folder seeded with the sample, the delivery
// database in SQLite, the outbox or a real SMTP server, the CLI in a child process.
// Restarts before and after the time, two servers on one database, cancel, reschedule,
// edits after scheduling, refusals, and a server killed mid-send whose send is resumed.
// The servers run on a test clock: a send is scheduled an hour or more ahead and its
// time is reached by moving the clock on and waking the schedulers, so nothing here
// depends on how quickly the machine gets to the next line.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSite } from '../build/build-site.ts';
import { openContentStore } from '../content/open-store.ts';
import type { ContentStore } from '../content/store.ts';
import { loadConfig, type Config } from '../core/config.ts';
import { openDelivery, type Delivery } from '../delivery/open-delivery.ts';
import { cancelSchedule, readDeliveryStatus, scheduleSend, type SchedulingDeps } from '../delivery/schedule/scheduling.ts';
import type { ScheduleStore } from '../delivery/schedule/scheduler.ts';
import { startServer, type RunningServer, type ServerOptions } from '../server/server.ts';
import { addresses, rowsOf, startSmtpServer, storeKinds, type ScriptedServer, type StoreKind } from './delivery-kit.ts';
import { freshDatabase } from './helpers/postgres.ts';
import { hangAfter, hangMs } from './helpers/hang.ts';
import { binPath, cleanEnv, runCli } from './helpers/run-cli.ts';
import { makeTempDir } from './helpers/temp.ts';
import { aClock, previewSecret, readOutbox, tokenSecret } from './server-kit.ts';
import { emptyIssueMessage } from '../content/rules.ts';

/** Issue 2 of the sample is published, small and valid: quick to render. */
const issue = 2;
const issueTitle = 'slatehouse 4.1 and a debugger on the horizon';

interface Desk {
  dir: string;
  config: Config;
  env: Record<string, string>;
  store: ContentStore;
  delivery: Delivery;
  schedules: ScheduleStore;
  list: string[];
  logs: string[];
  servers: RunningServer[];
  /** The servers' clock: real time, until reach() moves it on. */
  clock: ReturnType<typeof aClock>;
  start(options?: Partial<ServerOptions>): Promise<RunningServer>;
  scheduling(now?: Date): SchedulingDeps;
  /** Schedules issue `n` `inMs` from now, in Europe/Berlin, as the CLI and the Studio do. */
  schedule(inMs: number, n?: number, now?: Date): Promise<Date>;
  /** Moves the clock on to `at` (if it is not there yet) and has every running scheduler look. */
  reach(at: Date): void;
  outbox(): ReturnType<typeof readOutbox>;
  archive(): Promise<string>;
}

const open: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function aDesk(options: { subscribers?: number; env?: Record<string, string>; store?: StoreKind } = {}): Promise<Desk> {
  const dir = await makeTempDir('newsdesk-schedule-');
  const env = {
    NEWSDESK_DATA_DIR: path.join(dir, 'data'),
    NEWSDESK_OUT_DIR: path.join(dir, 'dist'),
    NEWSDESK_PORT: '0',
    NEWSDESK_SECRET: tokenSecret,
    NEWSDESK_PREVIEW_SECRET: previewSecret,
    NEWSDESK_SEND_RATE: '1000',
    NEWSDESK_TIME_ZONE: 'Europe/Berlin',
    ...(options.store === 'postgres' ? { NEWSDESK_DATABASE_URL: await freshDatabase('test') } : {}),
    ...options.env,
  };
  const config = loadConfig(env, dir);
  const store = openContentStore(config.content);
  await buildSite({ config, store, threads: 1 });
  const delivery = await openDelivery(config);
  open.push({ close: () => delivery.close() });
  const list = addresses(options.subscribers ?? 5);
  for (const email of list) await delivery.subscribers.add({ email }, 'active', { actor: 'test', now: new Date() });
  const { schedules } = delivery;
  const logs: string[] = [];
  const servers: RunningServer[] = [];
  const clock = aClock(new Date().toISOString());
  const desk: Desk = {
    dir,
    config,
    env,
    store,
    delivery,
    schedules,
    list,
    logs,
    servers,
    clock,
    async start(extra = {}) {
      const server = await startServer({
        config,
        log: (line) => logs.push(line),
        now: clock.now,
        // The default lease (30 s): a short one can lapse while a loaded machine stalls a server.
        scheduler: { send: { retryBaseMs: 5, retryMaxMs: 20 } },
        ...extra,
      });
      servers.push(server);
      open.push(server);
      return server;
    },
    scheduling: (now = clock.now()) => ({ store, schedules, sends: delivery.ledger, now }),
    async schedule(inMs, n = issue, now = clock.now()) {
      const at = new Date(now.getTime() + inMs);
      await scheduleSend(desk.scheduling(now), { issueNumber: n, at: { at, timeZone: 'Europe/Berlin' }, scheduledBy: 'test' });
      return at;
    },
    reach(at) {
      const behind = at.getTime() - clock.now().getTime();
      if (behind >= 0) clock.advanceHours((behind + 1) / 3_600_000);
      for (const server of servers) server.scheduler?.wake();
    },
    outbox: () => readOutbox(path.join(config.dataDir, 'outbox')),
    archive: () => fs.readFile(path.join(config.outDir, 'index.html'), 'utf8'),
  };
  return desk;
}

/** Waits for `done`, looking every 50 ms; the limit only catches a hang. */
async function until<T>(what: string, probe: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = hangMs): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sentCounts = (desk: Desk, n = issue) => desk.delivery.ledger.counts(n);
const finished = (desk: Desk, n = issue) => until(`issue #${n} to finish`, () => desk.delivery.ledger.getSend(n), (s) => s !== undefined && s.status !== 'running');

/** When the first message of the send was claimed: how soon after its time the send started. */
async function firstClaimAt(desk: Desk, n = issue): Promise<Date> {
  const [row] = await rowsOf<{ at: string }>(desk.delivery, 'SELECT min(claimed_at) AS at FROM deliveries WHERE issue_number = ?', n);
  return new Date(row!.at);
}

describe('a scheduled send with the server running', { timeout: hangAfter(2) }, () => {
  it('starts at its time, reaches every active subscriber exactly once, and the issue reaches the site only then', async () => {
    const desk = await aDesk({ env: {} });
    const server = await desk.start();
    // The sample site has the issue; scheduling it takes it off until its send (NEWSDESK_WEB_PUBLISH=at-send).
    expect(await desk.archive()).toContain(issueTitle);
    const at = await desk.schedule(60 * 60_000);
    // A server's rebuild replaces the site's files one by one (each whole), the archive before the feeds.
    await until('the site to leave the issue out', () => desk.archive(), (html) => !html.includes(issueTitle));
    await until('the feed to leave the issue out', () => readFeed(desk), (xml) => !xml.includes(issueTitle));
    expect(await desk.outbox()).toEqual([]);

    desk.reach(at);
    await finished(desk);
    // How soon after its time is measured by `npm run bench:schedule`; here, never before it.
    expect((await firstClaimAt(desk)).getTime()).toBeGreaterThanOrEqual(at.getTime());
    const mail = await desk.outbox();
    expect(mail.map((m) => m.to).sort()).toEqual(desk.list);
    expect(new Set(mail.map((m) => m.subject))).toEqual(new Set([`Marrow Fortnight #2: ${issueTitle}`]));
    expect((await desk.delivery.ledger.getSend(issue))?.status).toBe('completed');
    await server.rebuilds.idle();
    await until('the rebuilt site to have the issue', () => desk.archive(), (html) => html.includes(issueTitle));
    await until('the rebuilt feed to have the issue', () => readFeed(desk), (xml) => xml.includes(issueTitle));
    const status = await readDeliveryStatus(desk.scheduling(), issue);
    expect(status).toMatchObject({ phase: 'sent', counts: { total: 5, sent: 5, queued: 0, failed: 0, unknown: 0 }, summary: 'Sent to 5 subscriber(s)' });
  });

  it('with NEWSDESK_WEB_PUBLISH=on-publish, leaves the published issue on the site while it waits', async () => {
    const desk = await aDesk({ env: { NEWSDESK_WEB_PUBLISH: 'on-publish' } });
    const server = await desk.start();
    await desk.schedule(60_000);
    server.rebuilds.request('test');
    await server.rebuilds.idle();
    expect(await desk.archive()).toContain(issueTitle);
  });
});

describe('restarts', { timeout: hangAfter(2) }, () => {
  it('a server restarted before the time sends at the time', async () => {
    const desk = await aDesk();
    const first = await desk.start();
    const at = await desk.schedule(60 * 60_000);
    await first.close();
    await desk.start();
    desk.reach(at);
    await finished(desk);
    expect((await firstClaimAt(desk)).getTime()).toBeGreaterThanOrEqual(at.getTime());
    expect(await sentCounts(desk)).toMatchObject({ sent: 5, queued: 0 });
  });

  it('a server down at the time starts the send when it comes back within the grace period', async () => {
    const desk = await aDesk();
    const at = await desk.schedule(60 * 60_000);
    // Its time passes with no server running; one comes up a minute later.
    desk.reach(new Date(at.getTime() + 60_000));
    expect(await desk.delivery.ledger.getSend(issue)).toBeUndefined();
    const started = desk.clock.now().getTime();
    await desk.start();
    await finished(desk);
    expect((await firstClaimAt(desk)).getTime()).toBeGreaterThanOrEqual(Math.max(started, at.getTime()));
    expect((await desk.outbox()).length).toBe(5);
  });

  it('a server that comes back later than the grace period sends nothing and says the schedule was missed', async () => {
    const desk = await aDesk({ env: { NEWSDESK_SCHEDULE_GRACE_MINUTES: '30' } });
    const clock = aClock('2026-12-04T06:00:00Z');
    await desk.schedule(60 * 60_000, issue, clock.now());
    // The server was down at 07:00 and starts at 08:00 Berlin time, 2 hours late.
    clock.advanceHours(3);
    await desk.start({ now: clock.now });
    const status = await until('the schedule to be marked missed', () => readDeliveryStatus(desk.scheduling(clock.now()), issue), (s) => s.phase === 'missed');
    expect(status.schedule?.reason).toMatch(/^no server was running at Fri 4 Dec 2026, 08:00 Europe\/Berlin \(07:00 UTC\); found 2 hour\(s\) late, more than the 30-minute grace period/);
    expect(status.summary).toContain('waiting for the editor');
    expect(await desk.delivery.ledger.getSend(issue)).toBeUndefined();
    expect(await desk.outbox()).toEqual([]);
  });
});

describe.each(storeKinds)('two servers on one database (%s)', { timeout: hangAfter(2) }, (kind) => {
  it('start the send exactly once; each subscriber gets one copy', async () => {
    const desk = await aDesk({ subscribers: 12, store: kind });
    const [a, b] = [await desk.start(), await desk.start()];
    expect(a.delivery).not.toBe(b.delivery);
    // Both look at the same moment once the time has come.
    desk.reach(await desk.schedule(60 * 60_000));
    await finished(desk);
    await Promise.all([a.scheduler!.idle(), b.scheduler!.idle()]);
    const mail = await desk.outbox();
    expect(mail.map((m) => m.to).sort()).toEqual(desk.list);
    expect(desk.logs.filter((l) => l.startsWith(`schedule: starting the send of issue #${issue}`))).toHaveLength(1);
    expect(a.scheduler!.sending.length + b.scheduler!.sending.length).toBe(0);
  });

  it('when the server sending stops, the other one resumes the send', async () => {
    // The relay answers four messages, then holds its replies until the first server is stopping.
    const relay = await heldSmtp(4);
    const desk = await aDesk({ subscribers: 30, env: { SMTP_URL: relay.smtp.url, NEWSDESK_SEND_CONCURRENCY: '2' }, store: kind });
    const smtp = relay.smtp;
    const a = await desk.start();
    desk.reach(await desk.schedule(60 * 60_000));
    await relay.holding;
    // Only one server ran when the send started; the second comes up while it runs, then the first stops.
    const b = await desk.start();
    const stopping = a.scheduler!.stop();
    relay.release();
    await stopping;
    await a.close();
    expect(desk.logs).toContainEqual(expect.stringMatching(/^schedule: issue #2 interrupted: \d+ sent/));
    b.scheduler!.wake();
    await until('the send to complete', async () => (await desk.delivery.ledger.getSend(issue))?.status, (s) => s === 'completed');
    await b.scheduler!.idle();
    for (const email of desk.list) expect({ email, copies: smtp.copiesTo(email) }).toEqual({ email, copies: 1 });
    expect((await desk.delivery.ledger.getSend(issue))?.status).toBe('completed');
    expect(desk.logs.some((l) => l.includes('resuming a send that stopped before it finished'))).toBe(true);
  });
});

describe('changing a schedule', { timeout: hangAfter(2) }, () => {
  it('a cancelled schedule sends nothing, and the issue is back on the site', async () => {
    const desk = await aDesk();
    const server = await desk.start();
    const at = await desk.schedule(60 * 60_000);
    await until('the site to leave the issue out', () => desk.archive(), (html) => !html.includes(issueTitle));
    await cancelSchedule(desk.scheduling(), issue);
    // Its time comes and goes.
    desk.reach(at);
    await server.scheduler!.idle();
    expect(await desk.outbox()).toEqual([]);
    expect(await desk.delivery.ledger.getSend(issue)).toBeUndefined();
    await until('the site to have the issue again', () => desk.archive(), (html) => html.includes(issueTitle));
    // From the command line, as an editor would.
    await desk.schedule(60 * 60_000);
    const cancelled = await runCli(['schedule', String(issue), '--cancel'], { env: desk.env });
    expect(cancelled.stdout, cancelled.stderr).toMatch(/^The send of issue #2 set for .* Europe\/Berlin .* is cancelled\./);
    await expect(cancelSchedule(desk.scheduling(), issue)).rejects.toThrow('Issue #2 is not scheduled');
  });

  it('a rescheduled send goes at the new time, not the old one', async () => {
    const desk = await aDesk();
    const server = await desk.start();
    const earlier = await desk.schedule(60 * 60_000);
    const later = await desk.schedule(2 * 60 * 60_000);
    desk.reach(earlier);
    await server.scheduler!.idle();
    expect(await desk.delivery.ledger.getSend(issue)).toBeUndefined();
    desk.reach(later);
    await finished(desk);
    expect((await firstClaimAt(desk)).getTime()).toBeGreaterThanOrEqual(later.getTime());
    expect((await desk.outbox()).length).toBe(5);
  });

  it('an issue edited after scheduling is sent as published at send time, and the list says it changed', async () => {
    const desk = await aDesk();
    await desk.schedule(60 * 60_000);
    await desk.store.mutate([{ patch: { id: 'issue-2', set: { title: 'slatehouse 4.1, revised' } } }]);
    const listed = await runCli(['schedule', '--list'], { env: desk.env });
    expect(listed.stdout).toMatch(/^2\s+scheduled\s+.*edited and published$/m);
    expect(listed.stdout).toContain('#2 was edited and published again after it was scheduled: the send takes the issue as published at its time.');
    expect(await readDeliveryStatus(desk.scheduling(), issue)).toMatchObject({ changedSinceScheduled: true, unpublishedChanges: false });
    // A draft on top is pointed out as well.
    await desk.store.mutate([{ createOrReplace: { ...(await rawDoc(desk, 'issue-2')), _id: 'drafts.issue-2', title: 'Not yet' } }]);
    expect(await readDeliveryStatus(desk.scheduling(), issue)).toMatchObject({ changedSinceScheduled: true, unpublishedChanges: true });

    const at = await desk.schedule(2 * 60 * 60_000);
    await desk.start();
    desk.reach(at);
    await finished(desk);
    const subjects = new Set((await desk.outbox()).map((m) => m.subject));
    expect(subjects).toEqual(new Set(['Marrow Fortnight #2: slatehouse 4.1, revised']));
  });
});

describe('what may be scheduled', { timeout: hangAfter(2) }, () => {
  it('refuses a draft, a time in the past and an issue with problems, saying what to do', async () => {
    const desk = await aDesk();
    const draft = await runCli(['schedule', '5', '--at', '2030-12-04 08:00 Europe/Berlin'], { env: desk.env });
    expect(draft.code).toBe(1);
    expect(draft.stderr).toContain('Issue #5 is a draft: only a published issue is sent');
    expect(draft.stderr).toContain('Publish it first');
    await expect(desk.schedule(-60_000)).rejects.toThrow(/^.* Europe\/Berlin \(.* UTC\) is in the past$/);
    await desk.store.mutate([{ patch: { id: 'issue-2', set: { summary: 'x'.repeat(200), sections: [] } } }]);
    const invalid = await desk.schedule(60_000).then(
      () => '',
      (error: Error) => error.message,
    );
    expect(invalid).toContain('Issue #2 cannot be sent yet: 2 problem(s)');
    expect(invalid).toContain('issue 2 (issue-2): summary: is 200 characters');
    expect(invalid).toContain(`issue 2 (issue-2): sections: ${emptyIssueMessage}`);
    expect(await desk.schedules.list()).toEqual([]);
  });

  it('an issue unpublished after scheduling is not sent at its time, and the reason is kept', async () => {
    const desk = await aDesk();
    const at = await desk.schedule(60 * 60_000);
    const doc = await rawDoc(desk, 'issue-2');
    await desk.store.mutate([{ delete: { id: 'issue-2' } }, { createOrReplace: { ...doc, _id: 'drafts.issue-2' } }]);
    await desk.start();
    desk.reach(at);
    const status = await until('the schedule to be refused', () => readDeliveryStatus(desk.scheduling(), issue), (s) => s.phase === 'refused');
    expect(status.schedule?.reason).toContain('Issue #2 is a draft: only a published issue is sent');
    expect(await desk.outbox()).toEqual([]);
  });

  it('the CLI\'s send waits for a scheduled issue\'s schedule to be cancelled', async () => {
    const desk = await aDesk();
    await desk.schedule(60 * 60_000);
    const sent = await runCli(['send', '2', '--yes'], { env: desk.env });
    expect(sent.code).toBe(1);
    expect(sent.stderr).toMatch(/Issue #2 is scheduled for .*\n.*Cancel the schedule first \(`newsdesk schedule 2 --cancel`\)/);
    expect(await desk.outbox()).toEqual([]);
  });
});

describe('the Studio\'s endpoints', { timeout: hangAfter(2) }, () => {
  it('schedule with a date, time and zone, show the delivery, send now on the typed number, and refuse without the secret', async () => {
    const desk = await aDesk();
    const server = await desk.start();
    const call = (p: string, body?: unknown, secret = previewSecret) =>
      fetch(`${server.url}/preview/issues/issue-2/${p}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

    expect((await call('delivery', undefined, 'wrong')).status).toBe(401);
    // A new issue the Studio shows before its first save reaches the lake: nothing to report, no error.
    const unsaved = await fetch(`${server.url}/preview/issues/not-stored-yet/delivery`, { headers: { authorization: `Bearer ${previewSecret}` } });
    expect({ status: unsaved.status, body: await unsaved.json() }).toEqual({ status: 200, body: { ok: true, delivery: null } });
    const unknownUnauthorised = await fetch(`${server.url}/preview/issues/not-stored-yet/delivery`, { headers: { authorization: 'Bearer wrong' } });
    expect(unknownUnauthorised.status).toBe(401);
    // A Studio on another origin (a hosted project, `sanity dev`) may call them; others may not.
    const preflight = (origin: string) =>
      fetch(`${server.url}/preview/issues/issue-2/schedule`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      }).then((r) => r.headers.get('access-control-allow-origin'));
    expect(await preflight('http://localhost:3333')).toBe('http://localhost:3333');
    expect(await preflight('https://elsewhere.example')).toBeNull();
    const scheduled = await call('schedule', { date: '2030-12-04', time: '08:00', timeZone: 'Europe/Berlin' });
    expect(scheduled).toMatchObject({ status: 200, body: { ok: true, message: 'Issue #2 scheduled for Wed 4 Dec 2030, 08:00 Europe/Berlin (07:00 UTC), to 5 active subscriber(s).' } });
    expect((await call('delivery')).body.delivery).toMatchObject({ phase: 'scheduled', activeSubscribers: 5, schedule: { scheduledBy: 'the Studio', timeZone: 'Europe/Berlin' } });
    const list = await fetch(`${server.url}/preview/deliveries`, { headers: { authorization: `Bearer ${previewSecret}` } }).then((r) => r.json() as Promise<{ deliveries: Array<{ issueNumber: number; phase: string }> }>);
    expect(list.deliveries.map((d) => [d.issueNumber, d.phase])).toEqual([[2, 'scheduled']]);

    const gap = await call('schedule', { date: '2030-03-31', time: '02:30', timeZone: 'Europe/Berlin' });
    expect(gap).toMatchObject({ status: 400, body: { message: expect.stringContaining('does not exist in Europe/Berlin') } });
    expect((await call('send-now', { confirm: 3 })).status).toBe(400);
    const now = await call('send-now', { confirm: '2' });
    expect(now).toMatchObject({ status: 200, body: { message: 'Sending issue #2 to 5 active subscriber(s) now.' } });
    await finished(desk);
    expect((await call('delivery')).body.delivery).toMatchObject({ phase: 'sent', counts: { sent: 5, total: 5 } });
    const twice = await call('send-now', { confirm: 2 });
    expect(twice).toMatchObject({ status: 409, body: { error: 'send_refused', message: 'Issue #2 has already gone to every active subscriber' } });
    expect((await call('cancel-schedule', {})).status).toBe(409);
  });
});

describe('a server killed mid-send', { timeout: hangAfter(2) }, () => {
  it('leaves at most one unknown delivery per connection; the next server resumes, sends the rest once and reports the unknown ones', async () => {
    const connections = 3;
    // The server is killed when the sixth message arrives, before it is answered.
    let arrived = 0;
    let kill = () => {};
    const smtp = await startSmtpServer({
      onMessage: async () => {
        if (++arrived === 6) kill();
        await new Promise((r) => setTimeout(r, 40));
        return 'accept' as const;
      },
    });
    open.push(smtp);
    const desk = await aDesk({ subscribers: 40, env: { SMTP_URL: smtp.url, NEWSDESK_SEND_CONCURRENCY: String(connections) } });
    // `serve` in a child process runs on the real clock: due in a moment, or already due (within the grace period) once it is up.
    await desk.schedule(1000);
    const child = spawn(process.execPath, [binPath, 'serve', '--no-build'], { env: { ...cleanEnv(), ...desk.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    kill = () => void child.kill('SIGKILL');
    child.stdout.resume();
    child.stderr.resume();
    open.push({ close: () => void child.kill('SIGKILL') });
    expect(await exited).toBe('SIGKILL');
    const afterCrash = await desk.delivery.ledger.counts(issue);
    expect(afterCrash.sent, 'killed before the send finished').toBeLessThan(40);
    expect(afterCrash.sending).toBeLessThanOrEqual(connections);
    for (const d of await desk.delivery.ledger.deliveries(issue, 'sending')) expect(smtp.transmissions).toContain(d.email);

    await desk.start();
    const send = await finished(desk);
    const unknown = (await desk.delivery.ledger.deliveries(issue, 'sending')).map((d) => d.email);
    for (const email of desk.list) {
      if (unknown.includes(email)) expect(smtp.copiesTo(email)).toBeLessThanOrEqual(1);
      else expect({ email, copies: smtp.copiesTo(email) }).toEqual({ email, copies: 1 });
    }
    expect(send?.status).toBe(unknown.length > 0 ? 'unresolved' : 'completed');
    const status = await readDeliveryStatus(desk.scheduling(), issue);
    expect(status.phase).toBe(unknown.length > 0 ? 'unresolved' : 'sent');
    expect(status.counts).toMatchObject({ total: 40, sent: 40 - unknown.length, unknown: unknown.length, queued: 0 });
  });
});

/** A relay that answers the first `answered` messages and holds the rest until release(). */
async function heldSmtp(answered: number): Promise<{ smtp: ScriptedServer; holding: Promise<void>; release: () => void }> {
  let arrived = 0;
  let nowHolding!: () => void;
  const holding = new Promise<void>((resolve) => (nowHolding = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const smtp = await startSmtpServer({
    onMessage: async () => {
      if (++arrived > answered) {
        nowHolding();
        await released;
      }
      return 'accept' as const;
    },
  });
  open.push(smtp);
  return { smtp, holding, release };
}

async function readFeed(desk: Desk): Promise<string> {
  return fs.readFile(path.join(desk.config.outDir, 'feed.xml'), 'utf8');
}

async function rawDoc(desk: Desk, id: string) {
  const doc = await desk.store.fetch<Record<string, unknown>>('*[_id == $id][0]', { id }, { perspective: 'raw' });
  return doc as { _id: string; _type: string; [k: string]: unknown };
}
