// What a test of the Studio's own validation needs: the documents in a local Content Lake,
// a real @sanity/client on it, and a workspace holding only what validateDocument reads
// (the schema and that client), so rules that query other documents run as in the Studio.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createClient, type SanityClient } from '@sanity/client';
import { createSchema, pathToString, validateDocument, type Workspace } from 'sanity';
import { GroqJsStore } from '../../content/groq-js-store.ts';
import type { SanityDocument } from '../../content/store.ts';
import { schemaTypes } from '../../schemas/index.ts';
import { startLocalLake, type LocalLake } from './local-lake.ts';
import { makeTempDir } from './temp.ts';

export const studioSchema = createSchema({ name: 'newsdesk', types: schemaTypes });

export interface ValidationLake {
  lake: LocalLake;
  client: SanityClient;
  workspace: Workspace;
  datasetPath: string;
}

export async function startValidationLake(documents: SanityDocument[], tempPrefix: string): Promise<ValidationLake> {
  const dir = await makeTempDir(tempPrefix);
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await fs.writeFile(datasetPath, documents.map((d) => JSON.stringify(d)).join('\n') + '\n');
  const lake = await startLocalLake(new GroqJsStore({ datasetPath }), { dataset: 'test' });
  const client = createClient({ apiHost: lake.url, useProjectHostname: false, projectId: 'test', dataset: 'test', apiVersion: '2025-02-19', useCdn: false, token: lake.token });
  const workspace = { schema: studioSchema, getClient: () => client } as unknown as Workspace;
  return { lake, client, workspace, datasetPath };
}

/** The Studio's findings of one level on a document, as "path: message", as the Studio runs its rules. */
export async function findingsOf(lake: Pick<ValidationLake, 'workspace'>, document: SanityDocument, level: 'error' | 'warning' | 'info', knownIds: ReadonlySet<string>): Promise<string[]> {
  const markers = await validateDocument({
    document: document as Parameters<typeof validateDocument>[0]['document'],
    workspace: lake.workspace,
    environment: 'studio',
    getDocumentExists: async ({ id }) => knownIds.has(id),
  });
  return markers.filter((m) => m.level === level).map((m) => `${pathToString(m.path)}: ${m.message}`);
}
