// A topic. Tags drive the topic pages of the web archive and group captured links.
import { TagIcon } from '@sanity/icons/Tag';
import { defineField, defineType } from 'sanity';
import { slugify } from '../../content/rules.ts';
import { lakeClient } from '../lake-client.ts';
import { checkSlug, checkSlugUnique, requireText } from '../validation.ts';

export const tag = defineType({
  name: 'tag',
  title: 'Tag',
  type: 'document',
  icon: TagIcon,
  fields: [
    defineField({
      name: 'title',
      title: 'Title',
      type: 'string',
      validation: (rule) => rule.custom(requireText('Name the tag, e.g. "Packaging".')),
    }),
    defineField({
      name: 'slug',
      title: 'Slug',
      type: 'slug',
      description: 'The topic page address: /tags/<slug>/',
      // See issue.slug: the rule below checks uniqueness and names the clash.
      options: { source: 'title', slugify: (input: string) => slugify(input), isUnique: () => true },
      validation: (rule) => [
        rule.custom((value) => checkSlug(value, 'packaging')),
        rule.custom((value, context) => checkSlugUnique(value, 'tag', context.document?._id, lakeClient(context))),
      ],
    }),
    defineField({ name: 'description', title: 'Description', type: 'text', rows: 3 }),
  ],
  orderings: [{ title: 'Title', name: 'titleAsc', by: [{ field: 'title', direction: 'asc' }] }],
  preview: {
    select: { title: 'title', slug: 'slug.current' },
    prepare: ({ title, slug }: { title?: string; slug?: string }) => ({ title: title || 'Untitled tag', subtitle: slug ? `/tags/${slug}/` : 'no slug yet' }),
  },
});
