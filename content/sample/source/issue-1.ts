// Issue 1: the first, short issue that introduces the newsletter.
import { a, b, bullet, code, i, note, p, q, ref, section, type IssueSpec } from './kit.ts';

export function issue1(): IssueSpec {
  return {
    id: 'issue-1',
    number: 1,
    title: 'Hello, Fortnight',
    slug: 'hello-fortnight',
    date: '2026-01-09',
    summary: 'A new fortnightly newsletter for the Marrow ecosystem: what it covers, who writes it, and the first releases of 2026.',
    byline: 'Maren Holt',
    createdAt: '2026-01-03T10:00:00.000Z',
    updatedAt: '2026-01-09T06:30:00.000Z',
    tags: ['community', 'releases'],
    intro: [
      p(
        'This is the first issue of ',
        i('Marrow Fortnight'),
        '. Every other Friday we will round up what changed across ',
        a('https://marrow.example.org', 'Marrow'),
        ' and the projects around it: releases, design discussions, and the places where a little help goes a long way. ',
        ref('link-welcome-post', 'The announcement on the Marrow blog'),
        ' explains why we started it.',
      ),
      p(
        i(
          'Send us links. Reply to this email, or post them in ',
          a('https://forum.marrow.example.org/c/newsletter', 'the newsletter thread'),
          '; anything you would want a colleague to see is fair game.',
        ),
      ),
    ],
    sections: [
      section(
        'News',
        'community',
        p(
          'The project closed 2025 with ',
          a('https://blog.marrow.example.org/2025/12/year-in-review', 'a year-in-review post'),
          ' that is worth skimming for the numbers alone: four hundred contributors, two new core packages, and a documentation site that finally has a search box that finds things.',
          note('The editor wrote about a tenth of that search box and will mention it at every opportunity.'),
        ),
        p(
          'Planning for ',
          b('marrow-core'),
          ' 3.0 is under way in ',
          a('https://github.com/marrow-dev/marrow-core/discussions/2150', 'an open discussion'),
          '. The theme, in the core team’s words, is ',
          q('slates that travel well'),
          ': easier to review, to diff, and to hand to someone else.',
        ),
      ),
      section(
        'Package Updates',
        'releases',
        bullet(
          a('https://github.com/marrow-dev/slatehouse/releases/tag/v4.0.2', b('slatehouse'), ' 4.0.2'),
          ': a bug-fix release; the login page no longer loops when a session expires.',
        ),
        bullet(
          a('https://github.com/marrow-dev/ferry/releases/tag/v2.6.0', b('ferry'), ' 2.6'),
          ': a ',
          code('--dry-run'),
          ' flag that prints the build plan without building anything.',
        ),
        bullet(
          a('https://github.com/marrow-dev/quay/releases/tag/v1.11.0', b('quay'), ' 1.11'),
          ': widgets can declare the smallest space they need, so layouts stop squashing them.',
        ),
      ),
      section(
        'Things You Can Do',
        'community',
        p(
          'The ',
          a('https://github.com/marrow-dev/docs/issues?q=label%3Astale-page', 'stale-page label'),
          ' on the documentation repository lists pages that describe older versions. Each one is a small, self-contained fix, and ',
          a('https://docs.marrow.example.org/contributing/docs', 'the docs contributing guide'),
          ' explains how to preview changes locally.',
        ),
      ),
    ],
    signOff: [p('That is all for the first issue. Until the next one — Maren')],
  };
}
