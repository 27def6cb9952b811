// Ghost's export: one JSON file ({db: [{meta, data: {posts, tags, posts_tags, users,
// posts_authors}}]}) whose posts carry rendered `html`, or only the editor's `lexical`
// or `mobiledoc` document, which Ghost's own renderers (@tryghost/kg-*) turn into HTML;
// and the members CSV exported separately (email, name, subscribed_to_emails, …).
// HTML then goes through turndown into Markdown like every other migration.
import { createRequire } from 'node:module';
import { z } from 'zod';
import { NewsdeskError, formatZodIssues } from '../../core/errors.ts';
import { getMarkdownParser, htmlToMarkdown } from '../import-markdown/parse.ts';
import { readCsv, type ExportFiles } from './export-files.ts';
import { sortByPublication, parseIsoDay, formatMarkdownIssue, type Migration, type MigratedSubscriber } from './migration.ts';

// Ghost's renderers ship CommonJS builds that load cleanly only through require().
const require = createRequire(import.meta.url);

const postSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  title: z.string().nullish(),
  slug: z.string().nullish(),
  html: z.string().nullish(),
  lexical: z.string().nullish(),
  mobiledoc: z.string().nullish(),
  type: z.string().nullish(),
  page: z.union([z.boolean(), z.number()]).nullish(),
  status: z.string().nullish(),
  published_at: z.union([z.string(), z.number()]).nullish(),
  created_at: z.union([z.string(), z.number()]).nullish(),
  custom_excerpt: z.string().nullish(),
});
const exportSchema = z.object({
  db: z
    .array(
      z.object({
        data: z.object({
          posts: z.array(postSchema),
          tags: z.array(z.object({ id: z.union([z.string(), z.number()]).transform(String), name: z.string() })).nullish(),
          posts_tags: z.array(z.object({ post_id: z.union([z.string(), z.number()]).transform(String), tag_id: z.union([z.string(), z.number()]).transform(String) })).nullish(),
          users: z.array(z.object({ id: z.union([z.string(), z.number()]).transform(String), name: z.string() })).nullish(),
          posts_authors: z.array(z.object({ post_id: z.union([z.string(), z.number()]).transform(String), author_id: z.union([z.string(), z.number()]).transform(String) })).nullish(),
        }),
      }),
    )
    .min(1),
});

export async function readGhostExport(files: ExportFiles, subscriberFiles: ExportFiles | undefined): Promise<Migration> {
  const migration: Migration = { issues: [], subscribers: [], skipped: [] };
  const jsonName = files.names.find((n) => n.endsWith('.json'));
  if (jsonName) await readPosts(files, jsonName, migration);
  else migration.skipped.push('no .json content export: no posts moved');

  const list = subscriberFiles ?? files;
  const membersCsv = list.names.find((n) => n.endsWith('.csv'));
  if (membersCsv) for (const { record, line } of readCsv(list, membersCsv)) migration.subscribers.push(ghostMember(record, `${membersCsv}:${line}`));
  else migration.skipped.push('no members CSV (export it under Members → Export, then pass --subscribers FILE): no subscribers moved');
  return migration;
}

async function readPosts(files: ExportFiles, jsonName: string, migration: Migration): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(files.read(jsonName)!.toString('utf8'));
  } catch (error) {
    throw new NewsdeskError('IMPORT_FAILED', `${jsonName}: not valid JSON (${(error as Error).message})`, { hint: 'Export the content again from Ghost (Settings → Labs → Export).', cause: error });
  }
  const parsed = exportSchema.safeParse(raw);
  if (!parsed.success) throw new NewsdeskError('IMPORT_FAILED', `${jsonName}: not a Ghost export (${formatZodIssues(parsed.error.issues).slice(0, 3).join('; ')})`, { hint: 'Give the JSON file from Settings → Labs → Export.' });
  const data = parsed.data.db[0]!.data;
  const tagNames = new Map((data.tags ?? []).map((t) => [t.id, t.name] as const));
  const userNames = new Map((data.users ?? []).map((u) => [u.id, u.name] as const));
  const posts = [];
  for (const post of data.posts) {
    if (post.type === 'page' || post.page === true || post.page === 1) {
      migration.skipped.push(`${jsonName}: "${post.title ?? post.id}" is a page, not an issue`);
      continue;
    }
    const date = parseIsoDay(post.published_at) ?? parseIsoDay(post.created_at);
    if (!date) {
      migration.skipped.push(`${jsonName}: "${post.title ?? post.id}" has no date`);
      continue;
    }
    posts.push({ ...post, date });
  }
  for (const post of sortByPublication(posts)) {
    const html = post.html ?? (post.lexical ? await renderLexical(post.lexical) : post.mobiledoc ? renderMobiledoc(post.mobiledoc) : undefined);
    if (html === undefined) {
      migration.skipped.push(`${jsonName}: "${post.title ?? post.id}" has no content (no html, lexical or mobiledoc)`);
      continue;
    }
    // Tags starting with "#" are Ghost's internal tags, never shown to readers.
    const tags = (data.posts_tags ?? []).filter((pt) => pt.post_id === post.id).map((pt) => tagNames.get(pt.tag_id)).filter((t): t is string => t !== undefined && !t.startsWith('#'));
    const authors = (data.posts_authors ?? []).filter((pa) => pa.post_id === post.id).map((pa) => userNames.get(pa.author_id)).filter((a): a is string => a !== undefined);
    const source = formatMarkdownIssue(
      { title: post.title || post.slug || post.id, date: post.date, summary: post.custom_excerpt ?? undefined, slug: post.slug ?? undefined, author: authors.join(', ') || undefined, tags, draft: !['published', 'sent'].includes(post.status ?? 'published') },
      htmlToMarkdown(html),
    );
    migration.issues.push({ file: `${jsonName}#${post.slug ?? post.id}`, source });
  }
}

interface LexicalRenderer {
  render(state: string): Promise<string>;
}

async function renderLexical(lexical: string): Promise<string> {
  const { LexicalHTMLRenderer } = require('@tryghost/kg-lexical-html-renderer') as { LexicalHTMLRenderer: new (options: { nodes: unknown[] }) => LexicalRenderer };
  const { DEFAULT_NODES } = require('@tryghost/kg-default-nodes') as { DEFAULT_NODES: unknown[] };
  return new LexicalHTMLRenderer({ nodes: DEFAULT_NODES }).render(lexical);
}

interface CardEnv {
  payload: Record<string, unknown>;
  env: { dom: { createRawHTMLSection(html: string): unknown } };
}

/** Mobiledoc's common cards (markdown, html, image, bookmark); anything else is reported by name. */
function renderMobiledoc(mobiledoc: string): string {
  const { MobiledocHtmlRenderer } = require('@tryghost/kg-mobiledoc-html-renderer') as { MobiledocHtmlRenderer: new (options: unknown) => { render(doc: unknown): string } };
  const raw = (html: string) => ({ name: '', type: 'dom', render: ({ env }: CardEnv) => env.dom.createRawHTMLSection(html) });
  const card = (name: string, toHtml: (payload: Record<string, unknown>) => string) => ({ ...raw(''), name, render: ({ payload, env }: CardEnv) => env.dom.createRawHTMLSection(toHtml(payload)) });
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const escape = (v: unknown) => text(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const renderer = new MobiledocHtmlRenderer({
    cards: [
      card('markdown', (p) => getMarkdownParser().render(text(p.markdown))),
      card('html', (p) => text(p.html)),
      card('image', (p) => `<p><img src="${escape(p.src)}" alt="${escape(p.alt)}">${p.caption ? `<br>${text(p.caption)}` : ''}</p>`),
      card('bookmark', (p) => {
        const meta = (p.metadata ?? {}) as Record<string, unknown>;
        return `<p><a href="${escape(p.url)}">${escape(meta.title ?? p.url)}</a></p>`;
      }),
      card('hr', () => '<hr>'),
    ],
    atoms: [],
    unknownCardHandler: ({ name }: { name: string }) => {
      throw new NewsdeskError('IMPORT_FAILED', `a mobiledoc "${name}" card has no conversion`, { hint: 'Open the post in Ghost and save it again so the export carries its HTML.' });
    },
  });
  return renderer.render(JSON.parse(mobiledoc));
}

function ghostMember(record: Record<string, string>, origin: string): MigratedSubscriber {
  const base = { origin, email: record.email ?? '', name: record.name || undefined };
  if (record.email_disabled?.toLowerCase() === 'true') return { ...base, state: 'bounced', platformState: 'email_disabled=true' };
  if (record.subscribed_to_emails?.toLowerCase() === 'false') return { ...base, state: 'unsubscribed', platformState: 'subscribed_to_emails=false' };
  return { ...base, state: 'active', platformState: 'subscribed_to_emails=true' };
}
