// Child process for the crash test: writes large documents in a loop (journal appends and the compactions they trigger) until killed.
import { GroqJsStore } from '../../content/groq-js-store.ts';

const [datasetPath] = process.argv.slice(2);
const store = new GroqJsStore({ datasetPath: datasetPath! });
const big = 'x'.repeat(200_000);
process.send?.('ready');
for (let i = 0; ; i++) {
  await store.mutate([{ createOrReplace: { _id: `bulk-${i % 40}`, _type: 'filler', i, big } }]);
}
