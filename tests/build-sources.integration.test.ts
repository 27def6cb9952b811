// The build's content loading against the contract: listings from the light query equal
// the listing of the fully projected and parsed issue, and issues projected from the
// documents the build read parse to the loaded issues, on the shipped sample and on
// synthetic datasets.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SourceIndex,
  fetchRawContent,
  fingerprintIssue,
  issueLines,
  listingOf,
  listingSchema,
  parseProjectedIssue,
  projectIssueFromLines,
  projectListings,
  projectIssues,
  referencesInLine,
  referencesOf,
  taggedLinks,
  type Listing,
} from '../build/sources.ts';
import { GroqJsStore } from '../content/groq-js-store.ts';
import { isUnparsed, unparsedLine } from '../content/lazy-document.ts';
import { collectGarbage } from '../core/collect-garbage.ts';
import { loadIssues } from '../content/load.ts';
import { syntheticDataset, writeDataset } from './build-dataset.ts';
import { sampleDataset } from './email-goldens.ts';
import { makeTempDir } from './helpers/temp.ts';

async function syntheticStore(issues: number, hostile = false) {
  const dir = await makeTempDir();
  const datasetPath = path.join(dir, 'dataset.ndjson');
  await writeDataset(datasetPath, syntheticDataset({ issues, sectionsPerIssue: 4, linksPerIssue: 8, withDraft: true, hostile }));
  return new GroqJsStore({ datasetPath });
}

const stores = {
  'the sample dataset': async () => new GroqJsStore({ datasetPath: sampleDataset }),
  'a synthetic dataset with hostile content and a draft': () => syntheticStore(40, true),
  // Documents made from the line index the first lazy read left: each parsed only when read.
  'a synthetic dataset read lazily, from its line index': async () => {
    const { datasetPath } = await syntheticStore(12, true);
    await fetchRawContent(new GroqJsStore({ datasetPath, lazy: true }));
    return new GroqJsStore({ datasetPath, lazy: true });
  },
};

describe.each(Object.entries(stores))('build sources on %s', (_, open) => {
  it('give each published issue the listing its full projection gives, for a few issues and for all', async () => {
    const store = await open();
    const issues = await loadIssues(store);
    const expected = new Map(issues.map((i) => [i.id, listingOf(i)]));
    const ids = [...expected.keys()];
    const raw = await fetchRawContent(store);
    const few = projectListings(raw, ids.slice(0, 3));
    const all = projectListings(raw, ids);
    expect(new Map(few.map((l) => [l.id, l]))).toEqual(new Map(ids.slice(0, 3).map((id) => [id, expected.get(id)!])));
    expect(new Map(all.map((l) => [l.id, l]))).toEqual(expected);
  });

  it('project the issues from the documents the build read, and parse them to the loaded issues', async () => {
    const store = await open();
    const issues = await loadIssues(store);
    const raw = await fetchRawContent(store);
    const byNumber = [...issues].sort((a, b) => a.number - b.number);
    const some = byNumber.slice(0, Math.max(3, Math.floor(byNumber.length / 2)));
    for (const wanted of [some, [byNumber[0]!, byNumber.at(-1)!]]) {
      const projected = projectIssues(raw, wanted);
      expect([...projected.keys()].sort()).toEqual(wanted.map((i) => i.id).sort());
      for (const issue of wanted) expect(parseProjectedIssue(projected.get(issue.id), listingOf(issue))).toEqual(issue);
    }
    // Only issues: an id of another document, or of none, projects nothing.
    expect(projectIssues(raw, [{ id: 'newsletter' }, { id: 'no-such-document' }]).size).toBe(0);
  });

  it('project each issue from its lines in the file the store read, as from the documents the build read', async () => {
    const raw = await fetchRawContent(await open());
    expect(raw.issues.length).toBeGreaterThan(2);
    for (const doc of raw.issues) {
      const lines = issueLines(raw, doc._id);
      expect(lines, doc._id).toBeDefined();
      // The issue's line and one for each published document it references.
      expect(lines!.at.length / 2).toBe(1 + referencesOf(doc).filter((id) => raw.byId.has(id)).length);
      expect(projectIssueFromLines(lines!)).toEqual(projectIssues(raw, [{ id: doc._id }]).get(doc._id));
    }
    expect(issueLines(raw, 'newsletter')).toBeUndefined();
  });

  it("find each issue's references as its parsed document has them, from a lazily read line without parsing it", async () => {
    const raw = await fetchRawContent(await open());
    const lazy = raw.issues.filter((doc) => isUnparsed(doc)).length;
    let fromText = 0;
    for (const doc of raw.issues) {
      const line = unparsedLine(doc);
      const refs = referencesOf(doc);
      if (line !== undefined && !line.includes('\\u')) {
        expect(isUnparsed(doc), doc._id).toBe(true);
        fromText++;
      }
      expect(refs, doc._id).toEqual([...refsIn(JSON.parse(JSON.stringify(doc)))].sort());
    }
    if (lazy > 0) expect(fromText).toBeGreaterThan(lazy / 2);
  });

  it('change an issue fingerprint when a document it references changes, and no other', async () => {
    const store = await open();
    const before = await fetchRawContent(store);
    const issue = before.issues.find((d) => JSON.stringify(d).includes('"_ref"'))!;
    const referenced = JSON.stringify(issue).match(/"_ref":"([^"]+)"/)![1]!;
    const changed = new Map(before.byId);
    changed.set(referenced, { ...before.byId.get(referenced)!, _rev: 'edited-elsewhere' });
    expect(fingerprintIssue(issue, changed)).not.toBe(fingerprintIssue(issue, before.byId));
    const other = before.issues.find((d) => d._id !== issue._id && !JSON.stringify(d).includes(`"${referenced}"`));
    if (other) expect(fingerprintIssue(other, changed)).toBe(fingerprintIssue(other, before.byId));
  });
});

/** Every string `_ref` of an object in `value`, however deep. */
function refsIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object') {
    if (typeof (value as { _ref?: unknown })._ref === 'string') out.add((value as { _ref: string })._ref);
    for (const v of Object.values(value)) refsIn(v, out);
  }
  return out;
}

describe('referencesInLine', () => {
  it('finds the references a parse finds, however the line is spaced, and no text that only spells one', () => {
    const docs = [
      { _id: 'a', _type: 'issue', body: [{ _type: 'block', children: [{ text: 'Write {"_ref":"not-a-ref"} and ,"_ref": "nor-this"' }], markDefs: [{ _type: 'linkReference', _key: 'k', link: { _ref: 'link-1', _type: 'reference' } }] }] },
      { _id: 'b', _type: 'issue', topic: { _ref: 'tag-"quoted"\\back' }, list: [{ _ref: 'link-2' }, { _ref: 7 }, { _ref: null }, ['_ref', ':', 'x']], note: 'a\\', '_ref': 'last' },
      { _id: 'c', _type: 'issue', title: 'No references here' },
    ];
    for (const doc of docs) {
      for (const line of [JSON.stringify(doc), JSON.stringify(doc, null, 2).replace(/\n/g, ' ')]) {
        expect([...referencesInLine(line)!].sort(), line).toEqual([...refsIn(doc)].sort());
      }
    }
    // A \u escape could spell a key: such a line is left to a parse.
    expect(referencesInLine('{"_id":"d","_type":"issue","x":{"\\u005fref":"link-3"}}')).toBeUndefined();
  });
});

describe('a lazily read issue', () => {
  it('keeps no text of its line in its id or its references (a cut of a string keeps the whole string alive)', async () => {
    const dir = await makeTempDir();
    const datasetPath = path.join(dir, 'dataset.ndjson');
    // 400 issues with ids as long as Sanity's and 25 KB lines: 10 MB of lines.
    const id = (n: number) => `${String(n).padStart(8, '0')}-4b1e-4c2d-9f3a-5e6d7c8b9a0f`;
    const lines = Array.from({ length: 400 }, (_, n) =>
      JSON.stringify({ _id: id(n), _type: 'issue-of-a-long-type-name', body: [{ _type: 'block', text: 'w'.repeat(25_000), link: { _type: 'reference', _ref: `link-ref-of-a-long-name-${n}` } }] }),
    );
    await fs.writeFile(datasetPath, `${lines.join('\n')}\n`);
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const raw = await fetchRawContent(new GroqJsStore({ datasetPath, lazy: true }));
    const docs = [...raw.byId.values()];
    const refs = docs.map((doc) => referencesOf(doc));
    expect(docs.every((doc) => isUnparsed(doc))).toBe(true);
    expect(refs[7]).toEqual(['link-ref-of-a-long-name-7']);
    collectGarbage();
    // What the documents hold is ids, digests and places in the file: well under the lines' 10 MB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(4_000_000);
    expect(docs.length).toBe(400);
  });
});

describe('SourceIndex.fingerprint', () => {
  it("takes an issue's fingerprint from the last build while it and what it references are lines of the same unchanged file, and makes it again when one changed", async () => {
    const { datasetPath } = await syntheticStore(6);
    const cacheDir = await makeTempDir();
    // The first lazy read leaves the line index that the next ones read through.
    await fetchRawContent(new GroqJsStore({ datasetPath, lazy: true }));
    const fingerprints = async (store: GroqJsStore) => {
      const raw = await fetchRawContent(store);
      const index = new SourceIndex(cacheDir);
      await index.load();
      const made = new Map(raw.issues.map((doc) => [doc._id, index.fingerprint(doc, raw.byId)] as const));
      return { raw, index, made };
    };
    const first = await fingerprints(new GroqJsStore({ datasetPath, lazy: true }));
    for (const doc of first.raw.issues) expect(first.made.get(doc._id)).toBe(fingerprintIssue(doc, first.raw.byId));
    const listings = new Map(projectListings(first.raw, [...first.made.keys()]).map((l) => [l.id, l] as const));
    await first.index.save(new Map([...first.made].map(([id, fingerprint]) => [fingerprint, listings.get(id)!])), 'v1', first.raw.issues);
    // What the last build saved stands for what it would make: marked, to tell it from a fingerprint made again.
    const file = path.join(cacheDir, 'sources.json');
    const saved = JSON.parse(await fs.readFile(file, 'utf8')) as { unchanged: { base: string; fingerprints: Record<string, string> }; entries: Record<string, Listing> };
    expect(Object.keys(saved.unchanged.fingerprints)).toHaveLength(first.raw.issues.length);
    for (const digest of Object.keys(saved.unchanged.fingerprints)) saved.unchanged.fingerprints[digest] = `saved-${saved.unchanged.fingerprints[digest]}`;
    await fs.writeFile(file, JSON.stringify(saved));

    const store = new GroqJsStore({ datasetPath, lazy: true });
    const unchanged = await fingerprints(store);
    for (const doc of unchanged.raw.issues) expect(unchanged.made.get(doc._id)).toBe(`saved-${first.made.get(doc._id)}`);

    // A link one issue references, edited through the store's journal: that issue's fingerprint is made again, the others are taken.
    const issue = unchanged.raw.issues[2]!;
    const link = referencesOf(issue).find((id) => unchanged.raw.byId.get(id)?._type === 'link')!;
    await store.mutate([{ patch: { id: link, set: { title: 'A title from the journal' } } }]);
    const edited = await fingerprints(new GroqJsStore({ datasetPath, lazy: true }));
    for (const doc of edited.raw.issues) {
      const uses = referencesOf(doc).includes(link);
      expect(edited.made.get(doc._id), doc._id).toBe(uses ? fingerprintIssue(doc, edited.raw.byId) : `saved-${first.made.get(doc._id)}`);
      if (uses) expect(edited.made.get(doc._id)).not.toBe(first.made.get(doc._id));
    }
    expect(edited.made.get(issue._id)).not.toContain('saved-');

    // The journal folded into a new file: every fingerprint is made again (the same, for the issues nothing changed in).
    await store.compact();
    await fetchRawContent(new GroqJsStore({ datasetPath, lazy: true }));
    const folded = await fingerprints(new GroqJsStore({ datasetPath, lazy: true }));
    expect(folded.raw.issues.every((doc) => isUnparsed(doc))).toBe(true);
    for (const doc of folded.raw.issues) expect(folded.made.get(doc._id)).toBe(fingerprintIssue(doc, folded.raw.byId));
  });
});

describe('issueLines', () => {
  it('leaves out an issue with a document edited since the file was read, and reads the others from that file after it is replaced', async () => {
    const store = await syntheticStore(4);
    const before = await fetchRawContent(store);
    const [first, second] = before.issues;
    const link = referencesOf(first!).find((id) => before.byId.get(id)?._type === 'link' && !referencesOf(second!).includes(id))!;
    await store.mutate([{ patch: { id: link, set: { title: 'A title from the journal' } } }]);
    const raw = await fetchRawContent(store);
    // The edited link is in the journal, not in the file: that issue is projected from the documents.
    expect(issueLines(raw, first!._id)).toBeUndefined();
    const lines = issueLines(raw, second!._id)!;
    const expected = projectIssues(raw, [{ id: second!._id }]).get(second!._id);
    // The dataset replaced by a file of other content (as a compaction renames one over it):
    // the lines are read from the file the store read, through the descriptor it keeps.
    const datasetPath = store.datasetPath;
    const other = `${datasetPath}.other`;
    await writeDataset(other, syntheticDataset({ issues: 2, sectionsPerIssue: 1, linksPerIssue: 1 }));
    await fs.rename(other, datasetPath);
    expect(projectIssueFromLines(lines)).toEqual(expected);
  });
});

describe('parseProjectedIssue', () => {
  it('refuses an issue whose listing changed since the build planned with it', async () => {
    const store = await syntheticStore(3);
    const [issue] = await loadIssues(store);
    const projected = projectIssues(await fetchRawContent(store), [issue!]);
    expect(() => parseProjectedIssue(projected.get(issue!.id), { ...listingOf(issue!), title: 'A title from an older snapshot' })).toThrow(
      /changed while it was being built/,
    );
  });
});

describe('taggedLinks', () => {
  it('gives after each kind of edit the links a fresh load of the edited content gives', async () => {
    const store = await syntheticStore(6);
    const resolve = async (s: GroqJsStore) => {
      const raw = await fetchRawContent(s);
      const listings = projectListings(raw, raw.issues.map((d) => d._id));
      return taggedLinks(raw, new Map(listings.map((l) => [l.id, l])));
    };
    await resolve(store);
    const edits = [
      { patch: { id: 'issue-2', set: { summary: 'Only the text of an issue changed.' } } },
      { patch: { id: 'issue-3', set: { title: 'A retitled third issue' } } },
      { patch: { id: 'link-4-1', set: { title: 'A renamed link' } } },
      { patch: { id: 'tag-widgets', set: { title: 'Gadgets' } } },
    ];
    for (const edit of edits) {
      await store.mutate([edit]);
      const incremental = await resolve(store);
      const fresh = await resolve(new GroqJsStore({ datasetPath: store.datasetPath }));
      expect(incremental).toEqual(fresh);
    }
  });
});

describe('SourceIndex', () => {
  it('takes back the listings it saved, and drops the record when a listing is not one listingSchema accepts', async () => {
    const dir = await makeTempDir();
    const listing: Listing = {
      id: 'issue-1',
      number: 1,
      slug: 'one',
      title: 'One',
      date: '2026-01-01',
      summary: 'A summary',
      tags: [{ title: 'Tooling', slug: 'tooling' }],
      topics: [],
    };
    const saved = new SourceIndex(dir);
    await saved.save(new Map([['fp', listing]]), 'v1');
    const intact = new SourceIndex(dir);
    await intact.load();
    expect(intact.get('fp')).toEqual(listing);
    expect(intact.templateVersion).toBe('v1');

    const file = path.join(dir, 'sources.json');
    const record = JSON.parse(await fs.readFile(file, 'utf8')) as { entries: Record<string, unknown> };
    const variants: unknown[] = [
      { ...listing, byline: 'Someone' },
      { ...listing, summary: undefined },
      { ...listing, number: '1' },
      { ...listing, slug: undefined },
      { ...listing, date: 20260101 },
      { ...listing, summary: null },
      { ...listing, byline: 7 },
      { ...listing, tags: 'tooling' },
      { ...listing, tags: [{ title: 'Tooling' }] },
      { ...listing, tags: [{ title: '', slug: 'tooling' }] },
      { ...listing, topics: [null] },
      { ...listing, topics: undefined },
      'issue-1',
      null,
    ];
    for (const variant of variants) {
      await fs.writeFile(file, JSON.stringify({ ...record, entries: { fp: variant } }));
      const read = new SourceIndex(dir);
      await read.load();
      // The loop's check is listingSchema's: what one accepts, the other does.
      expect(read.get('fp') !== undefined, JSON.stringify(variant)).toBe(listingSchema.safeParse(variant).success);
    }
  });
});
