// The Studio's document lists and search use the "groq2024" search, which calls
// text::query(). groq-js has no such function, so before evaluating, the lake finds the
// matching documents itself and rewrites each `<target> match text::query($q)` into
// `_id in $<ids>`. This is the one place that knows that dialect difference.
import { poolOf } from '../groq-narrow.ts';
import type { SanityDocument } from '../store.ts';

export interface SearchRewrite {
  query: string;
  params: Record<string, unknown>;
}

const textQueryCall = /(\[\s*@\s*,\s*_id\s*\]|[\w.]+)\s+match\s+text::query\(\s*\$(\w+)\s*\)/g;

/**
 * Rewrites text::query() calls against `documents` (the perspective's view); unchanged when
 * there are none. Only documents of the types the query scans are looked at, when it says
 * which (scannedTypes): a search of the link list reads no issue's words.
 */
export function rewriteTextQuery(query: string, params: Record<string, unknown>, documents: () => SanityDocument[]): SearchRewrite {
  if (!query.includes('text::query(')) return { query, params };
  const extra: Record<string, unknown> = {};
  let n = 0;
  let candidates: readonly SanityDocument[] | undefined;
  // Each type's documents as the query's narrowing keeps them (groq-narrow.ts poolOf), gathered once per view.
  const searched = () => {
    if (!candidates) {
      const types = scannedTypes(query, params);
      const dataset = documents();
      candidates = types ? [...types].flatMap((type) => poolOf(dataset, type)) : dataset;
    }
    return candidates;
  };
  const rewritten = query.replace(textQueryCall, (_match, target: string, param: string) => {
    const terms = parseTextQuery(String(params[param] ?? ''));
    if (terms.length === 0) return 'true';
    const name = `__newsdeskMatches${n++}`;
    const field = /^\[/.test(target) ? undefined : target;
    extra[name] = searched()
      .filter((doc) => matchesTerms(field === undefined ? documentWords(doc) : fieldWords(doc, field), terms))
      .map((doc) => doc._id);
    return `(_id in $${name})`;
  });
  return { query: rewritten, params: { ...params, ...extra } };
}

/**
 * The document types a query can test text::query() on, when it says so plainly: one scan
 * (a single `*`, comments and strings aside) whose filter starts with `_type in $param`,
 * `_type == $param` or `_type == "type"` joined to the rest by `&&` (no `||` outside
 * parentheses), as the Studio's searches are (`*[_type in $__types && …] | score(…)`).
 * Undefined when it cannot tell: every document is then a candidate.
 */
export function scannedTypes(query: string, params: Record<string, unknown>): Set<string> | undefined {
  const code = query.replace(/^\s*\/\/.*$/gm, '');
  // Strings emptied, so a `*`, bracket or `||` in one is not read as code.
  const bare = code.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  if (bare.split('*').length !== 2) return undefined;
  const start = /^\s*\*\s*\[/.exec(bare);
  if (!start) return undefined;
  // The filter: up to the bracket that closes the scan's, with no `||` at its own level.
  let depth = 0;
  let end = -1;
  for (let i = start[0].length; i < bare.length && end < 0; i++) {
    const c = bare[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === '}' || (c === ']' && depth > 0)) depth--;
    else if (c === ']') end = i;
    else if (depth === 0 && c === '|' && bare[i + 1] === '|') return undefined;
  }
  if (end < 0) return undefined;
  const first = /^\s*\*\s*\[\s*_type\s*(?:in\s*\$(\w+)|==\s*\$(\w+)|==\s*"([^"\\]*)")\s*(?:&&|\])/.exec(code);
  if (!first) return undefined;
  if (first[3] !== undefined) return new Set([first[3]]);
  // `in` a list of names, or `==` one name; anything else is left to the evaluation.
  const value = first[1] !== undefined ? params[first[1]] : [params[first[2]!]];
  return Array.isArray(value) && value.every((t) => typeof t === 'string') ? new Set(value as string[]) : undefined;
}

interface Term {
  text: string;
  negated: boolean;
  /** A quoted phrase (text: its words, space-separated), matched whole. */
  phrase?: boolean;
}

/**
 * text::query syntax: words (all must match), `-word` exclusions, "quoted phrases". A
 * word matches the start of a word (the Studio searches as the editor types, and marks
 * the last word with `*`), so `merg` and `merg*` both find "Merging".
 */
export function parseTextQuery(input: string): Term[] {
  const terms: Term[] = [];
  const re = /(-?)"([^"]*)"|(-?)(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(input)) !== null) {
    if (m[2] !== undefined) {
      const phrase = words(m[2]);
      if (phrase.length) terms.push({ text: phrase.join(' '), negated: m[1] === '-', phrase: true });
      continue;
    }
    for (const word of words(m[4]!)) terms.push({ text: word, negated: m[3] === '-' });
  }
  return terms;
}

function matchesTerms(haystack: string, terms: Term[]): boolean {
  return terms.every((term) => {
    // The haystack has a space before each word and after the last: a word's start, or a whole phrase.
    const found = haystack.includes(term.phrase ? ` ${term.text} ` : ` ${term.text}`);
    return term.negated ? !found : found;
  });
}

const wordCache = new WeakMap<SanityDocument, string>();
/** By field, then by document: a few fields are searched by name (the Studio's title boost), over every document. */
const fieldCache = new Map<string, WeakMap<SanityDocument, string>>();

/**
 * Every word in a document's strings (system fields aside, _id included), cached per
 * stored version. A query worker makes them for every document once it has loaded
 * (query-worker.ts), so its first search is as quick as the next.
 */
export function documentWords(doc: SanityDocument): string {
  return remembered(wordCache, doc, () => {
    const strings = [doc._id];
    for (const key in doc) if (!key.startsWith('_')) stringsOf((doc as Record<string, unknown>)[key], strings);
    return strings;
  });
}

/**
 * The fields the Studio's searches boost, in every type: Sanity weighs a type's preview
 * title, subtitle and description (10, 5, 1.5), and each newsdesk type's preview selects
 * `title` alone (schemas/; tests/schemas.integration.test.ts holds them to this list). A
 * query worker reads their words ahead with the documents' (query-worker.ts warm).
 */
export const studioSearchFields: readonly string[] = ['title'];

/** The words of one field of a document, cached the same way. */
export function fieldWords(doc: SanityDocument, field: string): string {
  let byDocument = fieldCache.get(field);
  if (!byDocument) fieldCache.set(field, (byDocument = new WeakMap()));
  return remembered(byDocument, doc, () => stringsOf(readPath(doc, field), []));
}

/** The word text (wordText) of the strings `strings` gives, made once per document. */
function remembered(cache: WeakMap<SanityDocument, string>, doc: SanityDocument, strings: () => string[]): string {
  let cached = cache.get(doc);
  if (cached === undefined) cache.set(doc, (cached = wordText(strings())));
  return cached;
}

/** The strings in `value` (keys starting with _ aside), added to `out`. */
function stringsOf(value: unknown, out: string[]): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const key in value) if (!key.startsWith('_')) stringsOf((value as Record<string, unknown>)[key], out);
  }
  return out;
}

/**
 * The words of `strings` as one text, lower-cased and normalised, each word preceded by a
 * space and the last followed by one (" gpu pools for kelpie "): one pass of one regular
 * expression per document, and a search is a substring test. A list of words per
 * document took 4 s for an archive of 1,000 issues and 80,000 links, the first search
 * after a start paying it.
 */
function wordText(strings: string[]): string {
  return ` ${words(strings.join(' ')).join(' ')} `;
}

function words(text: string): string[] {
  return text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
}

function readPath(doc: SanityDocument, field: string): unknown {
  return field.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), doc);
}
