// issueProjection (content/queries.ts) as plain code over documents already in memory (and
// the link fields `newsdesk check` reads: projectLink): what
// groq-js gives for that projection, value for value and key for key, without evaluating
// GROQ. A full build projects every issue of the archive; through groq-js that was ~1.8 ms
// an issue of the main thread's time, most of it wrapping each value of the issue and
// opening a scope for each object, while the render workers waited. Each step below is
// the GROQ operation it stands for, with groq-js's rules: an attribute is read only from
// an object that has it (else null), `x[]` maps only an array (else null), a projection
// of anything but an object is null, a splat copies with Object.assign and a later
// attribute takes the splatted key's place, `->` follows only a `_ref` string. The
// projection test (content/issue-projection.test.ts) holds it to groq-js on sample,
// synthetic and hostile documents: change both together.

/** A document by id, as the query's dereference finds it (undefined when none). */
export type Lookup = (id: string) => object | undefined;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `base.name` */
function attr(base: unknown, name: string): unknown {
  return isObject(base) && Object.prototype.hasOwnProperty.call(base, name) ? (base[name] ?? null) : null;
}

/** `base[]{…}` */
function map(base: unknown, each: (item: unknown) => unknown): unknown[] | null {
  if (!Array.isArray(base)) return null;
  // for…of, as groq-js walks it (a hole is an undefined item, not skipped).
  const out: unknown[] = [];
  for (const item of base) out.push(each(item));
  return out;
}

/** `base{…}` */
function project(base: unknown, shape: (value: Obj) => Obj): Obj | null {
  return isObject(base) ? shape(base) : null;
}

/** `{...}` over `value`: a shallow copy, as groq-js's splat makes it. */
function splat(value: Obj): Obj {
  return Object.assign({}, value);
}

/** The content-lake path `drafts.**`, as groq-js matches it. */
const draftPath = /^drafts\..*$/;

/** `value in path("drafts.**")` */
function inDrafts(value: unknown): boolean | null {
  return typeof value === 'string' ? draftPath.test(value) : null;
}

/** GROQ's three-valued `&&` and `||`. */
function and(left: boolean | null, right: boolean | null): boolean | null {
  if (left === false || right === false) return false;
  return left === null || right === null ? null : true;
}
function or(left: boolean | null, right: boolean | null): boolean | null {
  if (left === true || right === true) return true;
  return left === null || right === null ? null : false;
}

/** `base->` */
function follow(base: unknown, lookup: Lookup): unknown {
  const ref = isObject(base) ? base._ref : undefined;
  return typeof ref === 'string' ? (lookup(ref) ?? null) : null;
}

/** tagRef: `{ title, "slug": slug.current }` */
function tagRef(base: unknown): Obj | null {
  return project(base, (d) => ({ title: attr(d, 'title'), slug: attr(attr(d, 'slug'), 'current') }));
}

/** issueMetadata (content/queries.ts), the fields both issue projections open with. */
function metadata(d: Obj): Obj {
  return {
    id: attr(d, '_id'),
    number: attr(d, 'number'),
    title: attr(d, 'title'),
    slug: attr(attr(d, 'slug'), 'current'),
    date: attr(d, 'date'),
    summary: attr(d, 'summary'),
    byline: attr(d, 'byline'),
  };
}

/**
 * issueListingsByIdQuery's projection (content/queries.ts: the metadata, each section's
 * topic, the tags) as plain code, as projectIssue is issueProjection: a build lists each new
 * or changed issue from the document it holds, and walks it for the links index in the same
 * parse of a lazy document, rather than parsing it once for the query and again for the walk.
 */
export function projectIssueListing(doc: object, lookup: Lookup): Obj | null {
  const deref = (base: unknown) => follow(base, lookup);
  return project(doc, (d) => ({
    ...metadata(d),
    sections: map(attr(d, 'sections'), (section) => project(section, (s) => ({ topic: tagRef(deref(attr(s, 'topic'))) }))),
    tags: map(attr(d, 'tags'), (tag) => tagRef(deref(tag))),
  }));
}

export function projectIssue(doc: object, lookup: Lookup): Obj | null {
  const deref = (base: unknown) => follow(base, lookup);
  /** linkTarget */
  const linkTarget = (base: unknown) =>
    project(base, (d) => ({ id: attr(d, '_id'), url: attr(d, 'url'), title: attr(d, 'title'), siteName: attr(d, 'siteName'), description: attr(d, 'description') }));
  /** markDefs[]{ ..., _type == "linkReference" => { "link": reference->linkTarget } } */
  const markDef = (item: unknown) =>
    project(item, (d) => {
      const out = splat(d);
      if (attr(d, '_type') === 'linkReference') Object.assign(out, { link: linkTarget(deref(attr(d, 'reference'))) });
      return out;
    });
  /** An editorial note's body item: { ..., markDefs } */
  const noteItem = (item: unknown) =>
    project(item, (d) => {
      const out = splat(d);
      out.markDefs = map(attr(d, 'markDefs'), markDef);
      return out;
    });
  /** A block's child: { ..., _type == "editorialNote" => { body[]{…} } } */
  const child = (item: unknown) =>
    project(item, (d) => {
      const out = splat(d);
      if (attr(d, '_type') === 'editorialNote') Object.assign(out, { body: map(attr(d, 'body'), noteItem) });
      return out;
    });
  /** portableText: one item of a Portable Text array. */
  const block = (item: unknown) =>
    project(item, (d) => {
      const out = splat(d);
      out.markDefs = map(attr(d, 'markDefs'), markDef);
      const type = attr(d, '_type');
      if (type === 'block') Object.assign(out, { children: map(attr(d, 'children'), child) });
      if (type === 'editorialNote') Object.assign(out, { body: map(attr(d, 'body'), noteItem) });
      if (type === 'linkCard') Object.assign(out, { link: linkTarget(deref(attr(d, 'link'))) });
      if (type === 'image') {
        const asset = deref(attr(d, 'asset'));
        const dimensions = attr(attr(asset, 'metadata'), 'dimensions');
        const url = attr(asset, 'url');
        Object.assign(out, { url: url !== null ? url : attr(d, 'url'), assetPath: attr(asset, 'path'), width: attr(dimensions, 'width'), height: attr(dimensions, 'height') });
      }
      return out;
    });
  const portableText = (base: unknown) => map(base, block);

  return project(doc, (d) => ({
    ...metadata(d),
    isDraft: or(inDrafts(attr(d, '_id')), and(attr(d, '_originalId') !== null, inDrafts(attr(d, '_originalId')))),
    intro: portableText(attr(d, 'intro')),
    sections: map(attr(d, 'sections'), (section) =>
      project(section, (s) => ({ key: attr(s, '_key'), heading: attr(s, 'heading'), topic: tagRef(deref(attr(s, 'topic'))), body: portableText(attr(s, 'body')) })),
    ),
    signOff: portableText(attr(d, 'signOff')),
    tags: map(attr(d, 'tags'), (tag) => tagRef(deref(tag))),
    updatedAt: attr(d, '_updatedAt'),
  }));
}

/**
 * The link fields `newsdesk check` reads (content/queries.ts everythingQuery's links:
 * linkFields), as groq-js gives them: `{ "id": _id, url, normalizedUrl, title, description,
 * siteName, capturedAt, foundAt, "tags": tags[]->tagRef, status, note, needsEnrichment }`.
 */
export function projectLink(doc: object, lookup: Lookup): Obj | null {
  return project(doc, (d) => ({
    id: attr(d, '_id'),
    url: attr(d, 'url'),
    normalizedUrl: attr(d, 'normalizedUrl'),
    title: attr(d, 'title'),
    description: attr(d, 'description'),
    siteName: attr(d, 'siteName'),
    capturedAt: attr(d, 'capturedAt'),
    foundAt: attr(d, 'foundAt'),
    tags: map(attr(d, 'tags'), (tag) => tagRef(follow(tag, lookup))),
    status: attr(d, 'status'),
    note: attr(d, 'note'),
    needsEnrichment: attr(d, 'needsEnrichment'),
  }));
}
