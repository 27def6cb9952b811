// Storing an imported back-issue: every http(s) link becomes (or reuses, by normalised
// URL) a `link` document, the issue points at them with linkReference annotations, the
// fidelity check runs on the rendered result, and everything is written in one
// transaction — or, with dryRun, nothing is written and a summary comes back.
import { NewsdeskError } from '../core/errors.ts';
import { linkIdFor } from './capture/capture-link.ts';
import { checkImportFidelity, type FidelityReport } from './import-markdown-fidelity.ts';
import { convertMarkdownIssue, importError, type ConvertedIssue, type StoredBlock, type StoredNote, type StoredTextBlock } from './import-markdown.ts';
import { issueSchema, parseOrThrow, type Issue } from './model.ts';
import { normaliseUrl, parseHttpUrl, stripTrackingParameters } from './normalize-url.ts';
import type { ContentStore, Mutation, SanityDocument } from './store.ts';
import { z } from 'zod';

export interface ImportOptions {
  /** Name used in messages (the path as the user gave it). */
  file: string;
  number?: number | undefined;
  publish?: boolean;
  replace?: boolean;
  dryRun?: boolean;
  now: () => Date;
  /** The plain-text renderer the fidelity check compares with (emails/issue-text.ts in production). */
  renderText: (issue: Issue) => string;
}

export interface ImportSummary {
  id: string;
  number: number;
  title: string;
  date: string;
  byline: string | undefined;
  published: boolean;
  replaced: string[];
  sections: Array<{ heading: string; blocks: number; links: number; notes: number }>;
  links: { total: number; distinct: number; created: number; reused: number; external: number };
  notes: { inline: number; block: number };
  lists: { bullet: number; number: number };
  fidelity: FidelityReport;
  written: boolean;
}

const existingLinkSchema = z.array(z.object({ _id: z.string(), url: z.string(), normalizedUrl: z.string(), title: z.string().nullish(), siteName: z.string().nullish(), description: z.string().nullish() }));

export async function importMarkdownIssue(store: ContentStore, source: string, options: ImportOptions): Promise<ImportSummary> {
  const converted = convertMarkdownIssue(source, options.file);
  const number = options.number ?? converted.number;
  if (number === undefined) {
    throw importError(options.file, undefined, 'no issue number: the title has none and there is no `number:` front matter', 'Pass --number N.');
  }
  if (converted.date === undefined) {
    throw importError(options.file, undefined, 'no date: found no front-matter `date:` and no date line under the title', 'Add a line such as "14 March 2026" under the title, or `date: 2026-03-14` in front matter.');
  }

  const existingIssues = z
    .array(z.object({ _id: z.string() }))
    .parse(await store.fetch(`*[_type == "issue" && number == $number]{ _id }`, { number }, { perspective: 'raw' }));
  if (existingIssues.length > 0 && !options.replace) {
    throw new NewsdeskError('IMPORT_FAILED', `${options.file}: issue ${number} already exists (${existingIssues.map((d) => d._id).join(', ')})`, {
      hint: 'Pass --replace to overwrite it, or --number N to import under another number.',
    });
  }

  // Links: reuse documents by normalised URL, create the rest (shortlisted: they made it into an issue).
  const httpLinks = converted.links.filter((l) => parseHttpUrl(l.href));
  const normalized = [...new Set(httpLinks.map((l) => normaliseUrl(l.href)))];
  const existing = existingLinkSchema.parse(
    await store.fetch(`*[_type == "link" && normalizedUrl in $urls]{ _id, url, normalizedUrl, title, siteName, description }`, { urls: normalized }, { perspective: 'published' }),
  );
  const byNormalized = new Map(existing.map((l) => [l.normalizedUrl, l] as const));
  const capturedAt = options.now().toISOString();
  const newLinks: SanityDocument[] = [];
  for (const link of httpLinks) {
    const n = normaliseUrl(link.href);
    if (byNormalized.has(n)) continue;
    const doc = {
      _id: linkIdFor(n),
      _type: 'link',
      url: stripTrackingParameters(link.href),
      normalizedUrl: n,
      capturedAt,
      foundAt: `issue ${number} (imported from ${options.file.split(/[\\/]/).pop()})`,
      status: 'shortlisted',
      // Titles and descriptions come from the pages themselves: `newsdesk links enrich`.
      needsEnrichment: true,
      tags: [],
    };
    newLinks.push(doc);
    byNormalized.set(n, { _id: doc._id, url: doc.url, normalizedUrl: n, title: undefined, siteName: undefined, description: undefined });
  }

  const toReference = (blocks: StoredBlock[]): StoredBlock[] => blocks.map((b) => referenceLinks(b, byNormalized));
  const id = `issue-${number}`;
  const docId = options.publish ? id : `drafts.${id}`;
  const issueDoc: SanityDocument = {
    _id: docId,
    _type: 'issue',
    number,
    title: converted.title,
    slug: { _type: 'slug', current: converted.slug },
    date: converted.date,
    ...(converted.summary ? { summary: converted.summary } : {}),
    ...(converted.byline ? { byline: converted.byline } : {}),
    intro: toReference(converted.intro),
    sections: converted.sections.map(({ line: _line, ...s }) => ({ ...s, body: toReference(s.body) })),
    signOff: [],
  };

  // Read model of what would be stored, through the same zod contract every renderer trusts.
  const [issue] = parseOrThrow(issueSchema, [projectIssue(issueDoc, byNormalized)], 'issue');
  const fidelity = checkImportFidelity(source, options.renderText(issue!), options.file, { skipLines: converted.metaLines });

  const summary = summarise(converted, issueDoc, number, options, existingIssues.map((d) => d._id), fidelity, {
    created: newLinks.length,
    reused: normalized.length - newLinks.length,
  });
  if (options.dryRun) return summary;

  const mutations: Mutation[] = [
    ...newLinks.map((doc) => ({ createIfNotExists: doc })),
    ...existingIssues.filter((d) => d._id !== docId).map((d) => ({ delete: { id: d._id } })),
    { createOrReplace: issueDoc },
  ];
  await store.mutate(mutations);
  return { ...summary, written: true };
}

type KnownLink = z.infer<typeof existingLinkSchema>[number];

function referenceLinks(block: StoredBlock, links: Map<string, KnownLink>): StoredBlock {
  const swap = <B extends { markDefs: Array<{ _type: string; _key: string; href?: string }> }>(b: B) => ({
    ...b,
    markDefs: b.markDefs.map((def) => {
      if (def._type !== 'externalLink' || !def.href || !parseHttpUrl(def.href)) return def;
      const target = links.get(normaliseUrl(def.href))!;
      // The link library keys pages without fragments; a link to a place on a page keeps its exact address.
      if (new URL(def.href).hash !== '' && new URL(def.href).hash !== safeHash(target.url)) return def;
      return { _type: 'linkReference', _key: def._key, reference: { _type: 'reference', _ref: target._id } };
    }),
  });
  const note = (n: StoredNote) => ({ ...n, body: n.body.map(swap) });
  if (block._type === 'editorialNote') return note(block) as unknown as StoredBlock;
  return { ...swap(block), children: (block as StoredTextBlock).children.map((c) => (c._type === 'editorialNote' ? note(c) : c)) } as unknown as StoredBlock;
}

function safeHash(url: string): string {
  try {
    return new URL(url).hash;
  } catch {
    return '';
  }
}

/** The stored issue as the issue query would project it: references followed, sections keyed. */
function projectIssue(doc: SanityDocument, links: Map<string, KnownLink>): unknown {
  const byId = new Map([...links.values()].map((l) => [l._id, l] as const));
  const project = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(project);
    if (typeof value !== 'object' || value === null) return value;
    const obj = value as Record<string, unknown>;
    if (obj._type === 'linkReference') {
      const target = byId.get((obj.reference as { _ref: string })._ref);
      return { _type: 'linkReference', _key: obj._key, link: target ? { id: target._id, url: target.url, title: target.title ?? null, siteName: target.siteName ?? null, description: target.description ?? null } : null };
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, project(v)]));
  };
  const sections = (doc.sections as Array<{ _key: string; heading: string; body: unknown }>).map((s) => ({ key: s._key, heading: s.heading, topic: null, body: project(s.body) }));
  return {
    id: doc._id,
    isDraft: doc._id.startsWith('drafts.'),
    number: doc.number,
    title: doc.title,
    slug: (doc.slug as { current: string }).current,
    date: doc.date,
    summary: doc.summary ?? null,
    byline: doc.byline ?? null,
    intro: project(doc.intro),
    sections,
    signOff: [],
    tags: [],
  };
}

function summarise(
  converted: ConvertedIssue,
  doc: SanityDocument,
  number: number,
  options: ImportOptions,
  replaced: string[],
  fidelity: FidelityReport,
  linkDocs: { created: number; reused: number },
): ImportSummary {
  const countIn = (blocks: StoredBlock[]) => {
    let links = 0;
    let notes = 0;
    for (const b of blocks) {
      if (b._type === 'editorialNote') {
        notes++;
        links += b.body.reduce((n, nb) => n + nb.markDefs.length, 0);
        continue;
      }
      links += b.markDefs.length;
      for (const c of b.children) {
        if (c._type === 'editorialNote') {
          notes++;
          links += c.body.reduce((n, nb) => n + nb.markDefs.length, 0);
        }
      }
    }
    return { links, notes };
  };
  const http = converted.links.filter((l) => parseHttpUrl(l.href));
  return {
    id: doc._id,
    number,
    title: converted.title,
    date: converted.date!,
    byline: converted.byline,
    published: Boolean(options.publish),
    replaced,
    sections: converted.sections.map((s) => ({ heading: s.heading, blocks: s.body.length, ...countIn(s.body) })),
    links: {
      total: converted.links.length,
      distinct: new Set(http.map((l) => normaliseUrl(l.href))).size,
      created: linkDocs.created,
      reused: linkDocs.reused,
      external: converted.links.length - http.length,
    },
    notes: {
      inline: converted.asides.filter((a) => a.placement === 'inline').length,
      block: converted.asides.filter((a) => a.placement === 'block').length,
    },
    lists: { bullet: converted.stats.bulletItems, number: converted.stats.numberedItems },
    fidelity,
    written: false,
  };
}

/** Summary lines for the CLI. */
export function formatImportSummary(s: ImportSummary): string[] {
  const lines = [
    `Issue ${s.number}: ${s.title} (${s.date}${s.byline ? `, by ${s.byline}` : ''}) → ${s.id}${s.published ? ' (published)' : ' (draft)'}`,
    `${s.sections.length} section(s):`,
    ...s.sections.map((x, i) => `  ${String(i + 1).padStart(2)}. ${x.heading} — ${x.blocks} block(s), ${x.links} link(s), ${x.notes} note(s)`),
    `Links: ${s.links.total} in the text, ${s.links.distinct} distinct pages; ${s.links.created} new link document(s), ${s.links.reused} reused${s.links.external ? `, ${s.links.external} non-web link(s) kept as plain links` : ''}`,
    `Editorial notes: ${s.notes.inline + s.notes.block} (${s.notes.inline} inline, ${s.notes.block} whole-paragraph)`,
    `Lists: ${s.lists.bullet} bullet item(s), ${s.lists.number} numbered item(s)`,
    `Fidelity: ${s.fidelity.links} link(s) in order, ${s.fidelity.asides} aside(s), ${s.fidelity.paragraphs} paragraph(s) checked against the plain-text rendering`,
  ];
  if (s.replaced.length) lines.push(`Replaced: ${s.replaced.join(', ')}`);
  return lines;
}
