// Synthetic datasets for build tests and the build benchmark: stored Sanity documents
// (NDJSON lines) shaped like a real tracking newsletter — a dozen sections, dozens of
// links by reference and by URL, bold names, lists, editorial notes inline and as blocks,
// link cards. Deterministic: the same options give the same documents.
import fs from 'node:fs/promises';

export interface DatasetOptions {
  issues: number;
  sectionsPerIssue?: number;
  linksPerIssue?: number;
  /**
   * Draws words from this many made-up words with Zipf's frequencies (the shape of real
   * prose) instead of the 25 product words every sentence repeats; for the search benchmark.
   */
  vocabulary?: number;
  /** Adds one unpublished draft issue that must never reach the output. */
  withDraft?: boolean;
  /** Makes issue 1 hostile: markup, quotes, "]]>", control characters, a javascript: URL. */
  hostile?: boolean;
  siteUrl?: string;
}

export const hostileTitle = '<script>alert("t")</script> & "quotes" \'single\' ]]> end\u0007';
export const hostileText = 'Text with <b>tags</b>, ]]> and "quotes" & a bell\u0007 and NUL\u0000.';
export const hostileUrl = 'javascript:alert(document.cookie)';

type Doc = Record<string, unknown> & { _id: string; _type: string };

const words =
  'package release notebook kernel widget server build deploy proxy desktop runtime plugin schema editor terminal workflow cache bundle mirror registry extension sandbox viewer format'.split(
    ' ',
  );
const headings = ['News', 'Package Updates', 'Things You Can Do', 'Deployment', 'Notebooks Everywhere', 'Runnable Environments', 'Better By Default?', 'Proxies', 'Development Environments', 'Also On the Desktop', 'Widget Architectures', 'Library Round-up'];
const tagSlugs = ['releases', 'deployment', 'notebooks', 'widgets', 'desktop', 'tooling'];

/** A tiny seeded PRNG (mulberry32), so synthetic content is the same on every run. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Made-up words ("kalo", "mizeru", …), the k-th drawn with weight 1/k. */
function zipfWords(vocabulary: number, rnd: () => number): () => string {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'bu', 'da', 'fe', 'gi', 'ho', 'ju', 'pa'];
  const lexicon = Array.from({ length: vocabulary }, (_, k) => {
    let name = '';
    for (let n = k + 16; n > 0; n = Math.floor(n / 16)) name += syllables[n % 16];
    return name;
  });
  const cumulative: number[] = [];
  let sum = 0;
  for (let k = 1; k <= vocabulary; k++) cumulative.push((sum += 1 / k));
  return () => {
    const x = rnd() * sum;
    let lo = 0;
    let hi = vocabulary - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lexicon[lo]!;
  };
}

export function syntheticDataset(options: DatasetOptions): Doc[] {
  const sections = options.sectionsPerIssue ?? 12;
  const linksPerIssue = options.linksPerIssue ?? 80;
  const rnd = random(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const word = options.vocabulary ? zipfWords(options.vocabulary, rnd) : () => pick(words);
  const sentence = (n: number) => Array.from({ length: n }, word).join(' ');
  const docs: Doc[] = [
    {
      _id: 'newsletter',
      _type: 'newsletter',
      title: 'Tracking Notes',
      description: 'A fortnightly look at what moved in the ecosystem.',
      siteUrl: options.siteUrl ?? 'https://news.example.org',
      senderName: 'Tracking Notes',
      senderEmail: 'editor@news.example.org',
      replyTo: 'editor@news.example.org',
      postalAddress: '1 Example Street, Exampletown',
      accentColor: '#1d6b5f',
      language: 'en',
      defaultSectionHeadings: headings,
    },
  ];
  for (const slug of tagSlugs) {
    docs.push({ _id: `tag-${slug}`, _type: 'tag', title: slug[0]!.toUpperCase() + slug.slice(1), slug: { _type: 'slug', current: slug }, description: `Issues and links about ${slug}.` });
  }
  const ref = (id: string, key: string) => ({ _type: 'reference', _ref: id, _key: key });

  let keyCounter = 0;
  const k = () => `k${(keyCounter++).toString(36)}`;
  const span = (text: string, marks: string[] = []) => ({ _type: 'span', _key: k(), text, marks });

  const total = options.issues + (options.withDraft ? 1 : 0);
  for (let n = 1; n <= total; n++) {
    const hostile = options.hostile && n === 1;
    const linkIds: string[] = [];
    for (let l = 0; l < linksPerIssue; l++) {
      const id = `link-${n}-${l}`;
      linkIds.push(id);
      const name = `${word()}-${word()}`;
      docs.push({
        _id: id,
        _type: 'link',
        url: `https://example.com/${n}/${l}/${name}`,
        normalizedUrl: `example.com/${n}/${l}/${name}`,
        title: hostile && l === 0 ? hostileTitle : `The ${name} ${word()}`,
        description: `A note on ${sentence(6)}.`,
        siteName: 'example.com',
        capturedAt: `2025-01-01T00:00:${String(l % 60).padStart(2, '0')}Z`,
        foundAt: 'a forum thread',
        tags: [ref(`tag-${tagSlugs[(n + l) % tagSlugs.length]}`, k())],
        status: 'shortlisted',
        needsEnrichment: false,
      });
    }
    let nextLink = 0;
    const takeLink = () => linkIds[nextLink++ % linkIds.length]!;
    const linksPerSection = Math.max(1, Math.floor(linksPerIssue / sections));

    const paragraph = (linkCount: number, withNote: boolean) => {
      const markDefs: unknown[] = [];
      const children: unknown[] = [span(`${sentence(8)} `)];
      for (let i = 0; i < linkCount; i++) {
        const mk = k();
        if (i % 3 === 2) markDefs.push({ _type: 'externalLink', _key: mk, href: `https://docs.example.net/${n}/${i}` });
        else markDefs.push({ _type: 'linkReference', _key: mk, reference: { _type: 'reference', _ref: takeLink() } });
        children.push(span(`${word()} ${word()}`, [mk]), span(` ${sentence(5)}, `), span(word(), ['strong']), span(` ${sentence(6)}. `));
      }
      if (withNote) {
        children.push({
          _type: 'editorialNote',
          _key: k(),
          body: [{ _type: 'block', _key: k(), style: 'normal', markDefs: [], children: [span(`${sentence(7)}`, ['em'])] }],
          signature: 'Ed.',
        });
      }
      return { _type: 'block', _key: k(), style: 'normal', markDefs, children };
    };

    const sectionDocs = Array.from({ length: sections }, (_, s) => {
      const body: unknown[] = [];
      let left = linksPerSection;
      while (left > 0) {
        const take = Math.min(left, 3);
        body.push(paragraph(take, body.length % 2 === 1));
        left -= take;
      }
      if (s % 4 === 1) {
        for (let b = 0; b < 3; b++) body.push({ ...paragraph(0, false), listItem: 'bullet', level: 1 });
      }
      if (s % 4 === 2) {
        body.push({ _type: 'linkCard', _key: k(), link: { _type: 'reference', _ref: takeLink() }, comment: sentence(6) });
      }
      if (s % 4 === 3) {
        body.push({
          _type: 'editorialNote',
          _key: k(),
          body: [{ _type: 'block', _key: k(), style: 'normal', markDefs: [], children: [span(sentence(14))] }],
          signature: 'Ed.',
        });
      }
      return {
        _type: 'section',
        _key: k(),
        heading: headings[s % headings.length]! + (s >= headings.length ? ` ${s}` : ''),
        ...(s % 3 === 0 ? { topic: { _type: 'reference', _ref: `tag-${tagSlugs[s % tagSlugs.length]}` } } : {}),
        body,
      };
    });

    if (hostile) {
      const mkBad = k();
      const mkRef = k();
      sectionDocs[0]!.body.unshift({
        _type: 'block',
        _key: k(),
        style: 'normal',
        markDefs: [
          { _type: 'externalLink', _key: mkBad, href: hostileUrl },
          { _type: 'linkReference', _key: mkRef, reference: { _type: 'reference', _ref: linkIds[0]! } },
        ],
        children: [span(hostileText), span('click "me" <now>', [mkBad]), span(' and '), span(hostileTitle, [mkRef])],
      });
      sectionDocs[0]!.heading = `Heading <i>with</i> "markup" ]]>`;
    }

    const date = new Date(Date.UTC(2020, 0, 1) + (n - 1) * 14 * 86_400_000).toISOString().slice(0, 10);
    const isDraft = options.withDraft && n === total;
    docs.push({
      _id: isDraft ? `drafts.issue-${n}` : `issue-${n}`,
      _type: 'issue',
      number: n,
      title: hostile ? hostileTitle : isDraft ? 'Unpublished draft issue' : `Issue ${n}: ${sentence(3)}`,
      slug: { _type: 'slug', current: isDraft ? 'unpublished-draft' : `issue-${n}` },
      date,
      summary: hostile ? `Summary ${hostileText}` : `This fortnight: ${sentence(8)}.`,
      byline: 'By the editor',
      intro: [paragraph(1, false)],
      sections: sectionDocs,
      signOff: [{ _type: 'block', _key: k(), style: 'normal', markDefs: [], children: [span('Until next time.')] }],
      tags: [ref(`tag-${tagSlugs[n % tagSlugs.length]}`, k()), ref(`tag-${tagSlugs[(n + 2) % tagSlugs.length]}`, k())],
    });
  }
  return docs;
}

export async function writeDataset(file: string, docs: Doc[]): Promise<void> {
  await fs.writeFile(file, `${docs.map((d) => JSON.stringify(d)).join('\n')}\n`);
}
