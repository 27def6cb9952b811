// The read models: what every stage after "load" may assume about content. GROQ results
// (from either backend) are parsed here with zod; a document that does not fit is
// reported by id and field path, and nothing downstream sees unvalidated data.
//
// Stored shapes (Sanity documents) are described by the schema types in schemas/;
// these models describe the *projected* shapes the queries in queries.ts return
// (references already followed, image assets resolved to URLs).
import { z } from 'zod';
import { NewsdeskError, formatZodIssues } from '../core/errors.ts';
import { deriveIssueSlug } from './rules.ts';

/**
 * `schema`, with null or a missing value read as what `fallback` makes (a new value each
 * time: arrays are not shared). An overwrite, not a transform: zod runs a transform as a
 * second schema piped after the first, a pipe for every optional field of every span and
 * block, which made parsing an issue a third slower.
 */
const orElse = <T extends z.ZodType>(schema: T, fallback: () => NonNullable<z.output<T>>) =>
  schema
    .nullable()
    .overwrite((v) => (v ?? fallback()) as never)
    .default(fallback as never) as unknown as z.ZodType<NonNullable<z.output<T>>, z.input<T> | null | undefined>;

/** GROQ answers null for a missing field; downstream code wants undefined (an overwrite too: see orElse). */
const opt = <T extends z.ZodType>(schema: T) =>
  schema.nullish().overwrite((v) => (v ?? undefined) as never) as unknown as z.ZodType<z.output<T> | undefined, z.input<T> | null | undefined>;

const key = z.string().min(1);

// ── Portable Text ────────────────────────────────────────────────────────────

export const spanSchema = z.object({
  _type: z.literal('span'),
  _key: opt(z.string()),
  text: z.string(),
  marks: orElse(z.array(z.string()), () => []),
});

/** The target of a link annotation or link card once the reference is followed. */
export const linkTargetSchema = z.object({
  id: z.string(),
  url: z.string(),
  title: opt(z.string()),
  siteName: opt(z.string()),
  description: opt(z.string()),
});

export const markDefSchema = z.discriminatedUnion('_type', [
  z.object({ _type: z.literal('externalLink'), _key: key, href: z.string() }),
  /** `link` is null when the referenced link document is missing (deleted, or a draft only). */
  z.object({ _type: z.literal('linkReference'), _key: key, link: linkTargetSchema.nullable() }),
]);

/** A paragraph inside an editorial note: text, emphasis and links only. */
export const noteBlockSchema = z.object({
  _type: z.literal('block'),
  _key: opt(z.string()),
  style: opt(z.literal('normal')),
  children: z.array(spanSchema).min(1, 'an editorial note paragraph needs text'),
  markDefs: orElse(z.array(markDefSchema), () => []),
});

export const editorialNoteSchema = z.object({
  _type: z.literal('editorialNote'),
  _key: key,
  body: z.array(noteBlockSchema).min(1, 'an editorial note needs some text'),
  signature: orElse(z.string(), () => 'Ed.'),
});

export const textBlockSchema = z.object({
  _type: z.literal('block'),
  _key: key,
  style: orElse(z.enum(['normal', 'h3', 'h4', 'blockquote']), () => 'normal' as const),
  listItem: opt(z.enum(['bullet', 'number'])),
  level: opt(z.number().int().min(1)),
  children: z.array(z.discriminatedUnion('_type', [spanSchema, editorialNoteSchema])),
  markDefs: orElse(z.array(markDefSchema), () => []),
});

export const linkCardSchema = z.object({
  _type: z.literal('linkCard'),
  _key: key,
  link: linkTargetSchema.nullable(),
  comment: opt(z.string()),
});

export const imageSchema = z.object({
  _type: z.literal('image'),
  _key: key,
  url: opt(z.string()),
  /** The uploaded file's stored path, when the image is an asset of this dataset. */
  assetPath: opt(z.string()),
  /** Empty when an import found none: the Studio asks for it, renderers mark the image decorative. */
  alt: opt(z.string()).transform((a) => a?.trim() ?? ''),
  /** Where a click on the image goes, when the image is a link. */
  link: opt(z.string()),
  caption: opt(z.string()),
  width: opt(z.number()),
  height: opt(z.number()),
});

export const portableBlockSchema = z.discriminatedUnion('_type', [
  textBlockSchema,
  editorialNoteSchema,
  linkCardSchema,
  imageSchema,
]);

export const portableTextSchema = orElse(z.array(portableBlockSchema), () => []);

export type Span = z.infer<typeof spanSchema>;
export type MarkDef = z.infer<typeof markDefSchema>;
export type LinkTarget = z.infer<typeof linkTargetSchema>;
export type NoteBlock = z.infer<typeof noteBlockSchema>;
export type EditorialNote = z.infer<typeof editorialNoteSchema>;
export type TextBlock = z.infer<typeof textBlockSchema>;
export type LinkCard = z.infer<typeof linkCardSchema>;
export type ImageBlock = z.infer<typeof imageSchema>;
export type PortableBlock = z.infer<typeof portableBlockSchema>;

/** A quote block marked with its depth (2 for a quote inside a quote), for renderers. */
export type QuoteDepthBlock = TextBlock & { quoteDepth?: number };

/**
 * Marks each quote outside a list with its depth (its `level`), before rendering: the
 * Portable Text renderers pass a list item's block on without `listItem`, so a
 * renderer could not tell a quote's depth from a quoted list item's nesting.
 */
export function markQuoteDepth(blocks: PortableBlock[]): PortableBlock[] {
  return blocks.map((b) => (b._type === 'block' && b.style === 'blockquote' && !b.listItem && (b.level ?? 1) > 1 ? ({ ...b, quoteDepth: b.level } as QuoteDepthBlock) : b));
}

// ── Documents ────────────────────────────────────────────────────────────────

export const tagRefSchema = z.object({ title: z.string().min(1), slug: z.string().min(1) });
export type TagRef = z.infer<typeof tagRefSchema>;

export const sectionSchema = z.object({
  key: key,
  heading: z.string().trim().min(1, 'a section needs a heading'),
  topic: opt(tagRefSchema),
  body: portableTextSchema,
});
export type Section = z.infer<typeof sectionSchema>;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-03-14');

export const issueSchema = z.object({
  id: z.string(),
  /** True when this is a draft (or a draft overlaying a published issue). */
  isDraft: opt(z.boolean()).transform((d) => d ?? false),
  number: z.number().int().positive('the issue number must be a positive whole number'),
  title: z.string().trim().min(1, 'an issue needs a title'),
  slug: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case words joined by hyphens'),
  date: isoDate,
  summary: opt(z.string()),
  byline: opt(z.string()),
  intro: portableTextSchema,
  // A default section the editor left empty is not sent as a bare heading (the Studio warns about it).
  sections: opt(z.array(sectionSchema)).transform((s) => (s ?? []).filter((section) => section.body.length > 0)),
  signOff: portableTextSchema,
  tags: opt(z.array(tagRefSchema.nullable())).transform((t) => (t ?? []).filter((x): x is TagRef => x !== null)),
  updatedAt: opt(z.string()),
});
export type Issue = z.infer<typeof issueSchema>;

export const settingsSchema = z.object({
  title: z.string().trim().min(1, 'the newsletter needs a title'),
  description: opt(z.string()),
  siteUrl: z.string().url('must be an absolute URL such as https://news.example.org'),
  senderName: z.string().trim().min(1),
  senderEmail: z.string().email(),
  replyTo: opt(z.string().email()),
  postalAddress: z.string().trim().min(1, 'bulk-mail rules require a postal address in the footer'),
  accentColor: opt(z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a hex colour like #1d6b5f')).transform(
    (c) => c ?? '#1d6b5f',
  ),
  logoUrl: opt(z.string()),
  logoPath: opt(z.string()),
  language: opt(z.string()).transform((l) => l ?? 'en'),
  defaultSectionHeadings: opt(z.array(z.string())).transform((h) => h ?? []),
});
export type Settings = z.infer<typeof settingsSchema>;

export const linkStatusSchema = z.enum(['inbox', 'shortlisted', 'discarded']);
export type LinkStatus = z.infer<typeof linkStatusSchema>;

export const linkSchema = z.object({
  id: z.string(),
  url: z.string().url(),
  normalizedUrl: z.string(),
  title: opt(z.string()),
  description: opt(z.string()),
  siteName: opt(z.string()),
  capturedAt: z.string(),
  foundAt: opt(z.string()),
  tags: opt(z.array(tagRefSchema.nullable())).transform((t) => (t ?? []).filter((x): x is TagRef => x !== null)),
  status: linkStatusSchema,
  note: opt(z.string()),
  needsEnrichment: opt(z.boolean()).transform((n) => n ?? false),
  /** Published issues that reference this link, derived with references(). */
  usedIn: opt(z.array(z.object({ number: z.number(), title: z.string() }))).transform((u) => u ?? []),
});
export type Link = z.infer<typeof linkSchema>;

export const tagSchema = z.object({
  id: z.string(),
  title: z.string().min(1),
  slug: z.string().min(1),
  description: opt(z.string()),
});
export type Tag = z.infer<typeof tagSchema>;

// ── Parsing at the boundary ──────────────────────────────────────────────────

export interface ContentProblem {
  /** Document id, e.g. "issue-12" or "drafts.issue-13". */
  id: string;
  /** What the document is, for messages: "issue 12", "link", "settings". */
  label: string;
  /** Field path inside the projected document, e.g. "sections[2].body[0].children[1].text". */
  path: string;
  message: string;
}

export function describeProblem(p: ContentProblem): string {
  return `${p.label} (${p.id}): ${p.path}: ${p.message}`;
}

/**
 * Parses every document, collecting every problem rather than stopping at the first,
 * so `newsdesk check` can report them all at once.
 */
export function parseDocuments<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  kind: string,
): { documents: z.infer<S>[]; problems: ContentProblem[] } {
  const list = Array.isArray(raw) ? raw : [];
  const documents: z.infer<S>[] = [];
  const problems: ContentProblem[] = [];
  for (const doc of list) {
    const result = schema.safeParse(kind === 'issue' ? withDerivedSlug(doc) : doc);
    if (result.success) {
      documents.push(result.data);
      continue;
    }
    const id = describeId(doc);
    const label = kind === 'issue' && isRecord(doc) && typeof doc.number === 'number' ? `issue ${doc.number}` : kind;
    for (const line of formatZodIssues(result.error.issues)) {
      const at = line.indexOf(': ');
      problems.push({ id, label, path: line.slice(0, at), message: line.slice(at + 2) });
    }
  }
  return { documents, problems };
}

/** Parses documents and throws one error naming every problem when any is found. */
export function parseOrThrow<S extends z.ZodType>(schema: S, raw: unknown, kind: string): z.infer<S>[] {
  const { documents, problems } = parseDocuments(schema, raw, kind);
  if (problems.length > 0) throw contentError(problems);
  return documents;
}

export function contentError(problems: ContentProblem[]): NewsdeskError {
  return new NewsdeskError(
    'CONTENT_INVALID',
    `Content does not match the content model (${problems.length} problem(s)):\n  - ${problems.map(describeProblem).join('\n  - ')}`,
    { hint: 'Fix the fields named above in the Studio or the dataset file, then run `newsdesk check`.' },
  );
}

/**
 * An issue without a slug gets the one "Generate" would make from its title, so a draft
 * previews, checks and builds before the editor sets one (the lake stores it on publish).
 */
export function withDerivedSlug(doc: unknown): unknown {
  if (!isRecord(doc) || (doc.slug !== undefined && doc.slug !== null && doc.slug !== '')) return doc;
  const slug = deriveIssueSlug(doc.title);
  return slug === undefined ? doc : { ...doc, slug };
}

function describeId(doc: unknown): string {
  if (isRecord(doc)) {
    if (typeof doc.id === 'string') return doc.id;
    if (typeof doc._id === 'string') return doc._id;
  }
  return '(no id)';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
