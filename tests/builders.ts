// Test data builders: read-model values (content/model.ts types, as the queries return
// them after parsing) with sensible defaults, so a test states only what it is about:
//   anIssue({ sections: [aSection({ body: [aParagraph('See ', aLink('this', 'https://x.example/'), '.')] })] })
// Every call builds fresh objects; keys are derived from content and position, never
// from shared counters, so the same call always builds the same value.
import type {
  EditorialNote,
  ImageBlock,
  Issue,
  LinkCard,
  LinkTarget,
  MarkDef,
  NoteBlock,
  Section,
  Settings,
  Span,
  TextBlock,
} from '../content/model.ts';
import type { RenderContext } from '../core/render.ts';

/** A piece of inline content: plain text, a span (see strong/em/code), a link or an inline note. */
export type Inline = string | Span | InlineLink | EditorialNote;

/** A run of linked text; becomes a span plus a markDef in the block that holds it. */
export interface InlineLink {
  kind: 'link';
  text: string;
  /** An external link's URL (externalLink), or … */
  href?: string;
  /** … a link document (linkReference); `null` for a reference to a missing document. */
  target?: LinkTarget | null;
  decorators?: string[];
}

export function someSettings(overrides: Partial<Settings> = {}): Settings {
  return {
    title: 'Ecosystem Tracker',
    description: 'A fortnightly round-up of what moved in the ecosystem.',
    siteUrl: 'https://news.example.org',
    senderName: 'Ecosystem Tracker',
    senderEmail: 'issues@news.example.org',
    replyTo: 'editor@news.example.org',
    postalAddress: 'Ecosystem Tracker\n12 Harbour Lane\nPortsmouth PO1 2AB\nUnited Kingdom',
    accentColor: '#1d6b5f',
    logoUrl: undefined,
    logoPath: undefined,
    language: 'en',
    defaultSectionHeadings: [],
    ...overrides,
  };
}

export function aRenderContext(overrides: Partial<RenderContext> = {}): RenderContext {
  return { baseUrl: 'https://news.example.org', settings: someSettings(), ...overrides };
}

export function anIssue(overrides: Partial<Issue> = {}): Issue {
  return {
    id: `issue-${overrides.number ?? 7}`,
    isDraft: false,
    number: 7,
    title: 'Kernels, proxies and a quiet release',
    slug: 'kernels-proxies-and-a-quiet-release',
    date: '2026-03-14',
    summary: 'Two kernels ship, proxies get simpler and a release nobody noticed fixes a lot.',
    byline: 'By Dana Okafor',
    intro: [aParagraph('Welcome back. A shorter issue this time, but a busy fortnight.')],
    sections: [aSection()],
    signOff: [aParagraph('Until next time.')],
    tags: [],
    updatedAt: '2026-03-14T09:00:00Z',
    ...overrides,
  };
}

export function aSection(overrides: Partial<Section> = {}): Section {
  const heading = overrides.heading ?? 'News';
  return {
    key: `section-${hash(heading)}`,
    heading,
    topic: undefined,
    body: [aParagraph('Nothing much happened, which is news in itself.')],
    ...overrides,
  };
}

export const strong = (text: string): Span => ({ _type: 'span', _key: undefined, text, marks: ['strong'] });
export const em = (text: string): Span => ({ _type: 'span', _key: undefined, text, marks: ['em'] });
export const code = (text: string): Span => ({ _type: 'span', _key: undefined, text, marks: ['code'] });

/** Linked text: `aLink('the docs', 'https://…')` for an external link. */
export function aLink(text: string, href: string, decorators: string[] = []): InlineLink {
  return { kind: 'link', text, href, decorators };
}

/** Text linked to a link document (a linkReference annotation, already followed). */
export function aLinkTo(text: string, target: LinkTarget | null = aLinkTarget()): InlineLink {
  return { kind: 'link', text, target };
}

export function aLinkTarget(overrides: Partial<LinkTarget> = {}): LinkTarget {
  return {
    id: 'link-kernel-release',
    url: 'https://kernels.example.com/blog/release-4',
    title: 'Release 4 of the kernel project',
    siteName: 'Kernels Blog',
    description: 'What changed in the fourth release, and how to upgrade.',
    ...overrides,
  };
}

/** A text block; `aParagraph('See ', aLink('this', url), ' and ', aNote('an aside'), '.')`. */
export function aParagraph(...parts: Inline[]): TextBlock {
  return aBlock({}, ...parts);
}

export function aHeading(text: string): TextBlock {
  return aBlock({ style: 'h3' }, text);
}

export function aQuote(...parts: Inline[]): TextBlock {
  return aBlock({ style: 'blockquote' }, ...parts);
}

export function aListItem(kind: 'bullet' | 'number', ...parts: Inline[]): TextBlock {
  return aBlock({ listItem: kind, level: 1 }, ...parts);
}

/** A text block with explicit style/list fields, built from inline parts. */
export function aBlock(fields: Partial<Pick<TextBlock, 'style' | 'listItem' | 'level' | '_key'>>, ...parts: Inline[]): TextBlock {
  const { children, markDefs } = buildInline(parts);
  return {
    _type: 'block',
    _key: fields._key ?? `b-${hash(JSON.stringify([fields, children]))}`,
    style: fields.style ?? 'normal',
    listItem: fields.listItem,
    level: fields.level,
    children,
    markDefs,
  };
}

/**
 * An editorial note, usable inline (inside aParagraph) or as a block. Pass text or
 * inline parts for one paragraph, or `{ paragraphs: [[…], […]] }` for several.
 */
export function aNote(...parts: (Exclude<Inline, EditorialNote> | { paragraphs: Exclude<Inline, EditorialNote>[][]; signature?: string })[]): EditorialNote {
  const first = parts[0];
  const options = typeof first === 'object' && first !== null && 'paragraphs' in first ? first : undefined;
  const paragraphs = options?.paragraphs ?? [parts as Exclude<Inline, EditorialNote>[]];
  const body: NoteBlock[] = paragraphs.map((p, i) => {
    const { children, markDefs } = buildInline(p);
    return { _type: 'block', _key: `nb${i}`, style: 'normal', children: children as Span[], markDefs };
  });
  return { _type: 'editorialNote', _key: `n-${hash(JSON.stringify(body))}`, body, signature: options?.signature ?? 'Ed.' };
}

export function aLinkCard(overrides: Partial<LinkCard> = {}): LinkCard {
  const link = overrides.link === undefined ? aLinkTarget() : overrides.link;
  return { _type: 'linkCard', _key: `c-${hash(JSON.stringify(link))}`, link, comment: undefined, ...overrides };
}

export function anImage(overrides: Partial<ImageBlock> = {}): ImageBlock {
  return {
    _type: 'image',
    _key: `i-${hash(JSON.stringify(overrides))}`,
    url: 'https://cdn.example.org/images/diagram-1200x600.png',
    assetPath: undefined,
    alt: 'A diagram of the proxy chain',
    link: undefined,
    caption: undefined,
    width: 1200,
    height: 600,
    ...overrides,
  };
}

/**
 * An issue the size of a real one (see DESIGN.md "The shape of a real issue"): 12
 * sections, 80 links, 19 editorial notes, bold names, two lists.
 */
export function aRealSizeIssue(overrides: Partial<Issue> = {}): Issue {
  const headings = [
    'News',
    'Package Updates',
    'Things You Can Do',
    'Deployment',
    'Notebooks Everywhere',
    'Shipping Runnable Environments',
    'Better By Default?',
    'Proxies',
    'Development Environments',
    'Also On the Desktop',
    'Widget Architectures',
    'Around the Library Ecosystem',
  ];
  let links = 0;
  let notes = 0;
  // Past eighty, linked text stays plain so the count is exact.
  const link = (text: string): string | InlineLink => {
    if (links >= 80) return text;
    links++;
    return aLink(text, `https://project${links}.example.com/posts/2026/03/a-fairly-typical-article-path-${links}`);
  };
  const sentence = (n: number) =>
    `The maintainers of this part of the ecosystem spent the fortnight on work that is easy to overlook but matters (${n}), and they wrote about it at length.`;
  const sections = headings.map((heading, s) => {
    const blocks: Section['body'] = [];
    for (let p = 0; p < 3; p++) {
      const parts: Inline[] = [strong(`Project ${s}-${p}`), ` ${sentence(p)} Read `];
      for (let l = 0; l < (p === 0 ? 2 : 1); l++) parts.push(link(`the write-up ${l + 1}`), l === 0 && p === 0 ? ' and ' : '. ');
      if (notes < 19 && (s + p) % 2 === 0) {
        notes++;
        parts.push(aNote('This one surprised me; see ', link('the thread'), ' for the back-story.'));
      }
      parts.push(' ', em('"quoted phrase"'), ' to end the paragraph.');
      blocks.push(aBlock({ _key: `s${s}p${p}` }, ...parts));
    }
    if (s === 2 || s === 8) {
      for (let i = 0; i < 4; i++) blocks.push(aBlock({ _key: `s${s}li${i}`, listItem: 'bullet', level: 1 }, `A thing you can do, number ${i + 1}, with `, link('a guide')));
    }
    if (notes < 19 && s % 3 === 1) {
      notes++;
      blocks.push(aNote('A whole paragraph from the editor, with an opinion and ', link('a source'), '.'));
    }
    return aSection({ heading, key: `sec${s}`, body: blocks });
  });
  while (links < 80) sections[links % 12]!.body.push(aBlock({ _key: `extra${links}` }, 'One more: ', link('an extra link'), '.'));
  while (notes < 19) {
    notes++;
    sections[notes % 12]!.body.push(aNote(`A late aside number ${notes}.`));
  }
  return anIssue({
    number: 42,
    title: 'A real-size issue: twelve sections, eighty links',
    slug: 'a-real-size-issue',
    intro: [
      aParagraph('Welcome to another issue. ', em('If you find this useful, tell a friend about it.')),
      aParagraph('This fortnight was busy; here is what moved.'),
    ],
    sections,
    ...overrides,
  });
}

function buildInline(parts: Inline[]): { children: TextBlock['children']; markDefs: MarkDef[] } {
  const children: TextBlock['children'] = [];
  const markDefs: MarkDef[] = [];
  parts.forEach((part, i) => {
    if (typeof part === 'string') {
      children.push({ _type: 'span', _key: `s${i}`, text: part, marks: [] });
    } else if ('kind' in part) {
      const _key = `m${markDefs.length}`;
      markDefs.push(
        part.href !== undefined ? { _type: 'externalLink', _key, href: part.href } : { _type: 'linkReference', _key, link: part.target ?? null },
      );
      children.push({ _type: 'span', _key: `s${i}`, text: part.text, marks: [...(part.decorators ?? []), _key] });
    } else if (part._type === 'span') {
      children.push({ ...part, _key: `s${i}` });
    } else {
      children.push(part);
    }
  });
  return { children, markDefs };
}

/** A short stable hash (FNV-1a) for keys derived from content. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}
