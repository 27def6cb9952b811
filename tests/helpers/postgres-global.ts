// Vitest global setup: one PostgreSQL server for the whole test run, started only when a
// test first asks for a database (most runs have no PostgreSQL test and pay nothing).
// It serves a tiny loopback endpoint whose address it provides to the tests; the first
// POST starts the server from the npm binaries in a temporary folder on a free port and
// answers with its maintenance URL. The teardown stops the server and removes the folder.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalPostgres, type LocalPostgres } from '../../delivery/postgres/local-postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** POST here for the test server's maintenance URL (tests/helpers/postgres.ts). */
    postgresControlUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: Promise<LocalPostgres> | undefined;
  let root: string | undefined;
  const start = async (): Promise<LocalPostgres> => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-pg-'));
    // Run as root, the server runs as the postgres user, which must reach its folder.
    fs.chmodSync(root, 0o755);
    // A port found free may be taken before the server binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      try {
        return await startLocalPostgres({ dir: path.join(root, `data-${attempt}`), port: await freePort(), temporary: true, unsafeFast: true, database: 'postgres' });
      } catch (error) {
        if (attempt >= 3 || !/Port \d+ is taken/.test((error as { hint?: string }).hint ?? '')) throw error;
      }
    }
  };
  const control = http.createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    server ??= start();
    server.then(
      (pg) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ adminUrl: pg.adminUrl })),
      (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n${(error as { hint?: string }).hint ?? ''}`),
    );
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const { port } = control.address() as net.AddressInfo;
  project.provide('postgresControlUrl', `http://127.0.0.1:${port}/`);
  return async () => {
    control.close();
    await server?.then((pg) => pg.stop(), () => {});
    if (root) fs.rmSync(root, { recursive: true, force: true });
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
