// Portable Text → HTML for email bodies, through @portabletext/to-html with components
// that write only what mail clients keep: inline styles, tables for boxes, no classes
// that carry meaning (the two classes used only adjust colours in dark mode). The
// output goes inside MJML's mj-text blocks.
import { toHTML, type PortableTextComponents, type PortableTextMarkComponentOptions } from '@portabletext/to-html';
import type { PortableTextBlock, TypedObject } from '@portabletext/types';
import { markQuoteDepth, type EditorialNote, type ImageBlock, type LinkCard, type MarkDef, type NoteBlock, type PortableBlock, type QuoteDepthBlock } from '../content/model.ts';
import { isHttpUrl } from '../content/rules.ts';
import { cardTitle, escapeCmsHtml, imageSource, resolveCardLink, resolveLinkMark, spaceInlineNotes, type ResolvedLink } from './portable-text.ts';

export interface EmailTheme {
  accent: string;
  /** Text that steps back: dates, captions, editorial notes. */
  muted: string;
  /** Content width in pixels inside the body padding; images are never wider. */
  contentWidth: number;
}

/** Class on muted elements so dark mode can lighten them; the inline colour is what most clients use. */
export const mutedClass = 'nd-m';

export function renderPortableTextHtml(blocks: PortableBlock[], theme: EmailTheme): string {
  return toHTML(spaceInlineNotes(markQuoteDepth(blocks)) as unknown as TypedObject[], { components: emailComponents(theme), onMissingComponent: false });
}

function emailComponents(theme: EmailTheme): PortableTextComponents {
  const muted = `color:${theme.muted}`;
  const anchor = (link: ResolvedLink, children: string) =>
    `<a href="${escapeCmsHtml(link.href)}"${link.title ? ` title="${escapeCmsHtml(link.title)}"` : ''} style="color:${theme.accent}">${children}</a>`;
  const linkMark = ({ value, children }: PortableTextMarkComponentOptions) => {
    const link = resolveLinkMark(value as MarkDef | undefined);
    return link ? anchor(link, children) : children;
  };

  const components: PortableTextComponents = {
    escapeHTML: escapeCmsHtml,
    block: {
      normal: ({ children }) => `<p style="margin:0 0 16px">${children}</p>`,
      h3: ({ children }) => `<h3 style="margin:24px 0 8px;font-size:18px;line-height:1.3">${children}</h3>`,
      h4: ({ children }) => `<h4 style="margin:20px 0 6px;font-size:16px;line-height:1.3">${children}</h4>`,
      blockquote: ({ value, children }) => {
        // A quote inside a quote (level 2 and deeper) sits inside as many outer quotes.
        const open = `<blockquote style="margin:0 0 16px;padding:0 0 0 14px;border-left:3px solid rgba(127,127,127,.4)">`;
        const depth = Math.max(1, (value as QuoteDepthBlock).quoteDepth ?? 1);
        return `${open.repeat(depth)}${children}${'</blockquote>'.repeat(depth)}`;
      },
    },
    list: {
      bullet: ({ children }) => `<ul style="margin:0 0 16px;padding:0 0 0 24px">${children}</ul>`,
      number: ({ children }) => `<ol style="margin:0 0 16px;padding:0 0 0 24px">${children}</ol>`,
    },
    listItem: ({ children }) => `<li style="margin:0 0 6px">${children}</li>`,
    unknownBlockStyle: ({ children }) => `<p style="margin:0 0 16px">${children}</p>`,
    marks: {
      strong: ({ children }) => `<strong>${children}</strong>`,
      em: ({ children }) => `<em>${children}</em>`,
      code: ({ children }) =>
        `<code style="font-family:Menlo,Consolas,monospace;font-size:.9em;background:rgba(127,127,127,.15);padding:0 3px;white-space:pre-wrap">${children}</code>`,
      'strike-through': ({ children }) => `<s>${children}</s>`,
      externalLink: linkMark,
      linkReference: linkMark,
    },
    unknownMark: ({ children }) => children,
    unknownType: () => '',
    types: {
      editorialNote: ({ value, isInline }) => renderNote(value as EditorialNote, isInline, noteComponents, muted),
      linkCard: ({ value }) => renderLinkCard(value as LinkCard, theme, anchor),
      image: ({ value }) => renderImage(value as ImageBlock, theme),
    },
  };
  // Inside a note, paragraphs are joined by the note's own wrapper, so they render bare.
  const noteComponents: PortableTextComponents = { ...components, block: ({ children }) => children ?? '' };
  return components;
}

/** "[text —Ed.]", italic and muted; a block note keeps its paragraphs. */
function renderNote(note: EditorialNote, isInline: boolean, components: PortableTextComponents, muted: string): string {
  const paragraphs = note.body.map((block: NoteBlock) =>
    toHTML(block as unknown as PortableTextBlock, { components, onMissingComponent: false }),
  );
  const signature = `\u00a0—${escapeCmsHtml(note.signature)}`;
  const style = `font-style:italic;${muted}`;
  if (isInline) return `<span class="${mutedClass}" style="${style}">[${paragraphs.join(' ')}${signature}]</span>`;
  const last = paragraphs.length - 1;
  const body = paragraphs
    .map((p, i) => `<p style="margin:0 0 ${i === last ? 16 : 8}px">${i === 0 ? '[' : ''}${p}${i === last ? `${signature}]` : ''}</p>`)
    .join('');
  return `<div class="${mutedClass}" style="${style}">${body}</div>`;
}

function renderLinkCard(card: LinkCard, theme: EmailTheme, anchor: (link: ResolvedLink, children: string) => string): string {
  if (card.link === null) return '';
  const target = card.link;
  const link = resolveCardLink(card);
  const title = `<strong style="font-size:17px">${escapeCmsHtml(cardTitle(target))}</strong>`;
  const parts = [link ? anchor(link, title) : title];
  if (target.siteName?.trim()) parts.push(`<div class="${mutedClass}" style="font-size:13px;color:${theme.muted}">${escapeCmsHtml(target.siteName)}</div>`);
  if (target.description?.trim()) parts.push(`<div style="margin-top:6px">${escapeCmsHtml(target.description)}</div>`);
  if (card.comment?.trim()) parts.push(`<div style="margin-top:6px;font-style:italic">${escapeCmsHtml(card.comment)}</div>`);
  if (link) {
    parts.push(
      `<div style="margin-top:6px;font-size:13px;word-break:break-all"><a href="${escapeCmsHtml(link.href)}" style="color:${theme.muted}" class="${mutedClass}">${escapeCmsHtml(link.href)}</a></div>`,
    );
  }
  return (
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="margin:0 0 16px;border:1px solid rgba(127,127,127,.35);border-left:4px solid ${theme.accent}">` +
    `<tr><td style="padding:12px 16px">${parts.join('')}</td></tr></table>`
  );
}

function renderImage(image: ImageBlock, theme: EmailTheme): string {
  const src = imageSource(image);
  if (src === undefined) return '';
  // Width and height attributes are what Outlook obeys; the style lets phones shrink it.
  const width = Math.min(image.width ?? theme.contentWidth, theme.contentWidth);
  const height = image.width && image.height ? ` height="${Math.round((image.height * width) / image.width)}"` : '';
  const caption = image.caption?.trim()
    ? `<br><span class="${mutedClass}" style="font-size:13px;color:${theme.muted}">${escapeCmsHtml(image.caption)}</span>`
    : '';
  const img =
    `<img src="${escapeCmsHtml(src)}" alt="${escapeCmsHtml(image.alt)}" width="${width}"${height}` +
    ` style="display:block;width:100%;max-width:${width}px;height:auto;border:0">`;
  const link = image.link !== undefined && isHttpUrl(image.link) ? image.link : undefined;
  return `<p style="margin:0 0 16px">${link ? `<a href="${escapeCmsHtml(link)}">${img}</a>` : img}${caption}</p>`;
}
