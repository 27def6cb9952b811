// The preview server's addresses, shared by the Preview pane and the "Send test
// email" action. `newsdesk serve` answers exactly these URLs.
export type PreviewFormat = 'email' | 'web' | 'text';

export const previewFormats: ReadonlyArray<{ id: PreviewFormat; title: string }> = [
  { id: 'email', title: 'Email' },
  { id: 'web', title: 'Web' },
  { id: 'text', title: 'Plain text' },
];

export interface PreviewTarget {
  previewUrl: string;
  previewSecret: string;
}

/** The published id: previews and test sends resolve the draft on the server side. */
export function publishedIdOf(documentId: string): string {
  return documentId.startsWith('drafts.') ? documentId.slice('drafts.'.length) : documentId;
}

export function issuePreviewUrl(target: PreviewTarget, documentId: string, format: PreviewFormat): string {
  const url = new URL(`${target.previewUrl.replace(/\/+$/, '')}/preview/issues/${encodeURIComponent(publishedIdOf(documentId))}`);
  url.searchParams.set('as', format);
  url.searchParams.set('secret', target.previewSecret);
  return url.toString();
}

export function sendTestUrl(target: PreviewTarget, documentId: string): string {
  return `${target.previewUrl.replace(/\/+$/, '')}/preview/issues/${encodeURIComponent(publishedIdOf(documentId))}/send-test`;
}

export interface SendTestResult {
  ok: boolean;
  /** What to tell the editor: the server's own message when it gave one. */
  message: string;
}

/** What the server answered, as one message for people (its own message and hint when it gave them) and the JSON body. */
export async function readServerAnswer(response: Response): Promise<{ message: string; body: Record<string, unknown> | undefined }> {
  const text = await response.text();
  let message = text.trim();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
    const headline = typeof body.message === 'string' && body.message !== '' ? body.message : body.error;
    const parts = [headline, body.hint].filter((p): p is string => typeof p === 'string' && p !== '');
    if (parts.length > 0) message = parts.join(' ');
  } catch {
    // Not JSON: show the text as it came.
  }
  return { message, body };
}

/** Why a call to the server failed, for people: the server's words, else what its status means. */
export function failureText(response: Response, message: string): string {
  return message || (response.status === 401 || response.status === 403 ? 'the preview secret was refused; check SANITY_STUDIO_PREVIEW_SECRET' : response.statusText);
}

export function unreachable(target: PreviewTarget, error: unknown): string {
  return `Could not reach the preview server at ${target.previewUrl} (${(error as Error).message}). Is \`newsdesk serve\` running, and is SANITY_STUDIO_PREVIEW_URL right?`;
}

/**
 * Asks the preview server to send the issue to one address. Never throws: every
 * outcome becomes a message for a toast. `fetchImpl` is a seam for tests.
 */
export async function requestTestEmail(
  target: PreviewTarget,
  documentId: string,
  to: string,
  fetchImpl: typeof fetch = fetch,
): Promise<SendTestResult> {
  let response: Response;
  try {
    response = await fetchImpl(sendTestUrl(target, documentId), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.previewSecret}` },
      body: JSON.stringify({ to }),
    });
  } catch (error) {
    return { ok: false, message: unreachable(target, error) };
  }
  const { message } = await readServerAnswer(response);
  if (response.ok) return { ok: true, message: message || `Test email sent to ${to}.` };
  return { ok: false, message: `Sending failed (HTTP ${response.status}): ${failureText(response, message)}` };
}
