// Every GROQ query newsdesk runs, in one place. Projections shape documents into the
// read models of model.ts (references followed, assets resolved), so both backends
// answer with the same shapes.

const linkTarget = `{ "id": _id, url, title, siteName, description }`;

const markDefs = `markDefs[]{
  ...,
  _type == "linkReference" => { "link": reference->${linkTarget} }
}`;

/** Projection for one Portable Text array (intro, section body, sign-off). */
const portableText = `{
  ...,
  ${markDefs},
  _type == "block" => {
    children[]{
      ...,
      _type == "editorialNote" => { body[]{ ..., ${markDefs} } }
    }
  },
  _type == "editorialNote" => { body[]{ ..., ${markDefs} } },
  _type == "linkCard" => { "link": link->${linkTarget} },
  _type == "image" => {
    // An imported image may live at its original address instead of an uploaded asset.
    "url": coalesce(asset->url, url),
    "assetPath": asset->path,
    "width": asset->metadata.dimensions.width,
    "height": asset->metadata.dimensions.height
  }
}`;

const tagRef = `{ title, "slug": slug.current }`;

/** The fields every issue listing shares, from the archive line to the full issue. */
const issueMetadata = `
  "id": _id,
  number,
  title,
  "slug": slug.current,
  date,
  summary,
  byline`;

export const issueProjection = `{${issueMetadata},
  "isDraft": _id in path("drafts.**") || defined(_originalId) && _originalId in path("drafts.**"),
  "intro": intro[]${portableText},
  "sections": sections[]{
    "key": _key,
    heading,
    "topic": topic->${tagRef},
    "body": body[]${portableText}
  },
  "signOff": signOff[]${portableText},
  "tags": tags[]->${tagRef},
  "updatedAt": _updatedAt
}`;

/** All issues the perspective shows, newest number first. */
export const issuesQuery = `*[_type == "issue"] | order(number desc) ${issueProjection}`;

/** One issue by number. */
export const issueByNumberQuery = `*[_type == "issue" && number == $number][0] ${issueProjection}`;

/** One issue by document id (either the published id or its draft id). */
export const issueByIdQuery = `*[_type == "issue" && (_id == $id || _id == "drafts." + $id)][0] ${issueProjection}`;

/**
 * Issues by id (`newsdesk check`). The build projects the issues it renders from the
 * documents it already holds, in code (content/issue-projection.ts) that this projection's
 * test holds to what groq-js gives for this query.
 */
export const issuesByIdQuery = `*[_type == "issue" && _id in $ids] ${issueProjection}`;

/**
 * The metadata fields of issueProjection only (sections carry just their topic): what the
 * build's archive, tag pages, feeds and sitemap need, without following every link. The
 * build lists issues by this projection in code (content/issue-projection.ts
 * projectIssueListing), held to this query by its test.
 */
const issueListingProjection = `{${issueMetadata},
  "sections": sections[]{ "topic": topic->${tagRef} },
  "tags": tags[]->${tagRef}
}`;
export const issueListingsByIdQuery = `*[_type == "issue" && _id in $ids] ${issueListingProjection}`;

/** Compact listing for `newsdesk issues`: the Portable Text comes along only to count links. */
export const issueSummariesQuery = `*[_type == "issue"] | order(number desc) {
  "id": _id,
  number,
  title,
  date,
  "sections": count(sections),
  "content": [intro, sections[].body, signOff]
}`;

export const settingsQuery = `*[_type == "newsletter"][0]{
  title, description, siteUrl, senderName, senderEmail, replyTo, postalAddress,
  accentColor, "logoUrl": logo.asset->url, "logoPath": logo.asset->path, language, defaultSectionHeadings
}`;

const linkFields = `
  "id": _id,
  url,
  normalizedUrl,
  title,
  description,
  siteName,
  capturedAt,
  foundAt,
  "tags": tags[]->${tagRef},
  status,
  note,
  needsEnrichment`;

/** Which published issues use a link, as linkProjection's usedIn lists them. */
const usedInProjection = `{ number, title }`;

export const linkProjection = `{${linkFields},
  "usedIn": *[_type == "issue" && !(_id in path("drafts.**")) && references(^._id)] | order(number asc) ${usedInProjection}
}`;

/** The published issues in usedIn's order, each with its usedIn and whole, for a link's usedIn found in code (content/used-in.ts indexUsedIn). */
const referrersQuery = `*[_type == "issue" && !(_id in path("drafts.**"))] | order(number asc) { "usedIn": ${usedInProjection}, "document": @ }`;

const linksFilter = `_type == "link"
  && ($status == null || status == $status)
  && ($tag == null || $tag in tags[]->slug.current)`;

/** Links, newest capture first; filters are optional parameters (null = any). */
export const linksQuery = `*[${linksFilter}] | order(capturedAt desc) ${linkProjection}`;

/**
 * The same for a store that holds its documents in this process (ContentStore.local): the
 * links without usedIn, and the published issues whole, for content/load.ts to find each
 * link's usedIn in one walk over each issue. Asked per link, references() walked every
 * issue for every link: over ten minutes for the 80,000 links of 1,000 issues.
 */
export const linksLocalQuery = `{
  "links": *[${linksFilter}] | order(capturedAt desc) {${linkFields}},
  "referrers": ${referrersQuery}
}`;

export const linkByNormalizedUrlQuery = `*[_type == "link" && normalizedUrl == $normalizedUrl][0] ${linkProjection}`;

export const tagsQuery = `*[_type == "tag"] | order(title asc) { "id": _id, title, "slug": slug.current, description }`;

/**
 * Everything that `newsdesk check` validates, in one round trip. Links come without
 * usedIn: asked per link, references() walks every issue for every link (hours for a few
 * hundred issues), so the check derives it from `referrers` in one pass over the issues
 * (see content/check.ts), the published issues in usedIn's order, each whole.
 */
const tagsOfCheck = `*[_type == "tag"] { "id": _id, title, "slug": slug.current, description }`;
export const everythingQuery = `{
  "settings": *[_type == "newsletter"],
  "issues": *[_type == "issue"] ${issueProjection},
  "links": *[_type == "link"] {${linkFields}},
  "tags": ${tagsOfCheck},
  "referrers": ${referrersQuery}
}`;

/**
 * The same for a store that holds its documents in this process (ContentStore.local): every
 * document as it is, for content/check.ts to project the issues and links in code
 * (content/issue-projection.ts), which through groq-js took over a second for 1,000 issues.
 */
export const everythingLocalQuery = `{
  "settings": *[_type == "newsletter"],
  "documents": *,
  "tags": ${tagsOfCheck},
  "referrers": ${referrersQuery}
}`;
