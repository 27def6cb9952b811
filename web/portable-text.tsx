// Portable Text to React for the web version and the feeds: the house components for
// editorial notes (italic, muted, bracketed, signed), link cards, images and links.
// Links whose URL is not http(s)/mailto are rendered as plain text; url-warnings.ts
// reports them, so rendering stays a pure function of the content.
import { PortableText, type PortableTextComponents, type PortableTextMarkComponentProps } from '@portabletext/react';
import { Fragment, type ReactNode } from 'react';
import { markQuoteDepth, type EditorialNote, type ImageBlock, type LinkCard, type LinkTarget, type NoteBlock, type PortableBlock, type QuoteDepthBlock, type TextBlock } from '../content/model.ts';
import { isHttpUrl, isSafeLinkUrl } from '../content/rules.ts';

type Mark<T> = PortableTextMarkComponentProps<{ _type: string } & T>;

function ExternalLink({ value, children }: Mark<{ href?: string }>) {
  const href = value?.href;
  return href && isSafeLinkUrl(href) ? <a href={href}>{children}</a> : <>{children}</>;
}

function LinkReference({ value, children }: Mark<{ link?: LinkTarget | null }>) {
  const url = value?.link?.url;
  return url && isSafeLinkUrl(url) ? <a href={url}>{children}</a> : <>{children}</>;
}

const marks: PortableTextComponents['marks'] = {
  strong: ({ children }) => <strong>{children}</strong>,
  em: ({ children }) => <em>{children}</em>,
  code: ({ children }) => <code>{children}</code>,
  'strike-through': ({ children }) => <s>{children}</s>,
  externalLink: ExternalLink,
  linkReference: LinkReference,
};

/** Renders one note paragraph's spans without a wrapping element. */
const noteInlineComponents: PortableTextComponents = {
  marks,
  block: { normal: ({ children }) => <>{children}</> },
  unknownBlockStyle: ({ children }) => <>{children}</>,
};

function NoteParagraphs({ body, inline }: { body: NoteBlock[]; inline: boolean }): ReactNode {
  return body.map((block, i) => (
    <Fragment key={block._key ?? i}>
      {inline && i > 0 ? ' ' : null}
      <PortableText value={[block as never]} components={noteInlineComponents} onMissingComponent={false} />
    </Fragment>
  ));
}

export function EditorialNoteView({ note, inline, id }: { note: EditorialNote; inline: boolean; id?: string | undefined }) {
  const signature = `\u2014${note.signature}`;
  if (inline) {
    return (
      <span className="ed-note">
        [<NoteParagraphs body={note.body} inline /> {signature}]
      </span>
    );
  }
  const last = note.body.length - 1;
  return (
    <div className="ed-note" role="note" id={id}>
      {note.body.map((block, i) => (
        <p key={block._key ?? i}>
          {i === 0 ? '[' : null}
          <NoteParagraphs body={[block]} inline />
          {i === last ? ` ${signature}]` : null}
        </p>
      ))}
    </div>
  );
}

function LinkCardView({ card, id }: { card: LinkCard; id?: string | undefined }) {
  const link = card.link;
  if (!link || !isSafeLinkUrl(link.url)) return null;
  return (
    <div className="link-card" id={id}>
      <p>
        <a href={link.url}>
          <strong>
            <bdi>{link.title ?? link.url}</bdi>
          </strong>
        </a>
        {link.siteName ? (
          <span className="site">
            {' · '}
            <bdi>{link.siteName}</bdi>
          </span>
        ) : null}
      </p>
      {link.description ? <p>{link.description}</p> : null}
      {card.comment ? <p className="ed-note">[{card.comment} {'\u2014'}Ed.]</p> : null}
    </div>
  );
}

function ImageView({ image, id }: { image: ImageBlock; id?: string | undefined }) {
  if (!image.url || !isHttpUrl(image.url)) return null;
  const img = (
    <img
      src={image.url}
      alt={image.alt}
      width={image.width ? Math.round(image.width) : undefined}
      height={image.height ? Math.round(image.height) : undefined}
      loading="lazy"
      decoding="async"
    />
  );
  return (
    <figure id={id}>
      {image.link && isHttpUrl(image.link) ? <a href={image.link}>{img}</a> : img}
      {image.caption ? <figcaption>{image.caption}</figcaption> : null}
    </figure>
  );
}

/** A quote inside a quote sits inside as many outer quotes; the outermost carries the block's id. */
function nestQuote(text: ReactNode, depth: number, id: string | undefined): ReactNode {
  let out: ReactNode = <blockquote id={depth > 1 ? undefined : id}><p>{text}</p></blockquote>;
  for (let d = depth; d > 1; d--) out = <blockquote id={d === 2 ? id : undefined}>{out}</blockquote>;
  return out;
}

function isEmptyBlock(value: TextBlock): boolean {
  return value.children.every((c) => c._type === 'span' && c.text.trim() === '');
}

/** The id each top-level block carries (a reader search result links to it), by block object. */
type IdOf = (block: unknown) => string | undefined;
const noIds: IdOf = () => undefined;

/**
 * Components for one Portable Text field. `subheading` is the element for the "h3"
 * style: h3 inside a section (under its h2), h2 in the intro and sign-off (directly
 * under the page's h1), so the outline never skips a level.
 */
export function portableTextComponents(subheading: 'h2' | 'h3', idOf: IdOf = noIds): PortableTextComponents {
  const Sub = subheading;
  const SubSub = subheading === 'h2' ? 'h3' : 'h4';
  return {
    marks,
    block: {
      normal: ({ value, children }) => (isEmptyBlock(value as TextBlock) ? null : <p id={idOf(value)}>{children}</p>),
      h3: ({ value, children }) => <Sub id={idOf(value)}>{children}</Sub>,
      h4: ({ value, children }) => <SubSub id={idOf(value)}>{children}</SubSub>,
      blockquote: ({ value, children }) => nestQuote(children, (value as QuoteDepthBlock).quoteDepth ?? 1, idOf(value)),
    },
    listItem: ({ value, children }) => <li id={idOf(value)}>{children}</li>,
    unknownBlockStyle: ({ value, children }) => <p id={idOf(value)}>{children}</p>,
    types: {
      editorialNote: ({ value, isInline }) => <EditorialNoteView note={value as EditorialNote} inline={isInline} id={isInline ? undefined : idOf(value)} />,
      linkCard: ({ value }) => <LinkCardView card={value as LinkCard} id={idOf(value)} />,
      image: ({ value }) => <ImageView image={value as ImageBlock} id={idOf(value)} />,
    },
    unknownType: () => null,
    unknownMark: ({ children }) => <>{children}</>,
  };
}

const sectionComponents = portableTextComponents('h3');
const topComponents = portableTextComponents('h2');

/** `ids`: one per block of `value`, for the blocks' elements (see blockAnchors in issue-page.tsx). */
export function RichText({ value, level, ids }: { value: PortableBlock[]; level: 'top' | 'section'; ids?: readonly string[] }) {
  if (value.length === 0) return null;
  const marked = markQuoteDepth(value);
  let components = level === 'top' ? topComponents : sectionComponents;
  if (ids) {
    const byBlock = new Map<unknown, string>(marked.map((block, i) => [block, ids[i]!]));
    components = portableTextComponents(level === 'top' ? 'h2' : 'h3', (block) => byBlock.get(block));
  }
  return <PortableText value={marked as never} components={components} onMissingComponent={false} />;
}
