// The kill -9 trial: a process writing through the local Content Lake is killed at
// random moments, over and over (mid-append, mid-compaction, mid-history). Every write
// it acknowledged must be there afterwards, in the content and in the document history,
// and no temporary file may outlive the next open.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { GroqJsStore, parseDataset } from '../content/groq-js-store.ts';
import { DocumentHistory } from '../content/lake/history.ts';
import { lakeDirFor } from '../content/lake/paths.ts';
import { makeTempDir } from './helpers/temp.ts';

const child = path.resolve(import.meta.dirname, 'helpers/lake-writer-child.ts');

/** Runs the writer until it has acknowledged `acks` writes, kills it with SIGKILL, and returns what it acknowledged. */
async function writeThenKill(datasetPath: string, round: number, acks: number): Promise<string[]> {
  const writer = spawn(process.execPath, ['--import', 'tsx', child, datasetPath, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => writer.once('exit', (code) => resolve(code)));
  let stderr = '';
  writer.stderr.on('data', (chunk) => (stderr += chunk));
  const acknowledged: string[] = [];
  for await (const line of readline.createInterface({ input: writer.stdout })) {
    if (!line.startsWith('ack ')) continue;
    acknowledged.push(line.slice(4));
    if (acknowledged.length === acks) {
      writer.kill('SIGKILL');
      break;
    }
  }
  const code = await exited;
  expect(code, stderr).toBeNull();
  return acknowledged;
}

describe('killing a writer at random moments', () => {
  it('keeps every acknowledged write, in the content and the history, and leaves no temporary file', { timeout: 120_000 }, async () => {
    const dir = await makeTempDir('newsdesk-crash-');
    const datasetPath = path.join(dir, 'dataset.ndjson');
    // Bulk, so compactions take a while and kills land inside them.
    const filler = Array.from({ length: 30 }, (_, i) => JSON.stringify({ _id: `filler-${i}`, _type: 'filler', text: 'f'.repeat(20_000) }));
    await fs.writeFile(datasetPath, [JSON.stringify({ _id: 'counter', _type: 'counter' }), ...filler].join('\n') + '\n');

    const acknowledged: string[] = [];
    for (let round = 0; round < 8; round++) {
      acknowledged.push(...(await writeThenKill(datasetPath, round, 5 + Math.floor(Math.random() * 60))));
    }

    const store = new GroqJsStore({ datasetPath });
    const notes = new Set(await store.fetch<string[]>('*[_type == "note"]._id'));
    const missing = acknowledged.filter((tx) => !notes.has(tx.replace(/^tx-/, 'note-')));
    expect(missing).toEqual([]);
    // The counter holds the last write of some round: one acknowledged or one written but not yet answered.
    expect(await store.fetch('*[_id == "counter"][0].last')).toMatch(/^tx-7-\d+$/);
    const history = await DocumentHistory.open(path.join(lakeDirFor(datasetPath), 'history.ndjson'));
    expect(acknowledged.filter((tx) => !history.has(tx))).toEqual([]);
    expect((await history.transactions([`note-7-0`], {}))[0]?.id).toBe('tx-7-0');
    // The dataset file itself is a valid export, whatever moment the kills hit, and the
    // journal was folded into it along the way (so kills could land in compactions).
    const exported = parseDataset(await fs.readFile(datasetPath, 'utf8'), datasetPath);
    expect(exported.filter((d) => d._type === 'note').length).toBeGreaterThan(0);
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'))).toEqual([]);
  });

  it('appends history after a line cut short by a crash without losing the next entry', async () => {
    const file = path.join(await makeTempDir(), 'history.ndjson');
    const at = '2026-05-01T10:00:00.000Z';
    let history = await DocumentHistory.open(file);
    const doc = { _id: 'a', _type: 'note', _rev: 't1', _updatedAt: at };
    await history.record({ id: 't1', timestamp: at, author: 'pEditor', changes: [{ id: 'a', before: null, after: doc }] });
    await fs.appendFile(file, '{"id":"t-torn","timestamp":"2026-05-01T10:0');
    history = await DocumentHistory.open(file);
    await history.record({ id: 't2', timestamp: at, author: 'pEditor', changes: [{ id: 'a', before: doc, after: null }] });
    const reopened = await DocumentHistory.open(file);
    expect([reopened.has('t1'), reopened.has('t-torn'), reopened.has('t2')]).toEqual([true, false, true]);
  });
});
