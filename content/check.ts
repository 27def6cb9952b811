// The content checks `newsdesk check` runs over the whole store, and the same rules for
// one issue about to be scheduled or sent: every problem is reported, each naming the
// document, field and what to fix.
import { z } from 'zod';
import { NewsdeskError, isNewsdeskError } from '../core/errors.ts';
import { collectUrlWarnings, describeUrl } from '../web/url-warnings.ts';
import { eachLinkUsedIn, loadIssueByNumber, loadSettings } from './load.ts';
import { describeProblem, issueSchema, parseDocuments, settingsSchema, tagSchema, type ContentProblem, type Issue } from './model.ts';
import { projectIssue, projectLink } from './issue-projection.ts';
import { everythingLocalQuery, everythingQuery, issuesByIdQuery } from './queries.ts';
import { findIssueRuleErrors, isSafeLinkUrl, summaryMaxLength, summaryTooLongMessage } from './rules.ts';
import type { ContentStore } from './store.ts';
import { collectReferences } from './used-in.ts';

const everythingSchema = z.object({
  settings: z.array(z.unknown()),
  issues: z.array(z.unknown()),
  links: z.array(z.unknown()),
  tags: z.array(z.unknown()),
  referrers: z.array(z.object({ usedIn: z.unknown(), document: z.unknown() })),
});
type Referrer = z.infer<typeof everythingSchema>['referrers'][number];

/** Every problem in the store: model violations plus the cross-document rules. */
export async function checkContent(store: ContentStore): Promise<ContentProblem[]> {
  const local = store.local ? await everythingInProcess(store) : undefined;
  const all = everythingSchema.parse(local?.answer ?? (await store.fetch(everythingQuery, {}, { perspective: 'published' })));
  const found: ContentProblem[] = [];
  if (all.settings.length === 0) {
    found.push({ id: 'newsletter', label: 'settings', path: '(document)', message: 'no published newsletter settings document; create and publish Settings' });
  }
  found.push(...parseDocuments(settingsSchema, all.settings, 'settings').problems);
  found.push(...checkLinks(all.links, all.referrers, local?.projectLink));
  found.push(...parseDocuments(tagSchema, all.tags, 'tag').problems);
  const issues = checkIssues(all.issues, true, undefined, local?.projectIssue);
  found.push(...issues.problems);
  const reported = new Set(found.map(keyProblem));
  return [...found, ...(await checkDrafts(store, issues.valid, all.referrers, reported))];
}

/**
 * everythingQuery's answer from a store in this process: its links and issues as they are,
 * with the projections (in code, as groq-js would make them) for checkLinks and
 * checkIssues to make one document at a time (so each projected copy dies young).
 */
async function everythingInProcess(store: ContentStore): Promise<{ answer: unknown; projectIssue: (doc: unknown) => unknown; projectLink: (doc: unknown) => unknown }> {
  // Each document is checked by the read model once projected (parseDocuments); here only that it is one.
  const { documents, ...rest } = z
    .object({ documents: z.array(z.unknown()) })
    .loose()
    .parse(await store.fetch(everythingLocalQuery, {}, { perspective: 'published' }));
  const docs = documents.filter((doc): doc is { _id: string; _type?: unknown } => typeof doc === 'object' && doc !== null && typeof (doc as { _id?: unknown })._id === 'string');
  const byId = new Map(docs.map((doc) => [doc._id, doc] as const));
  const lookup = (id: string) => byId.get(id);
  return {
    answer: { ...rest, issues: docs.filter((doc) => doc._type === 'issue'), links: docs.filter((doc) => doc._type === 'link') },
    projectIssue: (doc) => projectIssue(doc as object, lookup),
    projectLink: (doc) => projectLink(doc as object, lookup),
  };
}

/**
 * The problems of the links (eachLinkUsedIn parses one at a time: 80,000 links parsed all
 * at once were most of a long archive's check peak): what does not fit the model, then
 * URLs the build would leave out.
 */
function checkLinks(raw: unknown[], referrers: Referrer[], project?: (doc: unknown) => unknown): ContentProblem[] {
  const parseProblems: ContentProblem[] = [];
  const urlProblems: ContentProblem[] = [];
  for (const { documents, problems } of eachLinkUsedIn(raw, referrers, project)) {
    parseProblems.push(...problems);
    for (const doc of documents) {
      // The build leaves such a link out wherever an issue uses it; say so before it is used.
      if (!isSafeLinkUrl(doc.url)) urlProblems.push({ id: doc.id, label: 'link', path: 'url', message: `${describeUrl(doc.url)} is not an http(s) or mailto URL; the build leaves this link out. Fix the URL or delete the link` });
    }
  }
  return [...parseProblems, ...urlProblems];
}

type IssueIdentity = Pick<Issue, 'id' | 'number' | 'slug'>;

/**
 * The problems of projected issues, in the order a whole-list check gives them: what does
 * not fit the model, then clashes, then each issue's own rules. Each issue is parsed and
 * checked, then let go (its slot in `raw` emptied: callers pass zod's copy of the array,
 * never the store's), so a large archive's parsed copies die young instead of all being
 * kept for the garbage collector to walk again and again.
 */
function checkIssues(
  raw: unknown[],
  published: boolean,
  clashesAmong: (valid: IssueIdentity[]) => IssueIdentity[] = (valid) => valid,
  /** Makes each item the projected issue, when `raw` holds the documents themselves. */
  project: (doc: unknown) => unknown = (doc) => doc,
): { problems: ContentProblem[]; valid: IssueIdentity[]; drafts: Set<string> } {
  const parseProblems: ContentProblem[] = [];
  const fieldProblems: ContentProblem[] = [];
  const valid: IssueIdentity[] = [];
  const drafts = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const doc = project(raw[i]);
    raw[i] = undefined;
    if (typeof doc === 'object' && doc !== null && (doc as { isDraft?: unknown }).isDraft === true) drafts.add((doc as { id?: string }).id as string);
    const { documents, problems } = parseDocuments(issueSchema, [doc], 'issue');
    const rules = checkIssueRules(doc, published);
    // Where the rule book and the model both object to a field, the rule book's words win:
    // they are the Studio's.
    const used = new Set<ContentProblem>();
    for (const problem of problems) {
      const rule = rules.find((r) => r.path === problem.path);
      if (rule && used.has(rule)) continue;
      if (rule) used.add(rule);
      parseProblems.push(rule ?? problem);
    }
    for (const issue of documents) {
      valid.push({ id: issue.id, number: issue.number, slug: issue.slug });
      fieldProblems.push(...rules, ...checkIssueFields(issue));
    }
    // A document the model refuses still hears the rest of the rule book, which reads any shape.
    if (documents.length === 0) fieldProblems.push(...rules.filter((r) => !used.has(r)));
  }
  return { problems: [...parseProblems, ...checkIssueClashes(clashesAmong(valid)), ...fieldProblems], valid, drafts };
}

const draftIdsQuery = `*[_id in path("drafts.**")]._id`;
const issueIdsQuery = `*[_type == "issue"]._id`;

/**
 * What the drafts add: the issues as the drafts perspective shows them, less what the
 * published check already reported, labelled "(draft)" where a draft says it. An issue
 * shows as published there unless it or a document it refers to has a draft, so only
 * those issues are projected and checked again (all of them, were every one changed);
 * the others' problems would all repeat. Number and slug clashes still look at all.
 */
async function checkDrafts(store: ContentStore, published: IssueIdentity[], referrers: Referrer[], reported: Set<string>): Promise<ContentProblem[]> {
  const draftIds = z.array(z.string()).parse(await store.fetch(draftIdsQuery, {}, { perspective: 'raw' }));
  if (draftIds.length === 0) return [];
  const changed = new Set(draftIds.map((id) => id.slice('drafts.'.length)));
  const affected = new Set(changed);
  for (const { document } of referrers) {
    const id = (document as { _id?: unknown })._id;
    if (typeof id !== 'string' || affected.has(id)) continue;
    for (const ref of collectReferences(document, new Set(), { deep: true })) {
      if (changed.has(ref as string)) {
        affected.add(id);
        break;
      }
    }
  }
  const order = z.array(z.string()).parse(await store.fetch(issueIdsQuery, {}, { perspective: 'drafts' }));
  const ids = order.filter((id) => affected.has(id));
  const raw = z.array(z.unknown()).parse(await store.fetch(issuesByIdQuery, { ids }, { perspective: 'drafts' }));
  // Clashes are between every issue the drafts show: the changed ones as they are now.
  const { problems: found, drafts } = checkIssues(raw, false, (changedValid) => {
    const byId = new Map(published.map((issue) => [issue.id, issue] as const));
    for (const id of affected) byId.delete(id);
    for (const issue of changedValid) byId.set(issue.id, issue);
    return order.flatMap((id) => byId.get(id) ?? []);
  });
  const problems: ContentProblem[] = [];
  for (const p of found) {
    const key = keyProblem(p);
    if (reported.has(key)) continue;
    reported.add(key);
    problems.push(!p.label.includes('draft') && drafts.has(p.id) ? { ...p, label: `${p.label} (draft)` } : p);
  }
  return problems;
}

function keyProblem(p: ContentProblem): string {
  return JSON.stringify([p.id, p.path, p.message]);
}

/** Numbers and slugs each issue must have to itself. */
function checkIssueClashes(issues: Array<Pick<Issue, 'id' | 'number' | 'slug'>>): ContentProblem[] {
  const problems: ContentProblem[] = [];
  const byNumber = new Map<number, string>();
  const bySlug = new Map<string, string>();
  for (const issue of issues) {
    const at = (path: string, message: string) => problems.push({ id: issue.id, label: `issue ${issue.number}`, path, message });
    const otherNumber = byNumber.get(issue.number);
    if (otherNumber) at('number', `number ${issue.number} is also used by ${otherNumber}; give each issue its own number`);
    byNumber.set(issue.number, issue.id);
    const otherSlug = bySlug.get(issue.slug);
    if (otherSlug) at('slug', `slug "${issue.slug}" is also used by ${otherSlug}; slugs must be unique`);
    bySlug.set(issue.slug, issue.id);
  }
  return problems;
}

/**
 * The rule book's errors (content/rules.ts) for one projected issue, as the Studio states
 * them. A draft may still be empty: that is judged when it is published.
 */
function checkIssueRules(doc: unknown, published: boolean): ContentProblem[] {
  const record = (typeof doc === 'object' && doc !== null ? doc : {}) as { id?: unknown; _id?: unknown; number?: unknown };
  const id = typeof record.id === 'string' ? record.id : typeof record._id === 'string' ? record._id : '(no id)';
  const label = typeof record.number === 'number' ? `issue ${record.number}` : 'issue';
  return findIssueRuleErrors(doc)
    .filter((f) => published || f.path !== 'sections')
    .map((f) => ({ id, label, path: f.path, message: f.message }));
}

/** The rules one issue must meet on its own, beyond the rule book. */
function checkIssueFields(issue: Issue): ContentProblem[] {
  const problems: ContentProblem[] = [];
  const at = (path: string, message: string) => problems.push({ id: issue.id, label: `issue ${issue.number}`, path, message });
  if (issue.summary && issue.summary.length > summaryMaxLength) {
    at('summary', summaryTooLongMessage(issue.summary.length));
  }
  // Exactly the links and images the build would leave out, with the same field paths;
  // the rule book's own findings are reported from the stored shape already.
  const ruleBook = new Set(findIssueRuleErrors(issue).map((f) => f.message));
  for (const w of collectUrlWarnings(issue)) if (!ruleBook.has(w.message)) at(w.field, w.message);
  return problems;
}

/** A published issue that may be sent: what was checked, and the revision that was. */
export interface SendableIssue {
  issue: Issue;
  /** The published document's id and revision now: a later revision means it was edited since. */
  documentId: string;
  revision: string;
  /** The issue has unpublished changes (a draft), which a send leaves out. */
  draftPending: boolean;
}

const sendFactsQuery = `{
  "published": *[_type == "issue" && number == $number && !(_id in path("drafts.**"))][0]{ _id, _rev },
  "draft": *[_type == "issue" && number == $number && _id in path("drafts.**")][0]{ _id },
  "others": *[_type == "issue" && number == $number && !(_id in path("drafts.**"))]{ "id": _id, number, "slug": slug.current }
}`;
const sendFactsSchema = z.object({
  published: z.object({ _id: z.string(), _rev: z.string().optional() }).nullable(),
  draft: z.object({ _id: z.string() }).nullable(),
  others: z.array(z.object({ id: z.string(), number: z.number(), slug: z.string().nullish() })),
});

/**
 * The published issue `issueNumber`, if it may be sent: not only a draft, the settings
 * and the issue fit the content model, and it has none of the problems `newsdesk check`
 * would report for it. Otherwise a SEND_REFUSED error naming every problem.
 */
export async function checkIssueForSend(store: ContentStore, issueNumber: number): Promise<SendableIssue> {
  const facts = sendFactsSchema.parse(await store.fetch(sendFactsQuery, { number: issueNumber }, { perspective: 'raw' }));
  if (!facts.published) {
    throw new NewsdeskError('SEND_REFUSED', facts.draft ? `Issue #${issueNumber} is a draft: only a published issue is sent` : `There is no issue number ${issueNumber}`, {
      hint: facts.draft ? 'Publish it first (in the Studio, or `newsdesk import --publish`); what goes out is the issue as published at send time.' : 'Run `newsdesk issues` to see the issues and their numbers.',
    });
  }
  const problems: ContentProblem[] = [];
  const collect = async <T>(load: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await load();
    } catch (error) {
      if (!isNewsdeskError(error, 'CONTENT_INVALID') && !isNewsdeskError(error, 'NOT_FOUND')) throw error;
      problems.push({ id: '', label: 'content', path: '', message: error.message });
      return undefined;
    }
  };
  const [issue] = await Promise.all([collect(() => loadIssueByNumber(store, issueNumber)), collect(() => loadSettings(store))]);
  if (issue) {
    problems.push(...checkIssueRules(issue, true), ...checkIssueFields(issue));
    // Slug clashes need the other issues' slugs: a second query only for this issue's slug.
    const sameSlug = z
      .array(z.object({ id: z.string(), number: z.number(), slug: z.string() }))
      .parse(await store.fetch('*[_type == "issue" && slug.current == $slug && !(_id in path("drafts.**"))]{ "id": _id, number, "slug": slug.current }', { slug: issue.slug }, { perspective: 'raw' }));
    const others = [...facts.others, ...sameSlug].filter((o) => o.id !== issue.id).map((o) => ({ id: o.id, number: o.number, slug: o.slug ?? '' }));
    problems.push(...checkIssueClashes([...others, issue]).filter((p) => p.id === issue.id));
  }
  if (problems.length > 0 || !issue) {
    throw new NewsdeskError('SEND_REFUSED', `Issue #${issueNumber} cannot be sent yet: ${problems.length} problem(s):\n  - ${problems.map((p) => (p.id ? describeProblem(p) : p.message)).join('\n  - ')}`, {
      hint: 'Fix them in the Studio and publish again (`newsdesk check` lists every problem in the content).',
    });
  }
  return { issue, documentId: facts.published._id, revision: facts.published._rev ?? '', draftPending: facts.draft !== null };
}
