// The shipped sample is the first thing a newcomer sees, and the dataset every user's
// own content starts from: these tests hold it to the stored shapes, the read models,
// `newsdesk check`, and to the source it is generated from.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePath } from '../../core/config.ts';
import { checkContent } from '../check.ts';
import { GroqJsStore, parseDataset } from '../groq-js-store.ts';
import { loadIssues, loadLinks, loadSettings, loadTags } from '../load.ts';
import type { Issue, PortableBlock } from '../model.ts';
import type { SanityDocument } from '../store.ts';
import { renderSampleDataset } from './source/index.ts';

let text: string;
let documents: SanityDocument[];
let dir: string;
let store: GroqJsStore;

beforeAll(async () => {
  text = await fs.readFile(samplePath, 'utf8');
  documents = parseDataset(text, samplePath);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'newsdesk-sample-'));
  // Seeding copies the sample into the temp dir; the shipped file is never written.
  store = new GroqJsStore({ datasetPath: path.join(dir, 'dataset.ndjson'), seedFrom: samplePath, now: () => new Date('2026-03-01T12:00:00Z') });
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the committed sample dataset', () => {
  it('is exactly what the source generates, so nobody hand-edits the NDJSON', () => {
    expect(text).toBe(renderSampleDataset());
  });

  it('generates the same bytes on every run', () => {
    expect(renderSampleDataset()).toBe(renderSampleDataset());
  });

  it('is importable by `sanity dataset import`: one document a line, each with _id and _type and no _rev', () => {
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(documents.length);
    for (const doc of documents) {
      expect(doc._id).toMatch(/^[a-zA-Z0-9._-]+$/);
      expect(typeof doc._type).toBe('string');
      expect(doc).not.toHaveProperty('_rev');
    }
  });

  it('gives every array item a _key that is a string unique within its array', () => {
    const problems: string[] = [];
    for (const doc of documents) {
      visitArrays(doc, doc._id, (items, where) => {
        const seen = new Set<string>();
        items.forEach((item, index) => {
          if (typeof item !== 'object' || item === null) return;
          const key = (item as { _key?: unknown })._key;
          if (typeof key !== 'string' || key === '') problems.push(`${where}[${index}] has no string _key`);
          else if (seen.has(key)) problems.push(`${where}[${index}] repeats _key ${key}`);
          else seen.add(key);
        });
      });
    }
    expect(problems).toEqual([]);
  });

  it('has references that all resolve to published documents of the expected type', () => {
    const types = new Map(documents.map((d) => [d._id, d._type] as const));
    const problems: string[] = [];
    for (const doc of documents) {
      visitObjects(doc, doc._id, (value, where) => {
        if (value._type !== 'reference') return;
        const target = types.get(String(value._ref));
        if (!target) problems.push(`${where} points at missing ${String(value._ref)}`);
        else if (!['tag', 'link'].includes(target)) problems.push(`${where} points at a ${target}`);
      });
    }
    expect(problems).toEqual([]);
  });

  it('uses span marks that are decorators or keys of the block’s own annotations', () => {
    const decorators = new Set(['strong', 'em', 'code', 'strike-through']);
    const problems: string[] = [];
    for (const doc of documents) {
      visitObjects(doc, doc._id, (value, where) => {
        if (value._type !== 'block') return;
        const defs = new Set(((value.markDefs as Array<{ _key: string }>) ?? []).map((d) => d._key));
        const spans = (value.children as Array<Record<string, unknown>>).filter((c) => c._type === 'span');
        for (const span of spans) {
          if (typeof span.text !== 'string' || span.text === '') problems.push(`${where} has an empty span`);
          for (const mark of span.marks as string[]) if (!decorators.has(mark) && !defs.has(mark)) problems.push(`${where}: unknown mark ${mark}`);
        }
      });
    }
    expect(problems).toEqual([]);
  });

  it('writes dates as ISO dates and timestamps as ISO date-times', () => {
    const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    for (const doc of documents) {
      expect(doc._createdAt).toMatch(isoDateTime);
      expect(doc._updatedAt).toMatch(isoDateTime);
      if (doc._type === 'issue') expect(doc.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (doc._type === 'link') expect(doc.capturedAt).toMatch(isoDateTime);
    }
  });
});

describe('the sample loaded through the local store', () => {
  it('loads settings with every field filled in', async () => {
    const settings = await loadSettings(store);
    expect(settings).toMatchObject({
      title: 'Marrow Fortnight',
      siteUrl: 'https://news.example.org',
      language: 'en',
    });
    for (const field of ['description', 'senderName', 'senderEmail', 'replyTo', 'postalAddress', 'accentColor'] as const) {
      expect(settings[field], field).toBeTruthy();
    }
    expect(settings.defaultSectionHeadings.length).toBeGreaterThanOrEqual(3);
  });

  it('shows published issues only in the published perspective, and the draft-only issue in the drafts perspective', async () => {
    const published = await loadIssues(store, 'published');
    const drafts = await loadIssues(store, 'drafts');
    expect(published.length).toBeGreaterThanOrEqual(3);
    expect(published.every((i) => !i.isDraft)).toBe(true);
    const draftOnly = drafts.filter((i) => !published.some((p) => p.number === i.number));
    expect(draftOnly.map((i) => i.number)).toEqual([5]);
    expect(draftOnly[0]!.isDraft).toBe(true);
  });

  it('overlays the edited draft on its published twin in the drafts perspective', async () => {
    const publishedThree = (await loadIssues(store, 'published')).find((i) => i.number === 3)!;
    const draftThree = (await loadIssues(store, 'drafts')).find((i) => i.number === 3)!;
    expect(draftThree.isDraft).toBe(true);
    expect(draftThree.id).toBe('issue-3');
    expect(draftThree.title).not.toBe(publishedThree.title);
    expect(draftThree.sections[0]!.heading).not.toBe(publishedThree.sections[0]!.heading);
  });

  it('has a largest issue with the shape of a real tracking issue', async () => {
    const issues = await loadIssues(store, 'published');
    const largest = issues.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a));
    const m = measureIssue(largest);
    expect(m.sections).toBeGreaterThanOrEqual(10);
    expect(m.sections).toBeLessThanOrEqual(12);
    expect(m.links).toBeGreaterThanOrEqual(60);
    expect(m.linkReferences).toBeGreaterThanOrEqual(5);
    expect(m.linkCards).toBeGreaterThanOrEqual(2);
    expect(m.notes.total).toBeGreaterThanOrEqual(12);
    expect(m.notes.midSentence).toBeGreaterThanOrEqual(3);
    expect(m.notes.closingParagraph).toBeGreaterThanOrEqual(3);
    expect(m.notes.block).toBeGreaterThanOrEqual(1);
    expect(m.notes.withLinks).toBeGreaterThanOrEqual(2);
    expect(m.bulletItems).toBeGreaterThanOrEqual(6);
    expect(m.numberedItems).toBeGreaterThanOrEqual(3);
    expect(m.boldSpans).toBeGreaterThanOrEqual(20);
    expect(m.textBytes).toBeGreaterThanOrEqual(15_000);
    expect(largest.byline).toBeTruthy();
    expect(largest.signOff.length).toBeGreaterThan(0);
    // The appeal near the top is a wholly italic paragraph.
    expect(largest.intro.some((b) => b._type === 'block' && b.children.every((c) => c._type === 'span' && c.marks.includes('em')))).toBe(true);
    expect(largest.tags.length).toBeGreaterThan(0);
    expect(largest.sections.filter((s) => s.topic).length).toBeGreaterThan(5);
  });

  it('resolves every link annotation and card to its link document', async () => {
    const issues = await loadIssues(store, 'drafts');
    const targets = issues.flatMap((i) => allBlocks(i)).flatMap((b) => (b._type === 'linkCard' ? [b.link] : b._type === 'block' ? b.markDefs.filter((d) => d._type === 'linkReference').map((d) => d.link) : []));
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.every((t) => t !== null && t.url.startsWith('https://'))).toBe(true);
  });

  it('has an inbox of links in every triage state, one waiting for enrichment', async () => {
    const links = await loadLinks(store);
    const used = links.filter((l) => l.usedIn.length > 0);
    const unused = await loadLinks(store, { unused: true });
    expect(used.length).toBeGreaterThan(5);
    expect(used.every((l) => l.status === 'shortlisted' && l.title && l.siteName && l.description && l.foundAt)).toBe(true);
    expect(unused.length).toBeGreaterThanOrEqual(6);
    expect(new Set(unused.map((l) => l.status))).toEqual(new Set(['inbox', 'shortlisted', 'discarded']));
    expect(unused.filter((l) => l.needsEnrichment)).toHaveLength(1);
    expect(unused.some((l) => l.note && l.tags.length > 0)).toBe(true);
    expect(new Set(links.map((l) => l.normalizedUrl)).size).toBe(links.length);
  });

  it('has between five and eight tags, each used by an issue', async () => {
    const tags = await loadTags(store);
    const issues = await loadIssues(store, 'published');
    expect(tags.length).toBeGreaterThanOrEqual(5);
    expect(tags.length).toBeLessThanOrEqual(8);
    const usedSlugs = new Set(issues.flatMap((i) => [...i.tags, ...i.sections.flatMap((s) => (s.topic ? [s.topic] : []))].map((t) => t.slug)));
    for (const tag of tags) expect(usedSlugs.has(tag.slug), tag.slug).toBe(true);
  });

  it('passes `newsdesk check` with no problems', async () => {
    expect(await checkContent(store)).toEqual([]);
  });
});

// ── Helpers ──────────────────────────────────────────────────────────────────

function visitArrays(value: unknown, where: string, visit: (items: unknown[], where: string) => void): void {
  if (Array.isArray(value)) {
    visit(value, where);
    value.forEach((item, i) => visitArrays(item, `${where}[${i}]`, visit));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) visitArrays(v, `${where}.${k}`, visit);
  }
}

function visitObjects(value: unknown, where: string, visit: (value: Record<string, unknown>, where: string) => void): void {
  if (Array.isArray(value)) value.forEach((item, i) => visitObjects(item, `${where}[${i}]`, visit));
  else if (typeof value === 'object' && value !== null) {
    visit(value as Record<string, unknown>, where);
    for (const [k, v] of Object.entries(value)) visitObjects(v, `${where}.${k}`, visit);
  }
}

function allBlocks(issue: Issue): PortableBlock[] {
  return [...issue.intro, ...issue.sections.flatMap((s) => s.body), ...issue.signOff];
}

/** The figures that make an issue look like a real one. */
function measureIssue(issue: Issue) {
  const m = {
    sections: issue.sections.length,
    links: 0,
    linkReferences: 0,
    linkCards: 0,
    bulletItems: 0,
    numberedItems: 0,
    boldSpans: 0,
    textBytes: 0,
    notes: { total: 0, midSentence: 0, closingParagraph: 0, block: 0, withLinks: 0 },
  };
  const countDefs = (defs: Array<{ _type: string }>) => {
    m.links += defs.length;
    m.linkReferences += defs.filter((d) => d._type === 'linkReference').length;
  };
  const countNote = (body: Array<{ markDefs: Array<{ _type: string }>; children: Array<{ text: string }> }>) => {
    m.notes.total += 1;
    if (body.some((b) => b.markDefs.length > 0)) m.notes.withLinks += 1;
    for (const b of body) {
      countDefs(b.markDefs);
      for (const c of b.children) m.textBytes += Buffer.byteLength(c.text);
    }
  };
  for (const block of allBlocks(issue)) {
    if (block._type === 'linkCard') {
      m.linkCards += 1;
      m.links += 1;
    } else if (block._type === 'editorialNote') {
      m.notes.block += 1;
      countNote(block.body);
    } else if (block._type === 'block') {
      if (block.listItem === 'bullet') m.bulletItems += 1;
      if (block.listItem === 'number') m.numberedItems += 1;
      countDefs(block.markDefs);
      block.children.forEach((child, index) => {
        if (child._type === 'span') {
          m.textBytes += Buffer.byteLength(child.text);
          if (child.marks.includes('strong')) m.boldSpans += 1;
          return;
        }
        countNote(child.body);
        const before = block.children[index - 1];
        if (index === block.children.length - 1) m.notes.closingParagraph += 1;
        else if (before?._type === 'span' && !/[.!?:;]\s*$/.test(before.text)) m.notes.midSentence += 1;
      });
    }
  }
  return m;
}
