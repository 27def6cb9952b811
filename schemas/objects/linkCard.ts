// Block object: a captured link shown as a card (title, site, description) with an
// optional comment from the editor.
import { DocumentIcon } from '@sanity/icons/Document';
import { defineField, defineType } from 'sanity';
import { linkHealthCheck } from '../../studio/link-health.ts';
import { linkedInCheck } from '../../studio/linked-in.ts';
import { lakeClient } from '../lake-client.ts';
import { checkReference } from '../validation.ts';

export const linkCard = defineType({
  name: 'linkCard',
  title: 'Link card',
  type: 'object',
  icon: DocumentIcon,
  fields: [
    defineField({
      name: 'link',
      title: 'Link',
      type: 'reference',
      to: [{ type: 'link' }],
      validation: (rule) => [
        rule.custom(checkReference('Choose the link this card shows.')),
        rule.custom((value: { _ref?: unknown } | undefined, context) => linkedInCheck.forReference(value?._ref, context.document?.number, lakeClient(context))).info(),
        rule.custom((value: { _ref?: unknown } | undefined, context) => linkHealthCheck.forReference(value?._ref, lakeClient(context))).warning(),
      ],
    }),
    defineField({ name: 'comment', title: 'Comment', type: 'string', description: 'Optional: one line on why it is worth reading.' }),
  ],
  preview: {
    select: { title: 'link.title', url: 'link.url', comment: 'comment' },
    prepare: ({ title, url, comment }: { title?: string; url?: string; comment?: string }) => ({
      title: title || url || 'Link card (no link chosen)',
      subtitle: comment ? `“${comment}”` : url,
    }),
  },
});
