// Issue 5: a draft that has never been published, half-written the way drafts are.
import { a, b, card, noteBlock, p, ref, section, type IssueSpec } from './kit.ts';

export function issue5Draft(): IssueSpec {
  return {
    id: 'drafts.issue-5',
    number: 5,
    title: 'Election week',
    slug: 'election-week',
    date: '2026-03-06',
    summary: 'Meet the steering council candidates, and what the safer-defaults debate settled on.',
    byline: 'Maren Holt',
    createdAt: '2026-02-23T09:00:00.000Z',
    updatedAt: '2026-02-25T17:40:00.000Z',
    tags: ['community', 'security', 'tooling'],
    intro: [
      p(
        'Nominations for the ',
        ref('link-steering-election', 'steering council'),
        ' have closed, and voting opens on Monday. This issue introduces the candidates in their own words.',
      ),
    ],
    sections: [
      section(
        'News',
        'community',
        p('Candidate statements go here once the list is final.'),
        noteBlock(['Check the final list against ', a('https://forum.marrow.example.org/c/governance', 'the governance category'), ' before this goes out.']),
      ),
      section(
        'Better By Default?',
        'security',
        p(
          'The ',
          ref('link-defaults-thread', 'safer-defaults thread'),
          ' closes on 10 March. Summary of where it landed: to follow.',
        ),
      ),
      section(
        'Accessibility',
        'tooling',
        p(
          'Following up on ',
          b('marrow-a11y'),
          ' from last issue, a talk on what screen readers make of slates:',
        ),
        card('link-accessible-slates'),
      ),
    ],
    signOff: [p('— Maren')],
  };
}
