// Annotation: text linked to a captured `link` document, so the link's URL and title
// live in one place and `references()` can tell which issues used it.
import { BookmarkIcon } from '@sanity/icons/Bookmark';
import { defineField, defineType } from 'sanity';
import { InboxLinkMark } from '../../studio/components/LinkMarks.tsx';
import { linkHealthCheck } from '../../studio/link-health.ts';
import { linkedInCheck } from '../../studio/linked-in.ts';
import { lakeClient } from '../lake-client.ts';
import { checkReference } from '../validation.ts';

export const linkReference = defineType({
  name: 'linkReference',
  title: 'Link from the inbox',
  type: 'object',
  icon: BookmarkIcon,
  components: { annotation: InboxLinkMark },
  fields: [
    defineField({
      name: 'reference',
      title: 'Link',
      type: 'reference',
      to: [{ type: 'link' }],
      validation: (rule) => [
        rule.custom(checkReference('Choose a link from the inbox, or use an external link instead.')),
        rule.custom((value: { _ref?: unknown } | undefined, context) => linkedInCheck.forReference(value?._ref, context.document?.number, lakeClient(context))).info(),
        rule.custom((value: { _ref?: unknown } | undefined, context) => linkHealthCheck.forReference(value?._ref, lakeClient(context))).warning(),
      ],
    }),
  ],
});
