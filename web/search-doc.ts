// What reader search knows about one issue: its text block by block, each block with the
// id its element carries on the web page (so a result links to the paragraph) and the
// links it holds. Rendered with the issue (a cache artifact); build/search-index.ts turns
// every issue's document into the static index the search box reads. Pure.
import type { EditorialNote, Issue, LinkTarget, NoteBlock, PortableBlock, Span } from '../content/model.ts';
import { isSafeLinkUrl } from '../content/rules.ts';
import { issuePath } from '../core/render.ts';
import { blockAnchors } from './issue-page.tsx';

/** A link as a block holds it; `id` names the link document (its tags are joined in at index time). */
export interface SearchLink {
  id?: string | undefined;
  url: string;
  title?: string | undefined;
  site?: string | undefined;
}

export interface SearchBlock {
  /** The block element's id on the page; "" for the issue's header. */
  id: string;
  text: string;
  links: SearchLink[];
}

export interface SearchSection {
  /** "" for the part before the first section (header, intro) and for the sign-off. */
  heading: string;
  blocks: SearchBlock[];
}

export interface IssueSearchDoc {
  number: number;
  title: string;
  date: string;
  /** Site path of the issue page ("issues/12-x/"). */
  path: string;
  sections: SearchSection[];
}

/**
 * The text of a section that the index takes from the issue itself (the issue number for
 * the first, the heading, every block's text): its words are found where the issue is
 * rendered (build/render-issue.ts), and those of the links' details, which come from other
 * documents, when the index is built (build/search-index.ts).
 */
export function sectionOwnText(doc: IssueSearchDoc, s: number): string {
  const section = doc.sections[s]!;
  return [s === 0 ? String(doc.number) : '', section.heading, ...section.blocks.map((b) => b.text)].join(' ');
}

export function issueSearchDoc(issue: Issue): IssueSearchDoc {
  const anchors = blockAnchors(issue);
  const header: SearchBlock = {
    id: '',
    text: [issue.title, issue.summary, issue.byline, issue.tags.map((t) => t.title).join(', ')]
      .map((part) => part?.trim().replace(/[.!?]$/, ''))
      .filter(Boolean)
      .join('. '),
    links: [],
  };
  const blocks = (value: PortableBlock[], ids: string[]) => value.map((block, i) => blockOf(block, ids[i]!)).filter((b) => b.text !== '' || b.links.length > 0);
  return {
    number: issue.number,
    title: issue.title,
    date: issue.date,
    path: issuePath(issue),
    sections: [
      { heading: '', blocks: [header, ...blocks(issue.intro, anchors.intro)] },
      ...issue.sections.map((section, i) => ({ heading: section.heading, blocks: blocks(section.body, anchors.bodies[i]!) })),
      ...(issue.signOff.length > 0 ? [{ heading: '', blocks: blocks(issue.signOff, anchors.signOff) }] : []),
    ],
  };
}

function blockOf(block: PortableBlock, id: string): SearchBlock {
  const links: SearchLink[] = [];
  const addLink = (target: LinkTarget | null | undefined) => {
    if (target && isSafeLinkUrl(target.url)) links.push({ id: target.id || undefined, url: target.url, title: target.title, site: target.siteName });
  };
  let text: string;
  switch (block._type) {
    case 'block':
      text = block.children.map((child) => (child._type === 'span' ? child.text : noteText(child, addLink))).join('');
      linksOf(block.markDefs, block.children, addLink);
      break;
    case 'editorialNote':
      text = noteText(block, addLink);
      break;
    case 'linkCard':
      addLink(block.link);
      text = [block.link?.title ?? block.link?.url, block.link?.siteName, block.link?.description, block.comment].filter(Boolean).join(' · ');
      break;
    case 'image':
      text = [block.alt, block.caption].filter(Boolean).join(' · ');
      break;
  }
  return { id, text: text.replace(/\s+/g, ' ').trim(), links };
}

/** An editorial note as the page shows it: "[… —Ed.]". */
function noteText(note: EditorialNote, addLink: (target: LinkTarget | null | undefined) => void): string {
  for (const paragraph of note.body) linksOf(paragraph.markDefs, paragraph.children, addLink);
  return `[${note.body.map((p) => p.children.map((c) => c.text).join('')).join(' ')} \u2014${note.signature}]`;
}

/** The links a block's spans actually use, in order. */
function linksOf(markDefs: NoteBlock['markDefs'], children: Array<Span | EditorialNote>, addLink: (target: LinkTarget | null | undefined) => void): void {
  const used = new Set<string>();
  for (const child of children) if (child._type === 'span') for (const mark of child.marks) used.add(mark);
  for (const def of markDefs) {
    if (!used.has(def._key)) continue;
    if (def._type === 'linkReference') addLink(def.link);
    else addLink({ id: '', url: def.href, title: undefined, siteName: undefined, description: undefined });
  }
}
