// What the last build's links index held, entry by entry (build-cache/links-outline.bin):
// each entry's key (as a 64-bit hash), a short digest, its site, tags and the issues it
// appeared in, in the index's order, with the issues it was made from (number and cache
// key), the entries each links to, and the sections with a topic. A new process whose
// issues are the outline's, a few changed (each linking to the same entries in the same
// order) and new ones published after them, makes its index from it (links-index.ts
// indexFromOutline): an entry no changed or new issue links to is the outline's, read from
// the kept shares only if a page or feed shows it, so the thousand shares of the unchanged
// issues are neither read nor merged again. A columns file (columns.ts: one line of JSON,
// then the columns in binary): a few megabytes for 1,000 issues, where JSON was twice that
// and cost a rebuild as much to read and write as it saved.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { NewsdeskError } from '../core/errors.ts';
import { isString } from '../core/record-of.ts';
import { writeWhole } from './cache.ts';
import { columnsFileParts, readColumnsFile, wellFormedOffsets, within, type ColumnsFile } from './columns.ts';

/** Bumped when the outline's shape changes. */
const outlineFormat = 2;

/** The length of an entry's short digest (links-index.ts shortDigest): 72 bits, as base64url. */
export const shortDigestLength = 12;

export interface LinksOutline {
  /** The links context it was made in (links-output.ts LinksContext.digest). */
  context: string;
  /** Oldest first: each issue's number and cache key. */
  issues: Array<[number: number, key: string]>;
  /** How many entries. */
  count: number;
  /** Per entry, in the index's order: its short digest (shortDigestLength characters each, one after another). */
  digests: string;
  /** Its key's hash (links-index.ts keyHash), in two halves. */
  hashLow: Int32Array;
  hashHigh: Int32Array;
  /** Its site, as a position in `domains` (-1: none), and its tags, a position in `tagLists`. */
  domains: string[];
  domainOf: Int32Array;
  tagLists: Array<Array<[slug: string, title: string]>>;
  tagsOf: Int32Array;
  /** The issues entry i appeared in, oldest first, as positions in `issues`: uses[usesAt[i]] up to uses[usesAt[i + 1]]. */
  usesAt: Int32Array;
  uses: Int32Array;
  /** The entries issue k links to, in the order it first links to each: issueKeys[issueKeysAt[k]] up to issueKeys[issueKeysAt[k + 1]]. */
  issueKeysAt: Int32Array;
  issueKeys: Int32Array;
  /** The sections with a topic, in the index's order: the issue (a position in `issues`), the topic's slug and title, the heading, the anchor, and the section's place among the issue's sections with a topic. */
  sections: Array<[issue: number, slug: string, title: string, heading: string, anchor: string, topic: number]>;
  /** For an outline read from its file, found not to match the kept shares once read: removes the file, so the next build makes the index from every issue, and fails this one saying why. */
  damaged?: (why: string) => never;
}

/** The header: all but the columns. */
interface Header {
  format: number;
  context: string;
  issues: LinksOutline['issues'];
  count: number;
  domains: string[];
  tagLists: LinksOutline['tagLists'];
  sections: LinksOutline['sections'];
}

const numberColumns = ['hashLow', 'hashHigh', 'domainOf', 'tagsOf', 'usesAt', 'uses', 'issueKeysAt', 'issueKeys'] as const;

export function outlineFile(cacheDir: string): string {
  return path.join(cacheDir, 'links-outline.bin');
}

/** Writes the outline (temporary file, rename), or removes the one there when this build made none. */
export async function saveOutline(cacheDir: string, outline: LinksOutline | undefined): Promise<void> {
  const file = outlineFile(cacheDir);
  if (!outline) return rmSync(file, { force: true });
  const { context, issues, count, domains, tagLists, sections } = outline;
  const header: Header = { format: outlineFormat, context, issues, count, domains, tagLists, sections };
  await writeWhole(file, columnsFileParts({ header, texts: { digests: outline.digests }, ints: Object.fromEntries(numberColumns.map((name) => [name, outline[name]])) }));
}

/** The outline kept in `cacheDir` for `context`, when there is one and it is well formed. */
export function readOutline(cacheDir: string, context: string): LinksOutline | undefined {
  try {
    const file = outlineFile(cacheDir);
    const stored = readColumnsFile(readFileSync(file), (header) => header.format === outlineFormat && header.context === context);
    const outline = stored && wellFormed(stored as unknown as ColumnsFile<Header>);
    return (
      outline && {
        ...outline,
        damaged: (why) => {
          rmSync(file, { force: true });
          throw new NewsdeskError('BUILD_FAILED', `${file} does not match the links index's kept shares (${why}), so it was removed`, {
            hint: 'Build again: the next build makes the links index from every issue.',
          });
        },
      }
    );
  } catch {
    return undefined;
  }
}

function wellFormed({ header, texts, ints }: ColumnsFile<Header>): LinksOutline | undefined {
  const { issues, domains, tagLists, sections, count } = header;
  if (!Number.isSafeInteger(count) || count < 0) return undefined;
  if (!Array.isArray(issues) || !issues.every((issue) => Array.isArray(issue) && Number.isSafeInteger(issue[0]) && isString(issue[1]))) return undefined;
  if (!Array.isArray(domains) || !domains.every(isString)) return undefined;
  if (!Array.isArray(tagLists) || !tagLists.every((list) => Array.isArray(list) && list.every((tag) => Array.isArray(tag) && isString(tag[0]) && isString(tag[1])))) return undefined;
  const section = (s: unknown) =>
    Array.isArray(s) && s.length === 6 && Number.isInteger(s[0]) && s[0] >= 0 && s[0] < issues.length && isString(s[1]) && isString(s[2]) && isString(s[3]) && isString(s[4]) && Number.isInteger(s[5]) && s[5] >= 0;
  if (!Array.isArray(sections) || !sections.every(section)) return undefined;
  const digests = texts.digests;
  if (digests?.length !== count * shortDigestLength) return undefined;
  const [hashLow, hashHigh, domainOf, tagsOf, usesAt, uses, issueKeysAt, issueKeys] = numberColumns.map((name) => ints[name]);
  if (!hashLow || !hashHigh || !domainOf || !tagsOf || !usesAt || !uses || !issueKeysAt || !issueKeys) return undefined;
  if (![hashLow, hashHigh, domainOf, tagsOf].every((column) => column.length === count)) return undefined;
  if (!wellFormedOffsets(usesAt, count, uses.length) || !wellFormedOffsets(issueKeysAt, issues.length, issueKeys.length)) return undefined;
  if (!within(domainOf, domains.length, -1) || !within(tagsOf, tagLists.length) || !within(uses, issues.length) || !within(issueKeys, count)) return undefined;
  return { context: header.context, issues, count, digests, hashLow, hashHigh, domains, domainOf, tagLists, tagsOf, usesAt, uses, issueKeysAt, issueKeys, sections };
}
