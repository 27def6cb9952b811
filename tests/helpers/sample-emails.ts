// Every kind of email newsdesk sends, rendered from the sample newsletter: each
// published sample issue, the confirmation and the welcome mail. What the checks that
// apply to all of them (hosts referenced, contrast, spam score) run over.
import { GroqJsStore } from '../../content/groq-js-store.ts';
import { loadIssues, loadSettings } from '../../content/load.ts';
import type { Settings } from '../../content/model.ts';
import { renderIssueEmail } from '../../emails/issue-email.ts';
import { renderConfirmationEmail, renderWelcomeEmail } from '../../emails/transactional/render.ts';
import { sampleDataset } from '../email-goldens.ts';

export interface SampleEmail {
  /** e.g. "issue 4", "confirmation" */
  name: string;
  subject: string;
  html: string;
  text: string;
}

export async function renderSampleEmails(): Promise<{ settings: Settings; emails: SampleEmail[] }> {
  const store = new GroqJsStore({ datasetPath: sampleDataset });
  const [issues, settings] = await Promise.all([loadIssues(store), loadSettings(store)]);
  const base = settings.siteUrl;
  const issueEmails = await Promise.all(
    issues.map(async (issue) => ({ name: `issue ${issue.number}`, ...(await renderIssueEmail(issue, { baseUrl: base, settings })) })),
  );
  const confirmation = await renderConfirmationEmail({ settings, email: 'reader@example.com', confirmUrl: `${base}/confirm?token=c0nf1rm.t0ken`, ttlHours: 48 });
  const welcome = await renderWelcomeEmail({ settings, name: 'Rae', archiveUrl: `${base}/`, unsubscribeUrl: `${base}/unsubscribe?token=uns.ub` });
  return {
    settings,
    emails: [...issueEmails, { name: 'confirmation', ...confirmation }, { name: 'welcome', ...welcome }].map(({ name, subject, html, text }) => ({ name, subject, html, text })),
  };
}
