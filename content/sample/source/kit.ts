// Small builders for writing the sample newsletter as readable source instead of raw
// Portable Text. Source files describe content (p(), b(), a(), note() …); compiling a
// document walks that description in order and hands out _keys from one counter per
// document, so the generated dataset is identical on every run.
import type { SanityDocument } from '../../store.ts';

// ── Inline content ───────────────────────────────────────────────────────────

type Decorator = 'strong' | 'em' | 'code' | 'strike-through';
type LinkTarget = { href: string } | { linkId: string };

interface Styled {
  kind: 'styled';
  decorator: Decorator;
  content: NoteInline[];
}
interface Anchor {
  kind: 'anchor';
  target: LinkTarget;
  content: NoteInline[];
}
interface Aside {
  kind: 'note';
  paragraphs: NoteInline[][];
  signature: string;
}

/** What may appear inside an editorial note: no nested notes. */
export type NoteInline = string | Styled | Anchor;
/** What may appear inside a paragraph: text, emphasis, links and inline editorial notes. */
export type Inline = NoteInline | Aside;

export const b = (...content: NoteInline[]): Styled => ({ kind: 'styled', decorator: 'strong', content });
export const i = (...content: NoteInline[]): Styled => ({ kind: 'styled', decorator: 'em', content });
export const code = (...content: NoteInline[]): Styled => ({ kind: 'styled', decorator: 'code', content });
export const strike = (...content: NoteInline[]): Styled => ({ kind: 'styled', decorator: 'strike-through', content });
/** An external link annotation. */
export const a = (href: string, ...content: NoteInline[]): Anchor => ({ kind: 'anchor', target: { href }, content });
/** A link annotation pointing at a `link` document. */
export const ref = (linkId: string, ...content: NoteInline[]): Anchor => ({ kind: 'anchor', target: { linkId }, content });
/** An italic quoted phrase, the way the newsletter quotes people: *“like this”*. */
export const q = (text: string): Styled => i(`“${text}”`);
/** A one-paragraph editorial note, inline wherever it is placed in a paragraph. */
export const note = (...content: NoteInline[]): Aside => ({ kind: 'note', paragraphs: [content], signature: 'Ed.' });

// ── Blocks ───────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>;
export type BlockSpec = (keys: Keyer) => Json;

interface TextOptions {
  style?: 'normal' | 'h3' | 'blockquote';
  listItem?: 'bullet' | 'number';
}

function textBlock(options: TextOptions, content: Inline[]): BlockSpec {
  return (keys) => {
    const key = keys.next();
    const markDefs: Json[] = [];
    const children: Json[] = [];
    for (const item of content) {
      if (typeof item !== 'string' && item.kind === 'note') children.push(compileNote(item, keys));
      else pushSpans(item, [], keys, markDefs, children);
    }
    return {
      _type: 'block',
      _key: key,
      style: options.style ?? 'normal',
      ...(options.listItem ? { listItem: options.listItem, level: 1 } : {}),
      markDefs,
      children,
    };
  };
}

export const p = (...content: Inline[]): BlockSpec => textBlock({}, content);
export const h3 = (...content: Inline[]): BlockSpec => textBlock({ style: 'h3' }, content);
export const quote = (...content: Inline[]): BlockSpec => textBlock({ style: 'blockquote' }, content);
export const bullet = (...content: Inline[]): BlockSpec => textBlock({ listItem: 'bullet' }, content);
export const numbered = (...content: Inline[]): BlockSpec => textBlock({ listItem: 'number' }, content);

/** An editorial note standing as a block of its own between paragraphs. */
export const noteBlock = (...paragraphs: NoteInline[][]): BlockSpec => (keys) =>
  compileNote({ kind: 'note', paragraphs, signature: 'Ed.' }, keys);

/** A card showing a `link` document's title, site and description. */
export const card = (linkId: string, comment?: string): BlockSpec => (keys) => ({
  _type: 'linkCard',
  _key: keys.next(),
  link: reference(linkId),
  ...(comment ? { comment } : {}),
});

function compileNote(note: Aside, keys: Keyer): Json {
  const key = keys.next();
  const body = note.paragraphs.map((paragraph) => {
    const blockKey = keys.next();
    const markDefs: Json[] = [];
    const children: Json[] = [];
    for (const item of paragraph) pushSpans(item, [], keys, markDefs, children);
    return { _type: 'block', _key: blockKey, style: 'normal', markDefs, children };
  });
  return { _type: 'editorialNote', _key: key, body, signature: note.signature };
}

function pushSpans(item: NoteInline, marks: string[], keys: Keyer, markDefs: Json[], out: Json[]): void {
  if (typeof item === 'string') {
    if (item !== '') out.push({ _type: 'span', _key: keys.next(), text: item, marks });
    return;
  }
  if (item.kind === 'styled') {
    for (const inner of item.content) pushSpans(inner, [...marks, item.decorator], keys, markDefs, out);
    return;
  }
  const markKey = keys.next();
  markDefs.push(
    'href' in item.target
      ? { _type: 'externalLink', _key: markKey, href: item.target.href }
      : { _type: 'linkReference', _key: markKey, reference: reference(item.target.linkId) },
  );
  for (const inner of item.content) pushSpans(inner, [...marks, markKey], keys, markDefs, out);
}

// ── Documents ────────────────────────────────────────────────────────────────

/** Hands out _keys in document order: "<prefix>k001", "<prefix>k002", … */
export class Keyer {
  #count = 0;
  constructor(readonly prefix: string) {}
  next(): string {
    this.#count += 1;
    return `${this.prefix}k${String(this.#count).padStart(3, '0')}`;
  }
}

/** Tag documents are named after their slug. */
export const tagId = (slug: string): string => `tag-${slug}`;

export function reference(id: string): { _type: 'reference'; _ref: string } {
  return { _type: 'reference', _ref: id };
}

/** An array of references, each with its own _key, as Sanity stores them. */
export function references(ids: string[], keys: Keyer): Json[] {
  return ids.map((id) => ({ _key: keys.next(), ...reference(id) }));
}

export interface SectionSpec {
  heading: string;
  /** Tag slug. */
  topic?: string;
  body: BlockSpec[];
}

export const section = (heading: string, topic: string | undefined, ...body: BlockSpec[]): SectionSpec => ({
  heading,
  ...(topic ? { topic } : {}),
  body,
});

export interface IssueSpec {
  /** Document id: "issue-4", or "drafts.issue-5" for a draft. */
  id: string;
  number: number;
  title: string;
  slug: string;
  date: string;
  summary: string;
  byline: string;
  intro: BlockSpec[];
  sections: SectionSpec[];
  signOff: BlockSpec[];
  /** Tag slugs. */
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export function compileIssue(spec: IssueSpec): SanityDocument {
  // A draft shares its published twin's key prefix, as an edited draft in the Studio
  // keeps the keys of everything it did not touch.
  const keys = new Keyer(spec.id.replace(/^drafts\./, '').replace(/^issue-/, 'i').replace(/[^a-z0-9]/gi, ''));
  const blocks = (list: BlockSpec[]) => list.map((build) => build(keys));
  return {
    _id: spec.id,
    _type: 'issue',
    _createdAt: spec.createdAt,
    _updatedAt: spec.updatedAt,
    number: spec.number,
    title: spec.title,
    slug: { _type: 'slug', current: spec.slug },
    date: spec.date,
    summary: spec.summary,
    byline: spec.byline,
    intro: blocks(spec.intro),
    sections: spec.sections.map((s) => ({
      _type: 'section',
      _key: keys.next(),
      heading: s.heading,
      ...(s.topic ? { topic: reference(tagId(s.topic)) } : {}),
      body: blocks(s.body),
    })),
    signOff: blocks(spec.signOff),
    tags: references(spec.tags.map(tagId), keys),
  };
}
