// The golden files that pin the issue email: the largest sample issue (the one shaped
// like a real issue) rendered to HTML and plain text. Shared by the golden test and the
// explicit update script, so both render exactly the same thing.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { loadIssues, loadSettings } from '../content/load.ts';
import { renderIssueEmail } from '../emails/issue-email.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const sampleDataset = path.join(root, 'content/sample/dataset.ndjson');
export const goldenDir = path.join(root, 'tests/golden');

export interface GoldenFile {
  /** Path relative to the repository root, e.g. "tests/golden/email-issue-4.html". */
  file: string;
  content: string;
}

/** Renders the goldens from the sample dataset; the largest issue by content is the one pinned. */
export async function renderEmailGoldens(): Promise<GoldenFile[]> {
  const store = new GroqJsStore({ datasetPath: sampleDataset });
  const [issues, settings] = await Promise.all([loadIssues(store), loadSettings(store)]);
  const largest = issues.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a));
  const email = await renderIssueEmail(largest, { baseUrl: settings.siteUrl, settings });
  const base = `tests/golden/email-issue-${largest.number}`;
  return [
    { file: `${base}.html`, content: email.html },
    { file: `${base}.txt`, content: email.text },
  ];
}

export { root as repositoryRoot };
