// One issue of the newsletter: numbered, dated, summarised (the summary is the email
// preheader and feed description), written as an intro, sections and a sign-off.
import { EnvelopeIcon } from '@sanity/icons/Envelope';
import { defineArrayMember, defineField, defineType } from 'sanity';
import { slugify } from '../../content/rules.ts';
import { issueMedia } from '../../studio/components/IssueDeliveryMark.tsx';
import { newIssueDefaults, newIssueDefaultsQuery, type NewIssueFacts } from '../initial-values.ts';
import { lakeClient, validationApiVersion } from '../lake-client.ts';
import {
  checkDate,
  checkIssueNumber,
  checkIssueNumberUnique,
  checkIssueRules,
  checkIssueSlug,
  checkSlugUnique,
  checkSummaryLength,
  checkSummaryPresent,
} from '../validation.ts';

/** Today as YYYY-MM-DD in the editor's time zone, the default publication date. */
function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

export const issue = defineType({
  name: 'issue',
  title: 'Issue',
  type: 'document',
  icon: EnvelopeIcon,
  initialValue: async (_params, context) => {
    // Raw perspective: a number taken by an unpublished draft is taken too.
    const facts = await context
      .getClient({ apiVersion: validationApiVersion })
      .withConfig({ perspective: 'raw' })
      .fetch<Omit<NewIssueFacts, 'today'>>(newIssueDefaultsQuery)
      // Offline or no access: start blank; the number rule then asks for one.
      .catch(() => ({}));
    return newIssueDefaults({ ...facts, today: today() });
  },
  groups: [
    { name: 'content', title: 'Content', default: true },
    { name: 'details', title: 'Details' },
  ],
  fields: [
    defineField({
      name: 'number',
      title: 'Number',
      type: 'number',
      group: 'details',
      validation: (rule) => [
        rule.custom(checkIssueNumber),
        rule.custom((value, context) => checkIssueNumberUnique(value, context.document?._id, lakeClient(context))),
      ],
    }),
    defineField({
      name: 'title',
      title: 'Title',
      type: 'string',
      group: ['content', 'details'],
      validation: (rule) => rule.custom(checkIssueRules('error')),
    }),
    defineField({
      name: 'slug',
      title: 'Slug',
      type: 'slug',
      group: 'details',
      description: 'The issue’s web address: /issues/<number>-<slug>/. Left empty, it follows the title (set on publish).',
      options: {
        source: 'title',
        slugify: (input: string) => slugify(input),
        // Uniqueness is checked by the rule below, which names the clashing issue;
        // Sanity's built-in check only says "already in use" and queries with a
        // function the local stand-in cannot run.
        isUnique: () => true,
      },
      validation: (rule) => [
        rule.custom(checkIssueSlug),
        rule.custom((value, context) => checkSlugUnique(value, 'issue', context.document?._id, lakeClient(context))),
      ],
    }),
    defineField({
      name: 'date',
      title: 'Publication date',
      type: 'date',
      group: 'details',
      initialValue: today,
      validation: (rule) => rule.custom(checkDate),
    }),
    defineField({
      name: 'summary',
      title: 'Summary',
      type: 'text',
      rows: 2,
      group: ['content', 'details'],
      description: 'One sentence, up to 140 characters: the inbox preheader and the feed description.',
      validation: (rule) => [rule.custom(checkSummaryPresent), rule.custom(checkSummaryLength).warning()],
    }),
    defineField({ name: 'byline', title: 'Byline', type: 'string', group: 'details' }),
    defineField({ name: 'intro', title: 'Intro', type: 'portableText', group: 'content' }),
    defineField({
      name: 'sections',
      title: 'Sections',
      type: 'array',
      group: 'content',
      of: [defineArrayMember({ type: 'section' })],
      // A section opens in a dialog; at Sanity's default width (640px) the body's toolbar
      // folds the two kinds of link into its "more" menu. The next width (960px, or the
      // document pane's when narrower) shows each as its own button in a 1600px window.
      options: { modal: { type: 'dialog', width: 2 } },
      validation: (rule) => [rule.custom(checkIssueRules('error')), rule.custom(checkIssueRules('warning')).warning()],
    }),
    defineField({ name: 'signOff', title: 'Sign-off', type: 'portableText', group: 'content' }),
    defineField({
      name: 'tags',
      title: 'Tags',
      type: 'array',
      group: 'details',
      of: [defineArrayMember({ type: 'reference', to: [{ type: 'tag' }] })],
      validation: (rule) => rule.unique().error('Each tag only once, please: remove the repeated tag.'),
    }),
  ],
  orderings: [
    { title: 'Number, newest first', name: 'numberDesc', by: [{ field: 'number', direction: 'desc' }] },
    { title: 'Date, newest first', name: 'dateDesc', by: [{ field: 'date', direction: 'desc' }] },
  ],
  preview: {
    select: { number: 'number', title: 'title', date: 'date' },
    prepare: ({ number, title, date }: { number?: number; title?: string; date?: string }) => ({
      title: `${typeof number === 'number' ? `#${number}` : '#?'} — ${title || 'Untitled issue'}`,
      subtitle: date || 'no date yet',
      // In the desk, whether the issue is scheduled, sending or sent.
      media: issueMedia(number),
    }),
  },
});
