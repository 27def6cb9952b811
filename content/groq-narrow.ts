// groq-js answers `*[_type == "issue" && …]` by testing the filter on every document of
// the dataset: tens of milliseconds per query on an archive of 80,000 documents, most of
// them links, when the answer is among a thousand issues. Almost every query the product
// asks names a type that way, so before a query runs, each `*` whose filter requires one
// type is swapped for a parameter holding only that type's documents (in dataset order,
// gathered in one pass per view and kept while the view is). A document of another type
// fails such a filter whatever else it says (false && anything is false in GROQ), so the
// answer is the same. A `*` whose filter requires certain ids (`_id == x`, `_id in [...]`,
// `sanity::versionOf(x)`: how the Studio reads documents) reads just the documents those
// ids can match, the same way. And each `x in path("drafts.**")` (how the product tells
// drafts apart) becomes a prefix test (see prefixTest).
import type { ExprNode } from 'groq-js';
import type { SanityDocument } from './store.ts';

/** Parameter names a query cannot spell ($ names are identifiers), so they never meet the caller's. */
const parameterPrefix = '\u0000type:';

const byTypeOf = new WeakMap<readonly SanityDocument[], Map<string, SanityDocument[]>>();

/** Each document's _type by place, for datasets whose store knows them without asking the documents (rememberTypes). */
const typesOf = new WeakMap<readonly SanityDocument[], readonly string[]>();

/**
 * Tells the pools the type of each of `dataset`'s documents, by place: a store whose
 * documents are lazy (content/lazy-document.ts) knows them from its line index, and asking
 * each of 81,000 documents through its Proxy cost a new process 10-20 ms a pass.
 */
export function rememberTypes(dataset: readonly SanityDocument[], types: readonly string[]): void {
  if (types.length === dataset.length) typesOf.set(dataset, types);
}

/** The types rememberTypes was told for `dataset`, if any. */
export function rememberedTypes(dataset: readonly SanityDocument[]): readonly string[] | undefined {
  return typesOf.get(dataset);
}

function documentsByType(dataset: readonly SanityDocument[]): Map<string, SanityDocument[]> {
  let byType = byTypeOf.get(dataset);
  if (!byType) {
    byType = new Map();
    const types = typesOf.get(dataset);
    for (let i = 0; i < dataset.length; i++) {
      const doc = dataset[i]!;
      const type = types ? types[i]! : doc._type;
      const list = byType.get(type);
      if (list) list.push(doc);
      else byType.set(type, [doc]);
    }
    byTypeOf.set(dataset, byType);
  }
  return byType;
}

/** Each document's place in a pool by id. */
const idIndexOf = new WeakMap<readonly SanityDocument[], Map<string, number>>();

function idIndex(pool: readonly SanityDocument[]): Map<string, number> {
  let index = idIndexOf.get(pool);
  if (!index) {
    index = new Map();
    for (let i = 0; i < pool.length; i++) {
      const id = pool[i]!._id;
      if (typeof id === 'string') index.set(id, i);
    }
    idIndexOf.set(pool, index);
  }
  return index;
}

/** The places of the documents each id is sanity::versionOf (itself, its draft, its release versions); made only when a filter asks for versions. */
const versionIndexOf = new WeakMap<readonly SanityDocument[], Map<string, number[]>>();

function versionIndex(pool: readonly SanityDocument[]): Map<string, number[]> {
  let index = versionIndexOf.get(pool);
  if (!index) {
    const versions = new Map<string, number[]>();
    const add = (base: string, i: number) => {
      const list = versions.get(base);
      if (list) list.push(i);
      else versions.set(base, [i]);
    };
    pool.forEach((doc, i) => {
      const id = doc._id;
      if (typeof id !== 'string') return;
      add(id, i);
      // As groq-js's sanity::versionOf reads an id: drafts.<base>, or versions.<release>.<base>.
      const parts = id.split('.');
      if (parts.length >= 2 && parts[0] === 'drafts') add(parts.slice(1).join('.'), i);
      if (parts.length >= 3 && parts[0] === 'versions') add(parts.slice(2).join('.'), i);
    });
    versionIndexOf.set(pool, (index = versions));
  }
  return index;
}

/**
 * Rewrites `tree` in place: every `*[filter]` whose filter requires `_id == "<id>"`, `_id
 * in [<ids>]` or `sanity::versionOf("<id>")` (literals or parameters) reads a parameter
 * holding just the documents those ids can match, and every other whose filter requires
 * `_type == "<literal>"` a parameter holding the dataset's documents of that type; every
 * path pattern `prefix.**` is tested as a prefix (prefixTest). The Studio reads documents
 * by id all the time: each such read tested every document of the dataset, a second or
 * more for a few ids of an 80,000-document archive. Returns the parameters to evaluate
 * with (the caller's, plus those); `params` itself when nothing was narrowed.
 */
export function narrowQuery(tree: ExprNode, dataset: readonly SanityDocument[], params: Record<string, unknown>): Record<string, unknown> {
  let narrowed: Record<string, unknown> | undefined;
  let byIds = 0;
  const parameter = (suffix: string, documents: readonly SanityDocument[]): ExprNode => {
    const name = `${parameterPrefix}${suffix}`;
    narrowed ??= { ...params };
    narrowed[name] = documents;
    return { type: 'Parameter', name };
  };
  /**
   * `*[filter] | score(a, boost(b, 10), …)` kept by `[_score > 0]` (how the Studio's search
   * sorts by relevance) keeps only the documents for which some argument scores: when every
   * argument requires ids (idTest), those documents are all it reads. Each id test in the
   * arguments is then read from a mark on the document (a copy carrying it, not enumerable,
   * so no answer shows it), not a list tested element by element: a search of 80,000 links
   * tested each against lists of thousands of matches, minutes for a common word.
   */
  const narrowScore = (score: Extract<ExprNode, { type: 'PipeFuncCall' }>): void => {
    const base = score.base;
    const filter = base.type === 'Filter' && base.base.type === 'Everything' ? base : undefined;
    if (!filter && base.type !== 'Everything') return;
    const tests: ExprNode[] = [];
    for (const arg of score.args) {
      const scored = boosted(arg);
      const test = scored && idTest(scored, params);
      if (!test) return;
      tests.push(scored);
    }
    const pool = poolOf(dataset, filter && requiredType(filter.expr, params));
    const candidates = new Set<number>();
    const leaves = tests.flatMap((test) => idLeaves(test, params));
    const marks = leaves.map(({ ids }) => placesOf(ids, pool));
    for (const places of marks) for (const at of places) candidates.add(at);
    // A document that has a _score of its own starts from it.
    pool.forEach((doc, at) => {
      if (Object.hasOwn(doc, '_score')) candidates.add(at);
    });
    const symbols = leaves.map(() => Symbol('newsdesk id test'));
    const documents = [...candidates]
      .sort((a, b) => a - b)
      .map((at) => {
        const copy = { ...pool[at]! };
        marks.forEach((places, i) => Object.defineProperty(copy, symbols[i]!, { value: places.has(at), enumerable: false }));
        return copy;
      });
    leaves.forEach(({ node }, i) => replaceNode(node, { type: 'AccessAttribute', name: symbols[i] as unknown as string }));
    const narrowedBase = parameter(`scored:${byIds++}`, documents);
    if (filter) (filter as { base: ExprNode }).base = narrowedBase;
    else (score as { base: ExprNode }).base = narrowedBase;
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const expr = node as ExprNode;
    if (expr.type === 'Filter' && expr.base.type === 'PipeFuncCall' && expr.base.name === 'score' && keepsScored(expr.expr)) {
      narrowScore(expr.base);
    }
    if (expr.type === 'Filter' && expr.base.type === 'Everything') {
      const type = requiredType(expr.expr, params);
      const test = idTest(expr.expr, params);
      if (test) {
        const pool = poolOf(dataset, type);
        const places = placesOf(test.ids, pool);
        // In dataset order, as `*` gives them.
        (expr as { base: ExprNode }).base = parameter(`ids:${byIds++}`, [...places].sort((a, b) => a - b).map((at) => pool[at]!));
        // Every document left makes the id test true (a search's `_id in [thousands]` tested
        // each against the whole list, past the lake's 5 s for a word in 80,000 links).
        replaceNode(test.node, { type: 'Value', value: true });
      } else if (type !== undefined) {
        // One parameter per type, however many filters name it: the same list each time.
        (expr as { base: ExprNode }).base = parameter(type, poolOf(dataset, type));
      }
    }
    // A Value node's value is data, not a tree.
    if (expr.type === 'Value') return;
    prefixTest(expr);
    for (const key in node) visit((node as Record<string, unknown>)[key]);
  };
  visit(tree);
  return narrowed ?? params;
}

/** The places in `pool` (the dataset, or its documents of one type) of the documents `ids` match. */
function placesOf(ids: RequiredIds, pool: readonly SanityDocument[]): Set<number> {
  const places = new Set<number>();
  if (ids.exact.length > 0) {
    const index = idIndex(pool);
    for (const id of ids.exact) {
      const at = index.get(id);
      if (at !== undefined) places.add(at);
    }
  }
  if (ids.versionsOf.length > 0) {
    const index = versionIndex(pool);
    for (const id of ids.versionsOf) for (const at of index.get(id) ?? []) places.add(at);
  }
  if (ids.referencing.length > 0) {
    const targets = new Set(ids.referencing);
    pool.forEach((doc, at) => {
      if (hasReference(doc, targets)) places.add(at);
    });
  }
  return places;
}

/**
 * What a filter can read: the dataset's documents of the type it requires (kept per
 * dataset, as is each pool's index by id: a read by id of one type indexes that type's
 * documents, not all 81,000), or the whole dataset.
 */
export function poolOf(dataset: readonly SanityDocument[], type: string | undefined): readonly SanityDocument[] {
  return type === undefined ? dataset : (documentsByType(dataset).get(type) ?? []);
}

/** `_score > n` (n a number, 0 or more): only documents some score() argument scored pass. */
function keepsScored(expr: ExprNode): boolean {
  if (expr.type === 'Group') return keepsScored(expr.base);
  return (
    expr.type === 'OpCall' &&
    expr.op === '>' &&
    isAttributeOfThis(expr.left, '_score') &&
    expr.right.type === 'Value' &&
    typeof expr.right.value === 'number' &&
    expr.right.value >= 0
  );
}

/** A score() argument's test: itself, or boost()'s first argument when its boost is a positive number (a boost of 0 or less could lower a score another argument gave). */
function boosted(arg: ExprNode): ExprNode | undefined {
  if (arg.type !== 'FuncCall' || arg.namespace !== 'global' || arg.name !== 'boost') return arg;
  const by = arg.args[1];
  return arg.args.length === 2 && by?.type === 'Value' && typeof by.value === 'number' && by.value > 0 ? arg.args[0] : undefined;
}

/** Every test of `@`'s id in `expr` through &&, ||, ! and parentheses: each is true for exactly the documents its ids match. */
function idLeaves(expr: ExprNode, params: Record<string, unknown>): Array<{ node: ExprNode; ids: RequiredIds }> {
  switch (expr.type) {
    case 'Group':
    case 'Not':
      return idLeaves(expr.base, params);
    case 'And':
    case 'Or':
      return [...idLeaves(expr.left, params), ...idLeaves(expr.right, params)];
    default: {
      const ids = idsOf(expr, params);
      return ids ? [{ node: expr, ids }] : [];
    }
  }
}

/**
 * `x in path("drafts.**")` becomes `string::startsWith(x, "drafts.")`, in place: groq-js
 * compiles the path's pattern into a regular expression each time it meets it, once per
 * document a filter tests (a third of a second for the "already linked in" query over an
 * archive of 1,000 issues), where a prefix test costs next to nothing. Only a pattern of
 * plain segments ending in `.**` is rewritten. Both give null when x is not a string. The
 * prefix is the Content Lake's reading of the pattern: groq-js joins its segments with an
 * unescaped dot, so there `draftsman-notes` is in path("drafts.**") too.
 */
function prefixTest(expr: ExprNode): void {
  if (expr.type !== 'OpCall' || expr.op !== 'in') return;
  const path = expr.right;
  if (path.type !== 'FuncCall' || path.namespace !== 'global' || path.name !== 'path' || path.args.length !== 1) return;
  const pattern = path.args[0]!;
  if (pattern.type !== 'Value' || typeof pattern.value !== 'string' || !/^[^*]+\.\*\*$/.test(pattern.value)) return;
  replaceNode(expr, { type: 'FuncCall', namespace: 'string', name: 'startsWith', args: [expr.left, { type: 'Value', value: pattern.value.slice(0, -2) }] });
}

/** Makes `node` the `replacement`, in place (its parent keeps pointing at it). */
function replaceNode(node: ExprNode, replacement: ExprNode): void {
  const fields = node as unknown as Record<string, unknown>;
  for (const key of Object.keys(fields)) delete fields[key];
  Object.assign(fields, replacement);
}

/** Whether `value` references one of `targets`, as groq-js's references() tells: an object with a _ref answers by it, without looking inside. */
function hasReference(value: unknown, targets: Set<string>): boolean {
  if (Array.isArray(value)) {
    for (const v of value) if (hasReference(v, targets)) return true;
  } else if (value !== null && typeof value === 'object') {
    const ref = (value as { _ref?: unknown })._ref;
    if (ref) return targets.has(ref as string);
    for (const v of Object.values(value)) if (hasReference(v, targets)) return true;
  }
  return false;
}

/** A string a filter names: a literal, or a parameter holding one; and a list of them the same way. */
function stringOf(node: ExprNode, params: Record<string, unknown>): string | undefined {
  const value = node.type === 'Value' ? node.value : node.type === 'Parameter' ? params[node.name] : undefined;
  return typeof value === 'string' ? value : undefined;
}
function stringsOf(node: ExprNode, params: Record<string, unknown>): string[] | undefined {
  // Anything but a string matches no _id (ids are strings), so it adds no candidate.
  // groq-js's parser puts a parameter's value in place (a Value), unless it is asked to keep it.
  if (node.type === 'Parameter' || node.type === 'Value') {
    const value = node.type === 'Parameter' ? params[node.name] : node.value;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
  }
  if (node.type !== 'Array') return undefined;
  const ids: string[] = [];
  for (const element of node.elements) {
    if (element.isSplat || (element.value.type !== 'Value' && element.value.type !== 'Parameter')) return undefined;
    const id = stringOf(element.value, params);
    if (id !== undefined) ids.push(id);
  }
  return ids;
}

/** `name` or `@.name`: an attribute of the document the filter tests. */
function isAttributeOfThis(node: ExprNode, name: string): boolean {
  return node.type === 'AccessAttribute' && node.name === name && (node.base === undefined || node.base.type === 'This');
}

function isIdOfThis(node: ExprNode): boolean {
  return isAttributeOfThis(node, '_id');
}

/** What documents a filter's ids can match: these ids, the versions of these, and those that reference these. */
interface RequiredIds {
  exact: string[];
  versionsOf: string[];
  referencing: string[];
}

/**
 * The ids a filter requires, and the conjunct that requires them (found through `&&` and
 * parentheses): exactly the documents those ids can match make it true (never null);
 * undefined when a document of any id could still match. An
 * `||` of such tests requires the union; the Studio's search asks `_id in [the ids whose
 * words match] || references(the words as typed)`.
 */
function idTest(expr: ExprNode, params: Record<string, unknown>): { ids: RequiredIds; node: ExprNode } | undefined {
  switch (expr.type) {
    case 'Group':
      return idTest(expr.base, params);
    case 'And':
      return idTest(expr.left, params) ?? idTest(expr.right, params);
    case 'Or': {
      const left = idTest(expr.left, params);
      const right = left && idTest(expr.right, params);
      if (!left || !right) return undefined;
      return { node: expr, ids: { exact: [...left.ids.exact, ...right.ids.exact], versionsOf: [...left.ids.versionsOf, ...right.ids.versionsOf], referencing: [...left.ids.referencing, ...right.ids.referencing] } };
    }
    default: {
      const ids = idsOf(expr, params);
      return ids && { node: expr, ids };
    }
  }
}

/** One test of `@`'s id: `_id == x`, `_id in [x, y]`, `sanity::versionOf(x)`, `references(x)` (or a list of them). */
function idsOf(expr: ExprNode, params: Record<string, unknown>): RequiredIds | undefined {
  const none = { exact: [], versionsOf: [], referencing: [] };
  switch (expr.type) {
    case 'OpCall': {
      if (expr.op === '==') {
        const id = isIdOfThis(expr.left) ? stringOf(expr.right, params) : isIdOfThis(expr.right) ? stringOf(expr.left, params) : undefined;
        return id === undefined ? undefined : { ...none, exact: [id] };
      }
      if (expr.op === 'in' && isIdOfThis(expr.left)) {
        const ids = stringsOf(expr.right, params);
        return ids && { ...none, exact: ids };
      }
      return undefined;
    }
    case 'FuncCall': {
      if (expr.namespace === 'sanity' && expr.name === 'versionOf' && expr.args.length === 1) {
        const id = stringOf(expr.args[0]!, params);
        return id === undefined ? undefined : { ...none, versionsOf: [id] };
      }
      if (expr.namespace === 'global' && expr.name === 'references') {
        // As groq-js reads its arguments: strings, and the strings of arrays; anything else adds none.
        const targets: string[] = [];
        for (const arg of expr.args) {
          const one = stringOf(arg, params);
          const list = one === undefined ? stringsOf(arg, params) : [one];
          if (list) targets.push(...list);
          else if (arg.type !== 'Value' && arg.type !== 'Parameter') return undefined;
        }
        return { ...none, referencing: targets };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The type a filter requires of `@`: a `_type == "x"` (or `"x" == _type`, or `_type == $param` holding a string) that must hold for the filter to, through `&&` and parentheses. */
export function requiredType(expr: ExprNode, params: Record<string, unknown> = {}): string | undefined {
  switch (expr.type) {
    case 'Group':
      return requiredType(expr.base, params);
    case 'And':
      return requiredType(expr.left, params) ?? requiredType(expr.right, params);
    case 'OpCall':
      if (expr.op !== '==') return undefined;
      return typeOf(expr.left, expr.right, params) ?? typeOf(expr.right, expr.left, params);
    default:
      return undefined;
  }
}

function typeOf(attribute: ExprNode, value: ExprNode, params: Record<string, unknown>): string | undefined {
  // The Studio's document lists name their type as a parameter ($type).
  return isAttributeOfThis(attribute, '_type') ? stringOf(value, params) : undefined;
}
