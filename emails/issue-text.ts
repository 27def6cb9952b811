// The plain-text part of an issue email, readable on its own: underlined headings,
// "  - " lists, "> " quotes, editorial notes as "[… —Ed.]", wrapped at 72 columns of
// display width (wrap-text.ts).
// Links become numbered references ("text [3]") listed under each section, because a
// real issue has several links per paragraph and inline URLs would bury the prose;
// the list keeps every URL whole on a line of its own, where mail clients make it
// clickable. Deterministic, so the Markdown importer's fidelity check can reuse it.
import {
  buildMarksTree,
  isPortableTextToolkitList,
  isPortableTextToolkitSpan,
  isPortableTextToolkitTextNode,
  nestLists,
  type ToolkitNestedPortableTextSpan,
  type ToolkitPortableTextHtmlList,
  type ToolkitPortableTextListItem,
} from '@portabletext/toolkit';
import type { PortableTextBlock, TypedObject } from '@portabletext/types';
import type { EditorialNote, ImageBlock, Issue, LinkCard, MarkDef, NoteBlock, PortableBlock, TextBlock } from '../content/model.ts';
import { isHttpUrl } from '../content/rules.ts';
import { absoluteUrl, formatIssueDate, issuePath, placeholders, type RenderContext, type RenderWarning } from '../core/render.ts';
import {
  cardTitle,
  cleanText,
  collectRenderWarnings,
  defuseMarkers,
  imageSource,
  resolveCardLink,
  resolveLinkMark,
  spaceInlineNotes,
} from './portable-text.ts';
import { displayWidth, glue, wrapText } from './wrap-text.ts';

export const textWidth = 72;

export interface TextOptions {
  /** Column to wrap at; words (URLs among them) longer than a line are never broken. */
  width?: number;
  /** Number of the first link reference, so numbering runs on across sections. */
  firstLinkNumber?: number;
}

/** A numbered link reference of the text part. */
export interface TextLink {
  number: number;
  url: string;
}

export function renderIssueText(issue: Issue, ctx: RenderContext, options: Pick<TextOptions, 'width'> = {}): { text: string; warnings: RenderWarning[] } {
  const width = options.width ?? textWidth;
  const { settings } = ctx;
  const out: string[] = [];
  let nextLink = 1;
  const addPortableText = (blocks: PortableBlock[]) => {
    if (blocks.length === 0) return;
    const part = renderPortableTextText(blocks, { width, firstLinkNumber: nextLink });
    nextLink += part.links.length;
    out.push(part.text);
  };

  out.push(wrapText(`View in browser: ${absoluteUrl(ctx, issuePath(issue))}`, { width }).join('\n'));
  out.push(
    wrapText(`${plain(settings.title)} · Issue #${issue.number} · ${formatIssueDate(issue.date, settings.language)}`, { width }).join('\n'),
  );
  out.push(underline(plain(issue.title), '=', width));
  if (issue.byline?.trim()) out.push(wrapText(plain(issue.byline), { width }).join('\n'));
  addPortableText(issue.intro);
  for (const section of issue.sections) {
    out.push(underline(plain(section.heading), '-', width));
    addPortableText(section.body);
  }
  addPortableText(issue.signOff);
  out.push(
    [
      '-- ',
      ...wrapText(`You are receiving this because you subscribed to ${plain(settings.title)} with ${placeholders.recipientEmail}.`, { width }),
      `Unsubscribe: ${placeholders.unsubscribeUrl}`,
    ].join('\n'),
  );
  out.push(
    cleanText(settings.postalAddress.trim())
      .split('\n')
      .flatMap((line) => wrapText(defuseMarkers(line.trim()), { width }))
      .join('\n'),
  );
  return { text: `${out.filter((p) => p !== '').join('\n\n')}\n`, warnings: collectRenderWarnings(issue) };
}

/**
 * One Portable Text array as plain text, followed by a "Links:" list of the URLs its
 * references point to (continuing from `firstLinkNumber`). The same URL twice in one
 * array keeps one number.
 */
export function renderPortableTextText(blocks: PortableBlock[], options: TextOptions = {}): { text: string; links: TextLink[] } {
  const width = options.width ?? textWidth;
  const links = new LinkNumbers(options.firstLinkNumber ?? 1);
  const paragraphs: string[] = [];
  for (const node of nestLists(spaceInlineNotes(blocks) as unknown as TypedObject[], 'html')) {
    const rendered = isPortableTextToolkitList(node)
      ? renderList(node as ToolkitPortableTextHtmlList, links, width)
      : renderBlock(node as unknown as PortableBlock, links, width);
    if (rendered !== '') paragraphs.push(rendered);
  }
  if (links.list.length > 0) {
    paragraphs.push(['Links:', ...links.list.map((l) => `[${l.number}] ${l.url}`)].join('\n'));
  }
  return { text: paragraphs.join('\n\n'), links: links.list };
}

class LinkNumbers {
  readonly list: TextLink[] = [];
  private readonly byUrl = new Map<string, number>();
  constructor(private next: number) {}

  numberFor(url: string): number {
    let n = this.byUrl.get(url);
    if (n === undefined) {
      n = this.next++;
      this.byUrl.set(url, n);
      this.list.push({ number: n, url });
    }
    return n;
  }
}

function renderBlock(block: PortableBlock, links: LinkNumbers, width: number): string {
  switch (block._type) {
    case 'block': {
      const text = renderInline(block, links);
      if (text.trim() === '') return '';
      if (block.style === 'h3') return wrapText(text, { width, first: '### ', rest: '    ' }).join('\n');
      if (block.style === 'h4') return wrapText(text, { width, first: '#### ', rest: '     ' }).join('\n');
      if (block.style === 'blockquote') {
        // On a list item `level` is the list's nesting, not a quote's.
        const marker = '> '.repeat(block.listItem ? 1 : Math.max(1, block.level ?? 1));
        return wrapText(text, { width, first: marker, rest: marker }).join('\n');
      }
      return wrapText(text, { width }).join('\n');
    }
    case 'editorialNote':
      return renderNoteParagraphs(block, links)
        .map((p) => wrapText(p, { width }).join('\n'))
        .join('\n\n');
    case 'linkCard':
      return renderLinkCard(block, width);
    case 'image':
      return renderImage(block, width);
  }
}

function renderList(list: ToolkitPortableTextHtmlList, links: LinkNumbers, width: number): string {
  const indent = '  '.repeat(Math.max(0, list.level - 1));
  const lines: string[] = [];
  list.children.forEach((item: ToolkitPortableTextListItem, i) => {
    const marker = list.listItem === 'number' ? `${i + 1}. ` : '- ';
    const first = `${indent}  ${marker}`;
    const nested = item.children.filter((c): c is ToolkitPortableTextHtmlList => isPortableTextToolkitList(c));
    const own = { ...item, children: item.children.filter((c) => !isPortableTextToolkitList(c)) } as unknown as TextBlock;
    const text = renderInline(own, links);
    if (text.trim() !== '') lines.push(...wrapText(text, { width, first, rest: ' '.repeat(first.length) }));
    for (const sub of nested) lines.push(renderList(sub, links, width));
  });
  return lines.join('\n');
}

/** The inline content of a text block, with glue so references and signatures never start a line. */
function renderInline(block: TextBlock | NoteBlock, links: LinkNumbers): string {
  return buildMarksTree(block as unknown as PortableTextBlock)
    .map((node) => renderInlineNode(node, links))
    .join('');
}

function renderInlineNode(node: TypedObject, links: LinkNumbers): string {
  if (isPortableTextToolkitTextNode(node)) return plain(node.text);
  if (isPortableTextToolkitSpan(node)) return renderSpan(node as ToolkitNestedPortableTextSpan, links);
  if (node._type === 'editorialNote') return renderNoteParagraphs(node as EditorialNote, links).join(' ');
  return '';
}

const decorators: Record<string, string> = { strong: '*', em: '_', code: '`', 'strike-through': '~' };

function renderSpan(span: ToolkitNestedPortableTextSpan, links: LinkNumbers): string {
  const inner = span.children.map((child) => renderInlineNode(child as TypedObject, links)).join('');
  const marker = decorators[span.markType];
  if (marker !== undefined) {
    // "*Foo* bar", not "*Foo *bar": whitespace stays outside the markers.
    const [, lead = '', core = '', trail = ''] = /^(\s*)([\s\S]*?)(\s*)$/.exec(inner) ?? [];
    return core === '' ? inner : `${lead}${marker}${core}${marker}${trail}`;
  }
  if (span.markType === 'externalLink' || span.markType === 'linkReference') {
    const link = resolveLinkMark(span.markDef as MarkDef | undefined);
    if (link === undefined) return inner;
    // A bare URL as link text needs no reference to itself.
    if (inner.trim() === link.href) return inner;
    return `${inner.replace(/\s+$/, '')}${glue}[${links.numberFor(link.href)}]${/\s$/.test(inner) ? ' ' : ''}`;
  }
  return inner;
}

/** "[first paragraph", …, "last paragraph —Ed.]" */
function renderNoteParagraphs(note: EditorialNote, links: LinkNumbers): string[] {
  const paragraphs = note.body.map((block) => renderInline(block, links).trim());
  const last = paragraphs.length - 1;
  return paragraphs.map((p, i) => `${i === 0 ? '[' : ''}${p}${i === last ? `${glue}—${plain(note.signature)}]` : ''}`);
}

function renderLinkCard(card: LinkCard, width: number): string {
  if (card.link === null) return '';
  const link = resolveCardLink(card);
  const site = card.link.siteName?.trim() && card.link.siteName.trim() !== cardTitle(card.link).trim() ? ` (${plain(card.link.siteName)})` : '';
  const lines = wrapText(`${plain(cardTitle(card.link))}${site}`, { width, first: '» ', rest: '  ' });
  for (const extra of [card.link.description, card.comment]) {
    if (extra?.trim()) lines.push(...wrapText(plain(extra), { width, first: '  ' }));
  }
  if (link) lines.push(`  ${link.href}`);
  return lines.join('\n');
}

function renderImage(image: ImageBlock, width: number): string {
  if (imageSource(image) === undefined) return '';
  const lines = wrapText(image.alt ? `[Image: ${plain(image.alt)}]` : '[Image]', { width });
  if (image.caption?.trim()) lines.push(...wrapText(plain(image.caption), { width }));
  if (image.link !== undefined && isHttpUrl(image.link)) lines.push(`  ${image.link}`);
  return lines.join('\n');
}

/** CMS text made safe for the text part: no control characters, no forged placeholders, no stray glue. */
function plain(text: string): string {
  return defuseMarkers(cleanText(text).replaceAll(glue, ''));
}

function underline(heading: string, char: '=' | '-', width: number): string {
  const lines = wrapText(heading, { width });
  const longest = Math.max(...lines.map((l) => displayWidth(l)));
  return `${lines.join('\n')}\n${char.repeat(Math.min(width, Math.max(3, longest)))}`;
}
