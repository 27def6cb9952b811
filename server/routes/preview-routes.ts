// Previews for the Studio: the draft of an issue rendered by the build's own renderers
// (web page, email, plain text), and a test send of the draft to one address. Both
// need NEWSDESK_PREVIEW_SECRET; only the Studio's origins may frame or call them.
import { Hono } from 'hono';
import { z } from 'zod';
import { issueSchema, parseDocuments, type Issue } from '../../content/model.ts';
import { issueByIdQuery } from '../../content/queries.ts';
import { findIssueRuleErrors, nameSection } from '../../content/rules.ts';
import type { ContentStore } from '../../content/store.ts';
import type { Config } from '../../core/config.ts';
import { formatZodIssues } from '../../core/errors.ts';
import { fillPlaceholders, type RenderContext } from '../../core/render.ts';
import { composeTestCopy } from '../../delivery/messages/message.ts';
import { emailSchema } from '../../delivery/subscribers/subscriber.ts';
import type { Transport } from '../../delivery/sending/transport.ts';
import { renderIssueEmail } from '../../emails/issue-email.ts';
import { renderIssueText } from '../../emails/issue-text.ts';
import { renderIssuePage } from '../../web/issue-page.tsx';
import { bearer, bodyLimits, jsonError, limitBody, readJson, type Pages } from '../http.ts';
import { localMediaBase, withLocalMedia } from '../../content/media.ts';
import { studioAccess } from '../preview-access.ts';
import { emailPreviewCsp } from '../security.ts';

export interface PreviewRouteDeps {
  config: Pick<Config, 'server' | 'unsubscribeMailto' | 'content'>;
  store: ContentStore;
  transport: Transport;
  secret: string;
  /** Renders exactly as the build does: the configured or the newsletter's own site URL. */
  buildContext: () => Promise<RenderContext>;
  pages: Pages;
  now: () => Date;
  log: (line: string) => void;
  /** This server's own URL: previews show the dataset's uploaded images from it until the site is rebuilt. */
  publicUrl: () => string;
  /** The local Studio's token, accepted like the preview secret when the Studio is served here. */
  studioToken?: string | undefined;
}

const previewParams = z.object({ id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'is not a document id') });
const previewQuery = z.object({
  as: z.enum(['email', 'web', 'text'], { error: 'must be one of email, web, text' }).default('web'),
  secret: z.string().max(512).optional(),
});
const sendTestSchema = z.object({ to: emailSchema });

/** Stands in for the recipient in previews. */
const previewRecipient = { email: 'preview@example.invalid' } as const;

export function previewRoutes(deps: PreviewRouteDeps): Hono {
  const { config } = deps;
  const studioOrigins = config.server.studioOrigins;
  const app = new Hono();
  const access = studioAccess(config, deps.studioToken);
  app.use('/preview/*', access.cors);
  const refusal = access.refusal;

  app.get('/preview/issues/:id', async (c) => {
    const query = previewQuery.safeParse(c.req.query());
    const refused = refusal(c, bearer(c) ?? c.req.query('secret'));
    if (refused) return refused;
    const params = previewParams.safeParse(c.req.param());
    if (!params.success || !query.success) {
      return jsonError(c, 'invalid', { problems: formatZodIssues([...(params.error?.issues ?? []), ...(query.error?.issues ?? [])]) });
    }
    c.header('x-robots-tag', 'noindex');
    // The editor's browser sees uploaded images from this server until the site is built.
    const loaded = await loadPreview(deps.store, params.data.id, localMediaBase(config, deps.publicUrl()), deps.now());
    if (loaded.kind === 'missing') return c.text(`There is no issue with id "${params.data.id}", as a draft or published.`, 404);
    if (loaded.kind === 'invalid') return c.text(`This draft cannot be previewed yet:\n\n${loaded.notes.map((n) => `- ${n}`).join('\n')}`, 422);
    const ctx = await deps.buildContext();
    const fill = { unsubscribeUrl: `${ctx.baseUrl}/unsubscribe?token=preview`, recipientEmail: previewRecipient.email };
    switch (query.data.as) {
      case 'web':
        return c.html(withNotes(renderIssuePage(loaded.issue, {}, ctx).html, loaded.notes));
      case 'email': {
        const email = await renderIssueEmail(loaded.issue, ctx);
        c.header('content-security-policy', emailPreviewCsp(studioOrigins));
        return c.html(withNotes(fillPlaceholders(email.html, fill, true), loaded.notes));
      }
      case 'text': {
        const text = fillPlaceholders(renderIssueText(loaded.issue, ctx).text, fill, false);
        return c.text(loaded.notes.length === 0 ? text : `${notesHeading}\n${loaded.notes.map((n) => `- ${n}`).join('\n')}\n\n${text}`);
      }
    }
  });

  app.post('/preview/issues/:id/send-test', limitBody(bodyLimits.form, deps.pages), async (c) => {
    const refused = refusal(c, bearer(c));
    if (refused) return refused;
    const params = previewParams.safeParse(c.req.param());
    const body = sendTestSchema.safeParse(await readJson(c));
    if (!params.success || !body.success) {
      const problems = formatZodIssues([...(params.error?.issues ?? []), ...(body.error?.issues ?? [])]);
      return jsonError(c, 'invalid', { message: `Send {"to": "address"} as JSON: ${problems.join('; ')}` });
    }
    const ctx = await deps.buildContext();
    // A test copy goes to a real inbox: its images come from the public site, as the issue's will.
    const loaded = await loadPreview(deps.store, params.data.id, localMediaBase(config, ctx.baseUrl), deps.now());
    if (loaded.kind === 'missing') return jsonError(c, 'not_found', { message: `There is no issue with id "${params.data.id}".` });
    // A preview may fill gaps with stand-ins; a message to a real inbox may not.
    if (loaded.kind === 'invalid' || loaded.notes.length > 0) return jsonError(c, 'invalid_draft', { message: `This draft cannot be sent yet: ${loaded.notes.join(' ')}` });
    const email = await renderIssueEmail(loaded.issue, ctx);
    const message = composeTestCopy(email, body.data.to, {
      issueNumber: loaded.issue.number,
      settings: ctx.settings,
      baseUrl: ctx.baseUrl,
      secret: deps.secret,
      unsubscribeMailto: config.unsubscribeMailto,
      date: deps.now(),
    });
    try {
      await deps.transport.send(message);
    } catch (error) {
      const why = (error as Error)?.message ?? String(error);
      deps.log(`send-test: issue ${loaded.issue.number} to a test address failed: ${why}`);
      return jsonError(c, 'send_failed', { message: `The test email could not be sent through ${deps.transport.description}: ${why}` });
    }
    return c.json({ ok: true, message: `Test email of issue #${loaded.issue.number}${loaded.issue.isDraft ? ' (draft)' : ''} sent to ${body.data.to} through ${deps.transport.description}.` });
  });

  return app;
}

type PreviewLoad = { kind: 'ok'; issue: Issue; notes: string[] } | { kind: 'missing' } | { kind: 'invalid'; notes: string[] };

const notesHeading = 'Not ready to publish yet:';

/** Previews allow what a draft may still lack: any number, the stand-ins filled in below. */
const previewIssueSchema = issueSchema.extend({ number: z.number().int() });

/**
 * Any draft, as far as it goes: what is missing is filled with a stand-in and named in the
 * editor's words (with what the rule book would refuse at publish), never as a parser's message.
 */
async function loadPreview(store: ContentStore, id: string, mediaBase: string | undefined, now: Date): Promise<PreviewLoad> {
  const raw = await store.fetch(issueByIdQuery, { id: id.replace(/^drafts\./, '') }, { perspective: 'drafts' });
  if (raw === null || typeof raw !== 'object') return { kind: 'missing' };
  const doc = { ...(raw as Record<string, unknown>) };
  const notes: string[] = [];
  if (typeof doc.number !== 'number' || !Number.isInteger(doc.number) || doc.number < 1) {
    notes.push('This issue has no number yet: set it under Details.');
    doc.number = 0;
  }
  if (typeof doc.title !== 'string' || doc.title.trim() === '') {
    notes.push('This issue has no title yet: it is the email subject line.');
    doc.title = 'Untitled issue';
    if (typeof doc.slug !== 'string') doc.slug = 'untitled';
  }
  if (typeof doc.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(doc.date)) {
    notes.push('This issue has no publication date yet: pick one under Details.');
    doc.date = now.toISOString().slice(0, 10);
  }
  if (Array.isArray(doc.sections)) {
    doc.sections = doc.sections.map((section: unknown, i: number) => {
      const s = (typeof section === 'object' && section !== null ? section : {}) as Record<string, unknown>;
      const body = fillBlocksForPreview(s.body, nameSection(s, i), notes);
      if (typeof s.heading === 'string' && s.heading.trim() !== '') return { ...s, body };
      notes.push(`Section ${i + 1} has no heading yet.`);
      return { ...s, body, heading: `Section ${i + 1}` };
    });
  }
  doc.intro = fillBlocksForPreview(doc.intro, 'the intro', notes);
  doc.signOff = fillBlocksForPreview(doc.signOff, 'the sign-off', notes);
  for (const finding of findIssueRuleErrors(raw)) if (finding.path !== 'title') notes.push(finding.message);
  const { documents, problems } = parseDocuments(previewIssueSchema, [doc], 'issue');
  const issue = documents[0];
  if (!issue) return { kind: 'invalid', notes: [...notes, ...problems.map((p) => describeForEditor(doc, p.path, p.message))] };
  return { kind: 'ok', issue: withLocalMedia(issue, mediaBase), notes };
}

/**
 * Rich text mid-edit: an image still without alternative text is shown with a stand-in,
 * and an editorial note not yet written is left out, each named in a note.
 */
function fillBlocksForPreview(blocks: unknown, owner: string, notes: string[]): unknown {
  if (!Array.isArray(blocks)) return blocks;
  return blocks.flatMap((block: unknown) => {
    const b = (typeof block === 'object' && block !== null ? block : {}) as Record<string, unknown>;
    if (b._type === 'image' && (typeof b.alt !== 'string' || b.alt.trim() === '')) {
      notes.push(`An image in ${owner} has no alternative text yet.`);
      return [{ ...b, alt: 'An image without alternative text yet' }];
    }
    if (b._type === 'editorialNote' && (!Array.isArray(b.body) || b.body.length === 0)) {
      notes.push(`An editorial note in ${owner} is still empty, so it is not shown.`);
      return [];
    }
    return [b];
  });
}

/** A field path an editor can find: "section “News”, body block 2: an image needs alt text". */
function describeForEditor(doc: Record<string, unknown>, path: string, message: string): string {
  const section = /^sections\[(\d+)\](?:\.body\[(\d+)\])?/.exec(path);
  if (section) {
    const index = Number(section[1]);
    const where = nameSection((doc.sections as unknown[] | undefined)?.[index], index);
    return `In ${where}${section[2] !== undefined ? `, block ${Number(section[2]) + 1}` : ''}: ${message}.`;
  }
  const field = /^(intro|signOff)(?:\[(\d+)\])?/.exec(path);
  if (field) return `In the ${field[1] === 'intro' ? 'intro' : 'sign-off'}${field[2] !== undefined ? `, block ${Number(field[2]) + 1}` : ''}: ${message}.`;
  return `${path}: ${message}.`;
}

/** The preview page with what is missing said at its top, for the editor only. */
function withNotes(html: string, notes: string[]): string {
  if (notes.length === 0) return html;
  const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const box = `<div role="status" data-preview-notes style="font:15px/1.4 system-ui,sans-serif;background:#fff4ce;color:#3b2f00;border:1px solid #d6b600;padding:12px 16px;margin:0 0 12px"><strong>${notesHeading}</strong><ul style="margin:6px 0 0;padding-left:20px">${notes.map((n) => `<li>${escape(n)}</li>`).join('')}</ul></div>`;
  const body = /<body[^>]*>/i.exec(html);
  return body ? html.slice(0, body.index + body[0].length) + box + html.slice(body.index + body[0].length) : box + html;
}
