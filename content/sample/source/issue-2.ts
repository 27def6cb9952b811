// Issue 2: a short issue with a deployment section and an ecosystem round-up.
import { a, b, bullet, card, code, note, noteBlock, p, ref, section, type IssueSpec } from './kit.ts';

export function issue2(): IssueSpec {
  return {
    id: 'issue-2',
    number: 2,
    title: 'slatehouse 4.1 and a debugger on the horizon',
    slug: 'slatehouse-4-1-and-a-debugger',
    date: '2026-01-23',
    summary: 'slatehouse 4.1 culls idle servers per group, a debugger takes shape, and three new community libraries.',
    byline: 'Maren Holt',
    createdAt: '2026-01-12T09:00:00.000Z',
    updatedAt: '2026-01-23T06:30:00.000Z',
    tags: ['releases', 'deployment', 'tooling'],
    intro: [
      p(
        'Issue two, and already more links than space. The main story is a ',
        b('slatehouse'),
        ' release that people who run shared servers have been waiting for; the second is a debugger that may land before spring.',
      ),
    ],
    sections: [
      section(
        'News',
        'tooling',
        p(
          'A debugger for slates has been one of the most requested features for as long as there has been a ',
          a('https://survey.marrow.example.org/2025/results', 'community survey'),
          '. ',
          a('https://github.com/marrow-dev/marrow-core/pull/2171', 'A pull request'),
          ' now adds breakpoints and stepping for ordinary cells through ',
          b('tern'),
          ', and ',
          a('https://github.com/marrow-dev/marrow-core/discussions/2174', 'a design note'),
          ' explains why the first version will not support everything.',
        ),
      ),
      section(
        'Package Updates',
        'releases',
        card('link-slatehouse-41', 'Per-group culling is the headline; the health endpoint is the quiet win.'),
        bullet(
          a('https://github.com/marrow-dev/driftwood/releases/tag/v0.13.0', b('driftwood'), ' 0.13'),
          ': rules can be switched off for a single cell with a comment.',
        ),
        bullet(
          a('https://github.com/marrow-dev/gullwing/releases/tag/v2.2.0', b('gullwing'), ' 2.2'),
          ': dashboards can be exported as a single HTML file.',
        ),
      ),
      section(
        'Deployment',
        'deployment',
        p(
          'With ',
          ref('link-slatehouse-41', b('slatehouse'), ' 4.1'),
          ', idle servers can be culled on a different schedule for each group, so a class can be stopped after twenty minutes while a research group keeps its servers overnight. The setting is ',
          code('cull.groups'),
          ', documented in ',
          a('https://docs.marrow.example.org/slatehouse/culling', 'the culling guide'),
          '.',
          note('Check your memory limits before you lengthen anything.'),
        ),
        noteBlock([
          'Upgrading from 4.0 needs a database migration; ',
          a('https://docs.marrow.example.org/slatehouse/upgrade/4.1', 'the upgrade notes'),
          ' say to take a backup first, and so do we.',
        ]),
      ),
      section(
        'Around the Ecosystem',
        'community',
        bullet(a('https://github.com/fernhill/slate-sql', b('slate-sql')), ': SQL cells, now with connection profiles.'),
        bullet(a('https://github.com/lowtide-labs/slate-to-pdf', b('slate-to-pdf')), ': a first release, and already pleasant to use.'),
        bullet(a('https://github.com/gannet-ml/gannet', b('gannet')), ': experiment tracking that lives inside the slate.'),
      ),
    ],
    signOff: [p('See you in two weeks. — Maren')],
  };
}
