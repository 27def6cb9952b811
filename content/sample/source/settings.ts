// The sample newsletter's settings and tags: "Marrow Fortnight", which tracks the
// (fictional) Marrow open-source ecosystem for live documents called slates.
import type { SanityDocument } from '../../store.ts';
import { tagId } from './kit.ts';

const created = '2026-01-02T09:00:00.000Z';

export function buildSettings(): SanityDocument {
  return {
    _id: 'newsletter',
    _type: 'newsletter',
    _createdAt: created,
    _updatedAt: '2026-02-18T10:30:00.000Z',
    title: 'Marrow Fortnight',
    description:
      'Every other Friday: what changed in the Marrow ecosystem for live documents, which releases matter, and where you can lend a hand.',
    siteUrl: 'https://news.example.org',
    senderName: 'Marrow Fortnight',
    senderEmail: 'fortnight@news.example.org',
    replyTo: 'editors@news.example.org',
    postalAddress: 'Marrow Fortnight, c/o Commons Software Fund, 42 Example Street, Suite 7, Springfield 00000, Exampleland',
    accentColor: '#1f5f7a',
    language: 'en',
    defaultSectionHeadings: ['News', 'Package Updates', 'Things You Can Do', 'Deployment', 'Around the Ecosystem'],
  };
}

interface TagSpec {
  slug: string;
  title: string;
  description: string;
}

const tagSpecs: TagSpec[] = [
  { slug: 'releases', title: 'Releases', description: 'New versions of Marrow packages and what changed in them.' },
  { slug: 'community', title: 'Community', description: 'Governance, calls, surveys, events and the people behind Marrow.' },
  { slug: 'deployment', title: 'Deployment', description: 'Running slatehouse, kelpie and lamplighter for more than one person.' },
  { slug: 'environments', title: 'Environments', description: 'Packing and launching the environments slates run in: ferry, lockfiles, images.' },
  { slug: 'widgets', title: 'Widgets', description: 'Interactive outputs built on quay, and the architecture under them.' },
  { slug: 'tooling', title: 'Editors & tooling', description: 'Language servers, linters, debuggers and the editors slates are written in.' },
  { slug: 'security', title: 'Security', description: 'Advisories, trust models and safer defaults.' },
];

export function buildTags(): SanityDocument[] {
  return tagSpecs.map((t) => ({
    _id: tagId(t.slug),
    _type: 'tag',
    _createdAt: created,
    _updatedAt: created,
    title: t.title,
    slug: { _type: 'slug', current: t.slug },
    description: t.description,
  }));
}

