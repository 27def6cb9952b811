// Every schema type newsdesk defines, in one list for sanity.config.ts and the tests.
// Stored shapes are the contract in content/queries.ts: change them together.
import { issue } from './documents/issue.ts';
import { link } from './documents/link.ts';
import { linkCheck } from './documents/linkCheck.ts';
import { newsletter } from './documents/newsletter.ts';
import { tag } from './documents/tag.ts';
import { editorialNote } from './objects/editorialNote.ts';
import { externalLink } from './objects/externalLink.ts';
import { linkCard } from './objects/linkCard.ts';
import { linkReference } from './objects/linkReference.ts';
import { portableText } from './objects/portableText.ts';
import { section } from './objects/section.ts';

export const schemaTypes = [newsletter, issue, link, tag, linkCheck, section, portableText, editorialNote, linkCard, externalLink, linkReference];

/** Singleton types: one document each, with a fixed id, never created from "New document". */
export const singletonTypes = new Set(['newsletter']);

/** Types only newsdesk writes (`newsdesk links check`): never created, edited or published in the Studio. */
export const recordTypes = new Set(['linkCheck']);
