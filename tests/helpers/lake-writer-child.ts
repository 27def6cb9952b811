// Child process for the kill -9 trial: opens the local Content Lake over a dataset and
// writes through its mutate route as fast as it can, printing "ack <transaction id>"
// once each write is answered, until it is killed. A small compaction threshold makes
// kills land inside compactions too.
import { GroqJsStore } from '../../content/groq-js-store.ts';
import { ContentLake, lakeDirFor } from '../../content/lake/lake.ts';

const [datasetPath, round] = process.argv.slice(2);
const token = 'crash-trial-token-0123456789abcdef';
const store = new GroqJsStore({ datasetPath: datasetPath!, compaction: { ratio: 0.25, minBytes: 16 * 1024 } });
const lake = await ContentLake.open({
  store,
  lakeDir: lakeDirFor(datasetPath!),
  projectId: 'newsdesk0',
  dataset: 'production',
  token,
  allowedOrigins: [],
  publicUrl: () => 'http://127.0.0.1',
});
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const transactionId = `tx-${round}-${i}`;
  const response = await lake.fetch(
    new Request('http://127.0.0.1/v2026-05-04/data/mutate/production', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        transactionId,
        mutations: [
          { create: { _id: `note-${round}-${i}`, _type: 'note', round: Number(round), i, text: 'n'.repeat(1500) } },
          { patch: { id: 'counter', set: { last: transactionId } } },
        ],
      }),
    }),
  );
  if (response.status !== 200) {
    process.stderr.write(`write ${transactionId} answered ${response.status}: ${await response.text()}\n`);
    process.exit(1);
  }
  process.stdout.write(`ack ${transactionId}\n`);
}
