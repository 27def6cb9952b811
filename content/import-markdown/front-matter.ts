// The metadata at the top of a back-issue, in whichever form its site generator wrote
// it: YAML front matter (Jekyll, Hugo, Eleventy) between `---` lines, TOML (Hugo)
// between `+++` lines, or Pelican/MultiMarkdown `Key: value` lines before the first
// blank line. Read once here for the converter and the fidelity check alike.
import { parse as parseToml } from 'smol-toml';
import { parseDocument } from 'yaml';
import { importError } from './errors.ts';

export interface IssueMetadata {
  title?: string;
  /** As written; parsed by the caller so an unreadable date names its line. */
  date?: string;
  number?: string;
  author?: string;
  summary?: string;
  slug?: string;
  tags: string[];
  /** `draft: true` (Hugo, Jekyll) or `Status: draft` (Pelican). */
  draft: boolean;
  /** Source line of each field that was read, for messages. */
  lines: Partial<Record<'title' | 'date' | 'number' | 'author' | 'summary' | 'slug' | 'tags', number>>;
  /** Keys present but not imported, with their lines. */
  ignored: Array<{ key: string; line: number }>;
}

export interface SplitSource {
  format: 'yaml' | 'toml' | 'pelican' | 'none';
  metadata: IssueMetadata;
  /** The Markdown after the metadata, line endings normalised to \n. */
  body: string;
  /** Source line (1-based) of the body's first line. */
  bodyLine: number;
}

const aliases: Record<string, keyof Omit<IssueMetadata, 'lines' | 'ignored' | 'draft'>> = {
  title: 'title',
  date: 'date',
  pubdate: 'date',
  publishdate: 'date',
  published_at: 'date',
  publish_date: 'date',
  number: 'number',
  issue: 'number',
  issue_number: 'number',
  issue_no: 'number',
  issuenumber: 'number',
  edition: 'number',
  author: 'author',
  authors: 'author',
  byline: 'author',
  summary: 'summary',
  description: 'summary',
  excerpt: 'summary',
  subtitle: 'summary',
  slug: 'slug',
  tags: 'tags',
  keywords: 'tags',
  categories: 'tags',
  category: 'tags',
};

/** Keys that only steer a site generator's page layout: dropping them loses nothing of the issue. */
const presentational = new Set(['layout', 'permalink', 'template', 'url', 'save_as', 'weight', 'toc', 'comments', 'aliases', 'type', 'lastmod', 'modified', 'updated', 'image', 'cover', 'featured_image', 'thumbnail', 'sitemap', 'menu', 'id', 'lang']);

export function splitMetadata(source: string, file: string): SplitSource {
  const lines = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  const fence = lines[0]?.trim();
  if (fence === '---' || fence === '+++') {
    const end = lines.findIndex((l, i) => i > 0 && (l.trim() === fence || (fence === '---' && l.trim() === '...')));
    if (end === -1) throw importError(file, 1, `the front matter opened with ${fence} is never closed`, `End it with a line holding only ${fence}.`);
    const block = lines.slice(1, end);
    const raw = fence === '---' ? readYaml(block.join('\n'), file) : readToml(block.join('\n'), file);
    return { format: fence === '---' ? 'yaml' : 'toml', metadata: toMetadata(raw, block, 2, file), body: lines.slice(end + 1).join('\n'), bodyLine: end + 2 };
  }
  const pelican = readPelicanHeader(lines);
  if (pelican) return { format: 'pelican', metadata: toMetadata(pelican.fields, lines.slice(0, pelican.end), 1, file), body: lines.slice(pelican.end).join('\n'), bodyLine: pelican.end + 1 };
  return { format: 'none', metadata: emptyMetadata(), body: lines.join('\n'), bodyLine: 1 };
}

function emptyMetadata(): IssueMetadata {
  return { tags: [], draft: false, lines: {}, ignored: [] };
}

function readYaml(text: string, file: string): Record<string, unknown> {
  const doc = parseDocument(text);
  const problem = doc.errors[0];
  if (problem) {
    const line = (problem.linePos?.[0]?.line ?? 0) + 1;
    throw importError(file, line, `the YAML front matter is not valid (${problem.message.split('\n')[0]})`, 'Fix the YAML between the --- lines, or quote a value that holds a colon.');
  }
  const value: unknown = doc.toJS();
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function readToml(text: string, file: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const line = (error as { line?: number }).line;
    throw importError(file, line === undefined ? 1 : line + 1, `the TOML front matter is not valid (${(error as Error).message.split('\n')[0]})`, 'Fix the TOML between the +++ lines.');
  }
}

/**
 * Pelican and MultiMarkdown headers: `Key: value` lines up to the first blank line, at
 * least one of them a key an issue uses (so a paragraph starting "Note: …" stays text).
 */
function readPelicanHeader(lines: string[]): { fields: Record<string, unknown>; end: number } | undefined {
  const fields: Record<string, unknown> = {};
  let i = 0;
  for (; i < lines.length && lines[i]!.trim() !== ''; i++) {
    const m = /^([A-Za-z][\w-]*)\s*:\s*(.*)$/.exec(lines[i]!);
    if (!m) return undefined;
    fields[m[1]!] = m[2]!.trim();
  }
  if (i === 0 || !Object.keys(fields).some((k) => aliases[k.toLowerCase()] !== undefined)) return undefined;
  // Pelican lists tags comma-separated.
  for (const key of Object.keys(fields)) if (/^(tags|keywords)$/i.test(key)) fields[key] = String(fields[key]).split(',').map((t) => t.trim()).filter(Boolean);
  return { fields, end: i + (lines[i] === '' ? 1 : 0) };
}

function toMetadata(raw: Record<string, unknown>, block: string[], firstLine: number, file: string): IssueMetadata {
  const meta = emptyMetadata();
  const lineOf = (key: string) => {
    const i = block.findIndex((l) => new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*[:=]`, 'i').test(l));
    return i === -1 ? firstLine : i + firstLine;
  };
  for (const [key, value] of Object.entries(raw)) {
    const lower = key.toLowerCase();
    if (lower === 'draft' || (lower === 'status' && typeof value === 'string')) {
      meta.draft = lower === 'draft' ? value === true || value === 'true' : String(value).toLowerCase() === 'draft';
      continue;
    }
    const field = aliases[lower];
    if (field === undefined) {
      if (!presentational.has(lower)) meta.ignored.push({ key, line: lineOf(key) });
      continue;
    }
    if (value === null || value === undefined || value === '') continue;
    const line = lineOf(key);
    if (field === 'tags') {
      const list = Array.isArray(value) ? value : [value];
      meta.tags.push(...list.map((t) => scalarText(t, key, line, file).trim()).filter(Boolean));
      meta.lines.tags ??= line;
      continue;
    }
    if (meta[field] !== undefined) continue; // the first spelling wins (date over pubDate)
    const text = Array.isArray(value) && field === 'author' ? value.map((v) => scalarText(v, key, line, file)).join(', ') : scalarText(value, key, line, file);
    meta[field] = text.trim();
    meta.lines[field] = line;
  }
  meta.tags = [...new Set(meta.tags)];
  return meta;
}

function scalarText(value: unknown, key: string, line: number, file: string): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  // smol-toml's dates keep the offset they were written with; the day as written is the day meant.
  if (typeof value === 'object' && value !== null && 'toISOString' in value) return String(value).slice(0, 10);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && value !== null && 'name' in value) return String((value as { name: unknown }).name);
  throw importError(file, line, `the metadata field "${key}" holds a list or table where one value was expected`, `Write "${key}" as a single value.`);
}
