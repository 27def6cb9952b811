// groq-js answers `*[_type == "issue" && …]` by testing the filter on every document of
// the dataset: tens of milliseconds per query on an archive of 80,000 documents, most of
// them links, when the answer is among a thousand issues. Almost every query the product
// asks names a type that way, so before a query runs, each `*` whose filter requires one
// type is swapped for a parameter holding only that type's documents (in dataset order,
// gathered in one pass per view and kept while the view is). A document of another type
// fails such a filter whatever else it says (false && anything is false in GROQ), so the
// answer is the same. And each `x in path("drafts.**")` (how the product tells drafts
// apart) becomes a prefix test (see prefixTest).
import type { ExprNode } from 'groq-js';
import type { SanityDocument } from './store.ts';

/** Parameter names a query cannot spell ($ names are identifiers), so they never meet the caller's. */
const parameterPrefix = '\u0000type:';

const byTypeOf = new WeakMap<readonly SanityDocument[], Map<string, SanityDocument[]>>();

function documentsByType(dataset: readonly SanityDocument[]): Map<string, SanityDocument[]> {
  let byType = byTypeOf.get(dataset);
  if (!byType) {
    byType = new Map();
    for (const doc of dataset) {
      const list = byType.get(doc._type);
      if (list) list.push(doc);
      else byType.set(doc._type, [doc]);
    }
    byTypeOf.set(dataset, byType);
  }
  return byType;
}

/**
 * Rewrites `tree` in place: every `*[filter]` whose filter requires `_type == "<literal>"`
 * reads a parameter holding the dataset's documents of that type, and every path pattern
 * `prefix.**` is tested as a prefix (prefixTest). Returns the parameters
 * to evaluate with (the caller's, plus those); `params` itself when nothing was narrowed.
 */
export function narrowByType(tree: ExprNode, dataset: readonly SanityDocument[], params: Record<string, unknown>): Record<string, unknown> {
  let narrowed: Record<string, unknown> | undefined;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const expr = node as ExprNode;
    if (expr.type === 'Filter' && expr.base.type === 'Everything') {
      const type = requiredType(expr.expr);
      if (type !== undefined) {
        const name = `${parameterPrefix}${type}`;
        narrowed ??= { ...params };
        narrowed[name] ??= documentsByType(dataset).get(type) ?? [];
        (expr as { base: ExprNode }).base = { type: 'Parameter', name };
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
  const test: ExprNode = { type: 'FuncCall', namespace: 'string', name: 'startsWith', args: [expr.left, { type: 'Value', value: pattern.value.slice(0, -2) }] };
  const node = expr as unknown as Record<string, unknown>;
  for (const key of Object.keys(node)) delete node[key];
  Object.assign(node, test);
}

/** The type a filter requires of `@`: a `_type == "x"` (or `"x" == _type`) that must hold for the filter to, through `&&` and parentheses. */
export function requiredType(expr: ExprNode): string | undefined {
  switch (expr.type) {
    case 'Group':
      return requiredType(expr.base);
    case 'And':
      return requiredType(expr.left) ?? requiredType(expr.right);
    case 'OpCall':
      if (expr.op !== '==') return undefined;
      return typeOf(expr.left, expr.right) ?? typeOf(expr.right, expr.left);
    default:
      return undefined;
  }
}

function typeOf(attribute: ExprNode, value: ExprNode): string | undefined {
  const ofThis = attribute.type === 'AccessAttribute' && attribute.name === '_type' && (attribute.base === undefined || attribute.base.type === 'This');
  return ofThis && value.type === 'Value' && typeof value.value === 'string' ? value.value : undefined;
}
