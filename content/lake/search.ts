// The Studio's document lists and search use the "groq2024" search, which calls
// text::query(). groq-js has no such function, so before evaluating, the lake finds the
// matching documents itself and rewrites each `<target> match text::query($q)` into
// `_id in $<ids>`. This is the one place that knows that dialect difference.
import type { SanityDocument } from '../store.ts';

export interface SearchRewrite {
  query: string;
  params: Record<string, unknown>;
}

const textQueryCall = /(\[\s*@\s*,\s*_id\s*\]|[\w.]+)\s+match\s+text::query\(\s*\$(\w+)\s*\)/g;

/** Rewrites text::query() calls against `documents` (the perspective's view); unchanged when there are none. */
export function rewriteTextQuery(query: string, params: Record<string, unknown>, documents: () => SanityDocument[]): SearchRewrite {
  if (!query.includes('text::query(')) return { query, params };
  const extra: Record<string, unknown> = {};
  let n = 0;
  const rewritten = query.replace(textQueryCall, (_match, target: string, param: string) => {
    const terms = parseTextQuery(String(params[param] ?? ''));
    if (terms.length === 0) return 'true';
    const name = `__newsdeskMatches${n++}`;
    const field = /^\[/.test(target) ? undefined : target;
    extra[name] = documents()
      .filter((doc) => matchesTerms(field === undefined ? documentWords(doc) : wordsOf(readPath(doc, field)), terms))
      .map((doc) => doc._id);
    return `(_id in $${name})`;
  });
  return { query: rewritten, params: { ...params, ...extra } };
}

interface Term {
  text: string;
  negated: boolean;
  /** A quoted phrase: its words in order. */
  phrase?: string[];
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
      if (phrase.length) terms.push({ text: phrase.join(' '), negated: m[1] === '-', phrase });
      continue;
    }
    for (const word of words(m[4]!)) terms.push({ text: word, negated: m[3] === '-' });
  }
  return terms;
}

function matchesTerms(haystack: string[], terms: Term[]): boolean {
  return terms.every((term) => {
    const found = term.phrase
      ? containsPhrase(haystack, term.phrase)
      : haystack.some((w) => w.startsWith(term.text));
    return term.negated ? !found : found;
  });
}

function containsPhrase(haystack: string[], phrase: string[]): boolean {
  outer: for (let i = 0; i + phrase.length <= haystack.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (haystack[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
}

const wordCache = new WeakMap<SanityDocument, string[]>();

/** Every word in a document's strings (system fields aside, _id included), cached per stored version. */
function documentWords(doc: SanityDocument): string[] {
  let cached = wordCache.get(doc);
  if (!cached) {
    cached = [...words(doc._id), ...wordsOf(Object.fromEntries(Object.entries(doc).filter(([k]) => !k.startsWith('_'))))];
    wordCache.set(doc, cached);
  }
  return cached;
}

function wordsOf(value: unknown): string[] {
  if (typeof value === 'string') return words(value);
  if (Array.isArray(value)) return value.flatMap(wordsOf);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => (k === 'text' || !k.startsWith('_') ? wordsOf(v) : []));
  }
  return [];
}

function words(text: string): string[] {
  return text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
}

function readPath(doc: SanityDocument, field: string): unknown {
  return field.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), doc);
}
