// Benchmark (not a test): what a chunked upload past the limit costs the server. The
// local Content Lake runs in a child process (so its memory is measured alone); this
// process streams 400 MB with no content-length to its asset upload, 1 MB at a time,
// until the lake answers or hangs up, and reads the child's peak resident memory.
//
//   npx tsx bench/daily-request-bodies.ts
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const total = 400 * 1024 * 1024;
const targets = { growthMb: 150, sentMb: 200 };

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'newsdesk-bench-bodies-'));
fs.writeFileSync(path.join(work, 'dataset.ndjson'), `${JSON.stringify({ _id: 'tag-a', _type: 'tag', title: 'A' })}\n`);

// The child: a lake on port 0 that reports its port, then its resident memory on request.
const childSource = `
import { serve } from '@hono/node-server';
import { GroqJsStore } from ${JSON.stringify(path.resolve(import.meta.dirname, '../content/groq-js-store.ts'))};
import { ContentLake, lakeDirFor } from ${JSON.stringify(path.resolve(import.meta.dirname, '../content/lake/lake.ts'))};
const store = new GroqJsStore({ datasetPath: ${JSON.stringify(path.join(work, 'dataset.ndjson'))} });
let url = '';
const lake = await ContentLake.open({ store, lakeDir: lakeDirFor(store.datasetPath), projectId: 'bench', dataset: 'production', token: 'bench-token', allowedOrigins: [], publicUrl: () => url });
let peak = 0;
setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5).unref();
serve({ fetch: lake.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  url = 'http://127.0.0.1:' + info.port;
  process.send({ port: info.port, rss: process.memoryUsage().rss });
});
process.on('message', () => process.send({ peak: Math.max(peak, process.memoryUsage().rss) }));
`;
const childFile = path.join(import.meta.dirname, `.daily-request-bodies-child-${process.pid}.ts`);
fs.writeFileSync(childFile, childSource);
const child = spawn(process.execPath, ['--import', 'tsx', childFile], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const nextMessage = () => new Promise<Record<string, number>>((resolve) => child.once('message', (m) => resolve(m as Record<string, number>)));

try {
  const { port, rss: before = 0 } = await nextMessage();
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  const { status, sent } = await new Promise<{ status: number | undefined; sent: number }>((resolve) => {
    let sent = 0;
    let answered = false;
    const request = http.request(
      `http://127.0.0.1:${port}/v2026-05-04/assets/files/production?filename=big.bin`,
      { method: 'POST', headers: { authorization: 'Bearer bench-token', 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } },
      (response) => {
        answered = true;
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode, sent }));
      },
    );
    request.on('error', () => setTimeout(() => resolve({ status: undefined, sent }), 50));
    const pump = () => {
      while (!answered && !request.destroyed && sent < total) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', pump);
      }
      if (!answered && sent >= total) request.end();
    };
    pump();
  });
  child.send('peak?');
  const peak = (await nextMessage()).peak ?? 0;
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  if (status !== 413) console.error(`unexpected answer: ${status ?? 'connection closed before an answer'}`);
  console.log(`lake chunked upload of 400 MB past the 50 MB limit, memory growth: ${mb(peak - before)} MB (target <= ${targets.growthMb} MB)`);
  console.log(`lake chunked upload of 400 MB past the 50 MB limit, sent before the 413: ${mb(sent)} MB (target <= ${targets.sentMb} MB)`);
} finally {
  child.kill();
  fs.rmSync(childFile, { force: true });
  fs.rmSync(work, { recursive: true, force: true });
}
