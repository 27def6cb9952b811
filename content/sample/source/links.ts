// The sample's `link` documents: the ones issues point at (shortlisted, enriched with
// title, site and description) and an inbox of newer captures in every triage state,
// so the link views have something to show on first run.
import type { SanityDocument } from '../../store.ts';
import { Keyer, references, tagId } from './kit.ts';

interface LinkSpec {
  id: string;
  url: string;
  title?: string;
  siteName?: string;
  description?: string;
  capturedAt: string;
  foundAt: string;
  /** Tag slugs. */
  tags: string[];
  status: 'inbox' | 'shortlisted' | 'discarded';
  note?: string;
  needsEnrichment?: boolean;
}

const linkSpecs: LinkSpec[] = [
  // ── Used in published issues ──
  {
    id: 'link-welcome-post',
    url: 'https://blog.marrow.example.org/2026/01/hello-fortnight',
    title: 'Hello, Fortnight: a newsletter for the Marrow ecosystem',
    siteName: 'Marrow blog',
    description: 'Why the project is starting a fortnightly newsletter, who writes it, and how to send it links.',
    capturedAt: '2026-01-05T08:12:00.000Z',
    foundAt: 'Marrow blog, drafted with the core team',
    tags: ['community'],
    status: 'shortlisted',
  },
  {
    id: 'link-slatehouse-41',
    url: 'https://github.com/marrow-dev/slatehouse/releases/tag/v4.1.0',
    title: 'slatehouse 4.1.0',
    siteName: 'GitHub',
    description: 'Release notes: idle-server culling per group, a health endpoint, and faster start-up for large user lists.',
    capturedAt: '2026-01-19T14:40:00.000Z',
    foundAt: 'GitHub release feed',
    tags: ['releases', 'deployment'],
    status: 'shortlisted',
  },
  {
    id: 'link-winter-sprint',
    url: 'https://forum.marrow.example.org/t/winter-sprint-2026/4077',
    title: 'Winter sprint 2026: dates, rooms and remote tables',
    siteName: 'Marrow Forum',
    description: 'Two days of mentored contributing, in person and online, with tables for docs, widgets and first-timers.',
    capturedAt: '2026-01-28T11:05:00.000Z',
    foundAt: 'Marrow forum, announcements',
    tags: ['community'],
    status: 'shortlisted',
    note: 'Dates changed after #3 went out: double-check before linking again.',
  },
  {
    id: 'link-core3-beta',
    url: 'https://blog.marrow.example.org/2026/02/marrow-core-3-beta',
    title: 'marrow-core 3.0 beta: what changes for slate authors',
    siteName: 'Marrow blog',
    description: 'Outputs move beside the slate, a new upgrade command, and the timeline to the final release.',
    capturedAt: '2026-02-10T07:55:00.000Z',
    foundAt: 'Marrow blog',
    tags: ['releases'],
    status: 'shortlisted',
    note: 'Lead item for #4.',
  },
  {
    id: 'link-steering-election',
    url: 'https://forum.marrow.example.org/t/steering-council-election-2026/4121',
    title: 'Steering council election 2026: call for nominations',
    siteName: 'Marrow Forum',
    description: 'Two seats, open to anyone who contributed in the past year. Nominations close on 6 March.',
    capturedAt: '2026-02-11T16:20:00.000Z',
    foundAt: 'Marrow forum, governance category',
    tags: ['community'],
    status: 'shortlisted',
  },
  {
    id: 'link-survey',
    url: 'https://survey.marrow.example.org/2026',
    title: 'Marrow community survey 2026',
    siteName: 'Marrow',
    description: 'Ten minutes of questions that shape next year’s roadmap. Open until the end of March.',
    capturedAt: '2026-02-02T09:30:00.000Z',
    foundAt: 'Community call notes',
    tags: ['community'],
    status: 'shortlisted',
  },
  {
    id: 'link-kelpie-autoscaling',
    url: 'https://kestrel-labs.example.com/blog/kelpie-autoscaling-in-practice',
    title: 'Autoscaling slatehouse with kelpie: six months in',
    siteName: 'Kestrel Labs',
    description: 'A university team on node pools, cull policies and the graphs that told them what was wrong.',
    capturedAt: '2026-02-12T20:02:00.000Z',
    foundAt: 'Reader email (thanks, Rafael)',
    tags: ['deployment'],
    status: 'shortlisted',
  },
  {
    id: 'link-ferry-lockfiles',
    url: 'https://github.com/marrow-dev/ferry/pull/912',
    title: 'ferry #912: use lockfiles before environment files',
    siteName: 'GitHub',
    description: 'When a repository has a lockfile, ferry now builds from it first, so launches match what the author tested.',
    capturedAt: '2026-02-13T10:44:00.000Z',
    foundAt: 'GitHub notifications',
    tags: ['environments'],
    status: 'shortlisted',
  },
  {
    id: 'link-defaults-thread',
    url: 'https://forum.marrow.example.org/t/safer-defaults-for-untrusted-slates/4188',
    title: 'Safer defaults for untrusted slates?',
    siteName: 'Marrow Forum',
    description: 'A proposal for read-only untrusted mode, autosave with history, and statistics that stay off.',
    capturedAt: '2026-02-14T13:18:00.000Z',
    foundAt: 'Marrow forum, ideas category',
    tags: ['security'],
    status: 'shortlisted',
    note: '140 replies and counting; summarise the camps, do not pick a side in the body.',
  },
  {
    id: 'link-lamplighter-ws',
    url: 'https://field-notes.example.net/2026/lamplighter-websockets',
    title: 'Why your websockets drop behind lamplighter',
    siteName: 'Field Notes',
    description: 'An idle timeout in front of the proxy, missing keep-alive pings, and the two-line fix.',
    capturedAt: '2026-02-15T18:37:00.000Z',
    foundAt: 'Mastodon, boosted by @hsato@social.example.net',
    tags: ['deployment'],
    status: 'shortlisted',
  },
  {
    id: 'link-quay2-design',
    url: 'https://github.com/marrow-dev/quay/discussions/377',
    title: 'Quay 2: a message-first widget model',
    siteName: 'GitHub',
    description: 'Design discussion: the kernel owns widget state and every change travels as a replayable message.',
    capturedAt: '2026-02-16T12:01:00.000Z',
    foundAt: 'quay maintainers’ call',
    tags: ['widgets'],
    status: 'shortlisted',
  },
  {
    id: 'link-desktop-portable',
    url: 'https://blog.marrow.example.org/2026/02/desktop-portable-builds',
    title: 'Marrow Desktop goes portable',
    siteName: 'Marrow blog',
    description: 'Builds that run from a folder or a USB stick, for classrooms without admin rights.',
    capturedAt: '2026-02-17T08:25:00.000Z',
    foundAt: 'Marrow blog',
    tags: ['releases'],
    status: 'shortlisted',
  },
  {
    id: 'link-pebble-talk',
    url: 'https://videos.example.com/watch/pebble-in-the-browser',
    title: 'Pebble: a whole kernel in a browser tab',
    siteName: 'Example Video',
    description: 'Conference talk on compiling a kernel to WebAssembly, what works today, and why threads are hard.',
    capturedAt: '2026-02-09T21:10:00.000Z',
    foundAt: 'Conference playlist',
    tags: ['environments', 'tooling'],
    status: 'shortlisted',
  },
  {
    id: 'link-sextant',
    url: 'https://github.com/tideline-data/sextant',
    title: 'sextant: a data grid widget for quay',
    siteName: 'GitHub',
    description: 'Sorts, filters and scrolls through a million rows without freezing the page.',
    capturedAt: '2026-02-16T19:48:00.000Z',
    foundAt: 'Forum show-and-tell',
    tags: ['widgets'],
    status: 'shortlisted',
  },
  // ── The inbox: captured, not yet used ──
  {
    id: 'link-accessible-slates',
    url: 'https://videos.example.com/watch/accessible-slates',
    title: 'Making slates work with screen readers',
    siteName: 'Example Video',
    description: 'What a screen reader announces when it meets a slate, and five fixes that help most.',
    capturedAt: '2026-02-19T15:00:00.000Z',
    foundAt: 'Kettle Collective newsletter',
    tags: ['tooling', 'community'],
    status: 'shortlisted',
    note: 'For #5, next to the marrow-a11y follow-up.',
  },
  {
    id: 'link-tidemark-merging',
    url: 'https://field-notes.example.net/2026/merging-slates-with-tidemark',
    title: 'Merging slates without tears',
    siteName: 'Field Notes',
    description: 'A walk through tidemark’s three-way merge, with the conflicts it can and cannot resolve.',
    capturedAt: '2026-02-21T09:14:00.000Z',
    foundAt: 'Field Notes feed',
    tags: ['tooling'],
    status: 'inbox',
    note: 'Good explainer. Could anchor a version-control section.',
  },
  {
    id: 'link-kelpie-gpus',
    url: 'https://kestrel-labs.example.com/blog/gpu-pools-for-kelpie',
    title: 'GPU pools for kelpie',
    siteName: 'Kestrel Labs',
    description: 'Sharing a handful of GPUs between hundreds of users without anyone hoarding one.',
    capturedAt: '2026-02-22T17:29:00.000Z',
    foundAt: 'Kestrel Labs feed',
    tags: ['deployment'],
    status: 'inbox',
  },
  {
    id: 'link-driftwood-rules',
    url: 'https://github.com/marrow-dev/driftwood/issues/233',
    title: 'driftwood: rule proposals for 0.15',
    siteName: 'GitHub',
    description: 'Open call for lint rules, with a vote on which become defaults.',
    capturedAt: '2026-02-23T10:02:00.000Z',
    foundAt: 'GitHub notifications',
    tags: ['tooling'],
    status: 'inbox',
    note: 'Would fit Things You Can Do.',
  },
  {
    id: 'link-anchorage-crdt',
    url: 'https://anchorage.example.com/posts/cells-as-crdts',
    title: 'Cells as CRDTs',
    siteName: 'anchorage',
    description: 'How anchorage models a slate for real-time editing, and the one case where two editors still clash.',
    capturedAt: '2026-02-24T07:41:00.000Z',
    foundAt: 'Community call demo',
    tags: ['tooling'],
    status: 'inbox',
  },
  {
    id: 'link-lisbon-meetup',
    url: 'https://www.example.org/marrow-meetup-lisbon?utm_source=chat&utm_medium=share',
    capturedAt: '2026-02-24T19:55:00.000Z',
    foundAt: 'Newcomers chat room',
    tags: [],
    status: 'inbox',
    note: 'Pasted from chat; the page would not load at capture time.',
    needsEnrichment: true,
  },
  {
    id: 'link-token-promo',
    url: 'https://promo.example.net/earn-tokens-with-your-slates',
    title: 'Earn tokens with your slates!',
    siteName: 'promo.example.net',
    description: 'Turn every cell you run into rewards.',
    capturedAt: '2026-02-20T22:16:00.000Z',
    foundAt: 'Forum spam queue',
    tags: [],
    status: 'discarded',
    note: 'Spam. Kept so the next capture of it is recognised as a duplicate.',
  },
  {
    id: 'link-old-ferry-guide',
    url: 'https://docs.marrow.example.org/ferry/1.x/getting-started',
    title: 'ferry 1.x: getting started',
    siteName: 'Marrow docs',
    description: 'The getting-started guide for the previous major version of ferry.',
    capturedAt: '2026-02-13T10:50:00.000Z',
    foundAt: 'Old bookmark',
    tags: ['environments'],
    status: 'discarded',
    note: 'Superseded by the lockfile change in #912.',
  },
];

/**
 * Lower-case scheme and host, no "www.", no fragment, no tracking parameters, no
 * trailing slash: the form links are de-duplicated by.
 */
export function normalizeSampleUrl(raw: string): string {
  const url = new URL(raw);
  url.hash = '';
  url.hostname = url.hostname.replace(/^www\./, '');
  for (const name of [...url.searchParams.keys()]) if (name.startsWith('utm_')) url.searchParams.delete(name);
  const text = url.toString();
  return text.endsWith('/') && url.pathname !== '/' ? text.slice(0, -1) : text;
}

export function buildLinks(): SanityDocument[] {
  return linkSpecs.map((spec) => {
    const keys = new Keyer(spec.id.replace(/[^a-z0-9]/gi, '').slice(4, 12));
    return {
      _id: spec.id,
      _type: 'link',
      _createdAt: spec.capturedAt,
      _updatedAt: spec.capturedAt,
      url: spec.url,
      normalizedUrl: normalizeSampleUrl(spec.url),
      ...(spec.title ? { title: spec.title } : {}),
      ...(spec.description ? { description: spec.description } : {}),
      ...(spec.siteName ? { siteName: spec.siteName } : {}),
      capturedAt: spec.capturedAt,
      foundAt: spec.foundAt,
      tags: references(spec.tags.map(tagId), keys),
      status: spec.status,
      ...(spec.note ? { note: spec.note } : {}),
      needsEnrichment: spec.needsEnrichment ?? false,
    };
  });
}
