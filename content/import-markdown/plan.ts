// The import's decisions, pure: a converted issue plus what the content store already
// holds (links by normalised URL, issue numbers, tags) → the documents to write, the
// fidelity check on exactly those documents, and a summary. Nothing here reads or
// writes; import-issue.ts does the I/O around it, for one file or a whole archive.
import { createHash } from 'node:crypto';
import { NewsdeskError } from '../../core/errors.ts';
import { linkIdFor } from '../capture/capture-link.ts';
import { normaliseUrl } from '../normalize-url.ts';
import { findIssueRuleErrors, isHttpUrl, slugify } from '../rules.ts';
import type { Mutation, SanityDocument } from '../store.ts';
import { importError, isInformational, type ImportWarning } from './errors.ts';
import type { ConvertedIssue } from './map.ts';
import type { StoredBlock, StoredNote } from './shapes.ts';
import { verifyFidelity, type FidelityReport } from './verify.ts';

export interface KnownLink {
  _id: string;
  url: string;
}

/** What the store holds, kept current across the files of one archive import. */
export interface Library {
  links: Map<string, KnownLink>;
  /** Link document id → its URL: what the fidelity check follows a reference to. */
  linkUrls: Map<string, string>;
  /** Issue number → ids of the documents holding it (published and draft). */
  issues: Map<number, string[]>;
  /** Tag slug → id. */
  tags: Map<string, string>;
}

export interface PlanOptions {
  publish?: boolean | undefined;
  replace?: boolean | undefined;
  /** Refuse instead of warn for constructs that were mapped to something close. */
  strict?: boolean | undefined;
  now: () => Date;
}

export interface ImportSummary {
  file: string;
  id: string;
  number: number;
  title: string;
  date: string;
  byline: string | undefined;
  published: boolean;
  /** Why an issue asked to be published was stored as a draft: the rule book's refusals. */
  keptAsDraft: string[];
  replaced: string[];
  sections: Array<{ heading: string; blocks: number; links: number; notes: number }>;
  links: { total: number; distinct: number; created: number; reused: number; mail: number };
  notes: { inline: number; block: number };
  lists: { bullet: number; number: number };
  tags: string[];
  comments: number;
  /** MDX and site-generator syntax left out, by kind. */
  siteSyntax: Record<string, number>;
  fidelity: FidelityReport;
  /** Image blocks: pictures beside the file (copied into a local dataset) and pictures kept at their web address. */
  images: { copied: number; remote: number };
  warnings: ImportWarning[];
}

export interface IssuePlan {
  mutations: Mutation[];
  summary: ImportSummary;
}

/** Plans one issue and records what it adds in `library`, so the next file of an archive sees it. */
export function planIssueImport(input: ConvertedIssue, library: Library, options: PlanOptions): IssuePlan {
  let converted = input;
  const { file } = converted;
  const number = converted.number;
  if (number === undefined) {
    throw importError(file, undefined, 'no issue number: none in the metadata, the title or the file name', 'Add `number: N` to the front matter, or pass --number N (one file) or --renumber (an archive).');
  }
  const date = converted.date;
  if (date === undefined) {
    throw importError(file, undefined, 'no date: none in the metadata, under the title or in the file name', 'Add `date: 2026-03-14` to the front matter or a date line under the title, or pass --date YYYY-MM-DD.');
  }
  // A malformed address is kept exactly as written (it may be the author's typo of a real page) and reported.
  const warnings = [...converted.warnings];
  for (const link of converted.links) {
    const problem = describeMalformedUrl(link.href);
    if (problem) warnings.push({ line: link.line, kind: 'malformed URL', message: `the address ${link.href} looks malformed (${problem}); kept exactly as written` });
  }
  warnings.sort((a, b) => a.line - b.line);
  converted = { ...converted, warnings };
  // --strict refuses only what the import would lose or change; a note (a picture kept at its address) passes.
  const changes = options.strict ? converted.warnings.filter((w) => !isInformational(w)) : [];
  if (changes.length > 0) {
    const w = changes[0]!;
    throw importError(file, w.line, `${w.message} (--strict refuses what the import would change${changes.length > 1 ? `; ${changes.length - 1} more` : ''})`, 'Import without --strict to accept these changes, or edit the Markdown.');
  }
  const holders = library.issues.get(number) ?? [];
  if (holders.length > 0 && !options.replace) {
    throw new NewsdeskError('IMPORT_FAILED', `${file}: issue ${number} already exists (${holders.join(', ')})`, {
      hint: 'Pass --replace to overwrite it, or give it another number (--number N for one file, --renumber for an archive).',
    });
  }

  // Links: reuse documents by normalised URL, create the rest (shortlisted: they made it into an issue).
  const capturedAt = options.now().toISOString();
  const newLinks: SanityDocument[] = [];
  const web = converted.links.filter((l) => isHttpUrl(l.href));
  for (const link of web) {
    const n = normaliseUrl(link.href);
    if (library.links.has(n)) continue;
    const doc = {
      _id: linkIdFor(n),
      _type: 'link',
      // The author's spelling, byte for byte; only the de-duplication key is normalised.
      url: link.href,
      normalizedUrl: n,
      capturedAt,
      foundAt: `issue ${number} (imported from ${file.split(/[\\/]/).pop()})`,
      status: 'shortlisted',
      // Titles and descriptions come from the pages themselves: `newsdesk links enrich`.
      needsEnrichment: true,
      tags: [],
    };
    newLinks.push(doc);
    // A copy of the address: the one in the document may be a slice of the file's text,
    // which the library (kept for the whole archive) would otherwise keep alive.
    const url = structuredClone(doc.url);
    library.links.set(n, { _id: doc._id, url });
    library.linkUrls.set(doc._id, url);
  }
  const distinct = new Set(web.map((l) => normaliseUrl(l.href))).size;

  const newTags: SanityDocument[] = [];
  const tagRefs = converted.tags.flatMap((title) => {
    const slug = slugify(title);
    if (slug === '') return [];
    let id = library.tags.get(slug);
    if (id === undefined) {
      id = `tag-${slug}`;
      library.tags.set(slug, id);
      newTags.push({ _id: id, _type: 'tag', title, slug: { _type: 'slug', current: slug } });
    }
    return [{ _type: 'reference', _ref: id, _key: shortHash(id) }];
  });

  const id = `issue-${number}`;
  const toStored = (blocks: StoredBlock[]) => blocks.map((b) => referenceLinks(b, library.links));
  const content = {
    _type: 'issue',
    number,
    title: converted.title,
    slug: { _type: 'slug', current: converted.slug },
    date,
    ...(converted.summary ? { summary: converted.summary } : {}),
    ...(converted.byline ? { byline: converted.byline } : {}),
    intro: toStored(converted.intro),
    sections: converted.sections.map(({ line: _line, ...s }) => ({ ...s, body: toStored(s.body) })),
    signOff: [],
    ...(tagRefs.length ? { tags: tagRefs } : {}),
  };
  // --publish publishes only what the rule book lets the lake publish (content/rules.ts):
  // an issue it refuses (every section empty, a link that would vanish) is stored as a
  // draft, with the reason in the summary, to be finished in the Studio.
  const keptAsDraft = options.publish && !converted.draft ? findIssueRuleErrors(content).map((f) => f.message) : [];
  const publish = options.publish && !converted.draft && keptAsDraft.length === 0;
  const docId = publish ? id : `drafts.${id}`;
  const issueDoc: SanityDocument = { _id: docId, ...content };

  // The check runs on exactly what would be stored, following references to the URLs they hold.
  const fidelity = verifyFidelity(converted, {
    title: converted.title,
    intro: issueDoc.intro as unknown[],
    sections: issueDoc.sections as Array<{ heading: string; body: unknown[] }>,
    hrefOf: (def) => def.href ?? library.linkUrls.get(def.reference?._ref ?? def.link?._ref ?? ''),
  });

  const replaced = holders;
  library.issues.set(number, [docId]);
  const mutations: Mutation[] = [
    ...newTags.map((doc) => ({ createIfNotExists: doc })),
    ...newLinks.map((doc) => ({ createIfNotExists: doc })),
    ...replaced.filter((d) => d !== docId).map((d) => ({ delete: { id: d } })),
    { createOrReplace: issueDoc },
  ];
  return {
    mutations,
    summary: {
      file,
      id: docId,
      number,
      title: converted.title,
      date,
      byline: converted.byline,
      published: Boolean(publish),
      keptAsDraft,
      replaced,
      sections: converted.sections.map((s) => ({ heading: s.heading, blocks: s.body.length, ...countIn(s.body) })),
      links: { total: converted.links.length, distinct, created: newLinks.length, reused: distinct - newLinks.length, mail: converted.links.length - web.length },
      notes: { inline: converted.asides.filter((a) => a.placement === 'inline').length, block: converted.asides.filter((a) => a.placement === 'block').length },
      lists: { bullet: converted.stats.bulletItems, number: converted.stats.numberedItems },
      tags: converted.tags,
      comments: converted.comments,
      siteSyntax: converted.siteSyntax,
      fidelity,
      images: countImages([...converted.intro, ...converted.sections.flatMap((s) => s.body)]),
      warnings: converted.warnings,
    },
  };
}

/** A kept image has a web address, or the path of a picture beside the file that the write copies. */
function countImages(blocks: StoredBlock[]): ImportSummary['images'] {
  const urls = blocks.flatMap((b) => (b._type === 'image' ? [(b as { url?: string }).url ?? ''] : []));
  const remote = urls.filter((u) => isHttpUrl(u)).length;
  return { copied: urls.length - remote, remote };
}

/** Web links become references to link documents; a link to a place on a page keeps its exact address. */
function referenceLinks(block: StoredBlock, links: Map<string, KnownLink>): StoredBlock {
  // An image's link stays its own address: a picture is not an entry of the link library.
  if (block._type === 'image') return block;
  if (block._type === 'linkCard') {
    // Every web link has a document by now; a card to another place on the page than the document's is caught by the fidelity check.
    const target = links.get(normaliseUrl(block.href))!;
    return { _type: 'linkCard', _key: block._key, link: { _type: 'reference', _ref: target._id } } as unknown as StoredBlock;
  }
  const swap = <B extends { markDefs: Array<{ _type: string; _key: string; href?: string }> }>(b: B) => ({
    ...b,
    markDefs: b.markDefs.map((def) => {
      if (def._type !== 'externalLink' || !def.href || !isHttpUrl(def.href)) return def;
      const target = links.get(normaliseUrl(def.href))!;
      // A link stores the address exactly as its author wrote it: one spelled differently
      // from the document's (tracking parameters, a trailing slash, another place on the
      // page) keeps its own href instead of taking the document's spelling.
      if (def.href !== target.url) return def;
      return { _type: 'linkReference', _key: def._key, reference: { _type: 'reference', _ref: target._id } };
    }),
  });
  const note = (n: StoredNote) => ({ ...n, body: n.body.map(swap) });
  if (block._type === 'editorialNote') return note(block) as unknown as StoredBlock;
  return { ...swap(block), children: block.children.map((c) => (c._type === 'editorialNote' ? note(c) : c)) } as unknown as StoredBlock;
}

function countIn(blocks: StoredBlock[]): { links: number; notes: number } {
  let links = 0;
  let notes = 0;
  const noteLinks = (n: StoredNote) => n.body.reduce((sum, b) => sum + b.markDefs.length, 0);
  for (const b of blocks) {
    if (b._type === 'image') links += b.link ? 1 : 0;
    else if (b._type === 'linkCard') links++;
    else if (b._type === 'editorialNote') {
      notes++;
      links += noteLinks(b);
    } else {
      links += b.markDefs.length;
      for (const c of b.children) if (c._type === 'editorialNote') (notes++, (links += noteLinks(c)));
    }
  }
  return { links, notes };
}

/** Why an http(s) address cannot be what its author meant, or undefined when it reads as one. */
export function describeMalformedUrl(href: string): string | undefined {
  if (!/^https?:/i.test(href)) return undefined;
  if (/^https?:\/\/(?:https?|ftp|www)(?::|\/\/|\/|$)/i.test(href) && /^https?:\/\/https?:/i.test(href)) return 'a second scheme inside it';
  if (!/^https?:\/\/[^/?#\s]/i.test(href)) return 'no host after the scheme';
  if (/\s/.test(href)) return 'it holds white space';
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return 'it does not parse as an address';
  }
  if (!url.hostname.includes('.') && url.hostname !== 'localhost' && !/^\[/.test(url.hostname)) return `the host "${url.hostname}" has no domain`;
  return undefined;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
