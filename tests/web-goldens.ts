// The golden file that pins the web version: the largest sample issue's page, with its
// real neighbours. Shared by the golden test and `npm run golden:update`.
import { GroqJsStore } from '../content/groq-js-store.ts';
import { loadIssues, loadSettings } from '../content/load.ts';
import { renderIssuePage } from '../web/issue-page.tsx';
import type { GoldenFile } from './email-goldens.ts';
import { sampleDataset } from './email-goldens.ts';

export async function renderWebGoldens(): Promise<GoldenFile[]> {
  const store = new GroqJsStore({ datasetPath: sampleDataset });
  const [issues, settings] = await Promise.all([loadIssues(store), loadSettings(store)]);
  const largest = issues.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a));
  const byNumber = [...issues].sort((a, b) => a.number - b.number);
  const at = byNumber.indexOf(largest);
  const page = renderIssuePage(largest, { previous: byNumber[at - 1], next: byNumber[at + 1] }, { baseUrl: settings.siteUrl, settings });
  return [{ file: `tests/golden/web-issue-${largest.number}.html`, content: page.html }];
}
