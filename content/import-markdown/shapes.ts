// The stored shapes the import writes (Sanity documents as schemas/ describes them),
// before links are resolved to link documents: every link is still an href here.

export interface StoredSpan {
  _type: 'span';
  _key: string;
  text: string;
  marks: string[];
}
/** Links stay external until the plan decides which become link documents. */
export interface ImportedLinkDef {
  _type: 'externalLink';
  _key: string;
  href: string;
}
export interface StoredNoteBlock {
  _type: 'block';
  _key: string;
  style: 'normal';
  markDefs: ImportedLinkDef[];
  children: StoredSpan[];
}
export interface StoredNote {
  _type: 'editorialNote';
  _key: string;
  body: StoredNoteBlock[];
  signature: string;
}
export interface StoredTextBlock {
  _type: 'block';
  _key: string;
  style: 'normal' | 'h3' | 'h4' | 'blockquote';
  listItem?: 'bullet' | 'number';
  /** A list item's nesting, or a quote's depth (2 for a quote inside a quote). */
  level?: number;
  markDefs: ImportedLinkDef[];
  children: Array<StoredSpan | StoredNote>;
}
/** A heading's link, which a plain-text heading cannot hold, as a card under it. */
export interface ImportedLinkCard {
  _type: 'linkCard';
  _key: string;
  href: string;
}
/** An image kept at its original web address (no uploaded asset), with the link it was wrapped in. */
export interface ImportedImage {
  _type: 'image';
  _key: string;
  url: string;
  /** Absent when the Markdown had none: the Studio then asks for it. */
  alt?: string;
  link?: string;
}
export type StoredBlock = StoredTextBlock | StoredNote | ImportedLinkCard | ImportedImage;

export interface ImportedSection {
  _type: 'section';
  _key: string;
  heading: string;
  body: StoredBlock[];
  /** Source line of the heading, for messages. */
  line: number;
}

export interface ImportedLink {
  href: string;
  /** The linked text, for summaries. */
  text: string;
  line: number;
}

export interface ImportedAside {
  /** The aside's words without brackets and signature. */
  text: string;
  placement: 'inline' | 'block';
  line: number;
}
