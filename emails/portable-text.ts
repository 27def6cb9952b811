// What the HTML and plain-text renderers of an issue share about Portable Text: which
// link URLs may be shown, how CMS text is cleaned before it is written anywhere, and the
// single pass that reports every link, card or image a renderer has to leave out, so
// both parts of an email warn about exactly the same things.
import type { ImageBlock, Issue, LinkCard, LinkTarget, MarkDef, NoteBlock, PortableBlock } from '../content/model.ts';
import { isHttpUrl, isSafeLinkUrl } from '../content/rules.ts';
import type { RenderWarning } from '../core/render.ts';

/** Where a Portable Text array sits in an issue, as a field path: "intro", "sections[3].body", "signOff". */
export interface PortableTextField {
  path: string;
  blocks: PortableBlock[];
}

export function portableTextFields(issue: Issue): PortableTextField[] {
  return [
    { path: 'intro', blocks: issue.intro },
    ...issue.sections.map((section, i) => ({ path: `sections[${i}].body`, blocks: section.body })),
    { path: 'signOff', blocks: issue.signOff },
  ];
}

/** A link a renderer may show: the URL to point at and, for link documents, their title. */
export interface ResolvedLink {
  href: string;
  title?: string | undefined;
}

/** The URL behind a link annotation, or undefined when it must be dropped (text kept). */
export function resolveLinkMark(markDef: MarkDef | undefined): ResolvedLink | undefined {
  if (markDef === undefined) return undefined;
  if (markDef._type === 'externalLink') {
    const href = markDef.href.trim();
    return isSafeLinkUrl(href) ? { href } : undefined;
  }
  if (markDef.link === null) return undefined;
  const href = markDef.link.url.trim();
  return isSafeLinkUrl(href) ? { href, title: markDef.link.title } : undefined;
}

/** The link of a card, or undefined when the card cannot point anywhere. */
export function resolveCardLink(card: LinkCard): ResolvedLink | undefined {
  if (card.link === null) return undefined;
  const href = card.link.url.trim();
  return isSafeLinkUrl(href) ? { href, title: card.link.title } : undefined;
}

/** What a card is called when its link document has no title: the site, else the host. */
export function cardTitle(target: LinkTarget): string {
  if (target.title?.trim()) return target.title;
  if (target.siteName?.trim()) return target.siteName;
  try {
    return new URL(target.url).host || target.url;
  } catch {
    return target.url;
  }
}

/** An image is shown only with an http(s) source; data: and javascript: never reach a mailbox. */
export function imageSource(image: ImageBlock): string | undefined {
  return image.url !== undefined && isHttpUrl(image.url) ? image.url : undefined;
}

// C0 controls (except tab and newline, which Portable Text uses for hard breaks), DEL,
// C1 controls and the bidi overrides that can make text read differently than it is.
const unwantedCharacters = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Removes characters that have no business in an email (control and bidi-override characters). */
export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(unwantedCharacters, '');
}

/**
 * Content that happens to contain a delivery placeholder ("{{newsdesk:…}}") must not be
 * filled with a recipient's data; the plain-text part breaks the marker apart.
 */
export function defuseMarkers(text: string): string {
  return text.replaceAll('{{newsdesk:', '{{ newsdesk:');
}

/** Escapes CMS text for HTML text and attribute values; "{" is escaped so no placeholder can be forged. */
export function escapeCmsHtml(text: string): string {
  return cleanText(text).replace(/[&<>"'{]/g, (c) => htmlEntities[c]!);
}

const htmlEntities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '{': '&#123;',
};

/** Short label of an issue for warnings and errors: "issue 12". */
export function issueLabel(issue: Pick<Issue, 'number'>): string {
  return `issue ${issue.number}`;
}

/**
 * Everything the renderers will leave out of an issue, with the field path of each.
 * Computed once from the content, not while rendering, so the HTML and text parts
 * (and repeated renders) report the same list in the same order.
 */
export function collectRenderWarnings(issue: Issue): RenderWarning[] {
  const where = issueLabel(issue);
  const warnings: RenderWarning[] = [];
  const warn = (field: string, message: string) => warnings.push({ where, field, message });

  const checkMarkDefs = (path: string, markDefs: MarkDef[]) => {
    markDefs.forEach((def, j) => {
      const at = `${path}.markDefs[${j}]`;
      if (def._type === 'externalLink') {
        if (!isSafeLinkUrl(def.href.trim())) {
          warn(`${at}.href`, `link URL ${JSON.stringify(def.href)} is not http, https or mailto; the text is kept without a link`);
        }
      } else if (def.link === null) {
        warn(`${at}.reference`, 'refers to a link document that does not exist (deleted, or only a draft); the text is kept without a link');
      } else if (!isSafeLinkUrl(def.link.url.trim())) {
        warn(`${at}.link.url`, `linked document ${def.link.id} has URL ${JSON.stringify(def.link.url)}, which is not http, https or mailto; the text is kept without a link`);
      }
    });
  };
  const checkNoteBody = (path: string, body: NoteBlock[]) => {
    body.forEach((block, m) => checkMarkDefs(`${path}.body[${m}]`, block.markDefs));
  };

  for (const field of portableTextFields(issue)) {
    field.blocks.forEach((block, i) => {
      const at = `${field.path}[${i}]`;
      switch (block._type) {
        case 'block':
          checkMarkDefs(at, block.markDefs);
          block.children.forEach((child, k) => {
            if (child._type === 'editorialNote') checkNoteBody(`${at}.children[${k}]`, child.body);
          });
          break;
        case 'editorialNote':
          checkNoteBody(at, block.body);
          break;
        case 'linkCard':
          if (block.link === null) {
            warn(`${at}.link`, 'the link card refers to a link document that does not exist (deleted, or only a draft); the card is left out');
          } else if (!isSafeLinkUrl(block.link.url.trim())) {
            warn(`${at}.link.url`, `the link card's URL ${JSON.stringify(block.link.url)} is not http, https or mailto; the card is shown without a link`);
          }
          break;
        case 'image':
          if (imageSource(block) === undefined) {
            warn(`${at}.url`, block.url === undefined ? 'the image has no file; it is left out' : `the image URL ${JSON.stringify(block.url)} is not http or https; it is left out`);
          }
          break;
      }
    });
  }
  return warnings;
}

/**
 * The preheader: the issue's summary, else the start of the intro, else the title,
 * on one line and no longer than inbox clients show.
 */
export function issuePreheader(issue: Issue, maxLength = 140): string {
  const fromIntro = issue.intro
    .filter((b) => b._type === 'block')
    .map((b) => b.children.map((c) => (c._type === 'span' ? c.text : '')).join(''))
    .join(' ');
  const text = oneLine(issue.summary ?? '') || oneLine(fromIntro) || oneLine(issue.title);
  if ([...text].length <= maxLength) return text;
  const cut = [...text].slice(0, maxLength - 1).join('');
  const atWord = cut.replace(/\s+\S*$/, '');
  return `${atWord.length > maxLength / 2 ? atWord : cut}…`;
}

function oneLine(text: string): string {
  return cleanText(text).replace(/\s+/g, ' ').trim();
}

/**
 * An inline editorial note is a second voice, so it never touches the words around it:
 * "alone.[Guilty —Ed.]" reads as "alone. [Guilty —Ed.]" in every output. Adds plain
 * spans; the stored content is left as it is.
 */
export function spaceInlineNotes(blocks: PortableBlock[]): PortableBlock[] {
  return blocks.map((block) => {
    if (block._type !== 'block' || !block.children.some((c) => c._type === 'editorialNote')) return block;
    const children: typeof block.children = [];
    block.children.forEach((child, i) => {
      const before = block.children[i - 1];
      const after = block.children[i + 1];
      if (child._type === 'editorialNote' && before?._type === 'span' && /[^\s([{“‘"'—–-]$/.test(before.text)) {
        children.push(space(`${child._key}-before`));
      }
      children.push(child);
      if (child._type === 'editorialNote' && after?._type === 'span' && /^[^\s.,;:!?)\]}”’"'—–-]/.test(after.text)) {
        children.push(space(`${child._key}-after`));
      }
    });
    return { ...block, children };
  });
}

function space(key: string) {
  return { _type: 'span' as const, _key: key, text: ' ', marks: [] };
}
