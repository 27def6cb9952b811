// A dataset for the lake's heavy requests: a few hundred documents, and one issue whose
// history holds a thousand transactions (typing, with a publish every so often), written
// through the real history log as the lake records it. The event-loop test and
// bench/daily-lake.ts open the lake on it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { serialise } from '../../content/groq-js-store.ts';
import { DocumentHistory } from '../../content/lake/history.ts';
import { lakeDirFor } from '../../content/lake/paths.ts';
import { applyMutations } from '../../content/mutations.ts';
import type { Mutation, SanityDocument } from '../../content/store.ts';

export interface LongHistoryDataset {
  datasetPath: string;
  /** The published id of the issue with the long history. */
  issueId: string;
  /** Every transaction id of its history, oldest first. */
  revisions: string[];
}

export async function writeLongHistoryDataset(dir: string, options: { documents: number; transactions: number }): Promise<LongHistoryDataset> {
  const datasetPath = path.join(dir, 'dataset.ndjson');
  const lakeDir = lakeDirFor(datasetPath);
  await fs.mkdir(lakeDir, { recursive: true });
  let documents: SanityDocument[] = Array.from({ length: options.documents }, (_, i) => ({
    _id: `link-${i}`,
    _type: 'link',
    _rev: `r${i}`,
    url: `https://example.org/${i}`,
    title: `Link number ${i} about kernels, widgets and slates`,
    status: i % 3 === 0 ? 'inbox' : 'shortlisted',
  }));
  const history = await DocumentHistory.open(path.join(lakeDir, 'history.ndjson'));
  const issueId = 'issue-long';
  const draftId = `drafts.${issueId}`;
  const revisions: string[] = [];
  const paragraph = (i: number) => ({ _key: `p${i}`, _type: 'block', style: 'normal', markDefs: [], children: [{ _key: `s${i}`, _type: 'span', marks: [], text: `Paragraph ${i}: ${'words about the week '.repeat(8)}` }] });
  const start = Date.UTC(2026, 2, 1, 9);
  for (let i = 0; i < options.transactions; i++) {
    const byId = new Map(documents.map((d) => [d._id, d] as const));
    const draft = byId.get(draftId);
    let mutations: Mutation[];
    if (i === 0) mutations = [{ create: { _id: draftId, _type: 'issue', number: 1, title: '', body: Array.from({ length: 20 }, (_, p) => paragraph(p)) } }];
    else if (!draft) mutations = [{ createOrReplace: { ...byId.get(issueId)!, _id: draftId } }];
    else if (i % 100 === 99) mutations = [{ createOrReplace: { ...draft, _id: issueId } }, { delete: { id: draftId } }];
    else mutations = [{ patch: { id: draftId, diffMatchPatch: { title: `@@ -0,0 +1,1 @@\n+${String.fromCharCode(97 + (i % 26))}\n` } } }];
    const id = `tx${String(i).padStart(4, '0')}`;
    const timestamp = new Date(start + i * 1000).toISOString();
    const applied = applyMutations(documents, mutations, { now: timestamp, transactionId: id });
    documents = applied.documents;
    await history.record({ id, timestamp, author: 'pLocalEditor', mutations, changes: applied.changes });
    revisions.push(id);
  }
  await fs.writeFile(datasetPath, serialise(documents));
  return { datasetPath, issueId, revisions };
}
