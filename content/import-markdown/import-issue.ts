// The import's only I/O: read what the content store already holds, convert and plan
// each back-issue (one bad file never stops the rest), and write the good ones. An
// archive is written in transactions of a few dozen issues, so a large import neither
// rewrites the dataset per issue nor builds one enormous transaction; and each issue is
// converted, checked and written in turn, so no more than a batch of converted issues is
// ever held (a first pass keeps only each file's number and date).
//
// Archive-wide decisions live here, so a real archive needs no flags: the day-month
// order of "03-04-2022" dates is settled by the archive's other dates; an archive whose
// numbers are missing or repeat is numbered by date order (unless a few files lack one and
// numbering would shift the numbers the others give: those are kept); and the shipped sample issues
// give way to an archive when the store holds nothing else (see findSampleGivingWay);
// files with no date of their own take the day git history first saw them (git-dates.ts).
import fs from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { parseDataset } from '../groq-js-store.ts';
import { isNewsdeskError, NewsdeskError } from '../../core/errors.ts';
import type { ContentStore, Mutation, SanityDocument } from '../store.ts';
import { defaultAsideSignature } from './aside-syntax.ts';
import { noteDateOrder, settleDateOrder } from './dates.ts';
import { importError } from './errors.ts';
import { attachLocalImages, findLocalImage, localAssetsDir } from './local-images.ts';
import { convertMarkdownIssue, derivedSummaryOf, type ConvertOptions } from './map.ts';
import { planIssueImport, type ImportSummary, type Library, type PlanOptions } from './plan.ts';

export interface ImportInput {
  /** Name used in messages (the path as the user gave it, or the export's post id). */
  file: string;
  /** The Markdown, or how to read it: an archive's files are read when their turn comes, never held all at once. */
  source: string | (() => Promise<string>);
  /** A number decided outside the file (the platform export's order, --number). */
  number?: number | undefined;
  /** The folder the file is in: pictures beside it are copied into a local dataset. */
  dir?: string | undefined;
  /** The file's absolute path, by which its git history is looked up (historyDates). */
  path?: string | undefined;
}

export interface ImportIssuesOptions extends PlanOptions {
  dryRun?: boolean | undefined;
  /** For files without a date of their own. */
  date?: string | undefined;
  baseUrl?: string | undefined;
  /** Number the files by date (then name), after the highest number already stored. */
  renumber?: boolean | undefined;
  /** Issues per transaction when writing. */
  batchSize?: number | undefined;
  /** The shipped sample dataset: its issues, while untouched, give way to an imported archive. */
  sample?: SanityDocument[] | undefined;
  /** Dates for files with none of their own, by absolute path (datesFromGitHistory); never overrides a file's own date. */
  historyDates?: ((paths: string[]) => Promise<Map<string, string>>) | undefined;
}

export type ImportResult = { file: string; ok: true; summary: ImportSummary } | { file: string; ok: false; error: NewsdeskError };

export interface ImportReport {
  results: ImportResult[];
  written: boolean;
  /** Decisions taken for the whole archive (numbering, the sample giving way), one sentence each. */
  notes: string[];
}

const settingsSchema = z.object({ title: z.string().nullish(), asideSignature: z.string().nullish() }).nullable();
const librarySchema = z.object({
  links: z.array(z.object({ _id: z.string(), url: z.string().nullish(), normalizedUrl: z.string().nullish() })),
  issues: z.array(z.object({ _id: z.string(), number: z.number().nullish() })),
  tags: z.array(z.object({ _id: z.string(), slug: z.string().nullish() })),
});

export async function importIssues(store: ContentStore, inputs: ImportInput[], options: ImportIssuesOptions): Promise<ImportReport> {
  const [settings, library] = await Promise.all([readImportSettings(store), readLibrary(store)]);
  const seen = { dayFirst: false, monthFirst: false };
  for (const input of inputs) noteDateOrder(`${input.file}\n${await sourceOf(input)}`, seen);
  const dateOrder = settleDateOrder(seen);
  const convertOptions: ConvertOptions = { asideSignature: settings.asideSignature, baseUrl: options.baseUrl, date: options.date, newsletterTitle: settings.title, dateOrder };
  const notes: string[] = [];

  const assetsDir = localAssetsDir(store);
  const convert = async (input: ImportInput) => {
    const dir = input.dir;
    const localImage = assetsDir && dir ? (src: string) => findLocalImage(dir, src) !== undefined : undefined;
    return convertMarkdownIssue(await sourceOf(input), input.file, { ...convertOptions, number: input.number, localImage });
  };
  // First pass: every file's number and date, which the archive-wide decisions below need.
  // The converted issue (its parse above all) is let go at once and converted again when
  // its turn to be written comes: memory stays bounded whatever the archive's size.
  const heads: Head[] = [];
  for (const input of inputs) {
    try {
      const { number, date, summary, summaryDerived } = await convert(input);
      heads.push({ input, number, date, ...(summaryDerived && summary !== undefined ? { derivedSummary: summary } : {}) });
    } catch (error) {
      heads.push({ input, error: asImportError(error, input.file) });
    }
  }

  // Files that say nothing of their date: the git history of the archive says when each was first committed.
  const undated = heads.filter((h) => !h.error && h.date === undefined && h.input.path !== undefined);
  if (undated.length > 0 && options.historyDates) {
    const dates = await options.historyDates(undated.map((h) => h.input.path!));
    let dated = 0;
    for (const h of undated) {
      h.date = dates.get(h.input.path!);
      if (h.date !== undefined) dated++;
    }
    if (dated > 0) notes.push(`Dated ${dated} file(s) by their git history (the day each was first committed), having no date of their own.`);
  }

  const numbered = heads.filter((h) => !h.error);
  // The untouched sample leaves before numbers are compared, so an archive never collides with it.
  const giveWay = options.sample ? await findSampleGivingWay(store, options.sample, inputs.length, numbered.flatMap((h) => (h.number === undefined ? [] : [h.number]))) : [];
  // Read now, before anything is written: a lean store reads its whole file again for a query after a write.
  const sampleSettings = giveWay.length > 0 && options.sample !== undefined && (await holdsSampleSettings(store, options.sample));
  if (giveWay.length) {
    for (const [number, ids] of library.issues) if (ids.every((id) => giveWay.includes(id))) library.issues.delete(number);
  }
  // Said once the outcome is known: the sample leaves only with the first write.
  const giveWayNote = (removed: boolean) =>
    `The store held only the untouched sample issues: ${giveWay.join(', ')} ${removed ? 'were' : 'would be'} removed to make way for this archive (an issue you edited or created is never removed without --replace).`;

  const numbers = numbered.map((h) => h.number);
  const missing = numbers.filter((n) => n === undefined).length;
  const repeated = [...new Set(numbers.filter((n, i) => n !== undefined && numbers.indexOf(n) !== i))];
  const autoNumber = !options.renumber && inputs.length > 1 && (missing > 0 || repeated.length > 0);
  const start = Math.max(0, ...library.issues.keys()) + 1;
  const dated = [...numbered].sort((a, b) => (a.date ?? '\uffff').localeCompare(b.date ?? '\uffff') || a.input.file.localeCompare(b.input.file, 'en', { numeric: true }));
  // A few files without a number in an archive whose others all give theirs (a special edition
  // among the weekly issues): numbering by date would shift the real numbers past each of them,
  // so the archive's own numbers are kept and those few files are refused, saying how to number
  // them. Numbering by date still happens when it changes no file's own number (it fills gaps).
  const changed = dated.filter((h, i) => h.number !== undefined && h.number !== start + i).length;
  const keepOwn = autoNumber && repeated.length === 0 && missing * 10 <= numbered.length && changed > 0;
  if (keepOwn) {
    const own = numbered.length - missing;
    for (const h of numbered) {
      if (h.number !== undefined) continue;
      h.error = importError(
        h.input.file,
        undefined,
        `no issue number, and the archive's ${own} other file(s) give theirs, which are kept (numbering the archive by date would change ${changed} of them)`,
        'Add `number: N` to its front matter (a number no other issue has), or pass --renumber to number the whole archive by date.',
      );
    }
    notes.push(`Kept the issue numbers the archive's files give; ${missing} file(s) without one were not imported (numbering the archive by date would change ${changed} of the others: pass --renumber for that).`);
  } else if (options.renumber || autoNumber) {
    let next = start;
    const first = next;
    for (const h of dated) h.number = next++;
    if (autoNumber && dated.length) {
      const why = [missing ? `${missing} file(s) had no issue number` : '', repeated.length ? `number(s) ${repeated.join(', ')} appeared more than once` : ''].filter(Boolean).join(' and ');
      notes.push(`Numbered the archive by date order, ${first}–${next - 1}: ${why} (give each file a \`number:\` to keep your own).`);
    }
  }

  // A summary taken from the first paragraph that three or more of the archive's issues share is the
  // newsletter's greeting, not what an issue is about: the archive would show it under every
  // title. Those issues get none (the archive then shows title and date; an email's preview
  // text still opens with the intro). The newest issues already stored say the same of a file
  // imported on its own (the next issue of an archive imported before).
  const derived = new Map<string, number>();
  for (const h of numbered) if (h.derivedSummary !== undefined) derived.set(h.derivedSummary, (derived.get(h.derivedSummary) ?? 0) + 1);
  const stored = derived.size > 0 ? await newestDerivedSummaries(store) : [];
  const greetings = new Set(
    [...derived]
      .filter(([summary, count]) => count >= 3 || stored.filter((s) => s === summary).length >= 2)
      .map(([summary]) => summary),
  );
  const greeted = numbered.filter((h) => h.derivedSummary !== undefined && greetings.has(h.derivedSummary));
  if (greeted.length > 0) {
    notes.push(`Left the summary out of ${greeted.length} issue(s) whose first paragraph, where a summary would come from, is the newsletter's greeting (the same in three or more issues): give an issue a \`summary:\` in its front matter, or write one in the Studio.`);
  }

  // Second pass: convert, plan and check each file again, written a batch of issues at a
  // time; only the summaries stay.
  const results: ImportResult[] = [];
  const claimed = new Map<number, string>();
  const batch = options.batchSize ?? 50;
  let pending: Array<{ index: number; mutations: Mutation[] }> = [];
  let flushed = false;
  const flush = async () => {
    const chunk = pending;
    pending = [];
    if (chunk.length === 0 || options.dryRun) return;
    if (!flushed && giveWay.length) chunk[0]!.mutations.unshift(...giveWay.map((id) => ({ delete: { id } })));
    flushed = true;
    try {
      await store.mutate(dedupeCreates(chunk.flatMap((p) => p.mutations)));
    } catch (error) {
      const reason = isNewsdeskError(error) ? error.message : (error as Error).message;
      for (const p of chunk) {
        const file = results[p.index]!.file;
        results[p.index] = { file, ok: false, error: new NewsdeskError('IMPORT_FAILED', `${file}: writing failed (${reason})`, { hint: 'Nothing of this batch was stored; fix the store problem and import these files again.', cause: error }) };
      }
    }
  };
  for (const head of heads) {
    const { input } = head;
    if (head.error) {
      results.push({ file: input.file, ok: false, error: head.error });
      continue;
    }
    try {
      const number = head.number;
      if (number !== undefined && claimed.has(number)) {
        throw importError(input.file, undefined, `issue number ${number} is already taken by ${claimed.get(number)} in this import`, 'Number the archive with --renumber, or fix the number in one of the two files.');
      }
      const greeting = head.derivedSummary !== undefined && greetings.has(head.derivedSummary);
      const issue = { ...(await convert(input)), number, date: head.date, ...(greeting ? { summary: undefined } : {}) };
      const plan = planIssueImport(issue, library, options);
      const mutations = assetsDir && input.dir ? await attachLocalImages(plan.mutations, input.file, input.dir, assetsDir, { dryRun: Boolean(options.dryRun), now: (options.now ?? (() => new Date()))() }) : plan.mutations;
      claimed.set(plan.summary.number, input.file);
      // A copy: the summary's strings (headings, warnings) may be slices of the file's text,
      // which would keep every file's text alive until the end.
      results.push({ file: input.file, ok: true, summary: structuredClone(plan.summary) });
      pending.push({ index: results.length - 1, mutations });
    } catch (error) {
      results.push({ file: input.file, ok: false, error: asImportError(error, input.file) });
    }
    if (pending.length >= batch) await flush();
  }
  await flush();
  if (!flushed) return { results, written: false, notes: giveWay.length ? [giveWayNote(false), ...notes] : notes };
  if (giveWay.length) notes.unshift(giveWayNote(true));
  // The sample's issues are gone, but its newsletter settings would still name the site.
  if (sampleSettings) {
    notes.push(`The site is still named "${settings.title ?? ''}" with the sample's description and address: set your newsletter's own in the Studio (Settings).`);
  }
  return { results, written: results.some((r) => r.ok), notes };
}

function sourceOf(input: ImportInput): Promise<string> {
  return typeof input.source === 'string' ? Promise.resolve(input.source) : input.source();
}

/** What the first pass keeps of a file: its number and date, or why it was refused. */
interface Head {
  input: ImportInput;
  number?: number | undefined;
  date?: string | undefined;
  /** The summary convert() took from the first paragraph, when the file gives none (left out when it is the archive's greeting). */
  derivedSummary?: string | undefined;
  error?: NewsdeskError | undefined;
}

/**
 * The sample issues a fresh data folder ships with, when they should make way: the store
 * holds no issue but the shipped sample's, each exactly as shipped, and the import is an
 * archive (several files) or claims one of their numbers. Anything edited or created by
 * the editor keeps the store as it is (a collision then needs --replace).
 */
async function findSampleGivingWay(store: ContentStore, sample: SanityDocument[], files: number, numbers: number[]): Promise<string[]> {
  const shipped = new Map(sample.filter((d) => d._type === 'issue').map((d) => [d._id, d]));
  if (shipped.size === 0) return [];
  const stored = await documentsOfType(store, 'issue');
  if (stored.length === 0) return [];
  const untouched = stored.every((doc) => {
    const original = shipped.get(doc._id);
    return original !== undefined && isDeepStrictEqual(withoutSystemFields(doc), withoutSystemFields(original));
  });
  if (!untouched) return [];
  const claims = stored.some((doc) => typeof doc.number === 'number' && numbers.includes(doc.number));
  return files > 1 || claims ? stored.map((d) => d._id).sort() : [];
}

/** Whether the newsletter settings are still exactly the shipped sample's. */
async function holdsSampleSettings(store: ContentStore, sample: SanityDocument[]): Promise<boolean> {
  const shipped = sample.find((d) => d._type === 'newsletter');
  if (!shipped) return false;
  const stored = await documentsOfType(store, 'newsletter');
  return stored.length === 1 && isDeepStrictEqual(withoutSystemFields(stored[0]!), withoutSystemFields(shipped));
}

/** Every stored document of `type`, drafts included, as stored. */
async function documentsOfType(store: ContentStore, type: string): Promise<SanityDocument[]> {
  return z.array(z.object({ _id: z.string() }).passthrough()).parse(await store.fetch(`*[_type == $type]`, { type }, { perspective: 'raw' })) as SanityDocument[];
}

function withoutSystemFields(doc: SanityDocument): Record<string, unknown> {
  const { _rev: _r, _createdAt: _c, _updatedAt: _u, ...rest } = doc as Record<string, unknown>;
  return rest;
}

/** Two issues of one batch may create the same link or tag; a transaction creates each once. */
function dedupeCreates(mutations: Mutation[]): Mutation[] {
  const seen = new Set<string>();
  return mutations.filter((m) => {
    if (!('createIfNotExists' in m)) return true;
    if (seen.has(m.createIfNotExists._id)) return false;
    seen.add(m.createIfNotExists._id);
    return true;
  });
}

async function readImportSettings(store: ContentStore): Promise<{ title: string | undefined; asideSignature: string }> {
  const raw = settingsSchema.parse(await store.fetch(`*[_type == "newsletter"][0]{ title, asideSignature }`, {}, { perspective: 'published' }));
  return { title: raw?.title ?? undefined, asideSignature: raw?.asideSignature?.trim() || defaultAsideSignature };
}

const newestIssuesSchema = z.array(z.object({ number: z.number().nullish(), intro: z.array(z.unknown()).nullish(), first: z.array(z.unknown()).nullish() }));

/** The summaries the three newest issues (published or drafts: one document a number) would be given from their first paragraph (derivedSummaryOf), whatever summary they have. */
async function newestDerivedSummaries(store: ContentStore): Promise<string[]> {
  const fetched = newestIssuesSchema.parse(
    await store.fetch(`*[_type == "issue"] | order(number desc)[0...6]{ number, intro, "first": sections[0].body }`, {}, { perspective: 'raw' }),
  );
  const newest = fetched.filter((issue, i) => fetched.findIndex((other) => other.number === issue.number) === i).slice(0, 3);
  return newest.flatMap((issue) => {
    const summary = derivedSummaryOf([...(issue.intro ?? []), ...(issue.first ?? [])]);
    return summary === undefined ? [] : [summary];
  });
}

async function readLibrary(store: ContentStore): Promise<Library> {
  const raw = librarySchema.parse(
    await store.fetch(
      `{
        "links": *[_type == "link" && !(_id in path("drafts.**"))]{ _id, url, normalizedUrl },
        "issues": *[_type == "issue"]{ _id, number },
        "tags": *[_type == "tag" && !(_id in path("drafts.**"))]{ _id, "slug": slug.current }
      }`,
      {},
      { perspective: 'raw' },
    ),
  );
  const library: Library = { links: new Map(), linkUrls: new Map(), issues: new Map(), tags: new Map() };
  for (const l of raw.links) {
    if (!l.normalizedUrl || !l.url || library.links.has(l.normalizedUrl)) continue;
    library.links.set(l.normalizedUrl, { _id: l._id, url: l.url });
    library.linkUrls.set(l._id, l.url);
  }
  for (const i of raw.issues) if (typeof i.number === 'number') library.issues.set(i.number, [...(library.issues.get(i.number) ?? []), i._id]);
  for (const t of raw.tags) if (t.slug) library.tags.set(t.slug, t._id);
  return library;
}

function asImportError(error: unknown, file: string): NewsdeskError {
  if (isNewsdeskError(error)) return error;
  return new NewsdeskError('IMPORT_FAILED', `${file}: ${(error as Error)?.message ?? String(error)}`, { hint: 'This is a bug in the importer; please report it with the file.', cause: error });
}

/** Bytes → text, refusing anything that is not UTF-8 with the line of the first bad byte. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    let line = 1;
    for (let i = 0, start = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, i));
        } catch {
          break;
        }
        line++;
        start = i + 1;
      }
    }
    throw importError(file, line, 'the file is not UTF-8 text (an undecodable byte)', 'Save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`) and import again.');
  }
}

/** The shipped sample, whose untouched issues give way to an archive; none when it cannot be read. */
export async function readSample(samplePath: string | undefined): Promise<SanityDocument[] | undefined> {
  if (!samplePath) return undefined;
  const text = await fs.readFile(samplePath, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseDataset(text, samplePath);
}
