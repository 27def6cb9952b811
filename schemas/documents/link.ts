// A captured link: the raw material of issues. Editors triage links from the inbox
// (inbox → shortlisted | discarded) and cite them from issue text or as link cards.
import { LinkIcon } from '@sanity/icons/Link';
import { defineArrayMember, defineField, defineType } from 'sanity';
import { linkMedia } from '../../studio/components/LinkedInMark.tsx';
import { NormalizedUrlInput } from '../../studio/components/NormalizedUrlInput.tsx';
import { linkHealthCheck } from '../../studio/link-health.ts';
import { linkedInCheck } from '../../studio/linked-in.ts';
import { lakeClient } from '../lake-client.ts';
import { checkLinkNotDuplicate, checkLinkStatus, httpUrlMessage, requireText } from '../validation.ts';

export const linkStatusOptions = [
  { title: 'Inbox', value: 'inbox' },
  { title: 'Shortlisted', value: 'shortlisted' },
  { title: 'Discarded', value: 'discarded' },
] as const;

export const link = defineType({
  name: 'link',
  title: 'Link',
  type: 'document',
  icon: LinkIcon,
  fields: [
    defineField({
      name: 'url',
      title: 'URL',
      type: 'url',
      validation: (rule) => rule.required().uri({ scheme: ['http', 'https'] }).error(httpUrlMessage),
    }),
    defineField({
      name: 'normalizedUrl',
      title: 'Normalised URL',
      type: 'string',
      description: 'Filled in from the URL; used to spot the same page captured twice.',
      components: { input: NormalizedUrlInput },
      // The duplicate check sits here, not on `url`, because a url field's rules all
      // carry Sanity's built-in URL check, which would then repeat as a warning.
      validation: (rule) => [
        rule.custom(requireText('Filled in from the URL: enter a valid URL above.')),
        rule.custom((value, context) => checkLinkNotDuplicate(value, context.document?._id, lakeClient(context))).warning(),
        rule.custom((value, context) => linkedInCheck.forUrl(value, lakeClient(context))).info(),
        rule.custom((value, context) => linkHealthCheck.forUrl(value, lakeClient(context))).warning(),
      ],
    }),
    defineField({ name: 'title', title: 'Title', type: 'string' }),
    defineField({ name: 'description', title: 'Description', type: 'text', rows: 3 }),
    defineField({ name: 'siteName', title: 'Site name', type: 'string' }),
    defineField({
      name: 'status',
      title: 'Status',
      type: 'string',
      options: { list: [...linkStatusOptions], layout: 'radio', direction: 'horizontal' },
      initialValue: 'inbox',
      validation: (rule) => rule.custom(checkLinkStatus),
    }),
    defineField({
      name: 'capturedAt',
      title: 'Captured at',
      type: 'datetime',
      initialValue: () => new Date().toISOString(),
      validation: (rule) => rule.custom(requireText('Set when the link was captured; the inbox is ordered by it.')),
    }),
    defineField({ name: 'foundAt', title: 'Where found', type: 'string', description: 'e.g. "a forum thread", "a friend’s message".' }),
    defineField({
      name: 'tags',
      title: 'Tags',
      type: 'array',
      of: [defineArrayMember({ type: 'reference', to: [{ type: 'tag' }] })],
      validation: (rule) => rule.unique().error('Each tag only once, please: remove the repeated tag.'),
    }),
    defineField({ name: 'note', title: 'Private note', type: 'text', rows: 3, description: 'Never published.' }),
    defineField({
      name: 'needsEnrichment',
      title: 'Needs enrichment',
      type: 'boolean',
      initialValue: false,
      description: 'Title and description still to be fetched from the page.',
    }),
  ],
  orderings: [{ title: 'Captured, newest first', name: 'capturedAtDesc', by: [{ field: 'capturedAt', direction: 'desc' }] }],
  preview: {
    select: { title: 'title', url: 'url', status: 'status' },
    prepare: ({ title, url, status }: { title?: string; url?: string; status?: string }) => {
      const label = linkStatusOptions.find((o) => o.value === status)?.title ?? 'Inbox';
      // In lists, whether published issues already linked the page.
      return { title: title || url || 'Untitled link', subtitle: `${label} · ${url ?? 'no URL'}`, media: linkMedia(url) };
    },
  },
});
