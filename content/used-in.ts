// Which published issues use what: one walk over each issue document, collecting the
// targets of its references (what GROQ's references() tests) and, when asked, the hrefs of
// its external link annotations. Shared by `newsdesk check` (each link's usedIn) and capture
// ("already linked in #N"), so neither asks the store once per link and issue.

export interface Referrer<T> {
  /** What a use reports, e.g. the issue's { number, title }. */
  usedIn: T;
  /** The whole issue document, as the store holds it. */
  document: unknown;
}

/**
 * The targets of a document's references. Like references(), it stops at an object with a
 * _ref unless `deep`, which finds every reference a projection might follow. With `hrefs`,
 * the href of every externalLink annotation on the way is added there too.
 */
export function collectReferences(value: unknown, into = new Set<unknown>(), options: { deep?: boolean; hrefs?: Set<string> } = {}): Set<unknown> {
  if (Array.isArray(value)) {
    for (const v of value) collectReferences(v, into, options);
  } else if (typeof value === 'object' && value !== null) {
    const object = value as { _ref?: unknown; _type?: unknown; href?: unknown };
    if (object._ref) into.add(object._ref);
    if (options.hrefs && object._type === 'externalLink' && typeof object.href === 'string') options.hrefs.add(object.href);
    if (!object._ref || options.deep) for (const v of Object.values(value)) collectReferences(v, into, options);
  }
  return into;
}

/**
 * Each key with the uses of the referrers that name it, in the referrers' order; a referrer
 * naming a key twice counts once. `keysOf` reads one document (by default: its reference
 * targets), so every document is walked exactly once.
 */
export function indexUsedIn<T>(referrers: ReadonlyArray<Referrer<T>>, keysOf: (document: unknown) => Iterable<unknown> = (d) => collectReferences(d)): Map<unknown, T[]> {
  const usedIn = new Map<unknown, T[]>();
  for (const referrer of referrers) {
    for (const key of new Set(keysOf(referrer.document))) {
      let list = usedIn.get(key);
      if (!list) usedIn.set(key, (list = []));
      list.push(referrer.usedIn);
    }
  }
  return usedIn;
}
