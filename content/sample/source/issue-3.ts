// Issue 3, published, and an unpublished edit of it: the draft corrects the sprint
// dates in the title and the News section, as an editor would after readers wrote in.
import { a, b, bullet, note, numbered, p, q, ref, section, type IssueSpec, type SectionSpec } from './kit.ts';

function news(draft: boolean): SectionSpec {
  return section(
    draft ? 'News (corrected)' : 'News',
    'community',
    p(
      'The ',
      ref('link-winter-sprint', 'winter sprint'),
      draft ? ' takes place on 14 and 15 February' : ' takes place on 7 and 8 February',
      ', in person in three cities and online for everyone else. There are tables for documentation, widgets and first-time contributors, each with a mentor who has ',
      q('broken the build at least once'),
      '.',
      ...(draft ? [note('An earlier version of this issue gave the wrong dates. Sorry to anyone who booked travel.')] : []),
    ),
    p(
      'The ',
      ref('link-survey', '2026 community survey'),
      ' is open. It is short, anonymous, and the results are ',
      a('https://survey.marrow.example.org/2025/results', 'published in full'),
      ' every year.',
    ),
  );
}

function issue3Spec(draft: boolean): IssueSpec {
  return {
    id: draft ? 'drafts.issue-3' : 'issue-3',
    number: 3,
    title: draft ? 'Widgets, a winter sprint (14–15 Feb) and the survey' : 'Widgets, a winter sprint and the survey',
    slug: 'widgets-winter-sprint-and-survey',
    date: '2026-02-06',
    summary: 'quay 1.12 lands, the winter sprint is almost here, and the 2026 community survey is open.',
    byline: 'Maren Holt',
    createdAt: '2026-01-26T09:00:00.000Z',
    updatedAt: draft ? '2026-02-07T11:20:00.000Z' : '2026-02-06T06:30:00.000Z',
    tags: ['community', 'widgets', 'releases'],
    intro: [
      p(
        'A widget-heavy issue this time, plus two ways to get involved that cost nothing but an afternoon. As ever, ',
        a('https://forum.marrow.example.org/c/newsletter', 'send us your links'),
        '.',
      ),
    ],
    sections: [
      news(draft),
      section(
        'Package Updates',
        'releases',
        bullet(
          a('https://github.com/marrow-dev/quay/releases/tag/v1.12.0', b('quay'), ' 1.12'),
          ': widgets can be saved with a slate and restored without a running kernel.',
        ),
        bullet(
          a('https://github.com/marrow-dev/tern/releases/tag/v1.8.2', b('tern'), ' 1.8.2'),
          ': fixes a reconnect loop when a kernel restarts mid-message.',
        ),
      ),
      section(
        'Widget Architectures',
        'widgets',
        p(
          'Restoring widgets without a kernel sounds simple, but ',
          a('https://github.com/marrow-dev/quay/pull/356', 'the pull request'),
          ' touched nearly every part of ',
          b('quay'),
          note('and, reportedly, nearly every maintainer’s patience'),
          '. The short version: a widget now declares which parts of its state can be saved, and everything else is rebuilt when the kernel comes back.',
        ),
      ),
      section(
        'Things You Can Do',
        'community',
        numbered('Sign up for a sprint table, in person or online.'),
        numbered(
          'Answer the survey, and forward it to one person who uses Marrow but never reads the forum.',
        ),
      ),
    ],
    signOff: [p('Until next time — Maren')],
  };
}

export const issue3 = (): IssueSpec => issue3Spec(false);
export const issue3Draft = (): IssueSpec => issue3Spec(true);
