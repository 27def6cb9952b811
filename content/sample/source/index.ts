// The whole sample dataset, assembled from the source files beside this one. Pure:
// the same documents, in the same order, with the same keys, on every call.
import type { SanityDocument } from '../../store.ts';
import { serialise } from '../../groq-js-store.ts';
import { issue1 } from './issue-1.ts';
import { issue2 } from './issue-2.ts';
import { issue3, issue3Draft } from './issue-3.ts';
import { issue4 } from './issue-4.ts';
import { issue5Draft } from './issue-5.ts';
import { compileIssue } from './kit.ts';
import { buildLinks } from './links.ts';
import { buildSettings, buildTags } from './settings.ts';

export function buildSampleDocuments(): SanityDocument[] {
  return [
    buildSettings(),
    ...buildTags(),
    ...buildLinks(),
    ...[issue1(), issue2(), issue3(), issue3Draft(), issue4(), issue5Draft()].map(compileIssue),
  ];
}

/** The dataset file's exact text: one document a line, as `sanity dataset export` writes. */
export function renderSampleDataset(): string {
  return serialise(buildSampleDocuments());
}
